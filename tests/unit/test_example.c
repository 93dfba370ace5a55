/* Unit tests of lib/example: making chat fine-tuning examples from records
 * and cases, checking them as the cookbook does, and estimating their
 * tokens. */
#include <stdlib.h>

#include "example.h"
#include "unit.h"

/* problems_of checks the example 'text' with 'check' and returns the names
 * of its problems, space-separated, in 'buf'. */
static const char *
problems_of(jv (*check)(jv, double, ev_example_measure *), const char *text, double max,
            ev_example_measure *m, char *buf, size_t n)
{
    jv ex = jv_parse(text);
    jv found = check(ex, max, m);
    jv_free(ex);
    buf[0] = '\0';
    jv_array_foreach(found, i, p)
    {
        jv k = jv_array_get(p, 0);
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", i ? " " : "",
                 ev_example_problem_name((enum ev_example_problem)jv_number_value(k)));
        jv_free(k);
    }
    jv_free(found);
    return buf;
}

/* problems: the cookbook names of the problems of chat example 'text'. */
static const char *
problems(const char *text, double max, ev_example_measure *m, char *buf, size_t n)
{
    return problems_of(ev_example_check, text, max, m, buf, n);
}

/* pref: the names of the problems of preference example 'text'. */
static const char *
pref(const char *text, double max, ev_example_measure *m, char *buf, size_t n)
{
    return problems_of(ev_example_preference_check, text, max, m, buf, n);
}

#define USER "{\"role\":\"user\",\"content\":\"q\"}"
#define SYSTEM "{\"role\":\"system\",\"content\":\"s\"}"
#define ANSWERS                                                                                    \
    "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"good\"}],"                        \
    "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"bad\"}]"

static void
test_preference_checks(void)
{
    char buf[256];
    ev_example_measure m;
    pref("{\"input\":{\"messages\":[" SYSTEM "," USER "]}," ANSWERS "}", 16385, &m, buf,
         sizeof(buf));
    CHECK_STR(buf, "", "a system and a user message, and two answers, are a valid pair");
    /* 3 for the reply; system 3 + 2 + 1, user 3 + 1 + 1, good 3 + 3 + 1, bad 3 + 3 + 1 */
    CHECK_NEAR(m.tokens, 28, 0, "the tokens are the input's and both answers'");
    CHECK_NEAR(m.assistant_tokens, 2, 0, "the assistant tokens both answers' contents");
    CHECK(m.messages == 4, "its messages are the input's and the answers'");
    CHECK(m.has_system && m.has_user, "the measures say what it holds");
    pref("{\"input\":{\"messages\":[" USER "]}," ANSWERS "}", 21, &m, buf, sizeof(buf));
    CHECK_STR(buf, "example_over_token_limit", "the limit applies to the whole pair, 22 tokens");
    pref("[]", 16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "data_type", "an array is not an example");
    pref("{\"messages\":[" USER "]," ANSWERS "}", 16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "missing_input", "a chat example's messages are no input");
    pref("{\"input\":{\"messages\":[]}," ANSWERS "}", 16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "missing_input", "nor is an empty list");
    pref("{\"input\":{\"messages\":[" USER "],\"n\":1}," ANSWERS "}", 16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "message_unrecognized_key", "the input has messages and tools only");
    pref("{\"input\":{\"messages\":[" USER ",{\"role\":\"assistant\",\"content\":\"a\"}," USER
         "]}," ANSWERS "}",
         16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "input_not_one_turn", "a second turn is refused");
    pref("{\"input\":{\"messages\":[" SYSTEM "]}," ANSWERS "}", 16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "input_not_one_turn", "an input without a user message");
    pref("{\"input\":{\"messages\":[" USER "," SYSTEM "]}," ANSWERS "}", 16385, &m, buf,
         sizeof(buf));
    CHECK_STR(buf, "input_not_one_turn", "a system message after the user's");
    pref("{\"input\":{\"messages\":[" USER "],\"tools\":[]},"
         "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"a\"},"
         "{\"role\":\"assistant\",\"content\":\"b\"}],"
         "\"non_preferred_output\":{\"role\":\"assistant\",\"content\":\"b\"}}",
         16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "output_not_one_assistant_message output_not_one_assistant_message",
              "each answer is a list of exactly one message");
    pref("{\"input\":{\"messages\":[" USER "]},"
         "\"preferred_output\":[{\"role\":\"user\",\"content\":\"a\"}]}",
         16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "output_not_one_assistant_message output_not_one_assistant_message",
              "of the assistant, and both are there");
    pref("{\"input\":{\"messages\":[" USER "]},"
         "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"\"}],"
         "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"b\",\"x\":1}]}",
         16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "missing_content message_unrecognized_key",
              "an answer's message is checked as any message");
    pref("{\"input\":{\"messages\":[" USER "]},"
         "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"same\"}],"
         "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"same\"}]}",
         16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "identical_outputs", "two answers the same train nothing");
}

