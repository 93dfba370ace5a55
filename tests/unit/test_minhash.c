/* Unit tests of lib/keymap, lib/minhash and lib/split. */
#include <stdlib.h>

#include "hash.h"
#include "keymap.h"
#include "minhash.h"
#include "split.h"
#include "text.h"
#include "unit.h"

static void
test_keymap(void)
{
    ev_keymap *m = ev_keymap_new();
    for (uint32_t i = 0; i < 100000; i++)
        ev_keymap_add(m, ev_mix64(i % 50000), i);
    int all = 1;
    for (uint32_t k = 0; k < 50000 && all; k++) {
        size_t e = ev_keymap_find(m, ev_mix64(k));
        all = e != EV_KEYMAP_END && ev_keymap_item(m, e) == k + 50000;
        e = all ? ev_keymap_next(m, e) : e;
        all = all && e != EV_KEYMAP_END && ev_keymap_item(m, e) == k;
        all = all && ev_keymap_next(m, e) == EV_KEYMAP_END;
    }
    CHECK(all, "keymap: every key holds its items, newest first, across growth");
    CHECK(ev_keymap_find(m, ev_mix64(50000)) == EV_KEYMAP_END, "keymap: a missing key has none");
    ev_keymap_free(m);
}

static double
jaccard_of(const char *a, const char *b)
{
    ev_sketch x = {0}, y = {0};
    ev_sketch_text(&x, a);
    ev_sketch_text(&y, b);
    double j = ev_sketch_jaccard(&x, &y);
    ev_sketch_free(&x);
    ev_sketch_free(&y);
    return j;
}

static void
test_sketch(void)
{
    ev_sketch s = {0};
    ev_sketch_text(&s, "the cat sat on the mat");
    CHECK(s.n == 4, "six words make four 3-word shingles");
    ev_sketch_text(&s, "the cat the cat the cat");
    CHECK(s.n == 2, "repeated shingles count once");
    ev_sketch_text(&s, "Hello, world");
    CHECK(s.n == 1, "a text shorter than a shingle is one shingle of all its words");
    ev_sketch_text(&s, " ?! ");
    CHECK(s.n == 0, "a text without words has no shingles");
    ev_sketch_free(&s);

    CHECK_NEAR(jaccard_of("What is the capital of France?", "what is THE capital of france"), 1, 0,
               "case and punctuation do not matter");
    CHECK_NEAR(jaccard_of("a b c d e f", "a b c d e g"), 3.0 / 5.0, 1e-12,
               "one changed last word: 3 shared of 5 shingles");
    CHECK_NEAR(jaccard_of("a b c d e f", "u v w x y z"), 0, 0, "disjoint texts: 0");
    CHECK_NEAR(jaccard_of("hello world", "hello world again"), 0, 0,
               "a short text is not a shingle of a longer one");
    CHECK_NEAR(jaccard_of("", ""), 0, 0, "empty texts are near nothing, not even each other");
}

/* words writes 'n' words numbered from 'from' into 'buf' as one text. */
static void
words(char *buf, size_t cap, int from, int n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "w%d ", from + i);
}

static void
test_estimate(void)
{
    /* 40 words, the last 4 replaced: 34 shared of 42 shingles, 0.81. */
    char a[1024], b[1024];
    double sum = 0;
    int n = 200;
    ev_sketch x = {0}, y = {0};
    for (int t = 0; t < n; t++) {
        words(a, sizeof(a), 1000 * t, 40);
        words(b, sizeof(b), 1000 * t, 36);
        size_t len = strlen(b);
        snprintf(b + len, sizeof(b) - len, "x%d y%d z%d q%d", t, t, t, t);
        ev_sketch_text(&x, a);
        ev_sketch_text(&y, b);
        sum += ev_sketch_estimate(&x, &y);
    }
    CHECK_NEAR(jaccard_of(a, b), 34.0 / 42.0, 1e-12, "exact similarity of the test pair");
    CHECK_NEAR(sum / n, 34.0 / 42.0, 0.01, "the MinHash estimate is unbiased");
    ev_sketch_free(&x);
    ev_sketch_free(&y);
}

