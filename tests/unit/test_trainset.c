/* Unit tests of mock/trainset, the training data of ev-mock's fine-tuning:
 * which tag an example trains, and Together's and Fireworks' rules. */
#include <string.h>

#include "mock/trainset.h"
#include "mockunit.h"
#include "record.h"

/* count_line counts the example 'line' into 't' as OpenAI's jobs do. */
static void
count_line(evm_learner_tally *t, const evm_model *m, const char *line)
{
    jv rec = jv_parse(line);
    evm_trainset_count(t, m, rec, ev_record_input(rec));
    jv_free(rec);
}

static void
test_count(void)
{
    static const char *const cases[] = {
        "{\"id\":\"a\",\"input\":\"1+1?\",\"expected\":\"2\",\"tags\":[\"math\"]}",
        "{\"id\":\"b\",\"input\":\"Capital of Peru?\",\"expected\":\"Lima\"}",
        NULL,
    };
    evm_model *m = model_of(cases, false);
    evm_model_freeze(m);
    evm_learner_tally *t = evm_learner_tally_new();
    count_line(t, m,
               "{\"messages\":[{\"role\":\"user\",\"content\":\"1+1?\"},"
               "{\"role\":\"assistant\",\"content\":\"2\"}]}");
    count_line(
        t, m,
        "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
        "{\"role\":\"user\",\"content\":\"1+1?\"},{\"role\":\"assistant\",\"content\":\"2\"}]}");
    CHECK(evm_learner_tally_get(t, "math") == 2,
          "an example counts toward its case's tag, by the whole prompt or the last user message");
    count_line(t, m,
               "{\"messages\":[{\"role\":\"user\",\"content\":\"1+1?\"},"
               "{\"role\":\"assistant\",\"content\":\"2\"}],\"tags\":[\"own\",\"x\"]}");
    CHECK(evm_learner_tally_get(t, "own") == 1 && evm_learner_tally_get(t, "math") == 2,
          "an example's own first tag comes first");
    count_line(t, m,
               "{\"messages\":[{\"role\":\"user\",\"content\":\"Capital of Peru?\"},"
               "{\"role\":\"assistant\",\"content\":\"Lima\"}]}");
    count_line(t, m,
               "{\"messages\":[{\"role\":\"user\",\"content\":\"unseen\"},"
               "{\"role\":\"assistant\",\"content\":\"x\"}]}");
    CHECK(evm_learner_tally_get(t, NULL) == 2,
          "a case without tags, or no case, counts as (other)");
    count_line(t, NULL, "{\"input\":\"1+1?\"}");
    CHECK(evm_learner_tally_get(t, NULL) == 3, "without cases every untagged example is (other)");
    jv rec = jv_parse("{\"text\":\"x\"}");
    evm_trainset_count(t, m, rec, jv_invalid());
    jv_free(rec);
    CHECK(evm_learner_tally_get(t, NULL) == 4, "an example without a prompt is (other)");
    evm_learner_tally_free(t);
    evm_model_free(m);
}

/* problem returns the first problem of the file 'text' by 'r', or "" */
static jv
problem(enum evm_trainset_rules r, const char *text)
{
    evm_trainset d;
    evm_trainset_scan(&d, r, text, strlen(text), NULL);
    jv p = jv_get_kind(d.problem) == JV_KIND_STRING ? jv_copy(d.problem) : jv_string("");
    evm_trainset_free(&d);
    return p;
}

static void
check_problem(enum evm_trainset_rules r, const char *text, const char *want, const char *name)
{
    jv p = problem(r, text);
    CHECK_STR(jv_string_value(p), want, name);
    jv_free(p);
}

