/*
 * split.h: a pool of cases cut into parts by a seeded hash of each case's
 * id: the split plan of ev-split.
 *
 * A case's key is ev_hash_64 of its id under the seed, and its place is
 * ev_hash_unit of the key, a number in [0, 1) that looks uniformly random and never
 * changes for that id and seed. A ratio, a shard or a place in line is decided
 * from a key alone, never from the other cases or their order, so a case
 * keeps its side when the pool grows. Only a stratified quota depends on how
 * many cases share a stratum.
 *
 * A split never puts near duplicates (near.h) on two sides: a case joins the
 * group of every earlier case it is near, and a group goes where the key of
 * its first case in the input sends it. A case with no near duplicate is
 * its own group, decided by its own key. Cases added at the end of a pool
 * join their groups without moving them; only a case that joins two groups
 * into one moves the later group to the side of the earlier.
 *
 * The values are part of ev's contract, like those of hash.h: the same id and
 * seed give the same assignment on every version and machine.
 */
#ifndef EV_SPLIT_H
#define EV_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jv.h>

#include "jsonl.h"
#include "log.h"
#include "strata.h"

/* ev_split_key returns the key of the id 'id' ('len' bytes) under 'seed'. */
uint64_t ev_split_key(const char *id, size_t len, uint64_t seed);

/* ev_split_in says whether the case with 'key' is in the share 'ratio' (0 to
 * 1): its place is below the ratio. The share for a larger ratio holds the
 * share for a smaller one. */
bool ev_split_in(uint64_t key, double ratio);

/* ev_split_shard returns the shard, 1 to 'n', of the case with 'key'. Shards
 * take an independent hash of the key, so that shards of a set that was itself
 * cut by ratio under the same seed are still even. */
long ev_split_shard(uint64_t key, long n);

/* ev_split_quota returns how many of the 'n' cases of a stratum go to the
 * share 'ratio': ratio * n rounded down or up, up with probability equal to
 * the fraction, decided by 'stratum_key' (a hash of the stratum under the
 * seed). So small strata are not all rounded the same way, and the quotas
 * add up to about ratio times the pool. */
long ev_split_quota(double ratio, long n, uint64_t stratum_key);

/* What ev_split_run does with the pool. */
enum ev_split_mode {
    EV_SPLIT_RATIO,  /* the groups in the share 'ratio' to 'out', the rest to 'rest' */
    EV_SPLIT_TAKE,   /* the first 'take' cases in key order to 'out' (take.h) */
    EV_SPLIT_SHARD,  /* the groups of shard 'shard' of 'nshards' to 'out', the others to 'rest' */
    EV_SPLIT_DEDUPE, /* every case to 'out' (with 'dedupe') */
};

typedef struct ev_split_opts {
    enum ev_split_mode mode;
    double ratio;
    long take;
    long shard, nshards;
    uint64_t seed;
    bool stratify;     /* EV_SPLIT_RATIO: keep the share within each tag (strata.h) */
    bool dedupe;       /* drop the near duplicates of earlier cases */
    double threshold;  /* the similarity that makes a near duplicate (near.h) */
    FILE *out;         /* the cases chosen */
    FILE *rest;        /* the others, or NULL to leave them out */
    const ev_log *log; /* bad lines ("file:line: ..."), and what stops the run */
} ev_split_opts;

typedef struct ev_split_result {
    unsigned long cases;   /* the cases split, after --dedupe */
    unsigned long out;     /* of them, those written to 'out' */
    unsigned long dropped; /* the cases --dedupe dropped */
    unsigned long groups;  /* groups of near duplicates kept on one side */
    unsigned long grouped; /* the cases in them */
    ev_strata *strata;     /* with 'stratify': the tags on each side; the caller frees it */
} ev_split_result;

/* ev_split_run reads the pool from the 'npaths' operands 'paths' and writes
 * it as 'o' says, each case's line byte for byte and in input order; a case
 * without an id gets its derived id added, so it keeps it downstream. With
 * 'dedupe', a near duplicate of a case kept before is dropped. --ratio and
 * --shard keep groups of near duplicates on one side; --take orders cases
 * by their own keys, near duplicates or not. It stops early when a stream
 * fails. Interrupted (interrupt.h), every mode but --dedupe alone chooses
 * from the whole pool and writes nothing. Returns the number of problems. */
unsigned long ev_split_run(const ev_split_opts *o, char **paths, int npaths, ev_split_result *res);

#endif
