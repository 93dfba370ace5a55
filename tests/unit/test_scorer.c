/* Unit tests of lib/scorer: one assertion on one record. */
#include "scorer.h"
#include "text.h"
#include "unit.h"

static ev_scorer *scorer;

static bool
bind(void *ctx, ev_assertion *a, jv *err)
{
    (void)ctx;
    if (a->type->kind == EV_ASSERTION_REGEX) {
        a->re = ev_scorer_pattern(scorer, jv_string_value(a->answer), &a->own_re, err);
        return a->re != NULL;
    }
    return a->type->kind != EV_ASSERTION_JQ || ev_scorer_check_jq(scorer, a, err);
}

/* verdict scores the record 'rec' (JSON text) with the SPEC 'spec', and
 * writes "pass value reason", or "error: message", into 'out'. */
static const char *
verdict(const char *spec, const char *rec, char *out, size_t n)
{
    ev_assertion_env env = {.bind = bind};
    ev_assertion_plan p;
    jv err = jv_invalid();
    if (!ev_assertion_parse(jv_string(spec), &env, &p, &err)) {
        jv m = jv_invalid_get_msg(err);
        snprintf(out, n, "bad spec: %s", jv_string_value(m));
        jv_free(m);
        return out;
    }
    jv r = jv_parse(rec);
    ev_scorer_case c;
    ev_scorer_case_init(&c, scorer, r, jv_invalid());
    ev_scorer_verdict v = {0};
    if (ev_scorer_run(&p.items[0], &c, &v, &err)) {
        snprintf(out, n, "%s %g %s", v.pass ? "pass" : "fail", v.value, jv_string_value(v.reason));
        jv_free(v.reason);
    } else {
        jv m = jv_invalid_get_msg(err);
        snprintf(out, n, "error: %s", jv_string_value(m));
        jv_free(m);
    }
    ev_scorer_case_free(&c);
    jv_free(r);
    ev_assertion_plan_free(&p);
    return out;
}

static void
is(const char *spec, const char *rec, const char *want, const char *name)
{
    char buf[512];
    CHECK_STR(verdict(spec, rec, buf, sizeof(buf)), want, name);
}

int
main(void)
{
    ev_text_locale();
    scorer = ev_scorer_new(0, false, (ev_sandbox_budget){.cpu_seconds = 5, .memory_mb = 256});
    is("exact", "{\"output\":\"Paris\",\"expected\":\"Paris\"}", "pass 1 exact match",
       "exact passes the expected answer");
    is("exact", "{\"output\":\"Lyon\",\"expected\":[\"Paris\",\"Rome\"]}",
       "fail 0 expected 'Paris' or 1 other, got 'Lyon'", "a list of answers counts the others");
    is("exact", "{\"output\":\"4.0\",\"expected\":4}", "pass 1 exact match",
       "a number answer is compared as JSON");
    is("not-contains:x", "{\"output\":\"yyy\"}", "pass 1 negated: no 'x' in 'yyy'",
       "not- flips the verdict and says so");
    is("exact", "{\"expected\":\"a\"}", "fail 0 no output", "no output fails");
    is("not-exact", "{\"output\":null,\"expected\":\"a\"}", "fail 0 no output",
       "a null output fails even negated");
    is("exact", "{\"output\":\"a\"}",
       "error: no 'expected' for scorer 'exact' (nor its aliases 'ideal' and 'target', nor "
       "'messages' ending with the assistant's answer)",
       "no expected answer is an error");
    is("exact", "{\"output\":\"a\",\"ideal\":\"a\"}", "pass 1 exact match", "'ideal' is an alias");
    is("regex:^[0-9]+$", "{\"output\":\"123\"}", "pass 1 matches /^[0-9]+$/", "a regex matches");
    is("regex", "{\"output\":\"x\",\"expected\":\"(\"}", "error: bad regex '(': unmatched ( or \\(",
       "a regex from 'expected' is checked when it is used");
    is("number:0.01", "{\"output\":\"about 3.14\",\"expected\":3.1}",
       "fail 0 expected 3.1 within 0.01, got 3.14", "a number beyond its tolerance fails");
    is("number", "{\"output\":\"none\",\"expected\":3}", "fail 0 no number found in output",
       "no number in the output fails");
    is("choice", "{\"output\":\"The answer is (B).\",\"expected\":\"B\"}", "pass 1 chose 'B'",
       "a choice letter is read from prose");
    is("f1", "{\"output\":\"the cat sat\",\"expected\":\"cat\"}", "pass 0.666667 F1 0.667 >= 0.5",
       "f1 gives its value (the article left out) and passes from the threshold");
    is("json-subset", "{\"output\":\"{\\\"a\\\":1,\\\"b\\\":2}\",\"expected\":{\"a\":1}}",
       "pass 1 JSON has every expected key and value", "json-subset ignores extra keys");
    is("json", "{\"output\":\"{\\\"a\\\":2}\",\"expected\":{\"a\":1}}",
       "fail 0 .a: expected 1, got 2", "json names the first difference");
    is("jq:.output | length > 2", "{\"output\":\"abcd\"}", "pass 1 '.output | length > 2' is true",
       "a jq program scores the record");
    is("jq:.x", "{}", "error: jq program '.x' gave null, not a boolean or a number in [0, 1]",
       "a jq program must give a boolean or a number");
    ev_scorer_free(scorer);
    UNIT_DONE();
}
