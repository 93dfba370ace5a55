#include "take.h"

#include <stdlib.h>

#include "alloc.h"

void
ev_take_init(ev_take *t, size_t k)
{
    t->k = k;
    t->n = t->cap = 0;
    t->heap = NULL;
}

/* before says whether the case ('akey', 'aseq') comes before slot 'b': by key,
 * then by arrival. */
static bool
before(uint64_t akey, uint64_t aseq, const ev_take_slot *b)
{
    return akey < b->key || (akey == b->key && aseq < b->seq);
}

bool
ev_take_wants(const ev_take *t, uint64_t key, uint64_t seq)
{
    if (t->n < t->k)
        return true;
    return t->k > 0 && before(key, seq, &t->heap[0]);
}

static void
swap(ev_take_slot *a, ev_take_slot *b)
{
    ev_take_slot s = *a;
    *a = *b;
    *b = s;
}

/* The heap keeps the last of the kept slots, in key order, at the top. */
static void
sift_up(ev_take_slot *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(h[p].key, h[p].seq, &h[i]))
            return;
        swap(&h[p], &h[i]);
        i = p;
    }
}

static void
sift_down(ev_take_slot *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && before(h[m].key, h[m].seq, &h[l]))
            m = l;
        if (r < n && before(h[m].key, h[m].seq, &h[r]))
            m = r;
        if (m == i)
            return;
        swap(&h[m], &h[i]);
        i = m;
    }
}

void *
ev_take_offer(ev_take *t, uint64_t key, uint64_t seq, void *data)
{
    if (!ev_take_wants(t, key, seq))
        return data;
    if (t->n < t->k) {
        if (t->n == t->cap) {
            t->cap = t->cap ? 2 * t->cap : 64;
            if (t->cap > t->k)
                t->cap = t->k;
            t->heap = ev_alloc_resize(t->heap, t->cap * sizeof(*t->heap));
        }
        t->heap[t->n] = (ev_take_slot){key, seq, data};
        sift_up(t->heap, t->n++);
        return NULL;
    }
    void *out = t->heap[0].data;
    t->heap[0] = (ev_take_slot){key, seq, data};
    sift_down(t->heap, t->n, 0);
    return out;
}

static int
cmp_seq(const void *a, const void *b)
{
    const ev_take_slot *x = a, *y = b;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

ev_take_slot *
ev_take_sorted(ev_take *t, size_t *n)
{
    if (t->n > 1)
        qsort(t->heap, t->n, sizeof(*t->heap), cmp_seq);
    *n = t->n;
    return t->heap;
}

void
ev_take_free(ev_take *t)
{
    free(t->heap);
    t->heap = NULL;
    t->n = t->cap = 0;
}
