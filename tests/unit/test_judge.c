/* Unit tests of lib/judge: rubrics, the prompt format, reading a judge's
 * label, and combining samples. */
#include "judge.h"
#include "unit.h"

static void
label_is(const ev_judge_rubric *r, const char *answer, const char *want, const char *name)
{
    jv got = ev_judge_read(r, answer);
    jv l = jv_object_get(got, jv_string("label"));
    CHECK_STR(jv_string_value(l), want, name);
    jv_free(l);
}

static void
test_rubrics(void)
{
    jv err = jv_invalid();
    CHECK(ev_judge_parse("facts", &err) == NULL, "an unknown rubric is refused");
    jv m = jv_invalid_get_msg(err);
    CHECK_STR(jv_string_value(m),
              "a rubric is 'fact', 'closedqa' or 'rubric:TEXT' with TEXT not empty",
              "with the rubrics there are");
    jv_free(m);
    ev_judge_rubric *fact = ev_judge_parse("fact", &err);
    CHECK_STR(ev_judge_scorer(fact), "judge:fact", "fact names its scorer");
    CHECK(ev_judge_needs_expected(fact), "fact needs an expected answer");
    label_is(fact, "B", "B", "a bare label");
    label_is(fact, "The facts agree.\nGrade: **a**.", "A",
             "the last line, prefixed, wrapped, any case");
    label_is(fact, "F", "INVALID", "a label outside the set is INVALID");
    CHECK_STR(ev_judge_meaning(fact, "E"), "the OUTPUT contradicts the EXPECTED answer",
              "a built-in label has a meaning");
    ev_judge_rubric *qa = ev_judge_parse("closedqa", &err);
    CHECK(!ev_judge_needs_expected(qa), "closedqa does without an expected answer");
    ev_judge_free(qa);
    jv rec = jv_parse("{\"input\":\"2+2?\"}");
    jv p = ev_judge_prompt(fact, rec, jv_invalid(), jv_string("4"));
    CHECK(!jv_is_valid(p), "fact with no expected answer writes no prompt");
    jv_free(p);
    p = ev_judge_prompt(fact, rec, jv_string("four"), jv_string("4"));
    ev_judge_parts parts;
    CHECK(ev_judge_split(jv_string_value(p), &parts), "a built-in prompt is taken apart again");
    CHECK(parts.kind == EV_JUDGE_FACT, "as its kind");
    CHECK(parts.input_len == 4 && strncmp(parts.input, "2+2?", 4) == 0, "with its input");
    CHECK(parts.has_expected && parts.expected_len == 4 && strncmp(parts.expected, "four", 4) == 0,
          "its expected answer");
    CHECK(parts.output_len == 1 && parts.output[0] == '4', "and its output");
    jv_free(p);
    jv_free(rec);
    CHECK_STR(ev_judge_label(EV_JUDGE_FACT, true, true, false), "C", "a partial fact is C");
    CHECK_STR(ev_judge_label(EV_JUDGE_CLOSEDQA, false, false, false), "N", "a wrong closedqa is N");
    ev_judge_free(fact);
}

static void
aggregate_is(const char *samples, bool mean, const char *want, const char *name)
{
    jv got = ev_judge_aggregate(jv_parse(samples), mean);
    jv d = jv_dump_string(got, JV_PRINT_SORTED);
    CHECK_STR(jv_string_value(d), want, name);
    jv_free(d);
}

static void
test_aggregate(void)
{
    aggregate_is("[{\"label\":\"A\",\"value\":1},{\"label\":\"E\",\"value\":0},"
                 "{\"label\":\"A\",\"value\":1}]",
                 false, "{\"agreement\":0.666667,\"label\":\"A\",\"pass\":true,\"value\":1}",
                 "a majority vote, with the share that gave it");
    aggregate_is("[{\"label\":\"A\",\"value\":1},{\"label\":\"E\",\"value\":0}]", false,
                 "{\"agreement\":0.5,\"label\":\"E\",\"pass\":false,\"value\":0}",
                 "a tie goes to the lower value");
    aggregate_is(
        "[{\"label\":\"A\",\"value\":1},{\"label\":\"C\",\"value\":0.75},"
        "{\"label\":\"E\",\"value\":0}]",
        true, "{\"agreement\":0.666667,\"label\":\"E\",\"pass\":true,\"value\":0.5833333333333334}",
        "the mean of the values, and the share whose own verdict agrees");
    aggregate_is("[{\"label\":\"INVALID\",\"value\":0},{\"label\":\"INVALID\",\"value\":0}]", true,
                 "{\"agreement\":1,\"label\":\"INVALID\",\"pass\":false,\"value\":0}",
                 "INVALID never passes");
}

int
main(void)
{
    test_rubrics();
    test_aggregate();
    UNIT_DONE();
}