static void
test_lsh(void)
{
    ev_lsh *ix = ev_lsh_new(0.8);
    int rows, bands = ev_lsh_bands(ix, &rows);
    CHECK(bands == 21 && rows == 6, "threshold 0.8: 21 bands of 6 rows");

    char a[1024];
    ev_sketch s = {0};
    int numbered = 1;
    for (int i = 0; i < 2000; i++) {
        words(a, sizeof(a), 100 * i, 40);
        ev_sketch_text(&s, a);
        numbered = numbered && ev_lsh_add(ix, &s) == (uint32_t)i;
    }
    CHECK(numbered, "indexed texts are numbered from 0 in order");
    ev_sketch_text(&s, "");
    uint32_t empty = ev_lsh_add(ix, &s);
    CHECK(empty == 2000, "a text without words still takes a number");

    ev_match *m = NULL;
    size_t cap = 0, found = 0, wrong = 0;
    for (int i = 0; i < 2000; i++) {
        /* One word changed at the end: 37 shared of 39 shingles, 0.95. */
        words(a, sizeof(a), 100 * i, 39);
        size_t len = strlen(a);
        snprintf(a + len, sizeof(a) - len, "changed%d", i);
        ev_sketch_text(&s, a);
        size_t n = ev_lsh_query(ix, &s, &m, &cap);
        found += n >= 1 && m[0].item == (uint32_t)i && m[0].similarity > 0.94;
        wrong += n != 1;
    }
    CHECK(found == 2000, "every near duplicate above the threshold is found");
    CHECK(wrong == 0, "nothing below the threshold is reported");

    /* Half of text 0 and 20 new words: 18 shared of 58 shingles, 0.31. */
    words(a, sizeof(a), 0, 20);
    size_t len = strlen(a);
    words(a + len, sizeof(a) - len, 900000, 20);
    ev_sketch_text(&s, a);
    CHECK(ev_lsh_query(ix, &s, &m, &cap) == 0, "a text half copied (0.31) is not reported");
    words(a, sizeof(a), 0, 40);
    ev_sketch_text(&s, a);
    CHECK(ev_lsh_query(ix, &s, &m, &cap) == 1 && m[0].similarity == 1, "an identical text: 1");
    ev_sketch_text(&s, "");
    CHECK(ev_lsh_query(ix, &s, &m, &cap) == 0, "a text without words matches nothing");
    free(m);
    ev_sketch_free(&s);
    ev_lsh_free(ix);

    ix = ev_lsh_new(1);
    bands = ev_lsh_bands(ix, &rows);
    CHECK(bands == 1 && rows == 128, "threshold 1: one band of the whole signature");
    ev_lsh_free(ix);
}

static void
test_split(void)
{
    int in = 0, bad = 0;
    long shard[5] = {0};
    for (int i = 0; i < 100000; i++) {
        char id[16];
        int len = snprintf(id, sizeof(id), "c%d", i);
        uint64_t k = ev_split_key(id, (size_t)len, 7);
        in += ev_split_in(k, 0.3);
        bad += ev_split_in(k, 0.2) && !ev_split_in(k, 0.3);
        long s = ev_split_shard(k, 4);
        if (s < 1 || s > 4)
            bad++;
        else
            shard[s]++;
    }
    CHECK(bad == 0, "a share holds every smaller share; shards are 1 to N");
    CHECK(in > 29500 && in < 30500, "ratio 0.3 takes about 30% of 100000");
    CHECK(shard[1] > 24500 && shard[4] > 24500 && shard[2] < 25500,
          "four shards take about a quarter each");
    CHECK(ev_split_key("q1", 2, 0) != ev_split_key("q1", 2, 1), "the seed changes the key");

    CHECK(ev_split_quota(0.5, 10, 123) == 5, "quota: a whole product is exact");
    CHECK(ev_split_quota(1, 7, 123) == 7 && ev_split_quota(0, 7, 123) == 0,
          "quota: ratio 1 takes all, 0 none");
    long ups = 0;
    for (uint64_t k = 0; k < 10000; k++) {
        long q = ev_split_quota(0.5, 1, ev_mix64(k));
        ups += q;
        bad += q < 0 || q > 1;
    }
    CHECK(bad == 0 && ups > 4800 && ups < 5200, "quota: half of one rounds up half the time");

    ev_first_k f;
    ev_first_k_init(&f, 3);
    uint64_t keys[] = {50, 10, 40, 30, 10, 20, 60};
    int freed = 0;
    for (uint64_t i = 0; i < 7; i++) {
        int *data = malloc(sizeof(int));
        *data = (int)i;
        int *out = ev_first_k_offer(&f, keys[i], i, data);
        freed += out != NULL;
        free(out);
    }
    size_t n;
    ev_first_slot *kept = ev_first_k_sorted(&f, &n);
    CHECK(n == 3 && *(int *)kept[0].data == 1 && *(int *)kept[1].data == 4 &&
              *(int *)kept[2].data == 5,
          "first k: the 3 least keys, ties by arrival, in arrival order");
    CHECK(freed == 4, "first k: every case not kept is handed back");
    for (size_t i = 0; i < n; i++)
        free(kept[i].data);
    ev_first_k_free(&f);

    ev_first_k_init(&f, 0);
    CHECK(!ev_first_k_wants(&f, 0, 0), "first 0 keeps nothing");
    ev_first_k_free(&f);
}

int
main(void)
{
    ev_text_locale();
    test_keymap();
    test_sketch();
    test_estimate();
    test_lsh();
    test_split();
    UNIT_DONE();
}
