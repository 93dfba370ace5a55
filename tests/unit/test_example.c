/* Unit tests of lib/example: making chat fine-tuning examples from records
 * and cases, checking them as the cookbook does, and estimating their
 * tokens. */
#include <stdlib.h>

#include "example.h"
#include "unit.h"

/* problems checks the example 'text' and returns the cookbook names of its
 * problems, space-separated, in 'buf'. */
static const char *
problems(const char *text, double max, ev_example_measure *m, char *buf, size_t n)
{
    jv ex = jv_parse(text);
    jv found = ev_example_check(ex, max, m);
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

static void
check_example(const char *rec, const char *system, const char *want, bool changed, const char *name)
{
    bool ch;
    enum ev_example_problem kind;
    jv ex = ev_example_from_record(jv_parse(rec), system, &ch, &kind);
    CHECK_JV(ex, want, name);
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
    enum ev_example_problem kind;
    jv ex = ev_example_from_record(jv_parse("{\"input\":\"q\"}"), NULL, &ch, &kind);
    CHECK(!jv_is_valid(ex) && kind == EV_EXAMPLE_MISSING_ASSISTANT,
          "a case without an answer has no assistant message");
    jv_free(ex);
    ex = ev_example_from_record(jv_parse("{\"output\":\"q\"}"), NULL, &ch, &kind);
    CHECK(!jv_is_valid(ex) && kind == EV_EXAMPLE_MISSING_MESSAGES, "neither messages nor input");
    jv_free(ex);
}

int
main(void)
{
    test_checks();
    test_examples();
    UNIT_DONE();
}
