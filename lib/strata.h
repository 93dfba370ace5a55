/*
 * strata.h: a stratified split, so that each tag keeps its share.
 *
 * A case belongs to the stratum of its rarest tag: the tag with the fewest
 * cases in the pool, and of those the one that sorts first; untagged cases
 * make one stratum. Of a stratum's m cases, the quota ratio * m, rounded as
 * ev_split_quota says, whose keys are lowest go to the share. A rare tag,
 * where chance would skew the share most, so gets exactly its share, to
 * within one case. Cases with the same tags make a tag set; memory holds
 * 24 bytes a case and each tag set once.
 */
#ifndef EV_STRATA_H
#define EV_STRATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jv.h>

typedef struct ev_strata ev_strata;

ev_strata *ev_strata_new(void);
void ev_strata_free(ev_strata *st);

/* ev_strata_add files a case whose tags are those of 'rec' and whose key
 * (split.h) is 'key'. Cases are numbered from 0 in the order they are
 * added. Past UINT32_MAX cases it adds nothing and returns false. */
bool ev_strata_add(ev_strata *st, jv rec /* borrowed */, uint64_t key);

/* ev_strata_decide gives each stratum its quota of the share 'ratio', with
 * the rounding keyed by each stratum's tag under 'seed', and marks in 'out'
 * (one place a case, by number) the cases that go to the share. Cases go in
 * groups: 'leads' gives each case the number of its group's first case (or
 * is NULL: every case alone). A group belongs to its first case's stratum
 * and counts all its cases there. In the order of their first cases' keys,
 * each group that fits in what is left of its stratum's quota goes to the
 * share; one that does not is passed over, and a smaller one after it may
 * still fit. A stratum so takes at most its quota, and all of it when its
 * cases are alone. It may be called again. */
void ev_strata_decide(ev_strata *st, double ratio, uint64_t seed, const uint32_t *leads, bool *out);

/* ev_strata_report writes to 'f' a table of each tag's cases on each side
 * of the last decision, "tag out rest", tags in byte order; a case with two
 * tags counts under both. */
void ev_strata_report(const ev_strata *st, FILE *f);

#endif