static void check_made(jv (*make)(jv, const char *, bool *, enum ev_example_problem *),
                       const char *rec, const char *system, const char *want, bool changed,
                       const char *name);

static void
check_preference(const char *rec, const char *system, const char *want, bool changed,
                 const char *name)
{
    check_made(ev_example_preference_from_record, rec, system, want, changed, name);
}

static void
test_preference_examples(void)
{
    check_preference("{\"id\":1,\"input\":{\"messages\":[" USER "]}," ANSWERS "}", NULL,
                     "{\"input\":{\"messages\":[{\"content\":\"q\",\"role\":\"user\"}]},"
                     "\"non_preferred_output\":[{\"content\":\"bad\",\"role\":\"assistant\"}],"
                     "\"preferred_output\":[{\"content\":\"good\",\"role\":\"assistant\"}]}",
                     true, "a preference record keeps its three fields, not ev's");
    check_preference("{\"input\":{\"messages\":[" USER "]}," ANSWERS "}", "S",
                     "{\"input\":{\"messages\":[{\"content\":\"S\",\"role\":\"system\"},"
                     "{\"content\":\"q\",\"role\":\"user\"}]},"
                     "\"non_preferred_output\":[{\"content\":\"bad\",\"role\":\"assistant\"}],"
                     "\"preferred_output\":[{\"content\":\"good\",\"role\":\"assistant\"}]}",
                     true, "--system opens its input");
    check_preference("{\"input\":{\"messages\":[" SYSTEM "," USER "]}," ANSWERS "}", "S",
                     "{\"input\":{\"messages\":[{\"content\":\"s\",\"role\":\"system\"},"
                     "{\"content\":\"q\",\"role\":\"user\"}]},"
                     "\"non_preferred_output\":[{\"content\":\"bad\",\"role\":\"assistant\"}],"
                     "\"preferred_output\":[{\"content\":\"good\",\"role\":\"assistant\"}]}",
                     false, "unless it has a system message: then it is as it was");
    bool ch;
    enum ev_example_problem kind = EV_EXAMPLE_NPROBLEMS;
    jv ex = ev_example_preference_from_record(jv_number(3), NULL, &ch, &kind);
    CHECK(!jv_is_valid(ex), "a record that is not an object is no example");
    CHECK(kind == EV_EXAMPLE_DATA_TYPE, "but a data_type problem");
    jv_free(ex);
    enum ev_example_method method;
    CHECK(ev_example_method_parse("dpo", &method) && method == EV_EXAMPLE_DPO, "dpo is a method");
    CHECK(!ev_example_method_parse("ppo", &method), "ppo is not");
    CHECK_STR(ev_example_method_name(EV_EXAMPLE_SFT), "sft", "sft is named");
    CHECK(ev_example_problem_applies(EV_EXAMPLE_IDENTICAL_OUTPUTS, EV_EXAMPLE_DPO),
          "identical_outputs is a problem of a pair");
    CHECK(!ev_example_problem_applies(EV_EXAMPLE_IDENTICAL_OUTPUTS, EV_EXAMPLE_SFT),
          "not of a chat example");
    CHECK(!ev_example_problem_applies(EV_EXAMPLE_MISSING_MESSAGES, EV_EXAMPLE_DPO),
          "nor missing_messages_list of a pair");
}

