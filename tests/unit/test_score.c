/* Unit tests of lib/score: a record's score from the run's scorer or its
 * own 'assert', lists of assertions, and the two steps of a judge. */
#include "score.h"
#include "text.h"
#include "unit.h"

/* score_is scores 'rec' (JSON text) and compares the score, as compact
 * JSON with sorted keys, or "error: message", with 'want'. */
static void
score_is(ev_score *s, const char *rec, const char *want, const char *name)
{
    jv r = jv_parse(rec), warning;
    jv out = ev_score_run(s, r, &warning);
    jv text = jv_is_valid(out) ? jv_dump_string(out, JV_PRINT_SORTED)
                               : jv_string_concat(jv_string("error: "), jv_invalid_get_msg(out));
    CHECK_STR(jv_string_value(text), want, name);
    jv_free(text);
    jv_free(warning);
    jv_free(r);
}

static void
test_plans(void)
{
    ev_score_opts opts = {0};
    jv err = jv_invalid();
    ev_score *s = ev_score_new(jv_string("exact"), &opts, &err);
    CHECK(s != NULL, "a default scorer compiles");
    score_is(s, "{\"output\":\"a\",\"expected\":\"a\"}",
             "{\"pass\":true,\"reason\":\"exact match\",\"scorer\":\"exact\",\"value\":1}",
             "the default scores a record");
    score_is(s, "{\"output\":\"a\",\"expected\":\"a\",\"error\":{\"kind\":\"http\"}}",
             "{\"pass\":false,\"reason\":\"call failed\",\"scorer\":\"exact\",\"value\":0}",
             "a failed call fails whatever the output");
    score_is(s,
             "{\"output\":\"abc\",\"assert\":[{\"type\":\"contains\",\"value\":\"a\",\"weight\":3},"
             "\"contains:z\"]}",
             "{\"pass\":false,\"reason\":\"contains:z: no 'z' in 'abc'\",\"scorer\":\"contains:a & "
             "contains:z\",\"value\":0.75}",
             "a list fails when one fails, with the weighted mean as its value");
    score_is(s, "{\"output\":\"abc\",\"assert\":[\"contains:a\",\"contains:b\"]}",
             "{\"pass\":true,\"reason\":\"all 2 assertions passed\",\"scorer\":\"contains:a & "
             "contains:b\",\"value\":1}",
             "a list passes when all pass");
    score_is(s, "{\"assert\":[\"contains:a\",\"jq:true\"]}",
             "{\"pass\":false,\"reason\":\"no output\",\"scorer\":\"contains:a & jq:true\","
             "\"value\":0}",
             "a list that reads the output fails once when there is none");
    score_is(s, "{\"output\":\"?\",\"expected\":\"B\",\"assert\":\"choice\"}",
             "{\"parsed\":false,\"pass\":false,\"reason\":\"no choice letter found in "
             "output\",\"scorer\":\"choice\",\"value\":0}",
             "an output the scorer cannot read is marked parsed: false");
    score_is(s, "{\"output\":\"a\",\"assert\":\"cmd:cat\"}",
             "error: bad 'assert': 'cmd:cat' would run a command, which a record may do only "
             "with --allow-record-commands",
             "a record may not run a command");
    jv problems = ev_score_finish(s);
    CHECK(jv_array_length(problems) == 0, "a run with no cmd scorer ends with no problem");
    ev_score_free(s);
    s = ev_score_new(jv_string("nope"), &opts, &err);
    CHECK(s == NULL && jv_invalid_has_msg(jv_copy(err)), "a bad default is refused");
    jv_free(err);
}

static void
test_judge(void)
{
    jv err = jv_invalid();
    ev_judge_rubric *rb = ev_judge_parse("rubric:is short", &err);
    ev_score_opts opts = {.judge = rb};
    ev_score *s = ev_score_new(jv_string("judge"), &opts, &err);
    jv rec = jv_parse("{\"input\":\"q\",\"output\":\"yes\"}");
    jv prompts = ev_score_prompts(s, rec);
    CHECK(jv_get_kind(prompts) == JV_KIND_ARRAY && jv_array_length(jv_copy(prompts)) == 1,
          "a judge asks one prompt");
    jv p = jv_array_get(prompts, 0);
    CHECK(strstr(jv_string_value(p), "Criterion: is short") != NULL,
          "the prompt holds the criterion");
    jv_free(p);
    jv answers = jv_parse("[[{\"output\":\"PASS\",\"call\":{\"provider\":\"openai\","
                          "\"model\":\"m\",\"input_tokens\":5}},"
                          "{\"output\":\"FAIL\",\"call\":{\"input_tokens\":7}},"
                          "{\"output\":\"PASS\"}]]");
    jv warning;
    jv out = ev_score_run_judged(s, rec, answers, &warning);
    jv label = jv_object_get(jv_copy(out), jv_string("label"));
    CHECK_STR(jv_string_value(label), "PASS", "the judges' majority gives the label");
    jv_free(label);
    jv reason = jv_object_get(jv_copy(out), jv_string("reason"));
    CHECK_STR(jv_string_value(reason), "judged PASS by 2 of 3 samples",
              "the reason counts the votes");
    jv_free(reason);
    jv tokens = jv_object_get(jv_object_get(out, jv_string("judge")), jv_string("input_tokens"));
    CHECK(jv_number_value(tokens) == 12, "the judge's tokens add up over its samples");
    jv_free(tokens);
    jv_free(warning);
    jv_free(rec);
    rec = jv_parse("{\"input\":\"q\"}");
    CHECK(jv_array_length(ev_score_prompts(s, rec)) == 0, "a record with no output asks no judge");
    jv_free(rec);
    ev_score_free(s);
    ev_judge_free(rb);
}

int
main(void)
{
    ev_text_locale();
    test_plans();
    test_judge();
    UNIT_DONE();
}
