/* Unit tests of lib/scorebox: jq, regexes and similarity in the sandbox,
 * under a budget. */
#include "scorebox.h"
#include "unit.h"

int
main(void)
{
    ev_scorebox *b = ev_scorebox_new((ev_sandbox_budget){.cpu_seconds = 2, .memory_mb = 256});
    ev_sandbox_over over;
    double cpu = 2;
    jv r = ev_scorebox_jq(b, jv_string(".a + 1"), jv_parse("{\"a\":1}"), &cpu, &over);
    jv v = jv_object_get(jv_copy(r), jv_string("result"));
    CHECK(jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) == 2,
          "a jq program runs in the box");
    jv_free(v);
    jv_free(r);
    r = ev_scorebox_jq(b, jv_string("env | length"), jv_object(), &cpu, &over);
    v = jv_object_get(r, jv_string("result"));
    CHECK(jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) == 0,
          "the box has no environment");
    jv_free(v);
    r = ev_scorebox_regex(b, jv_string("^a+b$"), jv_string("aaab"), &cpu, &over);
    CHECK(jv_get_kind(r) == JV_KIND_TRUE, "a regex matches in the box");
    r = ev_scorebox_regex(b, jv_string("^a+b$"), jv_string("aaac"), &cpu, &over);
    CHECK(jv_get_kind(r) == JV_KIND_FALSE, "and fails to match in the box");
    r = ev_scorebox_similar(b, jv_string("kitten"), jv_string("sitting"), &cpu, &over);
    CHECK_NEAR(jv_number_value(r), 1 - 3.0 / 7, 1e-12, "similarity is computed in the box");
    jv_free(r);
    double little = 0.2;
    r = ev_scorebox_jq(b, jv_string("def f: f; f"), jv_null(), &little, &over);
    CHECK(!jv_is_valid(r) && over == EV_SANDBOX_OVER_CPU,
          "a program that loops runs over its CPU budget");
    jv_free(r);
    r = ev_scorebox_jq(b, jv_string("true"), jv_null(), &cpu, &over);
    v = jv_object_get(r, jv_string("result"));
    CHECK(jv_get_kind(v) == JV_KIND_TRUE, "a new worker answers the next request");
    jv_free(v);
    ev_scorebox_free(b);
    UNIT_DONE();
}