static void
test_together(void)
{
    enum evm_trainset_rules t = EVM_TRAINSET_TOGETHER;
    evm_trainset d;
    const char *good = MOCK_CHAT "\n" MOCK_CHAT;
    evm_trainset_scan(&d, t, good, strlen(good), NULL);
    CHECK(jv_get_kind(d.problem) == JV_KIND_NULL && d.format == EVM_TRAINSET_CHAT &&
              d.examples == 2,
          "two conversations, a blank line between them");
    CHECK(d.tokens == 2 * (double)((strlen(MOCK_CHAT) - 1 + 3) / 4),
          "a token for 4 bytes of a line");
    CHECK_STR(evm_trainset_format_name(d.format), "conversation", "Together's name of the format");
    evm_trainset_free(&d);
    evm_trainset_scan(&d, t, MOCK_PREF, strlen(MOCK_PREF), NULL);
    CHECK(jv_get_kind(d.problem) == JV_KIND_NULL && d.format == EVM_TRAINSET_PREFERENCE,
          "a preference example");
    evm_trainset_free(&d);
    check_problem(t, "{\"prompt\":\"p\",\"completion\":\"c\"}\n{\"text\":\"t\"}",
                  "Line 2: the example is general but the file's first is instruction",
                  "every line has the format of the first");
    check_problem(t, "", "the file has 0 examples, but at least 1 is required", "at least 1");
    check_problem(t, "[1]", "Line 1: not a JSON object", "a line is an object");
    check_problem(t, "{\"prompt\":\"p\"}",
                  "Line 1: no known format: want `messages`, `prompt` and `completion`, `text`, "
                  "or `input` with `preferred_output` and `non_preferred_output`",
                  "an example of no format");
    check_problem(t, "{\"text\":\"t\",\"prompt\":\"p\",\"completion\":\"c\"}",
                  "Line 1: the example matches more than one format", "nor of two");
    check_problem(t,
                  "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                  "{\"role\":\"assistant\",\"content\":\"a\"}],\"tags\":[\"x\"]}",
                  "Line 1: found extra column \"tags\"", "no key but its format's and weight");
    check_problem(t,
                  "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                  "{\"role\":\"assistant\",\"content\":\"a\"}],\"weight\":-1}",
                  "Line 1: `weight` must be a number of 0 or more",
                  "a sample weight is not negative");
    check_problem(t, "{\"messages\":[{\"content\":\"q\"}]}",
                  "Line 1: `messages[0]` must contain a `role` field", "a message has a role");
    check_problem(t, "{\"messages\":[{\"role\":\"bot\",\"content\":\"q\"}]}",
                  "Line 1: `messages[0]` has an unknown role 'bot'", "a role Together knows");
    check_problem(t,
                  "{\"messages\":[{\"role\":\"assistant\",\"content\":\"a\"},"
                  "{\"role\":\"user\",\"content\":\"q\"}]}",
                  "Line 1: `messages[0]` must be a system or user message",
                  "a conversation starts with system or user");
    check_problem(
        t,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
        "{\"role\":\"user\",\"content\":\"q\"}]}",
        "Line 1: `messages[1]` repeats the role 'user': after an optional system message, "
        "roles alternate between user and assistant",
        "roles alternate");
    check_problem(t, "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}",
                  "Line 1: `messages` has no assistant message", "a conversation has an answer");
    check_problem(t,
                  "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                  "{\"role\":\"assistant\",\"content\":\"a\",\"weight\":2}]}",
                  "Line 1: `messages[1].weight` must be 0 or 1", "a message weighs 0 or 1");
    check_problem(
        t,
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"q\"}]},"
        "{\"role\":\"assistant\",\"content\":\"a\"}]}",
        "Line 1: `messages[0]` must contain a `content` string", "Together's content is a string");
    check_problem(t,
                  "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                  "{\"role\":\"assistant\",\"content\":\"a\"}]},"
                  "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"g\"}],"
                  "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"b\"}]}",
                  "Line 1: `input.messages` must not end with an assistant message",
                  "a preference input ends before the answer");
    check_problem(t,
                  "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]},"
                  "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"g\"},"
                  "{\"role\":\"assistant\",\"content\":\"g\"}],"
                  "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"b\"}]}",
                  "Line 1: `preferred_output` must be a list of exactly one assistant message with "
                  "a string `content`",
                  "each output is one assistant message");
}

static void
test_fireworks(void)
{
    enum evm_trainset_rules f = EVM_TRAINSET_FIREWORKS;
    check_problem(f, MOCK_CHAT MOCK_CHAT, "the file has 2 examples, but at least 3 are required",
                  "Fireworks wants 3 examples");
    check_problem(f, MOCK_CHAT MOCK_CHAT MOCK_CHAT, "", "and takes 3");
    check_problem(f,
                  MOCK_CHAT
                  "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                  "{\"role\":\"assistant\",\"content\":\"a\"}],\"tags\":[\"x\"]}\n" MOCK_CHAT,
                  "", "other keys are ignored");
    check_problem(
        f,
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"q\"}]},"
        "{\"role\":\"assistant\",\"content\":\"a\"}]}\n" MOCK_CHAT MOCK_CHAT,
        "", "a content may be a list of text parts");
    check_problem(
        f,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
        "{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"assistant\",\"content\":\"a\"}]}",
        "Line 1: `messages[1]`: a system message must be the first message",
        "a system message comes first");
    check_problem(f, "{\"prompt\":\"p\",\"completion\":\"c\"}",
                  "Line 1: no known format: want `messages`, or `input` with `preferred_output` "
                  "and `non_preferred_output`",
                  "Fireworks has no instruction format");
    check_problem(f,
                  MOCK_CHAT "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                            "{\"role\":\"assistant\",\"content\":\"a\"}],\"weight\":0.5}\n",
                  "Line 2: `weight` must be on every example or on none",
                  "a root weight on some examples only");
    check_problem(f, MOCK_PREF MOCK_PREF MOCK_PREF, "", "three preference examples");
    check_problem(
        f,
        "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
        "{\"role\":\"assistant\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"q2\"}]},"
        "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"g\"}],"
        "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"b\"}]}",
        "Line 1: only one-turn conversations are supported: `input.messages` must hold "
        "an optional system message and one user message",
        "a Fireworks preference is one turn");
}

/* A preference example trains the tag of its input's prompt. */
static void
test_preference_tags(void)
{
    static const char *const cases[] = {
        "{\"id\":\"a\",\"input\":\"1+1?\",\"expected\":\"2\",\"tags\":[\"t\"]}",
        NULL,
    };
    evm_model *m = model_of(cases, false);
    evm_model_freeze(m);
    evm_trainset d;
    evm_trainset_scan(&d, EVM_TRAINSET_FIREWORKS, MOCK_PREF MOCK_PREF MOCK_PREF,
                      strlen(MOCK_PREF MOCK_PREF MOCK_PREF), m);
    CHECK(evm_learner_tally_get(d.tally, "t") == 3, "preference examples count toward their case");
    evm_trainset_free(&d);
    evm_model_free(m);
}

int
main(void)
{
    test_count();
    test_together();
    test_fireworks();
    test_preference_tags();
    UNIT_DONE();
}
