/* Unit tests of lib/mock and lib/mockwire, the model and the wire formats
 * behind ev-mock. */
#include <stdlib.h>

#include "mock.h"
#include "mockwire.h"
#include "unit.h"

static void
check_jv(jv v, const char *want, const char *name)
{
    jv s = jv_dump_string(v, JV_PRINT_SORTED);
    CHECK_STR(jv_string_value(s), want, name);
    jv_free(s);
}

static void
check_prompt(const char *input, const char *full, const char *last, const char *name)
{
    jv f, l;
    ev_mock_prompt(jv_parse(input), &f, &l);
    CHECK_STR(jv_string_value(f), full, name);
    CHECK_STR(jv_string_value(l), last, name);
    jv_free(f);
    jv_free(l);
}

static void
test_prompt(void)
{
    check_prompt("\"hi\"", "hi", "hi", "a string prompt is its own last user message");
    check_prompt("[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":\"q\"}]",
                 "s\nq", "q", "messages join by newlines; the last user message stands apart");
    check_prompt("[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
                 "{\"type\":\"image_url\"},{\"type\":\"text\",\"text\":\"b\"}]}]",
                 "ab", "ab", "content parts count as their concatenated text");
    check_prompt("[{\"role\":\"assistant\",\"content\":\"x\"}]", "x", "",
                 "no user message: the last user message is empty");
}

/* answer asks 'm' as 'model' with the string prompt 'q'; the text is freed. */
static enum ev_mock_source
answer(const ev_mock *m, const char *model, const char *q, char *buf, size_t n)
{
    ev_mock_reply r = ev_mock_answer(m, model, q, q);
    snprintf(buf, n, "%s", r.text);
    free(r.text);
    return r.source;
}

static ev_mock *
mock_of(const char *const *records, bool replay)
{
    ev_mock *m = ev_mock_new(0);
    for (; *records != NULL; records++) {
        jv rec = jv_parse(*records), err;
        bool ok = replay ? ev_mock_add_replay(m, rec, &err) : ev_mock_add_case(m, rec, &err);
        CHECK(ok, *records);
        if (!ok)
            jv_free(err);
        jv_free(rec);
    }
    return m;
}

static void
test_answers(void)
{
    static const char *const cases[] = {
        "{\"id\":\"a\",\"input\":\"1+1?\",\"expected\":\"2\",\"tags\":[\"math\"]}",
        "{\"id\":\"b\",\"input\":\"2+2?\",\"expected\":\"4\",\"tags\":[\"math\"]}",
        "{\"id\":\"c\",\"input\":\"Capital of France?\",\"expected\":\"Paris\",\"tags\":[\"geo\"]}",
        "{\"id\":\"d\",\"input\":\"JSON?\",\"expected\":{\"k\":1}}",
        NULL,
    };
    char buf[64];
    ev_mock *m = mock_of(cases, false);
    ev_mock_set_accuracy(m, "geo", 0);
    ev_mock_freeze(m);
    CHECK(answer(m, "x", "1+1?", buf, sizeof(buf)) == EV_MOCK_RIGHT, "accuracy 1: right");
    CHECK_STR(buf, "2", "the answer is the expected answer");
    answer(m, "x", "JSON?", buf, sizeof(buf));
    CHECK_STR(buf, "{\"k\":1}", "an expected answer that is not a string is its compact JSON");
    CHECK(answer(m, "x", "Capital of France?", buf, sizeof(buf)) == EV_MOCK_WRONG,
          "accuracy 0 for the tag: wrong");
    CHECK_STR(buf, "I don't know", "alone in its tag, a text answer is perturbed");
    CHECK(answer(m, "x", "unheard of", buf, sizeof(buf)) == EV_MOCK_UNKNOWN, "unknown prompt");
    CHECK(strncmp(buf, "mock answer ", 12) == 0 && strlen(buf) == 20,
          "an unknown prompt gets 'mock answer' and 8 hex digits");
    ev_mock_free(m);

    m = mock_of(cases, false);
    ev_mock_set_model_accuracy(m, "weak", 0);
    ev_mock_freeze(m);
    answer(m, "weak", "1+1?", buf, sizeof(buf));
    CHECK_STR(buf, "4", "a wrong answer is another answer of the same tag");
    answer(m, "strong", "1+1?", buf, sizeof(buf));
    CHECK_STR(buf, "2", "a model without a factor keeps the case's accuracy");
    ev_mock_free(m);

    static const char *const one[] = {
        "{\"id\":\"n\",\"input\":\"9+1?\",\"expected\":\"10\"}",
        NULL,
    };
    m = mock_of(one, false);
    ev_mock_set_accuracy(m, NULL, 0);
    ev_mock_freeze(m);
    answer(m, "x", "9+1?", buf, sizeof(buf));
    CHECK_STR(buf, "11", "alone in its group, a number answer is off by one");
    ev_mock_free(m);
}

