#include "minhash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "alloc.h"
#include "hash.h"
#include "keymap.h"
#include "text.h"

/* A pair at the threshold is found with at least this probability. */
#define LSH_RECALL 0.99

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void
push_shingle(ev_minhash_sketch *s, uint64_t h)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 32;
        s->shingle = ev_alloc_resize(s->shingle, s->cap * sizeof(*s->shingle));
    }
    s->shingle[s->n++] = h;
}

/* shingle_of hashes the 'n' word hashes at 'w' into one, in order. */
static uint64_t
shingle_of(const uint64_t *w, size_t n)
{
    uint64_t h = 0x5368696e676c65ULL; /* "Shingle" */
    for (size_t i = 0; i < n; i++)
        h = ev_hash_mix64(h ^ w[i]) + 0x9e3779b97f4a7c15ULL;
    return h;
}

/* shingle_text fills 's->shingle' with the distinct shingles of 'text'. */
static void
shingle_text(ev_minhash_sketch *s, const char *text)
{
    jv words = ev_text_words(text);
    size_t nw = (size_t)jv_array_length(jv_copy(words));
    uint64_t small[64];
    uint64_t *wh = nw <= 64 ? small : ev_alloc_resize(NULL, nw * sizeof(*wh));

    jv_array_foreach(words, i, w)
    {
        const char *p = jv_string_value(w);
        wh[i] = ev_hash_64(p, strlen(p), 0);
        jv_free(w);
    }
    jv_free(words);

    s->n = 0;
    if (nw > 0 && nw < EV_MINHASH_SHINGLE_WORDS)
        push_shingle(s, shingle_of(wh, nw));
    for (size_t i = 0; i + EV_MINHASH_SHINGLE_WORDS <= nw; i++)
        push_shingle(s, shingle_of(wh + i, EV_MINHASH_SHINGLE_WORDS));
    if (wh != small)
        free(wh);

    if (s->n > 1)
        qsort(s->shingle, s->n, sizeof(*s->shingle), cmp_u64);
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (k == 0 || s->shingle[i] != s->shingle[k - 1])
            s->shingle[k++] = s->shingle[i];
    s->n = k;
}

void
ev_minhash_sketch_text(ev_minhash_sketch *s, const char *text)
{
    /* The hash functions of the signature: h_j(x) = a_j x + b_j mod 2^64,
     * with a_j odd, a bijection for each j. The shingle hashes x are already
     * well mixed, and on them this family gives estimates as good as a full
     * mix, at a fraction of the cost. */
    uint64_t a[EV_MINHASH_SIZE], b[EV_MINHASH_SIZE];
    for (size_t j = 0; j < EV_MINHASH_SIZE; j++) {
        a[j] = ev_hash_mix64(0x4d696e48617368ULL + 2 * j) | 1; /* "MinHash" */
        b[j] = ev_hash_mix64(0x4d696e48617368ULL + 2 * j + 1);
        s->sig[j] = UINT64_MAX;
    }
    shingle_text(s, text);
    for (size_t i = 0; i < s->n; i++) {
        uint64_t x = s->shingle[i];
        for (size_t j = 0; j < EV_MINHASH_SIZE; j++) {
            uint64_t v = x * a[j] + b[j];
            s->sig[j] = v < s->sig[j] ? v : s->sig[j];
        }
    }
}

void
ev_minhash_sketch_free(ev_minhash_sketch *s)
{
    free(s->shingle);
    s->shingle = NULL;
    s->n = s->cap = 0;
}

/* jaccard of two sorted sets of distinct hashes. */
static double
jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    size_t i = 0, j = 0, common = 0;

    if (na == 0 || nb == 0)
        return 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) {
            i++;
        } else if (a[i] > b[j]) {
            j++;
        } else {
            common++;
            i++;
            j++;
        }
    }
    return (double)common / (double)(na + nb - common);
}

double
ev_minhash_jaccard(const ev_minhash_sketch *a, const ev_minhash_sketch *b)
{
    return jaccard(a->shingle, a->n, b->shingle, b->n);
}

double
ev_minhash_estimate(const ev_minhash_sketch *a, const ev_minhash_sketch *b)
{
    size_t same = 0;

    if (a->n == 0 || b->n == 0)
        return 0;
    for (size_t j = 0; j < EV_MINHASH_SIZE; j++)
        same += a->sig[j] == b->sig[j];
    return (double)same / EV_MINHASH_SIZE;
}

struct ev_minhash_index {
    double threshold;
    int bands, rows;
    ev_keymap *buckets; /* band key -> items */
    uint64_t *sh;       /* every item's shingles, one after another */
    size_t nsh, capsh;
    size_t *off; /* item i's shingles are sh[off[i]] .. sh[off[i + 1] - 1] */
    uint32_t *seen;
    size_t n, cap;
    uint32_t stamp; /* queries so far; seen[i] == stamp: i is a candidate already */
};

/* choose_bands picks the most rows a band (the fewest chance candidates) that
 * still find a pair at 'threshold' with probability LSH_RECALL: a pair of
 * similarity s agrees on a band of r rows with probability s^r, and meets in
 * at least one of b bands with probability 1 - (1 - s^r)^b. */
