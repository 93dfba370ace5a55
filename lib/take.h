/*
 * take.h: the first k of a stream of cases in key order, in memory
 * proportional to k.
 *
 * ev-split --take writes the cases whose places (split.h) are lowest. It
 * cannot know them before the end of the pool, so it keeps the best k so
 * far in a max-heap whose top is the last of them, and each case carries
 * the caller's pointer 'data' (its line). Ties of key go by arrival.
 */
#ifndef EV_TAKE_H
#define EV_TAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ev_take_slot {
    uint64_t key;
    uint64_t seq; /* arrival number, to break ties and to restore input order */
    void *data;
} ev_take_slot;

typedef struct ev_take {
    size_t k, n, cap;
    ev_take_slot *heap;
} ev_take;

void ev_take_init(ev_take *t, size_t k);

/* ev_take_wants says whether a case with 'key' arriving as 'seq' would be
 * kept, so the caller copies its data only then. */
bool ev_take_wants(const ev_take *t, uint64_t key, uint64_t seq);

/* ev_take_offer keeps the case when it is among the first k so far. It
 * returns the data that no longer has a place, for the caller to free: the
 * slot it pushed out, or 'data' itself when the case is not kept, or NULL. */
void *ev_take_offer(ev_take *t, uint64_t key, uint64_t seq, void *data);

/* ev_take_sorted sorts the kept slots into arrival order and returns them,
 * with their number in '*n'. They stay owned by 't'; after this call, only
 * ev_take_free may be used. */
ev_take_slot *ev_take_sorted(ev_take *t, size_t *n);

/* ev_take_free releases the heap, not the data. */
void ev_take_free(ev_take *t);

#endif
