/* Unit tests of lib/metric: graded similarity. */
#include "metric.h"
#include "text.h"
#include "unit.h"

static void
test_f1(void)
{
    CHECK_NEAR(ev_metric_f1("The Cat sat.", "a cat sat"), 1.0, 1e-12,
               "F1 ignores case, articles, punctuation");
    CHECK_NEAR(ev_metric_f1("cat sat on mat", "cat sat"), 2 * 0.5 * 1.0 / 1.5, 1e-12,
               "F1 of a longer answer");
    CHECK_NEAR(ev_metric_f1("dog", "cat"), 0.0, 1e-12, "F1 without overlap is 0");
    CHECK_NEAR(ev_metric_f1("a the", "the"), 1.0, 1e-12, "F1 of two texts of articles only is 1");
    CHECK_NEAR(ev_metric_f1("", "cat"), 0.0, 1e-12, "F1 of an empty answer is 0");
    CHECK_NEAR(ev_metric_f1("cat cat dog", "cat dog dog"), 2.0 / 3.0, 1e-12,
               "F1 counts repeated tokens as a multiset");
    CHECK_NEAR(ev_metric_f1("Zoë café", "zoë CAFÉ"), 1.0, 1e-12, "F1 folds non-ASCII case");
}

static void
test_similarity(void)
{
    CHECK_NEAR(ev_metric_similarity("kitten", "sitting"), 1 - 3.0 / 7, 1e-12, "kitten and sitting");
    CHECK_NEAR(ev_metric_similarity("", ""), 1.0, 1e-12, "two empty texts are the same");
    CHECK_NEAR(ev_metric_similarity("abc", ""), 0.0, 1e-12, "a text and nothing share nothing");
    CHECK_NEAR(ev_metric_similarity("café", "cafe"), 0.75, 1e-12,
               "distance counts code points, not bytes");
}

static void
test_nearest(void)
{
    const char *names[] = {"exact", "contains", "icontains", "similar", "judge-model", "judge"};
    CHECK_STR(ev_metric_nearest("exactt", names, 6), "exact", "a typo finds its word");
    CHECK_STR(ev_metric_nearest("simliar", names, 6), "similar", "two letters swapped");
    CHECK_STR(ev_metric_nearest("judge-m", names, 6), "judge-model",
              "a beginning finds the word it begins");
    CHECK(ev_metric_nearest("levenshtein", names, 6) == NULL, "nothing near, nothing found");
    CHECK(ev_metric_nearest("", names, 6) == NULL, "an empty word finds nothing");
}

int
main(void)
{
    ev_text_locale();
    test_f1();
    test_similarity();
    test_nearest();
    UNIT_DONE();
}
