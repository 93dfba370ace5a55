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

/* What the stores of Together and Fireworks are handed, and what they give
 * back. */
static void
test_providers(void)
{
    char *u = evm_wire_uuid("ft-", 7, 0), *v = evm_wire_uuid("ft-", 7, 1);
    CHECK(strlen(u) == 39 && u[11] == '-' && u[16] == '-' && u[21] == '-' && u[26] == '-',
          "a uuid is its prefix and 8-4-4-4-12 hex digits");
    CHECK(strspn(u + 3, "0123456789abcdef-") == 36, "lowercase hex");
    CHECK(strcmp(u, v) != 0, "an equal earlier object makes another uuid");
    free(u);
    free(v);
    evm_wire_reply r = evm_wire_grpc_reply(EVM_WIRE_GRPC_PERMISSION_DENIED, jv_string("no"));
    CHECK(r.status == 403 && !r.lost, "PERMISSION_DENIED is a 403");
    check_jv(r.body, "{\"code\":7,\"details\":[],\"message\":\"no\"}",
             "Fireworks' error: the gRPC code, the message, no details");
    static const struct {
        enum evm_wire_grpc code;
        unsigned status;
    } codes[] = {
        {EVM_WIRE_GRPC_ALREADY_EXISTS, 409},
        {EVM_WIRE_GRPC_NOT_FOUND, 404},
        {EVM_WIRE_GRPC_UNAUTHENTICATED, 401},
        {EVM_WIRE_GRPC_FAILED_PRECONDITION, 400},
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        r = evm_wire_grpc_reply(codes[i].code, jv_string("x"));
        CHECK(r.status == codes[i].status, "each code has its HTTP status");
        jv_free(r.body);
    }

    evm_wire_form f = {NULL, 0};
    evm_wire_form_append(&f, "file", "t.jsonl", "ab", 2);
    evm_wire_form_append(&f, "purpose", NULL, "fine-tune", 9);
    evm_wire_form_append(&f, "file", NULL, "c\0d", 3);
    const evm_wire_field *x = evm_wire_form_get(&f, "file");
    CHECK(f.n == 2 && x != NULL && x->len == 5 && memcmp(x->data, "abc\0d", 6) == 0,
          "a field's parts join, NUL-terminated, bytes and all");
    CHECK_STR(x->filename, "t.jsonl", "a field keeps the file name of its first part");
    CHECK(evm_wire_form_get(&f, "purpose")->filename == NULL && evm_wire_form_get(&f, "x") == NULL,
          "a plain field has no file name, and a missing one is NULL");
    evm_wire_form_free(&f);
    CHECK(f.n == 0 && evm_wire_form_get(NULL, "file") == NULL, "a freed or absent form is empty");

    evm_wire_http h = http("POST", "/v1/x", "{\"a\":1}", "pageSize=50", 0);
    CHECK_STR(evm_wire_query(&h, "pageSize"), "50", "a query parameter");
    CHECK(evm_wire_query(&h, "x") == NULL, "an absent one is NULL");
    check_jv(evm_wire_json_body(&h), "{\"a\":1}", "a JSON object body");
    h.body = "[1]";
    h.len = 3;
    CHECK(!jv_is_valid(evm_wire_json_body(&h)), "anything else is invalid");
    h.query = NULL;
    CHECK(evm_wire_query(&h, "pageSize") == NULL, "no query: no parameter");

    char *caps[2] = {NULL, NULL};
    CHECK(evm_wire_match("/v1/fine-tunes/ft-1/events", "/v1/fine-tunes/*/events", caps) &&
              strcmp(caps[0], "ft-1") == 0,
          "a '*' stands for an id");
    free(caps[0]);
    caps[0] = NULL;
    CHECK(evm_wire_match("/v1/accounts/a/datasets/d:upload", "/v1/accounts/*/datasets/*:upload",
                         caps) &&
              strcmp(caps[0], "a") == 0 && strcmp(caps[1], "d") == 0,
          "and ends at a custom method");
    free(caps[0]);
    free(caps[1]);
    caps[0] = caps[1] = NULL;
    CHECK(!evm_wire_match("/v1/files/", "/v1/files/*", caps) &&
              !evm_wire_match("/v1/files/a/b", "/v1/files/*", caps) &&
              !evm_wire_match("/v1/file", "/v1/files", caps) &&
              !evm_wire_match("/v1/files/x:y", "/v1/files/*", caps) && caps[0] == NULL,
          "an empty id, more or less path, or another method do not match, and capture nothing");
}

int
main(void)
{
    test_requests();
    test_helpers();
    test_providers();
    UNIT_DONE();
}
