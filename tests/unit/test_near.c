/* Unit tests of lib/near: one notion of near-duplicate inputs. */
#include "near.h"
#include "text.h"
#include "unit.h"

static void
test_key(void)
{
    uint64_t a, b, c;
    CHECK(ev_near_key("What is  the capital?", &a) && ev_near_key(" what is the CAPITAL? ", &b) &&
              a == b,
          "case and white space do not change the key");
    CHECK(ev_near_key("what is the capital", &c) && c != a, "punctuation does");
    CHECK(!ev_near_key("  ", &c), "an empty input has no key");
}

static void
test_index(void)
{
    ev_near *ix = ev_near_new(0.8);
    ev_near_match *m = NULL;
    size_t cap = 0;
    const char *texts[] = {
        "Name three rivers of Europe, please",
        "name three rivers of europe please",
        "Name three rivers of Europe, please.",
        "Which planet is known as the Red Planet?",
        "?!",
    };
    for (uint32_t i = 0; i < 5; i++) {
        size_t n = ev_near_find(ix, texts[i], &m, &cap);
        if (i == 1)
            CHECK(n == 1 && m[0].item == 0 && !m[0].same && m[0].similarity == 1,
                  "the same words with other punctuation are near, at similarity 1");
        CHECK(ev_near_add(ix, texts[i]) == i, "inputs are numbered from 0 as added");
    }
    size_t n = ev_near_find(ix, "name three rivers of europe, please.", &m, &cap);
    CHECK(n == 3 && m[0].item == 2 && m[0].same && m[1].item == 0 && m[2].item == 1,
          "the same input comes first, then near ones by similarity and number");
    n = ev_near_find(ix, "which planet is known as the red planet", &m, &cap);
    CHECK(n == 1 && m[0].item == 3 && !m[0].same, "a near duplicate that is not the same");
    CHECK(ev_near_find(ix, "?!", &m, &cap) == 1 && m[0].same && m[0].item == 4,
          "an input without words is near only the same input");
    CHECK(ev_near_find(ix, "Which river flows through Cairo?", &m, &cap) == 0,
          "an unrelated input is near nothing");
    CHECK(ev_near_find(ix, "", &m, &cap) == 0, "an empty input is near nothing");
    free(m);
    ev_near_free(ix);
}

int
main(void)
{
    ev_text_locale();
    test_key();
    test_index();
    UNIT_DONE();
}
