/* Unit tests of lib/assertion: SPEC strings and 'assert' values read into
 * plans, and what is wrong with those that are not right. */
#include "assertion.h"
#include "unit.h"

static int binds;

/* bind counts the assertions that need more than their text, and refuses
 * the command "no". */
static bool
bind(void *ctx, ev_assertion *a, jv *err)
{
    (void)ctx;
    binds++;
    if (a->type->kind == EV_ASSERTION_CMD && strcmp(jv_string_value(a->answer), "no") == 0) {
        *err = jv_invalid_with_msg(jv_string("refused"));
        return false;
    }
    return true;
}

static const ev_assertion_env env = {.rubric = NULL, .bind = bind, .ctx = NULL};

/* parse reads the JSON text 'spec' into '*p'; on failure it returns the
 * message, else NULL. The message is good until the next call. */
static const char *
parse(const char *spec, ev_assertion_plan *p)
{
    static char msg[512];
    jv err = jv_invalid();
    if (ev_assertion_parse(jv_parse(spec), &env, p, &err))
        return NULL;
    jv m = jv_invalid_get_msg(err);
    snprintf(msg, sizeof(msg), "%s", jv_string_value(m));
    jv_free(m);
    return msg;
}

static void
refused(const char *spec, const char *want, const char *name)
{
    ev_assertion_plan p;
    const char *got = parse(spec, &p);
    CHECK_STR(got ? got : "(parsed)", want, name);
    CHECK(p.n == 0, "a refused spec leaves the plan empty");
}

static void
test_strings(void)
{
    ev_assertion_plan p;
    CHECK(parse("\"contains:Paris\"", &p) == NULL, "a SPEC string is read");
    CHECK(p.n == 1 && p.items[0].type->kind == EV_ASSERTION_CONTAINS, "as its type");
    CHECK_STR(jv_string_value(p.items[0].answer), "Paris", "with its value as the answer");
    CHECK_STR(jv_string_value(p.name), "contains:Paris", "named as written");
    ev_assertion_plan_free(&p);

    CHECK(parse("\"not-exact\"", &p) == NULL, "not- is read");
    CHECK(p.items[0].negate && p.items[0].type->kind == EV_ASSERTION_EXACT, "as a negation");
    CHECK(!jv_is_valid(p.items[0].answer), "with no value the answer is 'expected'");
    ev_assertion_plan_free(&p);

    CHECK(parse("\"similar\"", &p) == NULL, "a limit may be left out");
    CHECK_NEAR(p.items[0].limit, 0.8, 0, "and takes its default");
    CHECK(!p.items[0].limit_given, "marked as not given");
    ev_assertion_plan_free(&p);

    CHECK(parse("\"number:0.5\"", &p) == NULL, "a tolerance is read");
    CHECK(p.items[0].limit_given && p.items[0].limit == 0.5, "as the limit");
    ev_assertion_plan_free(&p);

    binds = 0;
    CHECK(parse("\"regex:^a:b$\"", &p) == NULL, "a value may hold colons");
    CHECK_STR(jv_string_value(p.items[0].answer), "^a:b$",
              "all after the first colon is the value");
    CHECK(binds == 1, "a regex given a pattern is bound");
    ev_assertion_plan_free(&p);

    binds = 0;
    CHECK(parse("\"regex\"", &p) == NULL, "a regex with no pattern takes 'expected'");
    CHECK(binds == 0, "and is not bound");
    ev_assertion_plan_free(&p);
}

static void
test_objects_and_lists(void)
{
    ev_assertion_plan p;
    CHECK(parse("{\"type\":\"number\",\"value\":2,\"weight\":3}", &p) == NULL, "an object is read");
    CHECK(p.items[0].limit == 2 && p.items[0].weight == 3, "with its value and weight");
    CHECK_STR(jv_string_value(p.name), "number:2", "named as the SPEC it stands for");
    ev_assertion_plan_free(&p);

    CHECK(parse("[\"contains:a\",{\"type\":\"exact\"}]", &p) == NULL, "a list is read");
    CHECK(p.n == 2, "into one assertion each");
    CHECK_STR(jv_string_value(p.name), "contains:a & exact", "named by its specs joined with &");
    CHECK(p.items[1].weight == 1, "the weight is 1 unless given");
    ev_assertion_plan_free(&p);
}

static void
test_errors(void)
{
    refused("\"nope\"",
            "unknown scorer type 'nope': the types are choice, cmd, contains, exact, f1, "
            "icontains, jq, judge, json, json-subset, number, regex, similar and starts-with, "
            "and not-TYPE for each but judge",
            "an unknown type lists the types");
    refused("\"not-simliar\"",
            "unknown scorer type 'simliar' (did you mean 'similar'?): the types are choice, cmd, "
            "contains, exact, f1, icontains, jq, judge, json, json-subset, number, regex, "
            "similar and starts-with, and not-TYPE for each but judge",
            "an unknown type near a known one names it");
    refused("\"number:-1\"", "'number' needs a tolerance of 0 or more, not '-1'",
            "a negative tolerance");
    refused("\"f1:2\"", "'f1' needs a threshold in [0, 1], not '2'", "a threshold above 1");
    refused("\"jq:\"", "'jq' needs a program after ':'", "a jq with no program");
    refused("\"cmd\"", "'cmd' needs a command after ':'", "a cmd with no command");
    refused("\"judge\"", "'judge' needs a criterion after ':', or a rubric from --judge",
            "a bare judge with no run rubric");
    refused("\"not-judge:x\"", "'judge' cannot be negated", "a negated judge");
    refused("{\"type\":\"regex\",\"value\":1}", "'regex' needs a pattern string",
            "a regex whose value is no string");
    refused("{\"value\":1}", "an assertion object needs a string 'type'", "an object with no type");
    refused("{\"type\":\"exact\",\"colour\":1}", "unknown key 'colour' in an assertion",
            "an object with an unknown key");
    refused("{\"type\":\"exact\",\"weight\":-1}", "'weight' must be a number of 0 or more",
            "a negative weight");
    refused("[]", "an assertion list is empty", "an empty list");
    refused("[[\"exact\"]]", "an assertion list holds another list", "a nested list");
    refused("3", "an assertion must be a SPEC string or an object", "a number");
    refused("[\"exact\",\"cmd:no\",\"nope\"]", "refused",
            "in a list, the first thing wrong is the one reported, binding included");
}

int
main(void)
{
    test_strings();
    test_objects_and_lists();
    test_errors();
    UNIT_DONE();
}
