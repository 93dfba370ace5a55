/*
 * gaps.h: why a case failed, and where the next training examples should go.
 *
 * Ownership: functions borrow 'rec' and return values the caller owns.
 */
#ifndef EV_GAPS_H
#define EV_GAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "intern.h"

/* ev_failed says whether a scored record is a failure: its score did not
 * pass, or its call failed. */
bool ev_failed(jv rec);

/* ev_gap_kind classifies a failure, in this order of precedence:
 *   "error"      the call failed (the record has 'error');
 *   "truncated"  the answer hit the token limit (finish reason length or
 *                max_tokens);
 *   "refusal"    the provider's filter stopped it (content_filter, refusal)
 *                or the output reads as a refusal;
 *   "format"     the scorer could not parse the output (score.parsed false);
 *   "wrong"      anything else.
 * For a refusal matched in the text, '*pattern' receives the phrase (static
 * storage), else NULL. */
const char *ev_gap_kind(jv rec, const char **pattern);

/* ev_allocate spreads 'budget' examples over 'n' groups in proportion to
 * their 'weight' (failures), at least one to each group with a weight above
 * zero while the budget lasts; the heaviest groups come first when it does
 * not. Remainders go by the largest-remainder rule, ties to the lower index.
 * 'out' receives the counts. */
void ev_allocate(const double *weight, size_t n, long budget, long *out);

/* A tally of cases, failures and regressions per tag. Tags are numbered in
 * the order they were first counted; memory grows with the number of
 * distinct tags, not of cases. */
typedef struct ev_tag_count {
    double cases, failures, regressions;
} ev_tag_count;

typedef struct ev_tag_tally {
    ev_intern *tags;
    ev_tag_count *count; /* per tag number */
    size_t cap;
} ev_tag_tally;

void ev_tag_tally_init(ev_tag_tally *t);
void ev_tag_tally_free(ev_tag_tally *t);

/* ev_tag_tally_add counts one case in the tag 'tag' (borrowed, a string),
 * and returns the tag's number. */
uint32_t ev_tag_tally_add(ev_tag_tally *t, jv tag, bool failed, bool regression);

/* ev_tag_tally_name returns the name of tag 'k'. */
jv ev_tag_tally_name(const ev_tag_tally *t, uint32_t k);

/* ev_tag_tally_worst_first returns the tag numbers ordered by failure rate,
 * then failures, both highest first, then name in byte order; '*n' receives
 * their count. The caller frees the array. */
uint32_t *ev_tag_tally_worst_first(const ev_tag_tally *t, size_t *n);

#endif
