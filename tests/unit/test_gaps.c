/* Unit tests of lib/gaps: the per-tag tally and its worst-first order. */
#include "gaps.h"
#include "unit.h"

static void
add(ev_gaps_tally *t, const char *tag, bool failed, bool regression)
{
    jv s = jv_string(tag);
    ev_gaps_tally_add(t, s, failed, regression);
    jv_free(s);
}

/* order_of returns the tags worst first, joined by commas, in 'buf'. */
static const char *
order_of(const ev_gaps_tally *t, char *buf, size_t n)
{
    size_t k;
    uint32_t *order = ev_gaps_tally_worst_first(t, &k);
    buf[0] = '\0';
    for (size_t i = 0; i < k; i++) {
        jv name = ev_gaps_tally_name(t, order[i]);
        size_t used = strlen(buf);
        snprintf(buf + used, n - used, "%s%s", i ? "," : "", jv_string_value(name));
        jv_free(name);
    }
    free(order);
    return buf;
}

static void
test_tally(void)
{
    ev_gaps_tally t;
    char buf[128];
    ev_gaps_tally_init(&t);
    CHECK_STR(order_of(&t, buf, sizeof(buf)), "", "an empty tally has no tags");
    add(&t, "geo", true, true);
    add(&t, "geo", false, false);
    add(&t, "math", true, false);
    add(&t, "b", true, false);
    add(&t, "ab", true, false);
    add(&t, "ab", true, false);
    add(&t, "easy", false, false);
    jv s = jv_string("geo");
    CHECK(ev_gaps_tally_add(&t, s, false, false) == 0, "a tag keeps the number of its first count");
    jv_free(s);
    CHECK(t.count[0].cases == 3 && t.count[0].failures == 1 && t.count[0].regressions == 1,
          "a tag counts its cases, failures and regressions");
    CHECK_STR(order_of(&t, buf, sizeof(buf)), "ab,b,math,geo,easy",
              "worst first: failure rate, then failures, then name in byte order");
    ev_gaps_tally_free(&t);
}

static void
test_allocate(void)
{
    double w[] = {4, 0, 2, 1};
    long out[4];
    ev_gaps_allocate(w, 4, 10, out);
    CHECK(out[0] + out[1] + out[2] + out[3] == 10, "the whole budget is spread");
    CHECK(out[1] == 0, "a tag without failures gets none");
    CHECK(out[0] == 5 && out[2] == 3 && out[3] == 2,
          "one each, then the rest in proportion by largest remainders");
    ev_gaps_allocate(w, 4, 2, out);
    CHECK(out[0] == 1 && out[2] == 1 && out[3] == 0,
          "a budget short of one each goes to the heaviest tags");
}

static void
test_summary(void)
{
    ev_gaps_tally t;
    ev_gaps_tally_init(&t);
    add(&t, "geo", true, true);
    add(&t, "geo", false, false);
    add(&t, "math", true, false);
    jv rep = ev_gaps_summary(&t, "run.jsonl", 3, 2, 5, true);
    jv s = jv_dump_string(jv_copy(rep), 0);
    CHECK_STR(jv_string_value(s),
              "{\"run\":\"run.jsonl\",\"cases\":3,\"failures\":2,\"budget\":5,\"allocation\":"
              "\"in proportion to failures, at least one per failing tag; a case with several "
              "tags counts in each\",\"tags\":[{\"tag\":\"math\",\"cases\":1,\"failures\":1,"
              "\"failure_rate\":1,\"regressions\":0,\"budget\":3},{\"tag\":\"geo\",\"cases\":2,"
              "\"failures\":1,\"failure_rate\":0.5,\"regressions\":1,\"budget\":2}]}",
              "the summary has a row per tag, worst first, with its budget");
    jv_free(s);
    jv_free(rep);
    ev_gaps_tally_free(&t);
}

static void
test_no_evidence(void)
{
    ev_gaps_result r = {.cases = 0};
    CHECK_STR(ev_gaps_no_evidence(&r), "has no case", "an empty run is no evidence");
    r.cases = 3;
    CHECK_STR(ev_gaps_no_evidence(&r), "has no scored case", "nor an unscored one");
    r.errors = 3;
    CHECK_STR(ev_gaps_no_evidence(&r), "has no scored case, only failed calls",
              "nor one of failed calls");
    r.scored = 1;
    CHECK(ev_gaps_no_evidence(&r) == NULL, "one case scored without a failed call is evidence");
}

int
main(void)
{
    test_tally();
    test_allocate();
    test_summary();
    test_no_evidence();
    UNIT_DONE();
}