static void
choose_bands(ev_minhash_index *ix)
{
    for (int r = EV_MINHASH_SIZE; r >= 1; r--) {
        int b = EV_MINHASH_SIZE / r;
        double miss = pow(1 - pow(ix->threshold, r), b);
        if (miss <= 1 - LSH_RECALL || r == 1) {
            ix->rows = r;
            ix->bands = b;
            return;
        }
    }
}

ev_minhash_index *
ev_minhash_index_new(double threshold)
{
    ev_minhash_index *ix = ev_alloc_resize(NULL, sizeof(*ix));
    memset(ix, 0, sizeof(*ix));
    ix->threshold = threshold < 0.01 ? 0.01 : threshold > 1 ? 1 : threshold;
    choose_bands(ix);
    ix->buckets = ev_keymap_new();
    ix->off = ev_alloc_resize(NULL, sizeof(*ix->off));
    ix->off[0] = 0;
    return ix;
}

void
ev_minhash_index_free(ev_minhash_index *ix)
{
    if (ix == NULL)
        return;
    ev_keymap_free(ix->buckets);
    free(ix->sh);
    free(ix->off);
    free(ix->seen);
    free(ix);
}

int
ev_minhash_index_bands(const ev_minhash_index *ix, int *rows)
{
    *rows = ix->rows;
    return ix->bands;
}

/* band_key hashes band 'b' of 'sig'; the band number is part of the key, so
 * equal values in different bands do not meet. */
static uint64_t
band_key(const ev_minhash_index *ix, const uint64_t *sig, int b)
{
    uint64_t h = ev_hash_mix64((uint64_t)b + 1);
    for (int r = 0; r < ix->rows; r++)
        h = ev_hash_mix64(h ^ sig[b * ix->rows + r]) + 0x9e3779b97f4a7c15ULL;
    return h;
}

uint32_t
ev_minhash_index_add(ev_minhash_index *ix, const ev_minhash_sketch *s)
{
    if (ix->n >= EV_MINHASH_MAX)
        return UINT32_MAX;
    if (ix->n == ix->cap) {
        ix->cap = ix->cap ? 2 * ix->cap : 1024;
        ix->off = ev_alloc_resize(ix->off, (ix->cap + 1) * sizeof(*ix->off));
        ix->seen = ev_alloc_resize(ix->seen, ix->cap * sizeof(*ix->seen));
    }
    if (ix->nsh + s->n > ix->capsh) {
        while (ix->nsh + s->n > ix->capsh)
            ix->capsh = ix->capsh ? 2 * ix->capsh : 4096;
        ix->sh = ev_alloc_resize(ix->sh, ix->capsh * sizeof(*ix->sh));
    }
    uint32_t item = (uint32_t)ix->n++;
    if (s->n > 0)
        memcpy(ix->sh + ix->nsh, s->shingle, s->n * sizeof(*s->shingle));
    ix->nsh += s->n;
    ix->off[ix->n] = ix->nsh;
    ix->seen[item] = 0;
    if (s->n > 0) {
        uint64_t key[EV_MINHASH_SIZE];
        for (int b = 0; b < ix->bands; b++) {
            key[b] = band_key(ix, s->sig, b);
            ev_keymap_prefetch(ix->buckets, key[b]);
        }
        for (int b = 0; b < ix->bands; b++)
            ev_keymap_add(ix->buckets, key[b], item);
    }
    return item;
}

static int
cmp_match(const void *a, const void *b)
{
    const ev_minhash_match *x = a, *y = b;
    if (x->similarity != y->similarity)
        return x->similarity < y->similarity ? 1 : -1;
    return (x->item > y->item) - (x->item < y->item);
}

size_t
ev_minhash_index_query(ev_minhash_index *ix, const ev_minhash_sketch *s, ev_minhash_match **out,
                       size_t *cap)
{
    size_t n = 0;

    if (s->n == 0)
        return 0;
    if (++ix->stamp == 0) {
        for (size_t i = 0; i < ix->n; i++)
            ix->seen[i] = 0;
        ix->stamp = 1;
    }
    uint64_t key[EV_MINHASH_SIZE];
    for (int b = 0; b < ix->bands; b++) {
        key[b] = band_key(ix, s->sig, b);
        ev_keymap_prefetch(ix->buckets, key[b]);
    }
    for (int b = 0; b < ix->bands; b++) {
        for (size_t e = ev_keymap_find(ix->buckets, key[b]); e != EV_KEYMAP_END;
             e = ev_keymap_next(ix->buckets, e)) {
            uint32_t item = ev_keymap_item(ix->buckets, e);
            if (ix->seen[item] == ix->stamp)
                continue;
            ix->seen[item] = ix->stamp;
            double sim = jaccard(s->shingle, s->n, ix->sh + ix->off[item],
                                 ix->off[item + 1] - ix->off[item]);
            if (sim < ix->threshold)
                continue;
            if (n == *cap) {
                *cap = *cap ? 2 * *cap : 16;
                *out = ev_alloc_resize(*out, *cap * sizeof(**out));
            }
            (*out)[n++] = (ev_minhash_match){item, sim};
        }
    }
    if (n > 1)
        qsort(*out, n, sizeof(**out), cmp_match);
    return n;
}