static void
test_replay(void)
{
    static const char *const run[] = {
        "{\"input\":\"q\",\"output\":\"from big\",\"call\":{\"model\":\"big\"}}",
        "{\"input\":\"q\",\"output\":\"from anyone\"}",
        "{\"input\":\"failed\",\"error\":{\"kind\":\"http\"}}",
        NULL,
    };
    char buf[64];
    ev_mock *m = mock_of(run, true);
    ev_mock_freeze(m);
    CHECK(ev_mock_count_replay(m) == 2, "a record without output is skipped");
    CHECK(answer(m, "big", "q", buf, sizeof(buf)) == EV_MOCK_REPLAY, "replayed");
    CHECK_STR(buf, "from big", "the record of the request's model");
    answer(m, "small", "q", buf, sizeof(buf));
    CHECK_STR(buf, "from anyone", "a record without call.model answers for any model");
    ev_mock_free(m);
}

static void
test_wire(void)
{
    ev_wire_request req;
    const char *body = "{\"model\":\"m\",\"max_tokens\":2,\"system\":\"s\","
                       "\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}";
    CHECK(ev_wire_parse(EV_WIRE_ANTHROPIC, body, strlen(body), &req) == NULL,
          "a good Anthropic request parses");
    check_jv(jv_copy(req.full), "\"s\\nq\"", "Anthropic's system prompt comes first");
    check_jv(ev_wire_answer(EV_WIRE_ANTHROPIC, &req, "msg_1", "0123456789", true),
             "{\"content\":[{\"text\":\"01234567\",\"type\":\"text\"}],\"id\":\"msg_1\","
             "\"model\":\"m\",\"role\":\"assistant\",\"stop_reason\":\"max_tokens\","
             "\"stop_sequence\":null,\"type\":\"message\",\"usage\":{"
             "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
             "\"input_tokens\":1,\"output_tokens\":2}}",
             "an answer over the limit is cut at 4 bytes a token");
    ev_wire_request_free(&req);

    body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}";
    CHECK_STR(ev_wire_parse(EV_WIRE_ANTHROPIC, body, strlen(body), &req),
              "max_tokens: Field required", "Anthropic requires max_tokens");
    CHECK(ev_wire_parse(EV_WIRE_OPENAI, body, strlen(body), &req) == NULL,
          "OpenAI does not require a limit");
    CHECK(req.max_tokens == -1, "no limit reads as -1");
    ev_wire_request_free(&req);
    body = "{\"model\":\"m\",\"messages\":[]}";
    CHECK(ev_wire_parse(EV_WIRE_OPENAI, body, strlen(body), &req) != NULL,
          "empty messages are refused");
    body = "{\"model\":\"m\",";
    CHECK_STR(ev_wire_parse(EV_WIRE_OPENAI, body, strlen(body), &req),
              "We could not parse the JSON body of your request.", "bad JSON is refused");

    check_jv(ev_wire_error(EV_WIRE_OPENAI, EV_WIRE_502, NULL, "req_1"),
             "{\"error\":{\"code\":502,\"message\":\"Bad gateway.\",\"param\":null,"
             "\"type\":\"cf_bad_gateway\"}}",
             "OpenAI's 502 has a number for code");
    check_jv(ev_wire_error(EV_WIRE_ANTHROPIC, EV_WIRE_529, NULL, "req_1"),
             "{\"error\":{\"message\":\"Overloaded\",\"type\":\"overloaded_error\"},"
             "\"request_id\":\"req_1\",\"type\":\"error\"}",
             "Anthropic's 529 is overloaded_error");
    CHECK(ev_wire_status(EV_WIRE_ANTHROPIC, EV_WIRE_QUOTA) == 400 &&
              ev_wire_status(EV_WIRE_OPENAI, EV_WIRE_QUOTA) == 429,
          "quota: OpenAI 429, Anthropic 400");

    static const struct {
        long ms;
        const char *want;
    } durations[] = {{0, "0ms"},      {20, "20ms"},     {1000, "1s"},           {1500, "1.5s"},
                     {60000, "1m0s"}, {360000, "6m0s"}, {3723004, "1h2m3.004s"}};
    for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
        char buf[32];
        ev_wire_duration(buf, sizeof(buf), durations[i].ms);
        CHECK_STR(buf, durations[i].want, "durations read as Go prints them");
    }
}

int
main(void)
{
    test_prompt();
    test_answers();
    test_replay();
    test_wire();
    UNIT_DONE();
}
