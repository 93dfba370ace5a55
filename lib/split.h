/*
 * split.h: deterministic assignment of cases by a seeded hash of their id.
 *
 * A case's key is ev_hash64 of its id under the seed, and its place is
 * ev_unit of the key, a number in [0, 1) that looks uniformly random and never
 * changes for that id and seed. A ratio, a shard or a place in line is decided
 * from a case's own key alone, never from the other cases or their order, so
 * a case keeps its side when the pool grows. Only a stratified quota depends
 * on how many cases share a stratum.
 *
 * The values are part of ev's contract, like those of hash.h: the same id and
 * seed give the same assignment on every version and machine.
 */
#ifndef EV_SPLIT_H
#define EV_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* ev_first_k keeps, from a stream of cases, the 'k' that come first in key
 * order (ties by arrival), in memory proportional to k: a max-heap of the
 * best so far. Each slot carries the caller's pointer 'data'. */
typedef struct ev_first_slot {
    uint64_t key;
    uint64_t seq; /* arrival number, to break ties and to restore input order */
    void *data;
} ev_first_slot;

typedef struct ev_first_k {
    size_t k, n, cap;
    ev_first_slot *heap;
} ev_first_k;

void ev_first_k_init(ev_first_k *f, size_t k);

/* ev_first_k_wants says whether a case with 'key' arriving as 'seq' would be
 * kept, so the caller copies its data only then. */
bool ev_first_k_wants(const ev_first_k *f, uint64_t key, uint64_t seq);

/* ev_first_k_offer keeps the case when it is among the first k so far. It
 * returns the data that no longer has a place, for the caller to free: the
 * slot it pushed out, or 'data' itself when the case is not kept, or NULL. */
void *ev_first_k_offer(ev_first_k *f, uint64_t key, uint64_t seq, void *data);

/* ev_first_k_sorted sorts the kept slots into arrival order and returns them,
 * with their number in '*n'. They stay owned by 'f'; after this call, only
 * ev_first_k_free may be used. */
ev_first_slot *ev_first_k_sorted(ev_first_k *f, size_t *n);

/* ev_first_k_free releases the heap, not the data. */
void ev_first_k_free(ev_first_k *f);

#endif
