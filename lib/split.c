#include "split.h"

#include <math.h>
#include <stdlib.h>

#include "alloc.h"
#include "hash.h"

uint64_t
ev_split_key(const char *id, size_t len, uint64_t seed)
{
    return ev_hash64(id, len, seed);
}

bool
ev_split_in(uint64_t key, double ratio)
{
    return ev_unit(key) < ratio;
}

long
ev_split_shard(uint64_t key, long n)
{
    long s = (long)(ev_unit(ev_mix64(key ^ 0x5368617264ULL)) * (double)n); /* "Shard" */
    return (s < n ? s : n - 1) + 1;
}

long
ev_split_quota(double ratio, long n, uint64_t stratum_key)
{
    double x = ratio * (double)n;
    long q = (long)floor(x);
    if (ev_unit(stratum_key) < x - (double)q)
        q++;
    return q < 0 ? 0 : q > n ? n : q;
}

void
ev_first_k_init(ev_first_k *f, size_t k)
{
    f->k = k;
    f->n = f->cap = 0;
    f->heap = NULL;
}

/* before says whether the case ('akey', 'aseq') comes before slot 'b': by key,
 * then by arrival. */
static bool
before(uint64_t akey, uint64_t aseq, const ev_first_slot *b)
{
    return akey < b->key || (akey == b->key && aseq < b->seq);
}

bool
ev_first_k_wants(const ev_first_k *f, uint64_t key, uint64_t seq)
{
    if (f->n < f->k)
        return true;
    return f->k > 0 && before(key, seq, &f->heap[0]);
}

static void
swap(ev_first_slot *a, ev_first_slot *b)
{
    ev_first_slot t = *a;
    *a = *b;
    *b = t;
}

/* The heap keeps the last of the kept slots, in key order, at the top. */
static void
sift_up(ev_first_slot *h, size_t i)
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
sift_down(ev_first_slot *h, size_t n, size_t i)
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
ev_first_k_offer(ev_first_k *f, uint64_t key, uint64_t seq, void *data)
{
    if (!ev_first_k_wants(f, key, seq))
        return data;
    if (f->n < f->k) {
        if (f->n == f->cap) {
            f->cap = f->cap ? 2 * f->cap : 64;
            if (f->cap > f->k)
                f->cap = f->k;
            f->heap = ev_alloc_resize(f->heap, f->cap * sizeof(*f->heap));
        }
        f->heap[f->n] = (ev_first_slot){key, seq, data};
        sift_up(f->heap, f->n++);
        return NULL;
    }
    void *out = f->heap[0].data;
    f->heap[0] = (ev_first_slot){key, seq, data};
    sift_down(f->heap, f->n, 0);
    return out;
}

static int
cmp_seq(const void *a, const void *b)
{
    const ev_first_slot *x = a, *y = b;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

ev_first_slot *
ev_first_k_sorted(ev_first_k *f, size_t *n)
{
    if (f->n > 1)
        qsort(f->heap, f->n, sizeof(*f->heap), cmp_seq);
    *n = f->n;
    return f->heap;
}

void
ev_first_k_free(ev_first_k *f)
{
    free(f->heap);
    f->heap = NULL;
    f->n = f->cap = 0;
}
