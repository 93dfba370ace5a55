/* Unit tests of lib/preference: preference (DPO) examples in the shared
 * format of OpenAI, Together and Fireworks. */
#include "preference.h"
#include "unit.h"

/* why returns the message of 'ex' (consumed) when it is invalid. */
static jv
why(jv ex)
{
    if (jv_is_valid(ex)) {
        jv_free(ex);
        return jv_string("(valid)");
    }
    return jv_invalid_get_msg(ex);
}

static void
test_from_case(void)
{
    jv rec = jv_parse("{\"id\":\"g2\",\"input\":\"Capital of Japan?\",\"expected\":\"Tokyo\"}");
    CHECK_JV(ev_preference_from_case(rec, jv_null(), jv_invalid(), jv_string("Kyoto")),
             "{\"input\":{\"messages\":[{\"content\":\"Capital of Japan?\",\"role\":\"user\"}]},"
             "\"non_preferred_output\":[{\"content\":\"Kyoto\",\"role\":\"assistant\"}],"
             "\"preferred_output\":[{\"content\":\"Tokyo\",\"role\":\"assistant\"}]}",
             "a string input is one user message; expected is preferred to the output");
    CHECK_JV(ev_preference_from_case(rec, jv_string("Be brief."), jv_string("Tokyo."),
                                     jv_string("Kyoto")),
             "{\"input\":{\"messages\":[{\"content\":\"Be brief.\",\"role\":\"system\"},"
             "{\"content\":\"Capital of Japan?\",\"role\":\"user\"}]},"
             "\"non_preferred_output\":[{\"content\":\"Kyoto\",\"role\":\"assistant\"}],"
             "\"preferred_output\":[{\"content\":\"Tokyo.\",\"role\":\"assistant\"}]}",
             "a system message opens it, and a given answer is preferred");
    jv m = why(ev_preference_from_case(rec, jv_null(), jv_invalid(), jv_string("Tokyo")));
    CHECK_STR(jv_string_value(m), "the preferred and non-preferred answers are the same",
              "a pair of equal answers is refused");
    jv_free(m);
    m = why(ev_preference_from_case(rec, jv_null(), jv_invalid(), jv_string("")));
    CHECK_STR(jv_string_value(m), "the non-preferred answer is empty", "so is an empty output");
    jv_free(m);
    jv_free(rec);

    rec = jv_parse("{\"input\":[{\"role\":\"system\",\"content\":\"S\",\"name\":\"n\"},"
                   "{\"role\":\"user\",\"content\":\"Q\"}],\"expected\":{\"a\":1}}");
    CHECK_JV(ev_preference_from_case(rec, jv_string("other"), jv_invalid(), jv_string("a=1")),
             "{\"input\":{\"messages\":[{\"content\":\"S\",\"role\":\"system\"},"
             "{\"content\":\"Q\",\"role\":\"user\"}]},"
             "\"non_preferred_output\":[{\"content\":\"a=1\",\"role\":\"assistant\"}],"
             "\"preferred_output\":[{\"content\":\"{\\\"a\\\":1}\",\"role\":\"assistant\"}]}",
             "a message list keeps its system message, each message only its role and content, "
             "and a JSON answer is its compact text");
    jv_free(rec);

    rec = jv_parse("{\"input\":[{\"role\":\"user\",\"content\":\"Q1\"},"
                   "{\"role\":\"assistant\",\"content\":\"A1\"},"
                   "{\"role\":\"user\",\"content\":\"Q2\"}],\"expected\":\"A2\"}");
    m = why(ev_preference_from_case(rec, jv_null(), jv_invalid(), jv_string("B2")));
    CHECK_STR(jv_string_value(m),
              "the input has several turns (message 2 is 'assistant'): OpenAI and Fireworks "
              "take one-turn preference data only",
              "several turns are refused");
    jv_free(m);
    jv_free(rec);

    rec = jv_parse("{\"input\":\"Q\"}");
    m = why(ev_preference_from_case(rec, jv_null(), jv_invalid(), jv_string("B")));
    CHECK_STR(jv_string_value(m), "case has no expected answer", "no answer, no example");
    jv_free(m);
    jv_free(rec);
}

static void
test_check(void)
{
    static const struct {
        const char *ex, *why;
    } cases[] = {
        {"{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"Q\"}]},"
         "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"A\"}],"
         "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"B\"}]}",
         NULL},
        {"{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"Q\"}]},\"id\":1,"
         "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"A\"}],"
         "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"B\"}]}",
         "key 'id' is not one of input, preferred_output, non_preferred_output"},
        {"{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"Q\"},"
         "{\"role\":\"assistant\",\"content\":\"A\"}]},"
         "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"A\"}],"
         "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"B\"}]}",
         "the input has several turns (message 2 is 'assistant'): OpenAI and Fireworks take "
         "one-turn preference data only"},
        {"{\"input\":{\"messages\":[{\"role\":\"system\",\"content\":\"S\"}]},"
         "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"A\"}],"
         "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"B\"}]}",
         "the input has no user message"},
        {"{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"Q\"}]},"
         "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"A\"},"
         "{\"role\":\"assistant\",\"content\":\"A2\"}],"
         "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"B\"}]}",
         "'preferred_output' is not a list of one message"},
        {"{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"Q\"}]},"
         "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"A\"}],"
         "\"non_preferred_output\":[{\"role\":\"user\",\"content\":\"B\"}]}",
         "'non_preferred_output' is not an assistant message"},
        {"{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":[]}]},"
         "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"A\"}],"
         "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"B\"}]}",
         "the input's user message's content is not a string"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        jv ex = jv_parse(cases[i].ex);
        jv p = ev_preference_check(ex);
        char name[96];
        snprintf(name, sizeof(name), "check %zu: %s", i + 1, cases[i].why ? cases[i].why : "valid");
        if (cases[i].why == NULL)
            CHECK(!jv_is_valid(p), name);
        else
            CHECK_STR(jv_is_valid(p) ? jv_string_value(p) : NULL, cases[i].why, name);
        jv_free(p);
        jv_free(ex);
    }
}

int
main(void)
{
    test_from_case();
    test_check();
    UNIT_DONE();
}
