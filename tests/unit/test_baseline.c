/* Unit tests of lib/baseline: which cases of another run passed, and a
 * teacher's answers. */
#include "baseline.h"
#include "unit.h"

/* keep keeps the last line it is told in 'said', a buffer of 256 bytes. */
static void
keep(void *said, const char *line)
{
    snprintf(said, 256, "%s", line);
}

static void
test_load(void)
{
    char path[64];
    unit_file(path, "base.jsonl",
              "{\"id\":\"a\",\"output\":\"Paris\",\"score\":{\"pass\":true}}\n"
              "{\"id\":\"b\",\"output\":\"Lyon\",\"score\":{\"pass\":false}}\n"
              "{\"id\":\"c\",\"score\":{\"pass\":true,\"value\":7}}\n"
              "{\"id\":\"d\",\"error\":{\"kind\":\"http\"}}\n"
              "{\"id\":\"b\",\"output\":\"Rome\",\"score\":{\"pass\":true}}\n");
    ev_baseline b = {0};
    char said[256] = "";
    ev_log log = {.warn = keep, .ctx = said};
    CHECK(ev_baseline_load(&b, path, EV_BASELINE_VERDICTS, &log) == 1,
          "a bad score is a problem, and counted");
    CHECK(strstr(said, "base.jsonl:3: 'score.value' is 7") != NULL,
          "it is a warning that names the file and line");
    jv a = jv_string("a"), d = jv_string("d"), c = jv_string("c"), bb = jv_string("b");
    uint32_t i = ev_baseline_find(&b, a);
    CHECK(i != EV_INTERN_NONE && ev_baseline_passed(&b, i), "a passing case passed");
    i = ev_baseline_find(&b, d);
    CHECK(i != EV_INTERN_NONE && !ev_baseline_passed(&b, i), "a failed call did not");
    CHECK(ev_baseline_find(&b, c) == EV_INTERN_NONE, "a case with a bad score is left out");
    i = ev_baseline_find(&b, bb);
    CHECK(i != EV_INTERN_NONE && ev_baseline_passed(&b, i), "a later record of an id wins");
    CHECK(!jv_is_valid(ev_baseline_answer(&b, a)), "a baseline keeps no answers");
    ev_baseline_free(&b);

    ev_baseline t = {0};
    ev_baseline_load(&t, path, EV_BASELINE_TEACHER, &log);
    jv ans = ev_baseline_answer(&t, bb);
    CHECK_STR(jv_get_kind(ans) == JV_KIND_STRING ? jv_string_value(ans) : NULL, "Rome",
              "a teacher keeps the answer of each case it passed");
    jv_free(ans);
    CHECK(!jv_is_valid(ev_baseline_answer(&t, d)), "and none of a case it failed");
    ev_baseline_free(&t);

    ev_baseline o = {0};
    ev_baseline_load(&o, path, EV_BASELINE_OUTPUTS, &log);
    ans = ev_baseline_answer(&o, bb);
    CHECK_STR(jv_get_kind(ans) == JV_KIND_STRING ? jv_string_value(ans) : NULL, "Rome",
              "a baseline shown beside keeps the output of the last record of an id");
    jv_free(ans);
    ans = ev_baseline_answer(&o, d);
    CHECK_STR(jv_get_kind(ans) == JV_KIND_STRING ? jv_string_value(ans) : NULL,
              "error: {\"kind\":\"http\"}",
              "and the error of a failed call, without a message as JSON");
    jv_free(ans);
    ev_baseline_free(&o);
    jv_free(a);
    jv_free(bb);
    jv_free(c);
    jv_free(d);
    unit_file_remove(path);
}

int
main(void)
{
    test_load();
    UNIT_DONE();
}
