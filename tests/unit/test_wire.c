/* Unit tests of mock/wire, the OpenAI and Anthropic wire formats as
 * ev-mock reads and writes them. */
#include <stdlib.h>
#include <string.h>

#include "mock/wire.h"
#include "mockunit.h"

static void
test_requests(void)
{
    evm_wire_request req;
    const char *body = "{\"model\":\"m\",\"max_tokens\":2,\"system\":\"s\","
                       "\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}";
    CHECK(evm_wire_parse(EVM_WIRE_ANTHROPIC, body, strlen(body), &req) == NULL,
          "a good Anthropic request parses");
    check_jv(jv_copy(req.full), "\"s\\nq\"", "Anthropic's system prompt comes first");
    check_jv(evm_wire_answer(EVM_WIRE_ANTHROPIC, &req, "msg_1", "0123456789", true),
             "{\"content\":[{\"text\":\"01234567\",\"type\":\"text\"}],\"id\":\"msg_1\","
             "\"model\":\"m\",\"role\":\"assistant\",\"stop_reason\":\"max_tokens\","
             "\"stop_sequence\":null,\"type\":\"message\",\"usage\":{"
             "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
             "\"input_tokens\":1,\"output_tokens\":2}}",
             "an answer over the limit is cut at 4 bytes a token");
    evm_wire_request_free(&req);

    body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}";
    CHECK_STR(evm_wire_parse(EVM_WIRE_ANTHROPIC, body, strlen(body), &req),
              "max_tokens: Field required", "Anthropic requires max_tokens");
    CHECK(evm_wire_parse(EVM_WIRE_OPENAI, body, strlen(body), &req) == NULL,
          "OpenAI does not require a limit");
    CHECK(req.max_tokens == -1, "no limit reads as -1");
    evm_wire_request_free(&req);
    body = "{\"model\":\"m\",\"messages\":[]}";
    CHECK(evm_wire_parse(EVM_WIRE_OPENAI, body, strlen(body), &req) != NULL,
          "empty messages are refused");
    body = "{\"model\":\"m\",";
    CHECK_STR(evm_wire_parse(EVM_WIRE_OPENAI, body, strlen(body), &req),
              "We could not parse the JSON body of your request.", "bad JSON is refused");

    check_jv(evm_wire_error(EVM_WIRE_OPENAI, EVM_WIRE_502, NULL, "req_1"),
             "{\"error\":{\"code\":502,\"message\":\"Bad gateway.\",\"param\":null,"
             "\"type\":\"cf_bad_gateway\"}}",
             "OpenAI's 502 has a number for code");
    check_jv(evm_wire_error(EVM_WIRE_ANTHROPIC, EVM_WIRE_529, NULL, "req_1"),
             "{\"error\":{\"message\":\"Overloaded\",\"type\":\"overloaded_error\"},"
             "\"request_id\":\"req_1\",\"type\":\"error\"}",
             "Anthropic's 529 is overloaded_error");
    CHECK(evm_wire_status(EVM_WIRE_ANTHROPIC, EVM_WIRE_QUOTA) == 400 &&
              evm_wire_status(EVM_WIRE_OPENAI, EVM_WIRE_QUOTA) == 429,
          "quota: OpenAI 429, Anthropic 400");

    static const struct {
        long ms;
        const char *want;
    } durations[] = {{0, "0ms"},      {20, "20ms"},     {1000, "1s"},           {1500, "1.5s"},
                     {60000, "1m0s"}, {360000, "6m0s"}, {3723004, "1h2m3.004s"}};
    for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
        char buf[32];
        evm_wire_duration(buf, sizeof(buf), durations[i].ms);
        CHECK_STR(buf, durations[i].want, "durations read as Go prints them");
    }
}

static void
test_helpers(void)
{
    char buf[32];
    evm_wire_rfc3339(buf, sizeof(buf), 1795956059999);
    CHECK_STR(buf, "2026-11-29T12:40:59Z", "RFC 3339 times are UTC, to the second");
    check_jv(evm_wire_openai_error("m", NULL, "c"),
             "{\"error\":{\"code\":\"c\",\"message\":\"m\",\"param\":null,"
             "\"type\":\"invalid_request_error\"}}",
             "OpenAI's request errors; an absent param is null");
    evm_wire_reply r = evm_wire_openai_reply(404, jv_string("gone"), "id", NULL);
    CHECK(r.status == 404, "a reply keeps its status");
    check_field(r.body, "error",
                "{\"code\":null,\"message\":\"gone\",\"param\":\"id\","
                "\"type\":\"invalid_request_error\"}",
                "and the error's words");
    jv_free(r.body);
    r = evm_wire_error_reply(EVM_WIRE_ANTHROPIC, EVM_WIRE_BAD_REQUEST, jv_string("no"), "req_9");
    CHECK(r.status == 400, "Anthropic's 400");
    check_field(r.body, "request_id", "\"req_9\"", "carries the request id");
    jv_free(r.body);
    char *a = evm_wire_id("file-", 42, 0), *b = evm_wire_id("file-", 42, 1);
    char *c = evm_wire_id("file-", 42, 0);
    CHECK(strncmp(a, "file-", 5) == 0 && strlen(a) == 21, "an id is its prefix and 16 hex digits");
    CHECK(strcmp(a, b) != 0, "an equal earlier object makes another id");
    CHECK_STR(c, a, "the same key and count make the same id");
    free(a);
    free(b);
    free(c);
    check_jv(evm_wire_nullable(NULL), "null", "an absent string is null");
    check_jv(evm_wire_flat_error(500, "x"),
             "{\"code\":500,\"message\":\"x\",\"object\":\"error\",\"param\":null,"
             "\"type\":\"BadRequestError\"}",
             "vLLM's flat error has no wrapper and a number for code");
}

int
main(void)
{
    test_requests();
    test_helpers();
    UNIT_DONE();
}
