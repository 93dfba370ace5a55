#include "near.h"

#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "alloc.h"
#include "hash.h"
#include "keymap.h"
#include "minhash.h"
#include "text.h"

struct ev_near {
    ev_keymap *same; /* key of the input -> its number */
    ev_minhash_index *similar;
    ev_minhash_sketch sk; /* the sketch of the last text looked at */
    uint64_t text_hash;   /* ... and that text's hash and length */
    size_t text_len;
    bool has_key; /* ... its key, when it is not empty */
    uint64_t key;
    uint32_t *exact; /* the same inputs of the last find, by number */
    size_t capexact;
    ev_minhash_match *m;
    size_t capm;
};

bool
ev_near_key(const char *text, uint64_t *key)
{
    jv norm = ev_text_normalize(text, EV_TEXT_NORM_CASE | EV_TEXT_NORM_SPACE);
    size_t len = (size_t)jv_string_length_bytes(jv_copy(norm));
    *key = ev_hash_64(jv_string_value(norm), len, 0);
    jv_free(norm);
    return len > 0;
}

ev_near *
ev_near_new(double threshold)
{
    ev_near *ix = ev_alloc_zero(1, sizeof(*ix));
    ix->same = ev_keymap_new();
    ix->similar = ev_minhash_index_new(threshold);
    return ix;
}

void
ev_near_free(ev_near *ix)
{
    if (ix == NULL)
        return;
    ev_keymap_free(ix->same);
    ev_minhash_index_free(ix->similar);
    ev_minhash_sketch_free(&ix->sk);
    free(ix->exact);
    free(ix->m);
    free(ix);
}

/* look sketches 'text', unless it is the text looked at last. */
static void
look(ev_near *ix, const char *text)
{
    size_t len = strlen(text);
    uint64_t h = ev_hash_64(text, len, 0x4e656172ULL); /* "Near" */
    if (ix->sk.shingle != NULL && h == ix->text_hash && len == ix->text_len)
        return;
    ix->text_hash = h;
    ix->text_len = len;
    ix->has_key = ev_near_key(text, &ix->key);
    ev_minhash_sketch_text(&ix->sk, text);
}

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void
push(ev_near_match **out, size_t *cap, size_t n, ev_near_match m)
{
    if (n == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        *out = ev_alloc_array(*out, *cap, sizeof(**out));
    }
    (*out)[n] = m;
}

size_t
ev_near_find(ev_near *ix, const char *text, ev_near_match **out, size_t *cap)
{
    size_t nsame = 0, n = 0;

    look(ix, text);
    if (ix->has_key) {
        for (size_t e = ev_keymap_find(ix->same, ix->key); e != EV_KEYMAP_END;
             e = ev_keymap_next(ix->same, e)) {
            if (nsame == ix->capexact) {
                ix->capexact = ix->capexact ? 2 * ix->capexact : 16;
                ix->exact = ev_alloc_array(ix->exact, ix->capexact, sizeof(*ix->exact));
            }
            ix->exact[nsame++] = ev_keymap_item(ix->same, e);
        }
    }
    if (nsame > 1)
        qsort(ix->exact, nsame, sizeof(*ix->exact), cmp_u32);
    for (size_t i = 0; i < nsame; i++)
        push(out, cap, n++, (ev_near_match){ix->exact[i], 1, true});
    size_t nm = ev_minhash_index_query(ix->similar, &ix->sk, &ix->m, &ix->capm);
    for (size_t i = 0; i < nm; i++) {
        uint32_t item = ix->m[i].item;
        if (nsame > 0 && bsearch(&item, ix->exact, nsame, sizeof(*ix->exact), cmp_u32) != NULL)
            continue;
        push(out, cap, n++, (ev_near_match){item, ix->m[i].similarity, false});
    }
    return n;
}

const ev_minhash_sketch *
ev_near_sketch(ev_near *ix, const char *text)
{
    look(ix, text);
    return &ix->sk;
}

bool
ev_near_empty(ev_near *ix, const char *text)
{
    look(ix, text);
    return !ix->has_key;
}

uint32_t
ev_near_add(ev_near *ix, const char *text)
{
    look(ix, text);
    uint32_t item = ev_minhash_index_add(ix->similar, &ix->sk);
    if (item != UINT32_MAX && ix->has_key)
        ev_keymap_add(ix->same, ix->key, item);
    return item;
}