static void
test_checks(void)
{
    char buf[256];
    ev_example_measure m;
    problems("{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"},"
             "{\"role\":\"assistant\",\"content\":\"Hi\"}]}",
             16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "", "a user and an assistant message are a valid example");
    /* 3 for the reply; user: 3 + 1 (4 bytes of role) + 2 (5 of content);
     * assistant: 3 + 3 (9 bytes of role) + 1 (2 of content) */
    CHECK_NEAR(m.tokens, 16, 0, "tokens: ceil(bytes / 4) per field, 3 a message, 3 an example");
    CHECK_NEAR(m.assistant_tokens, 1, 0, "assistant tokens are its content's");
    CHECK(m.messages == 2 && !m.has_system && m.has_user, "the measures say what it holds");
    problems("{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\",\"name\":\"ann\"},"
             "{\"role\":\"assistant\",\"content\":\"Hi\"}]}",
             16385, &m, buf, sizeof(buf));
    CHECK_NEAR(m.tokens, 18, 0, "a name costs its bytes and 1 more");
    problems("[1]", 16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "data_type", "an array is not an example");
    problems("{\"messages\":[]}", 16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "missing_messages_list", "empty messages");
    problems("{\"prompt\":\"x\"}", 16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "missing_messages_list", "no messages");
    problems("{\"messages\":[{\"role\":\"user\"},{\"role\":\"assistant\",\"content\":\"a\"}]}",
             16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "message_missing_key", "a message without content");
    problems("{\"messages\":[{\"role\":\"user\",\"content\":\"q\",\"mood\":1},"
             "{\"role\":\"assistant\",\"content\":\"a\"}]}",
             16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "message_unrecognized_key", "an unknown key");
    problems("{\"messages\":[{\"role\":\"bot\",\"content\":\"q\"},"
             "{\"role\":\"assistant\",\"content\":\"a\"}]}",
             16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "unrecognized_role", "an unknown role");
    problems("{\"messages\":[{\"role\":\"user\",\"content\":\"\"},"
             "{\"role\":\"assistant\",\"content\":[\"a\"]}]}",
             16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "missing_content missing_content", "empty content, content not a string");
    problems("{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\","
             "\"content\":null,\"function_call\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}",
             16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "", "beside a function_call the content may be null");
    problems("{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},"
             "{\"role\":\"user\",\"content\":\"q\"}]}",
             16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "example_missing_assistant_message", "no assistant message");
    CHECK(m.has_system, "a system message is seen");
    problems("{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"},"
             "{\"role\":\"assistant\",\"content\":\"Hi\"}]}",
             15, &m, buf, sizeof(buf));
    CHECK_STR(buf, "example_over_token_limit", "16 tokens is over a limit of 15");
    problems("{\"messages\":[{\"role\":\"tool\",\"content\":\"r\",\"tool_call_id\":\"c\"},"
             "{\"role\":\"assistant\",\"content\":\"a\",\"weight\":0}]}",
             16385, &m, buf, sizeof(buf));
    CHECK_STR(buf, "", "tool messages and weight are accepted");
}

/* check_made makes an example of record 'rec' with 'make' and checks it
 * is 'want', and whether it was changed. */
static void
check_made(jv (*make)(jv, const char *, bool *, enum ev_example_problem *), const char *rec,
           const char *system, const char *want, bool changed, const char *name)
{
    bool ch;
    enum ev_example_problem kind;
    jv ex = make(jv_parse(rec), system, &ch, &kind);
    CHECK_JV(ex, want, name);
    CHECK(ch == changed, name);
}

static void
check_example(const char *rec, const char *system, const char *want, bool changed, const char *name)
{
    check_made(ev_example_from_record, rec, system, want, changed, name);
}

