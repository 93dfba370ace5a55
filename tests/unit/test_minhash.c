/* Unit tests of lib/minhash: sketches, their similarity and the LSH index. */
#include <stdlib.h>

#include "hash.h"
#include "minhash.h"
#include "text.h"
#include "unit.h"

static double
jaccard_of(const char *a, const char *b)
{
    ev_minhash_sketch x = {0}, y = {0};
    ev_minhash_sketch_text(&x, a);
    ev_minhash_sketch_text(&y, b);
    double j = ev_minhash_jaccard(&x, &y);
    ev_minhash_sketch_free(&x);
    ev_minhash_sketch_free(&y);
    return j;
}

static void
test_sketch(void)
{
    ev_minhash_sketch s = {0};
    ev_minhash_sketch_text(&s, "the cat sat on the mat");
    CHECK(s.n == 4, "six words make four 3-word shingles");
    ev_minhash_sketch_text(&s, "the cat the cat the cat");
    CHECK(s.n == 2, "repeated shingles count once");
    ev_minhash_sketch_text(&s, "Hello, world");
    CHECK(s.n == 1, "a text shorter than a shingle is one shingle of all its words");
    ev_minhash_sketch_text(&s, " ?! ");
    CHECK(s.n == 0, "a text without words has no shingles");
    ev_minhash_sketch_free(&s);

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
    ev_minhash_sketch x = {0}, y = {0};
    for (int t = 0; t < n; t++) {
        words(a, sizeof(a), 1000 * t, 40);
        words(b, sizeof(b), 1000 * t, 36);
        size_t len = strlen(b);
        snprintf(b + len, sizeof(b) - len, "x%d y%d z%d q%d", t, t, t, t);
        ev_minhash_sketch_text(&x, a);
        ev_minhash_sketch_text(&y, b);
        sum += ev_minhash_estimate(&x, &y);
    }
    CHECK_NEAR(jaccard_of(a, b), 34.0 / 42.0, 1e-12, "exact similarity of the test pair");
    CHECK_NEAR(sum / n, 34.0 / 42.0, 0.01, "the MinHash estimate is unbiased");
    ev_minhash_sketch_free(&x);
    ev_minhash_sketch_free(&y);
}

static void
test_lsh(void)
{
    ev_minhash_index *ix = ev_minhash_index_new(0.8);
    int rows, bands = ev_minhash_index_bands(ix, &rows);
    CHECK(bands == 21 && rows == 6, "threshold 0.8: 21 bands of 6 rows");

    char a[1024];
    ev_minhash_sketch s = {0};
    int numbered = 1;
    for (int i = 0; i < 2000; i++) {
        words(a, sizeof(a), 100 * i, 40);
        ev_minhash_sketch_text(&s, a);
        numbered = numbered && ev_minhash_index_add(ix, &s) == (uint32_t)i;
    }
    CHECK(numbered, "indexed texts are numbered from 0 in order");
    ev_minhash_sketch_text(&s, "");
    uint32_t empty = ev_minhash_index_add(ix, &s);
    CHECK(empty == 2000, "a text without words still takes a number");

    ev_minhash_match *m = NULL;
    size_t cap = 0, found = 0, wrong = 0;
    for (int i = 0; i < 2000; i++) {
        /* One word changed at the end: 37 shared of 39 shingles, 0.95. */
        words(a, sizeof(a), 100 * i, 39);
        size_t len = strlen(a);
        snprintf(a + len, sizeof(a) - len, "changed%d", i);
        ev_minhash_sketch_text(&s, a);
        size_t n = ev_minhash_index_query(ix, &s, &m, &cap);
        found += n >= 1 && m[0].item == (uint32_t)i && m[0].similarity > 0.94;
        wrong += n != 1;
    }
    CHECK(found == 2000, "every near duplicate above the threshold is found");
    CHECK(wrong == 0, "nothing below the threshold is reported");

    /* Half of text 0 and 20 new words: 18 shared of 58 shingles, 0.31. */
    words(a, sizeof(a), 0, 20);
    size_t len = strlen(a);
    words(a + len, sizeof(a) - len, 900000, 20);
    ev_minhash_sketch_text(&s, a);
    CHECK(ev_minhash_index_query(ix, &s, &m, &cap) == 0,
          "a text half copied (0.31) is not reported");
    words(a, sizeof(a), 0, 40);
    ev_minhash_sketch_text(&s, a);
    CHECK(ev_minhash_index_query(ix, &s, &m, &cap) == 1 && m[0].similarity == 1,
          "an identical text: 1");
    ev_minhash_sketch_text(&s, "");
    CHECK(ev_minhash_index_query(ix, &s, &m, &cap) == 0, "a text without words matches nothing");
    free(m);
    ev_minhash_sketch_free(&s);
    ev_minhash_index_free(ix);

    ix = ev_minhash_index_new(1);
    bands = ev_minhash_index_bands(ix, &rows);
    CHECK(bands == 1 && rows == 128, "threshold 1: one band of the whole signature");
    ev_minhash_index_free(ix);
}

int
main(void)
{
    ev_text_locale();
    test_sketch();
    test_estimate();
    test_lsh();
    UNIT_DONE();
}
