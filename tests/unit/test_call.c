/* Unit tests of ev-call's curl-free parts: lib/ratelimit (durations, dates,
 * retry-after, backoff, pacing, server quotas, the adaptive cap),
 * lib/provider (request bodies, answers and errors of every provider and
 * compatible server), lib/url and lib/template. */
#include <stdlib.h>

#include "batch.h"
#include "provider.h"
#include "ratelimit.h"
#include "template.h"
#include "unit.h"
#include "url.h"

static void
check_jv(jv v, const char *want, const char *name)
{
    jv s = jv_dump_string(v, 0);
    CHECK_STR(jv_string_value(s), want, name);
    jv_free(s);
}

static void
test_go_durations(void)
{
    static const struct {
        const char *in;
        double secs;
    } ok[] = {
        {"6m0s", 360},
        {"12ms", 0.012},
        {"1.5s", 1.5},
        {"4m12.172s", 252.172},
        {"23h18m29.144s", 83909.144},
        {"1s", 1},
        {"0s", 0},
        {"120ms", 0.12},
        {"2h", 7200},
        {"0", 0},
        {"2.5", 2.5},
        {"500us", 0.0005},
        {"1\xC2\xB5s", 1e-6},
        {"3ns", 3e-9},
        {".5s", 0.5},
        {"1m30s", 90},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        double d = -1;
        char name[96];
        snprintf(name, sizeof(name), "Go duration '%s' is %g s", ok[i].in, ok[i].secs);
        CHECK(ev_go_duration(ok[i].in, &d) && fabs(d - ok[i].secs) < 1e-9, name);
    }
    static const char *const bad[] = {"", "s", "-1s", "1x", "1.5", "1m-3s", "abc", "1 m", "ms"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        double d = 42;
        char name[96];
        snprintf(name, sizeof(name), "'%s' is not a duration", bad[i]);
        if (strcmp(bad[i], "1.5") == 0)
            continue; /* a bare number is read as seconds */
        CHECK(!ev_go_duration(bad[i], &d) && d == 42, name);
    }
    char huge[400];
    memset(huge, '9', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    double d = 42;
    CHECK(!ev_go_duration(huge, &d) && d == 42, "a bare number past a double's range fails");
}

static void
test_dates(void)
{
    double t;
    CHECK(ev_rfc3339("2025-08-21T12:40:59Z", &t) && t == 1755780059.0,
          "RFC 3339 UTC time as Anthropic sends it");
    CHECK(ev_rfc3339("2025-08-21T12:40:59.250Z", &t) && fabs(t - 1755780059.25) < 1e-6,
          "RFC 3339 with a fraction of a second");
    CHECK(ev_rfc3339("2025-08-21T14:40:59+02:00", &t) && t == 1755780059.0,
          "RFC 3339 with an offset");
    CHECK(!ev_rfc3339("2025-08-21 12:40", &t), "a truncated time is refused");
    CHECK(!ev_rfc3339("yesterday", &t), "words are refused");
}

static time_t
stub_date(const char *s)
{
    return strcmp(s, "Wed, 21 Oct 2015 07:28:00 GMT") == 0 ? 1445412480 : -1;
}

static void
test_retry_after(void)
{
    CHECK_NEAR(ev_retry_after("1500", "9", 0, NULL), 1.5, 1e-9, "retry-after-ms wins");
    CHECK_NEAR(ev_retry_after(NULL, "2", 0, NULL), 2, 1e-9, "retry-after in seconds");
    CHECK_NEAR(ev_retry_after(NULL, "0.5", 0, NULL), 0.5, 1e-9, "fractional seconds");
    CHECK_NEAR(ev_retry_after(NULL, "Wed, 21 Oct 2015 07:28:00 GMT", 1445412470, stub_date), 10,
               1e-9, "retry-after as an HTTP-date is a wait from now");
    CHECK_NEAR(ev_retry_after(NULL, NULL, 0, NULL), -1, 0, "no header: no wait named");
    CHECK_NEAR(ev_retry_after("soon", "later", 0, stub_date), -1, 0, "garbage names no wait");
    CHECK_NEAR(ev_retry_after("-5", "3", 0, NULL), 3, 1e-9, "a negative ms falls back");
    CHECK(ev_retry_after(NULL, "600", 0, NULL) > EV_MAX_RETRY_AFTER,
          "a wait of 600 s is over the retry limit");
}

static void
test_backoff(void)
{
    CHECK_NEAR(ev_backoff(0, 0), 0.5, 1e-12, "first retry waits 0.5 s at most");
    CHECK_NEAR(ev_backoff(0, 0.999999), 0.375, 1e-6, "jitter shortens by at most a quarter");
    CHECK_NEAR(ev_backoff(1, 0), 1.0, 1e-12, "second retry 1 s");
    CHECK_NEAR(ev_backoff(3, 0), 4.0, 1e-12, "fourth retry 4 s");
    CHECK_NEAR(ev_backoff(4, 0), 8.0, 1e-12, "fifth retry 8 s");
    CHECK_NEAR(ev_backoff(30, 0), 8.0, 1e-12, "capped at 8 s");
}

static void
test_pacer(void)
{
    ev_pacer p;
    ev_pacer_init(&p, 600, 1.0); /* 10 a second */
    CHECK_NEAR(ev_pacer_wait(&p, 100), 0, 0, "the first start is free");
    ev_pacer_take(&p, 100, 1);
    CHECK_NEAR(ev_pacer_wait(&p, 100), 0.1, 1e-9, "the next waits a tenth of a second");
    ev_pacer_take(&p, 100.1, 1);
    CHECK_NEAR(ev_pacer_wait(&p, 100.15), 0.05, 1e-9, "starts are evenly spaced");
    ev_pacer_take(&p, 105, 1);
    CHECK_NEAR(ev_pacer_wait(&p, 105), 0.1, 1e-9,
               "after idling there is no credit: no burst, the next waits a full interval");
    ev_pacer_take(&p, 105.13, 1);
    CHECK_NEAR(ev_pacer_wait(&p, 105.13), 0.07, 1e-9,
               "a start a little late keeps the schedule, catching up");
    int n = 0;
    ev_pacer_init(&p, 600, 0.98);
    for (double t = 0; t < 60; t += 0.001) {
        if (ev_pacer_wait(&p, t) == 0) {
            ev_pacer_take(&p, t, 1);
            n++;
        }
    }
    CHECK(n >= 585 && n <= 589, "600 a minute at a 0.98 margin starts 588 in a minute");
    ev_pacer_init(&p, 0, 0.98);
    CHECK_NEAR(ev_pacer_wait(&p, 1), 0, 0, "no limit never waits");
    ev_pacer_init(&p, 60000, 1.0); /* tokens: 1000 a second */
    ev_pacer_take(&p, 0, 500);
    CHECK_NEAR(ev_pacer_wait(&p, 0), 0.5, 1e-9, "a costly request delays the next in proportion");
}

static void
test_quota(void)
{
    ev_quota q = {0};
    CHECK_NEAR(ev_quota_wait(&q, 0, 1), 0, 0, "an unknown limit never waits");
    ev_quota_observe(&q, 10, 1, 5, 2, 2);
    CHECK(q.known && q.level == 3, "remaining less what started later is the level");
    ev_quota_take(&q, 10, 1);
    ev_quota_take(&q, 10, 1);
    ev_quota_take(&q, 10, 1);
    CHECK_NEAR(ev_quota_wait(&q, 10.5, 1), 1.5, 1e-9, "exhausted: wait for the reset");
    ev_quota_observe(&q, 10.6, 2, 9, 2, 0);
    CHECK(q.level == 0, "before the reset, a response cannot raise the level");
    ev_quota_observe(&q, 10.7, 3, 0, 1.3, 0);
    CHECK(q.level == 0, "but it may lower it");
    CHECK_NEAR(ev_quota_wait(&q, 12, 1), 0, 0, "after the reset a probe may go");
    ev_quota_take(&q, 12, 1);
    CHECK_NEAR(ev_quota_wait(&q, 12, 1), EV_QUOTA_PROBE_GAP, 1e-9,
               "one probe at a time until the server answers");
    ev_quota_observe(&q, 12.1, 5, 40, 1, 0);
    CHECK_NEAR(ev_quota_wait(&q, 12.1, 1), 0, 0, "the probe's answer, after the reset, opens room");
    CHECK(q.level == 40, "as much as it says");
    ev_quota_observe(&q, 12.2, 4, 0, 30, 0);
    CHECK(q.level == 40, "an answer to an older request is stale and ignored");
    ev_quota_observe(&q, 12.3, 6, -1, -1, 0);
    CHECK(!q.known, "a newer answer without the headers forgets the limit");
    ev_quota_observe(&q, 20, 7, 100, 60, 0);
    CHECK_NEAR(ev_quota_wait(&q, 20, 200), 60, 1e-9,
               "a request costing more than remains waits for the reset");

    ev_quota p = {0};
    ev_quota_observe(&p, 30, 1, 0, 0.05, 0);
    ev_quota_take(&p, 30.05, 1);
    ev_quota_observe(&p, 30.06, 2, -1, -1, 0);
    ev_quota_observe(&p, 30.2, 3, 0, 0.05, 0);
    CHECK_NEAR(ev_quota_wait(&p, 30.2, 1), 0.05, 1e-9,
               "a new limit waits for its own reset, not the gap of an earlier probe");
    ev_quota_take(&p, 30.25, 1);
    ev_quota_observe(&p, 30.3, 4, 3, 1, 0);
    ev_quota_take(&p, 30.3, 1);
    ev_quota_take(&p, 30.3, 1);
    ev_quota_take(&p, 30.3, 1);
    ev_quota_observe(&p, 30.4, 5, 0, 0.05, 0);
    CHECK_NEAR(ev_quota_wait(&p, 30.4, 1), 0.05, 1e-9, "nor after the server said there was room");
}

static void
test_aimd(void)
{
    ev_aimd a;
    ev_aimd_init(&a, 16);
    CHECK(a.cap == 16, "the cap starts at --jobs");
    CHECK(ev_aimd_overload(&a, 1.0, 2.0) && a.cap == 8, "an overload halves it");
    CHECK(!ev_aimd_overload(&a, 1.5, 2.1) && a.cap == 8,
          "requests started before the cut do not cut again");
    CHECK(ev_aimd_overload(&a, 2.2, 3.0) && a.cap == 4, "a later one does");
    for (int i = 0; i < 4; i++)
        ev_aimd_success(&a);
    CHECK(a.cap == 5, "cap successes in a row grow it by one");
    for (int i = 0; i < 1000; i++)
        ev_aimd_success(&a);
    CHECK(a.cap == 16, "it grows back to --jobs and no further");
    ev_aimd_init(&a, 1);
    ev_aimd_overload(&a, 0, 0);
    CHECK(a.cap == 1, "never below one");
}

static void
reply_case(ev_provider p, long status, const char *body, const char *want_outcome_kind,
           enum ev_outcome want, const char *name)
{
    ev_reply r;
    ev_reply_init(&r);
    ev_reply_parse(p, status, body, strlen(body), &r);
    CHECK(r.outcome == want && (want == EV_ANSWERED || strcmp(r.kind, want_outcome_kind) == 0),
          name);
    if (r.outcome != want)
        printf("#   outcome %d, want %d; message %s\n", (int)r.outcome, (int)want,
               jv_is_valid(r.message) ? jv_string_value(r.message) : "-");
    ev_reply_free(&r);
}

static void
test_openai_answers(void)
{
    ev_reply r;
    ev_reply_init(&r);
    const char *ok = "{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                     "\"content\":\"Paris\"},\"finish_reason\":\"stop\"}],\"usage\":{"
                     "\"prompt_tokens\":12,\"completion_tokens\":2,\"prompt_tokens_details\":{"
                     "\"cached_tokens\":4}}}";
    ev_reply_parse(EV_OPENAI, 200, ok, strlen(ok), &r);
    CHECK(r.outcome == EV_ANSWERED, "an OpenAI answer is read");
    check_jv(jv_copy(r.output), "\"Paris\"", "its text");
    check_jv(jv_copy(r.finish_reason), "\"stop\"", "its finish reason");
    check_jv(jv_copy(r.input_tokens), "12", "prompt_tokens is input_tokens");
    check_jv(jv_copy(r.output_tokens), "2", "completion_tokens is output_tokens");
    check_jv(jv_copy(r.cached_tokens), "4", "cached_tokens from prompt_tokens_details");

    const char *nousage = "{\"choices\":[{\"message\":{\"content\":\"hi\"},\"finish_reason\":"
                          "null}]}";
    ev_reply_parse(EV_OPENAI, 200, nousage, strlen(nousage), &r);
    CHECK(r.outcome == EV_ANSWERED, "an answer without usage is still an answer");
    check_jv(jv_copy(r.input_tokens), "null", "missing usage is null, never 0");
    check_jv(jv_copy(r.cached_tokens), "null", "missing cached tokens are null");
    check_jv(jv_copy(r.finish_reason), "null", "a null finish reason stays null");

    const char *vllm = "{\"choices\":[{\"message\":{\"content\":\"x\"}}],\"usage\":{"
                       "\"prompt_tokens\":3,\"completion_tokens\":1}}";
    ev_reply_parse(EV_OPENAI, 200, vllm, strlen(vllm), &r);
    check_jv(jv_copy(r.cached_tokens), "null", "usage without details: cached tokens null");

    const char *refusal = "{\"choices\":[{\"message\":{\"content\":null,\"refusal\":\"I can't\"},"
                          "\"finish_reason\":\"stop\"}]}";
    ev_reply_parse(EV_OPENAI, 200, refusal, strlen(refusal), &r);
    check_jv(jv_copy(r.output), "\"I can't\"", "a refusal is the answer text");

    const char *parts = "{\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\",\"text\":"
                        "\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}}]}";
    ev_reply_parse(EV_OPENAI, 200, parts, strlen(parts), &r);
    check_jv(jv_copy(r.output), "\"ab\"", "content parts are joined");

    const char *tools = "{\"choices\":[{\"message\":{\"content\":null,\"tool_calls\":[{\"id\":"
                        "\"1\"}]},\"finish_reason\":\"tool_calls\"}]}";
    ev_reply_parse(EV_OPENAI, 200, tools, strlen(tools), &r);
    check_jv(jv_copy(r.output), "\"[{\\\"id\\\":\\\"1\\\"}]\"", "tool calls become JSON text");
    ev_reply_free(&r);

    reply_case(EV_OPENAI, 200, "{\"choices\":[{\"message\":{\"content\":\"Par", "parse",
               EV_RETRYABLE, "a truncated 200 body is a retryable parse failure");
    reply_case(EV_OPENAI, 200, "<html>oops</html>", "parse", EV_RETRYABLE,
               "a non-JSON 200 body is a retryable parse failure");
    reply_case(EV_OPENAI, 200, "", "parse", EV_RETRYABLE, "an empty 200 body too");
    reply_case(EV_OPENAI, 200, "{\"id\":\"x\"}", "parse", EV_RETRYABLE,
               "a 200 without choices too");
}

static void
test_errors(void)
{
    ev_reply r;
    ev_reply_init(&r);
    const char *nested = "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\","
                         "\"param\":null,\"code\":\"rate_limit_exceeded\"}}";
    ev_reply_parse(EV_OPENAI, 429, nested, strlen(nested), &r);
    CHECK(r.outcome == EV_RETRYABLE, "a rate limit 429 is retried");
    check_jv(jv_copy(r.message), "\"Rate limit reached\"", "with the server's message");
    const char *flat = "{\"object\":\"error\",\"message\":\"bad things\",\"type\":"
                       "\"BadRequestError\",\"param\":null,\"code\":500}";
    ev_reply_parse(EV_OPENAI, 500, flat, strlen(flat), &r);
    check_jv(jv_copy(r.message), "\"bad things\"", "a flat vLLM error body is read");
    CHECK(r.outcome == EV_RETRYABLE, "a 500 is retried");
    const char *llama = "{\"error\":{\"code\":503,\"message\":\"Loading model\",\"type\":"
                        "\"unavailable_error\"}}";
    ev_reply_parse(EV_OPENAI, 503, llama, strlen(llama), &r);
    check_jv(jv_copy(r.message), "\"Loading model\"", "an integer code (llama.cpp) is fine");
    ev_reply_parse(EV_OPENAI, 502, "<html>502 Bad Gateway</html>", 28, &r);
    CHECK(r.outcome == EV_RETRYABLE && strstr(jv_string_value(r.message), "502") != NULL,
          "an HTML 502 is retried and quoted");
    ev_reply_free(&r);

    reply_case(EV_OPENAI, 400, "{\"error\":{\"message\":\"bad\"}}", "http", EV_FAILED,
               "a 400 is not retried");
    reply_case(EV_OPENAI, 422, "{}", "http", EV_FAILED, "a 422 is not retried");
    reply_case(EV_OPENAI, 408, "{}", "http", EV_RETRYABLE, "a 408 is retried");
    reply_case(EV_OPENAI, 409, "{}", "http", EV_RETRYABLE, "a 409 is retried");
    reply_case(EV_ANTHROPIC, 529,
               "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
               "\"Overloaded\"}}",
               "http", EV_RETRYABLE, "Anthropic's 529 is retried");
    reply_case(EV_OPENAI, 401,
               "{\"error\":{\"message\":\"Incorrect API key\",\"code\":\"invalid_api_key\"}}",
               "http", EV_STOP_AUTH, "a 401 stops the run");
    reply_case(EV_OPENAI, 403, "{}", "http", EV_STOP_AUTH, "a 403 stops the run");
    reply_case(EV_OPENAI, 404, "{}", "http", EV_STOP_MISSING, "a 404 stops the run");
    reply_case(EV_OPENAI, 429,
               "{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":"
               "\"insufficient_quota\",\"code\":\"insufficient_quota\"}}",
               "http", EV_STOP_QUOTA, "insufficient_quota stops the run, not retried");
    reply_case(EV_ANTHROPIC, 429,
               "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"x\","
               "\"details\":{\"error_code\":\"enforced_spend_limit_reached\"}}}",
               "http", EV_STOP_QUOTA, "a spend-limit 429 stops the run");
    reply_case(EV_ANTHROPIC, 400,
               "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":"
               "\"Your credit balance is too low to access the Anthropic API.\"}}",
               "http", EV_STOP_QUOTA, "Anthropic's credit balance 400 stops the run");
}

static void
test_anthropic_answers(void)
{
    ev_reply r;
    ev_reply_init(&r);
    const char *ok = "{\"type\":\"message\",\"content\":[{\"type\":\"thinking\",\"thinking\":"
                     "\"hmm\"},{\"type\":\"text\",\"text\":\"Par\"},{\"type\":\"text\",\"text\":"
                     "\"is\"}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":10,"
                     "\"output_tokens\":3,\"cache_read_input_tokens\":5,"
                     "\"cache_creation_input_tokens\":1}}";
    ev_reply_parse(EV_ANTHROPIC, 200, ok, strlen(ok), &r);
    CHECK(r.outcome == EV_ANSWERED, "an Anthropic answer is read");
    check_jv(jv_copy(r.output), "\"Paris\"", "text blocks are joined, thinking skipped");
    check_jv(jv_copy(r.finish_reason), "\"end_turn\"", "stop_reason is the finish reason");
    check_jv(jv_copy(r.input_tokens), "16", "input tokens count cache reads and writes too");
    check_jv(jv_copy(r.cached_tokens), "5", "cached tokens are the cache reads");
    const char *nousage = "{\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}";
    ev_reply_parse(EV_ANTHROPIC, 200, nousage, strlen(nousage), &r);
    check_jv(jv_copy(r.output_tokens), "null", "no usage: null tokens");
    ev_reply_free(&r);
}

static void
test_bodies(void)
{
    ev_request_opts o = {.provider = EV_OPENAI,
                         .model = "gpt-x",
                         .max_tokens = -1,
                         .max_tokens_field = "max_completion_tokens",
                         .params = jv_object()};
    jv msgs = ev_prompt_messages(jv_string("hi"));
    check_jv(ev_request_body(&o, jv_copy(msgs), 0),
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
    check_jv(ev_request_body(&o, jv_copy(msgs), 2),
             "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
             "{\"role\":\"user\",\"content\":\"hi\"}],\"max_completion_tokens\":50,\"seed\":9,"
             "\"response_format\":{\"type\":\"json_object\"}}",
             "openai: system, token field, seed + sample, params merged, null removes");
    jv_free(o.params);

    ev_request_opts a = {.provider = EV_ANTHROPIC,
                         .model = "claude",
                         .system = "top",
                         .max_tokens = 1024,
                         .params = jv_object()};
    jv chat = ev_prompt_messages(
        jv_parse("[{\"role\":\"system\",\"content\":\"sys\"},{\"role\":\"user\",\"content\":"
                 "\"q\"}]"));
    check_jv(ev_request_body(&a, jv_copy(chat), 0),
             "{\"model\":\"claude\",\"max_tokens\":1024,\"system\":\"top\\n\\nsys\","
             "\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"temperature\":0}",
             "anthropic: system messages move to the top-level system");
    jv only = ev_prompt_messages(jv_parse("[{\"role\":\"system\",\"content\":\"s\"}]"));
    jv b = ev_request_body(&a, only, 0);
    CHECK(!jv_is_valid(b), "anthropic: a prompt of only system messages is refused");
    jv_free(b);
    jv_free(a.params);

    ev_request_opts c = {.provider = EV_CMD, .command = "cat", .params = jv_null()};
    check_jv(ev_request_body(&c, jv_copy(chat), 0),
             "{\"command\":\"cat\",\"model\":null,\"system\":null,\"input\":\"sys\\nq\"}",
             "cmd: the body describes the run; input is the text");
    jv_free(chat);
    jv_free(msgs);

    jv bad = ev_prompt_messages(jv_parse("[{\"content\":\"no role\"}]"));
    CHECK(!jv_is_valid(bad), "a message without a role is refused");
    jv_free(bad);
    bad = ev_prompt_messages(jv_number(3));
    CHECK(!jv_is_valid(bad), "a number is not a prompt");
    jv_free(bad);
}

static void
test_urls(void)
{
    check_jv(ev_url_normalize("HTTPS://API.OpenAI.com/v1/"), "\"https://api.openai.com/v1\"",
             "scheme and host lowercased, trailing slash gone");
    check_jv(ev_url_normalize("http://127.0.0.1:8080/V1//"), "\"http://127.0.0.1:8080/V1\"",
             "the path keeps its case");
    jv bad = ev_url_normalize("ftp://x/");
    CHECK(!jv_is_valid(bad), "only http and https");
    jv_free(bad);
    bad = ev_url_normalize("https://x/v1?key=1");
    CHECK(!jv_is_valid(bad), "no query string in a base URL");
    jv_free(bad);
    CHECK(ev_url_is_loopback("http://localhost:11434/v1"), "localhost is loopback");
    CHECK(ev_url_is_loopback("http://127.0.0.1:8000/v1"), "127.0.0.1 is loopback");
    CHECK(ev_url_is_loopback("http://127.9.8.7/v1"), "127/8 is loopback");
    CHECK(ev_url_is_loopback("http://[::1]:8080/v1"), "::1 is loopback");
    CHECK(!ev_url_is_loopback("http://127.0.0.1.evil.com/v1"), "a lookalike is not loopback");
    CHECK(!ev_url_is_loopback("http://localhost@evil.com/v1"), "user info does not count");
    CHECK(!ev_url_is_loopback("http://10.0.0.5:8000/v1"), "a LAN address is not loopback");
    CHECK(ev_url_is_https("HTTPS://x"), "https is recognised in any case");
}

static void
test_templates(void)
{
    jv err = jv_invalid();
    const char *text = "Translate {{ input }} to {{meta.lang}} ({{tags.0}}; {{tags}}; {{n}})";
    ev_template *t = ev_template_parse("t.txt", text, strlen(text), &err);
    CHECK(t != NULL, "a template with placeholders is read");
    jv rec = jv_parse("{\"input\":\"chat\",\"meta\":{\"lang\":\"English\"},\"tags\":[\"a\",\"b\"],"
                      "\"n\":3}");
    check_jv(ev_template_render(t, rec),
             "\"Translate chat to English (a; [\\\"a\\\",\\\"b\\\"]; 3)\"",
             "strings go in raw, other values as compact JSON, paths are dotted");
    jv_free(rec);
    rec = jv_parse("{\"input\":\"chat\"}");
    jv out = ev_template_render(t, rec);
    jv m = jv_invalid_get_msg(out);
    CHECK(jv_get_kind(m) == JV_KIND_STRING && strstr(jv_string_value(m), "'t.txt'") &&
              strstr(jv_string_value(m), "{{meta.lang}}"),
          "an unknown placeholder names the template and the placeholder");
    jv_free(m);
    jv_free(rec);
    ev_template_free(t);
    const char *bad = "line one\nbad {{ not a path }} here";
    t = ev_template_parse("b.txt", bad, strlen(bad), &err);
    m = jv_invalid_get_msg(err);
    CHECK(t == NULL && strstr(jv_string_value(m), "'b.txt':2:"),
          "a malformed placeholder is an error at its line");
    jv_free(m);
    const char *open = "unclosed {{input";
    t = ev_template_parse("c.txt", open, strlen(open), &err);
    CHECK(t == NULL, "an unclosed placeholder is an error");
    jv_free(err);
    /* The template is the first 16 bytes only, as a file read without a NUL. */
    const char *cut = "unclosed {{input and what lies past the end";
    t = ev_template_parse("e.txt", cut, 16, &err);
    m = jv_invalid_get_msg(err);
    CHECK(t == NULL && strstr(jv_string_value(m), "'{{input'") != NULL,
          "an unclosed placeholder at the end is quoted from the template alone");
    jv_free(m);
    const char *none = "no placeholders } { at all";
    t = ev_template_parse("d.txt", none, strlen(none), &err);
    rec = jv_object();
    check_jv(ev_template_render(t, rec), "\"no placeholders } { at all\"", "plain text stays");
    jv_free(rec);
    ev_template_free(t);
}

static void
test_batch(void)
{
    const char *tag = "0123456789abcdef";
    jv id = jv_string("a b/c");
    jv c = ev_batch_custom_id(tag, id, 0, 0);
    CHECK_STR(jv_string_value(c), "01234567_a_b_c_s0", "a custom_id is tag, cleaned id, sample");
    jv_free(c);
    jv_free(id);
    char longid[200];
    memset(longid, 'x', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    id = jv_string(longid);
    c = ev_batch_custom_id(tag, id, 9999, 0);
    jv d = ev_batch_custom_id(tag, id, 9999, 1234);
    CHECK(strlen(jv_string_value(c)) <= 64 && strlen(jv_string_value(d)) <= 64,
          "a long id is cut so that the custom_id fits in 64 bytes, suffixes and all");
    CHECK(strcmp(jv_string_value(c), jv_string_value(d)) != 0, "a duplicate differs");
    CHECK_STR(jv_string_value(d) + strlen(jv_string_value(d)) - 11, "_s9999_1235",
              "the duplicate's suffix survives the cut");
    jv_free(c);
    jv_free(d);
    jv_free(id);
    id = jv_number(7);
    c = ev_batch_custom_id(tag, id, 2, 0);
    CHECK_STR(jv_string_value(c), "01234567_7_s2", "a numeric id is its JSON text");
    jv_free(c);
    jv_free(id);

    ev_reply r;
    ev_reply_init(&r);
    jv cid;
    long status;
    const char *ok = "{\"custom_id\":\"t_a_s0\",\"result\":{\"type\":\"succeeded\",\"message\":"
                     "{\"content\":[{\"type\":\"text\",\"text\":\"Paris\"}],\"stop_reason\":"
                     "\"end_turn\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}}";
    CHECK(ev_batch_result_read(EV_ANTHROPIC, ok, strlen(ok), &cid, &status, &r) &&
              r.outcome == EV_ANSWERED && strcmp(jv_string_value(r.output), "Paris") == 0 &&
              strcmp(jv_string_value(cid), "t_a_s0") == 0,
          "an Anthropic result that succeeded reads as an answer, joined by custom_id");
    jv_free(cid);
    const char *exp = "{\"custom_id\":\"t_b_s0\",\"result\":{\"type\":\"expired\"}}";
    CHECK(ev_batch_result_read(EV_ANTHROPIC, exp, strlen(exp), &cid, &status, &r) &&
              r.outcome == EV_FAILED && strcmp(r.kind, "timeout") == 0,
          "an expired request is a failure of kind timeout");
    jv_free(cid);
    const char *err = "{\"id\":\"r\",\"custom_id\":\"t_c_s0\",\"response\":{\"status_code\":500,"
                      "\"body\":{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}},"
                      "\"error\":null}";
    CHECK(ev_batch_result_read(EV_OPENAI, err, strlen(err), &cid, &status, &r) &&
              r.outcome == EV_FAILED && status == 500 && strstr(jv_string_value(r.message), "boom"),
          "an OpenAI error line is a final failure with its status and message");
    jv_free(cid);
    const char *junk = "[1,2]";
    CHECK(!ev_batch_result_read(EV_OPENAI, junk, strlen(junk), &cid, &status, &r) &&
              !jv_is_valid(cid),
          "a line that is not a result is refused");
    jv_free(cid);
    ev_reply_free(&r);
}

int
main(void)
{
    test_batch();
    test_go_durations();
    test_dates();
    test_retry_after();
    test_backoff();
    test_pacer();
    test_quota();
    test_aimd();
    test_openai_answers();
    test_errors();
    test_anthropic_answers();
    test_bodies();
    test_urls();
    test_templates();
    UNIT_DONE();
}
