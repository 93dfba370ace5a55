/* Unit tests of lib/provider: request bodies, and the answers and errors of every
 * provider and compatible server. */
#include <stdlib.h>

#include "provider.h"
#include "unit.h"

static void
reply_case(ev_provider p, long status, const char *body, const char *want_outcome_kind,
           enum ev_provider_outcome want, const char *name)
{
    ev_provider_reply r;
    ev_provider_reply_init(&r);
    ev_provider_reply_parse(p, status, body, strlen(body), &r);
    CHECK(r.outcome == want &&
              (want == EV_PROVIDER_ANSWERED || strcmp(r.kind, want_outcome_kind) == 0),
          name);
    if (r.outcome != want)
        printf("#   outcome %d, want %d; message %s\n", (int)r.outcome, (int)want,
               jv_is_valid(r.message) ? jv_string_value(r.message) : "-");
    ev_provider_reply_free(&r);
}

static void
test_openai_answers(void)
{
    ev_provider_reply r;
    ev_provider_reply_init(&r);
    const char *ok = "{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                     "\"content\":\"Paris\"},\"finish_reason\":\"stop\"}],\"usage\":{"
                     "\"prompt_tokens\":12,\"completion_tokens\":2,\"prompt_tokens_details\":{"
                     "\"cached_tokens\":4}}}";
    ev_provider_reply_parse(EV_PROVIDER_OPENAI, 200, ok, strlen(ok), &r);
    CHECK(r.outcome == EV_PROVIDER_ANSWERED, "an OpenAI answer is read");
    CHECK_JV_ORDERED(jv_copy(r.output), "\"Paris\"", "its text");
    CHECK_JV_ORDERED(jv_copy(r.finish_reason), "\"stop\"", "its finish reason");
    CHECK_JV_ORDERED(jv_copy(r.input_tokens), "12", "prompt_tokens is input_tokens");
    CHECK_JV_ORDERED(jv_copy(r.output_tokens), "2", "completion_tokens is output_tokens");
    CHECK_JV_ORDERED(jv_copy(r.cached_tokens), "4", "cached_tokens from prompt_tokens_details");

    const char *nousage = "{\"choices\":[{\"message\":{\"content\":\"hi\"},\"finish_reason\":"
                          "null}]}";
    ev_provider_reply_parse(EV_PROVIDER_OPENAI, 200, nousage, strlen(nousage), &r);
    CHECK(r.outcome == EV_PROVIDER_ANSWERED, "an answer without usage is still an answer");
    CHECK_JV_ORDERED(jv_copy(r.input_tokens), "null", "missing usage is null, never 0");
    CHECK_JV_ORDERED(jv_copy(r.cached_tokens), "null", "missing cached tokens are null");
    CHECK_JV_ORDERED(jv_copy(r.finish_reason), "null", "a null finish reason stays null");

    const char *vllm = "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":{"
                       "\"prompt_tokens\":3,\"completion_tokens\":1}}";
    ev_provider_reply_parse(EV_PROVIDER_OPENAI, 200, vllm, strlen(vllm), &r);
    CHECK_JV_ORDERED(jv_copy(r.cached_tokens), "null", "usage without details: cached tokens null");

    const char *refusal = "{\"choices\":[{\"message\":{\"content\":null,\"refusal\":\"I can't\"},"
                          "\"finish_reason\":\"stop\"}]}";
    ev_provider_reply_parse(EV_PROVIDER_OPENAI, 200, refusal, strlen(refusal), &r);
    CHECK_JV_ORDERED(jv_copy(r.output), "\"I can't\"", "a refusal is the answer text");

    const char *parts = "{\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\",\"text\":"
                        "\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}}]}";
    ev_provider_reply_parse(EV_PROVIDER_OPENAI, 200, parts, strlen(parts), &r);
    CHECK_JV_ORDERED(jv_copy(r.output), "\"ab\"", "content parts are joined");

    const char *tools = "{\"choices\":[{\"message\":{\"content\":null,\"tool_calls\":[{\"id\":"
                        "\"1\"}]},\"finish_reason\":\"tool_calls\"}]}";
    ev_provider_reply_parse(EV_PROVIDER_OPENAI, 200, tools, strlen(tools), &r);
    CHECK_JV_ORDERED(jv_copy(r.output), "\"[{\\\"id\\\":\\\"1\\\"}]\"",
                     "tool calls become JSON text");
    ev_provider_reply_free(&r);

    reply_case(EV_PROVIDER_OPENAI, 200, "{\"choices\":[{\"message\":{\"content\":\"Par", "parse",
               EV_PROVIDER_RETRYABLE, "a truncated 200 body is a retryable parse failure");
    reply_case(EV_PROVIDER_OPENAI, 200, "<html>oops</html>", "parse", EV_PROVIDER_RETRYABLE,
               "a non-JSON 200 body is a retryable parse failure");
    reply_case(EV_PROVIDER_OPENAI, 200, "", "parse", EV_PROVIDER_RETRYABLE,
               "an empty 200 body too");
    reply_case(EV_PROVIDER_OPENAI, 200, "{\"id\":\"x\"}", "parse", EV_PROVIDER_RETRYABLE,
               "a 200 without choices too");
}

static void
test_errors(void)
{
    ev_provider_reply r;
    ev_provider_reply_init(&r);
    const char *nested = "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\","
                         "\"param\":null,\"code\":\"rate_limit_exceeded\"}}";
    ev_provider_reply_parse(EV_PROVIDER_OPENAI, 429, nested, strlen(nested), &r);
    CHECK(r.outcome == EV_PROVIDER_RETRYABLE, "a rate limit 429 is retried");
    CHECK_JV_ORDERED(jv_copy(r.message), "\"Rate limit reached\"", "with the server's message");
    const char *flat = "{\"object\":\"error\",\"message\":\"bad things\",\"type\":"
                       "\"BadRequestError\",\"param\":null,\"code\":500}";
    ev_provider_reply_parse(EV_PROVIDER_OPENAI, 500, flat, strlen(flat), &r);
    CHECK_JV_ORDERED(jv_copy(r.message), "\"bad things\"", "a flat vLLM error body is read");
    CHECK(r.outcome == EV_PROVIDER_RETRYABLE, "a 500 is retried");
    const char *llama = "{\"error\":{\"code\":503,\"message\":\"Loading model\",\"type\":"
                        "\"unavailable_error\"}}";
    ev_provider_reply_parse(EV_PROVIDER_OPENAI, 503, llama, strlen(llama), &r);
    CHECK_JV_ORDERED(jv_copy(r.message), "\"Loading model\"",
                     "an integer code (llama.cpp) is fine");
    ev_provider_reply_parse(EV_PROVIDER_OPENAI, 502, "<html>502 Bad Gateway</html>", 28, &r);
    CHECK(r.outcome == EV_PROVIDER_RETRYABLE && strstr(jv_string_value(r.message), "502") != NULL,
          "an HTML 502 is retried and quoted");
    ev_provider_reply_free(&r);

    reply_case(EV_PROVIDER_OPENAI, 400, "{\"error\":{\"message\":\"bad\"}}", "http",
               EV_PROVIDER_FAILED, "a 400 is not retried");
    reply_case(EV_PROVIDER_OPENAI, 422, "{}", "http", EV_PROVIDER_FAILED, "a 422 is not retried");
    reply_case(EV_PROVIDER_OPENAI, 408, "{}", "http", EV_PROVIDER_RETRYABLE, "a 408 is retried");
    reply_case(EV_PROVIDER_OPENAI, 409, "{}", "http", EV_PROVIDER_RETRYABLE, "a 409 is retried");
    reply_case(EV_PROVIDER_ANTHROPIC, 529,
               "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
               "\"Overloaded\"}}",
               "http", EV_PROVIDER_RETRYABLE, "Anthropic's 529 is retried");
    reply_case(EV_PROVIDER_OPENAI, 401,
               "{\"error\":{\"message\":\"Incorrect API key\",\"code\":\"invalid_api_key\"}}",
               "http", EV_PROVIDER_STOP_AUTH, "a 401 stops the run");
    reply_case(EV_PROVIDER_OPENAI, 403, "{}", "http", EV_PROVIDER_STOP_AUTH, "a 403 stops the run");
    reply_case(EV_PROVIDER_OPENAI, 404, "{}", "http", EV_PROVIDER_STOP_MISSING,
               "a 404 stops the run");
    reply_case(EV_PROVIDER_OPENAI, 429,
               "{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":"
               "\"insufficient_quota\",\"code\":\"insufficient_quota\"}}",
               "http", EV_PROVIDER_STOP_QUOTA, "insufficient_quota stops the run, not retried");
    reply_case(EV_PROVIDER_ANTHROPIC, 429,
               "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"x\","
               "\"details\":{\"error_code\":\"enforced_spend_limit_reached\"}}}",
               "http", EV_PROVIDER_STOP_QUOTA, "a spend-limit 429 stops the run");
    reply_case(EV_PROVIDER_ANTHROPIC, 400,
               "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":"
               "\"Your credit balance is too low to access the Anthropic API.\"}}",
               "http", EV_PROVIDER_STOP_QUOTA, "Anthropic's credit balance 400 stops the run");
}

static void
test_anthropic_answers(void)
{
    ev_provider_reply r;
    ev_provider_reply_init(&r);
    const char *ok = "{\"type\":\"message\",\"content\":[{\"type\":\"thinking\",\"thinking\":"
                     "\"hmm\"},{\"type\":\"text\",\"text\":\"Par\"},{\"type\":\"text\",\"text\":"
                     "\"is\"}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":10,"
                     "\"output_tokens\":3,\"cache_read_input_tokens\":5,"
                     "\"cache_creation_input_tokens\":1}}";
    ev_provider_reply_parse(EV_PROVIDER_ANTHROPIC, 200, ok, strlen(ok), &r);
    CHECK(r.outcome == EV_PROVIDER_ANSWERED, "an Anthropic answer is read");
    CHECK_JV_ORDERED(jv_copy(r.output), "\"Paris\"", "text blocks are joined, thinking skipped");
    CHECK_JV_ORDERED(jv_copy(r.finish_reason), "\"end_turn\"", "stop_reason is the finish reason");
    CHECK_JV_ORDERED(jv_copy(r.input_tokens), "16",
                     "input tokens count cache reads and writes too");
    CHECK_JV_ORDERED(jv_copy(r.cached_tokens), "5", "cached tokens are the cache reads");
    const char *nousage = "{\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}";
    ev_provider_reply_parse(EV_PROVIDER_ANTHROPIC, 200, nousage, strlen(nousage), &r);
    CHECK_JV_ORDERED(jv_copy(r.output_tokens), "null", "no usage: null tokens");
    ev_provider_reply_free(&r);
}

static void
test_bodies(void)
{
    ev_provider_opts o = {.provider = EV_PROVIDER_OPENAI,
                          .model = "gpt-x",
                          .max_tokens = -1,
                          .max_tokens_field = "max_completion_tokens",
                          .params = jv_object()};
    jv msgs = ev_provider_messages(jv_string("hi"));
    CHECK_JV_ORDERED(ev_provider_body(&o, jv_copy(msgs), 0),
                     "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                     "\"temperature\":0}",
                     "openai: a string prompt is one user message");
    o.system = "be brief";
    o.max_tokens = 50;
    o.has_seed = true;
    o.seed = 7;
    o.params = jv_object_set(o.params, jv_string("temperature"), jv_null());
    o.params = jv_object_set(o.params, jv_string("response_format"),
                             jv_parse("{\"type\":\"json_object\"}"));
    CHECK_JV_ORDERED(
        ev_provider_body(&o, jv_copy(msgs), 2),
        "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
        "{\"role\":\"user\",\"content\":\"hi\"}],\"max_completion_tokens\":50,\"seed\":9,"
        "\"response_format\":{\"type\":\"json_object\"}}",
        "openai: system, token field, seed + sample, params merged, null removes");
    jv_free(o.params);

    ev_provider_opts a = {.provider = EV_PROVIDER_ANTHROPIC,
                          .model = "claude",
                          .system = "top",
                          .max_tokens = 1024,
                          .params = jv_object()};
    jv chat = ev_provider_messages(
        jv_parse("[{\"role\":\"system\",\"content\":\"sys\"},{\"role\":\"user\",\"content\":"
                 "\"q\"}]"));
    CHECK_JV_ORDERED(ev_provider_body(&a, jv_copy(chat), 0),
                     "{\"model\":\"claude\",\"max_tokens\":1024,\"system\":\"top\\n\\nsys\","
                     "\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"temperature\":0}",
                     "anthropic: system messages move to the top-level system");
    jv only = ev_provider_messages(jv_parse("[{\"role\":\"system\",\"content\":\"s\"}]"));
    jv b = ev_provider_body(&a, only, 0);
    CHECK(!jv_is_valid(b), "anthropic: a prompt of only system messages is refused");
    jv_free(b);
    jv_free(a.params);

    ev_provider_opts c = {.provider = EV_PROVIDER_CMD, .command = "cat", .params = jv_null()};
    CHECK_JV_ORDERED(ev_provider_body(&c, jv_copy(chat), 0),
                     "{\"command\":\"cat\",\"model\":null,\"system\":null,\"input\":\"sys\\nq\"}",
                     "cmd: the body describes the run; input is the text");
    jv_free(chat);
    jv_free(msgs);

    jv bad = ev_provider_messages(jv_parse("[{\"content\":\"no role\"}]"));
    CHECK(!jv_is_valid(bad), "a message without a role is refused");
    jv_free(bad);
    bad = ev_provider_messages(jv_number(3));
    CHECK(!jv_is_valid(bad), "a number is not a prompt");
    jv_free(bad);
}

int
main(void)
{
    test_openai_answers();
    test_errors();
    test_anthropic_answers();
    test_bodies();
    UNIT_DONE();
}