static void
test_examples(void)
{
    check_example("{\"id\":\"a\",\"input\":\"q\",\"expected\":\"a\",\"tags\":[\"t\"]}", NULL,
                  "{\"messages\":[{\"content\":\"q\",\"role\":\"user\"},"
                  "{\"content\":\"a\",\"role\":\"assistant\"}]}",
                  true, "a case becomes a chat example, without ev's fields");
    check_example("{\"input\":\"q\",\"ideal\":{\"k\":1}}", "Be brief.",
                  "{\"messages\":[{\"content\":\"Be brief.\",\"role\":\"system\"},"
                  "{\"content\":\"q\",\"role\":\"user\"},"
                  "{\"content\":\"{\\\"k\\\":1}\",\"role\":\"assistant\"}]}",
                  true, "--system opens it; a JSON answer is its compact text");
    check_example("{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                  "{\"role\":\"assistant\",\"content\":\"a\",\"weight\":1}],\"tools\":[]}",
                  NULL,
                  "{\"messages\":[{\"content\":\"q\",\"role\":\"user\"},"
                  "{\"content\":\"a\",\"role\":\"assistant\",\"weight\":1}],\"tools\":[]}",
                  false, "a chat example stays as it is, with tools");
    check_example("{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},"
                  "{\"role\":\"user\",\"content\":\"q\"}],\"id\":\"x\"}",
                  "other",
                  "{\"messages\":[{\"content\":\"s\",\"role\":\"system\"},"
                  "{\"content\":\"q\",\"role\":\"user\"}]}",
                  true, "its own system message wins over --system; 'id' is left out");
    bool ch;
    enum ev_example_problem kind;
    jv ex = ev_example_from_record(jv_parse("{\"input\":\"q\"}"), NULL, &ch, &kind);
    CHECK(!jv_is_valid(ex) && kind == EV_EXAMPLE_MISSING_ASSISTANT,
          "a case without an answer has no assistant message");
    jv_free(ex);
    ex = ev_example_from_record(jv_parse("{\"output\":\"q\"}"), NULL, &ch, &kind);
    CHECK(!jv_is_valid(ex) && kind == EV_EXAMPLE_MISSING_MESSAGES, "neither messages nor input");
    jv_free(ex);
}

/* why_invalid returns the message of 'ex' (consumed) when it is invalid. */
static jv
why_invalid(jv ex)
{
    if (jv_is_valid(ex)) {
        jv_free(ex);
        return jv_string("(valid)");
    }
    return jv_invalid_get_msg(ex);
}

static void
test_preference_from_case(void)
{
    jv rec = jv_parse("{\"id\":\"g2\",\"input\":\"Capital of Japan?\",\"expected\":\"Tokyo\"}");
    CHECK_JV(ev_example_preference_from_case(rec, jv_null(), jv_invalid(), jv_string("Kyoto")),
             "{\"input\":{\"messages\":[{\"content\":\"Capital of Japan?\",\"role\":\"user\"}]},"
             "\"non_preferred_output\":[{\"content\":\"Kyoto\",\"role\":\"assistant\"}],"
             "\"preferred_output\":[{\"content\":\"Tokyo\",\"role\":\"assistant\"}]}",
             "a string input is one user message; expected is preferred to the output");
    CHECK_JV(ev_example_preference_from_case(rec, jv_string("Be brief."), jv_string("Tokyo."),
                                             jv_string("Kyoto")),
             "{\"input\":{\"messages\":[{\"content\":\"Be brief.\",\"role\":\"system\"},"
             "{\"content\":\"Capital of Japan?\",\"role\":\"user\"}]},"
             "\"non_preferred_output\":[{\"content\":\"Kyoto\",\"role\":\"assistant\"}],"
             "\"preferred_output\":[{\"content\":\"Tokyo.\",\"role\":\"assistant\"}]}",
             "a system message opens it, and a given answer is preferred");
    jv m = why_invalid(
        ev_example_preference_from_case(rec, jv_null(), jv_invalid(), jv_string("Tokyo")));
    CHECK_STR(jv_string_value(m),
              "the preferred and non-preferred answers are the same, which trains nothing",
              "a pair of equal answers is refused");
    jv_free(m);
    m = why_invalid(ev_example_preference_from_case(rec, jv_null(), jv_invalid(), jv_string("")));
    CHECK_STR(jv_string_value(m), "non_preferred_output message 1 has empty content",
              "so is an empty output");
    jv_free(m);
    jv_free(rec);

    rec = jv_parse("{\"input\":[{\"role\":\"system\",\"content\":\"S\",\"name\":\"n\"},"
                   "{\"role\":\"user\",\"content\":\"Q\"}],\"expected\":{\"a\":1}}");
    CHECK_JV(
        ev_example_preference_from_case(rec, jv_string("other"), jv_invalid(), jv_string("a=1")),
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
    m = why_invalid(ev_example_preference_from_case(rec, jv_null(), jv_invalid(), jv_string("B2")));
    CHECK_STR(jv_string_value(m),
              "input message 2 has role 'assistant': the input must be one turn, an optional "
              "system message and one user message (OpenAI and Fireworks train on one-turn "
              "conversations only)",
              "several turns are refused");
    jv_free(m);
    jv_free(rec);

    rec = jv_parse("{\"input\":\"Q\"}");
    m = why_invalid(ev_example_preference_from_case(rec, jv_null(), jv_invalid(), jv_string("B")));
    CHECK_STR(jv_string_value(m), "case has no expected answer", "no answer, no example");
    jv_free(m);
    jv_free(rec);
}

int
main(void)
{
    test_preference_from_case();
    test_checks();
    test_examples();
    test_preference_checks();
    test_preference_examples();
    UNIT_DONE();
}
