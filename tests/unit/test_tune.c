/* Unit tests of lib/tune and lib/train: checking chat fine-tuning examples,
 * estimating their tokens, the cookbook's epochs, and the conversions. */
#include <stdlib.h>

#include "train.h"
#include "tune.h"
#include "unit.h"

static void
check_jv(jv v, const char *want, const char *name)
{
    jv s = jv_dump_string(v, JV_PRINT_SORTED);
    CHECK_STR(jv_string_value(s), want, name);
    jv_free(s);
}

/* problems checks the example 'text' and returns the cookbook names of its
 * problems, space-separated, in 'buf'. */
static const char *
problems(const char *text, double max, ev_tune_measure *m, char *buf, size_t n)
{
    jv ex = jv_parse(text);
    jv found = ev_tune_check(ex, max, m);
    jv_free(ex);
    buf[0] = '\0';
    jv_array_foreach(found, i, p)
    {
        jv k = jv_array_get(p, 0);
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", i ? " " : "",
                 ev_tune_problem_name((enum ev_tune_problem)jv_number_value(k)));
        jv_free(k);
    }
    jv_free(found);
    return buf;
}

static void
test_checks(void)
{
    char buf[256];
    ev_tune_measure m;
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

static void
test_epochs(void)
{
    const char *why;
    CHECK(ev_tune_default_epochs(12, &why) == 8 && strcmp(why, "raised") == 0,
          "12 examples: 3 raised to 100 / 12 = 8");
    CHECK(ev_tune_default_epochs(1, NULL) == 25, "1 example: raised, at most 25");
    CHECK(ev_tune_default_epochs(40, &why) == 3 && strcmp(why, "default") == 0,
          "40 examples: 3, since 120 is within 100..25000");
    CHECK(ev_tune_default_epochs(10000, &why) == 2 && strcmp(why, "lowered") == 0,
          "10000 examples: lowered to 25000 / 10000 = 2");
    CHECK(ev_tune_default_epochs(100000, NULL) == 1, "100000 examples: at least 1");

    ev_tune_stats s;
    ev_tune_stats_init(&s, 20);
    ev_tune_measure a = {10, 2, 2, true, true}, b = {30, 4, 3, false, true},
                    c = {20, 3, 4, false, false};
    ev_tune_stats_add(&s, &a);
    ev_tune_stats_add(&s, &b);
    ev_tune_stats_add(&s, &c);
    check_jv(ev_tune_stats_json(&s),
             "{\"assistant_tokens\":{\"max\":4,\"median\":3,\"min\":2,\"total\":9},"
             "\"billing_tokens\":50,\"examples\":3,"
             "\"messages\":{\"max\":4,\"median\":3,\"min\":2,\"total\":9},"
             "\"missing_system\":2,\"missing_user\":1,\"over_token_limit\":1,"
             "\"tokens\":{\"max\":30,\"median\":20,\"min\":10,\"total\":60}}",
             "statistics: distributions, and billing tokens cut at the limit");
    ev_tune_stats_free(&s);
}

static void
check_example(const char *rec, const char *system, const char *want, bool changed, const char *name)
{
    bool ch;
    enum ev_tune_problem kind;
    jv ex = ev_tune_example(jv_parse(rec), system, &ch, &kind);
    check_jv(ex, want, name);
    CHECK(ch == changed, name);
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
    enum ev_tune_problem kind;
    jv ex = ev_tune_example(jv_parse("{\"input\":\"q\"}"), NULL, &ch, &kind);
    CHECK(!jv_is_valid(ex) && kind == EV_TUNE_MISSING_ASSISTANT,
          "a case without an answer has no assistant message");
    jv_free(ex);
    ex = ev_tune_example(jv_parse("{\"output\":\"q\"}"), NULL, &ch, &kind);
    CHECK(!jv_is_valid(ex) && kind == EV_TUNE_MISSING_MESSAGES, "neither messages nor input");
    jv_free(ex);
}

static void
check_convert(jv (*to)(jv), const char *chat, const char *want, const char *name)
{
    jv c = jv_parse(chat);
    jv out = to(c);
    jv_free(c);
    if (jv_is_valid(out)) {
        check_jv(out, want, name);
    } else {
        jv m = jv_invalid_get_msg(out);
        CHECK_STR(jv_string_value(m), want, name);
        jv_free(m);
    }
}

static void
test_conversions(void)
{
    const char *sys = "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},"
                      "{\"role\":\"user\",\"content\":\"q\"},"
                      "{\"role\":\"assistant\",\"content\":\"a\"}]}";
    const char *plain = "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                        "{\"role\":\"assistant\",\"content\":\"a\"}]}";
    check_convert(ev_chat_to_alpaca, sys,
                  "{\"input\":\"q\",\"instruction\":\"s\",\"output\":\"a\"}",
                  "alpaca: the system message is the instruction, the user's the input");
    check_convert(ev_chat_to_alpaca, plain,
                  "{\"input\":\"\",\"instruction\":\"q\",\"output\":\"a\"}",
                  "alpaca: without a system message the user's is the instruction");
    check_convert(
        ev_chat_to_alpaca,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
        "{\"role\":\"assistant\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"r\"},"
        "{\"role\":\"assistant\",\"content\":\"b\"}]}",
        "alpaca holds one exchange (system?, user, assistant), and message 2 is an "
        "assistant message",
        "alpaca refuses a second turn");
    check_convert(ev_chat_to_sharegpt, sys,
                  "{\"conversations\":[{\"from\":\"system\",\"value\":\"s\"},"
                  "{\"from\":\"human\",\"value\":\"q\"},{\"from\":\"gpt\",\"value\":\"a\"}]}",
                  "sharegpt: system, human, gpt");
    check_convert(ev_chat_to_sharegpt, "{\"messages\":[{\"role\":\"tool\",\"content\":\"r\"}]}",
                  "sharegpt has no role for 'tool' (message 1)", "sharegpt refuses a tool role");
}

int
main(void)
{
    test_checks();
    test_epochs();
    test_examples();
    test_conversions();
    UNIT_DONE();
}
