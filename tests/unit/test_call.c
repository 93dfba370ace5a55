/* Unit tests of lib/call: the configuration made from ev-call's options,
 * what a case is sent as, what is written back, and the dry run. */
#include <stdlib.h>

#include "cache.h"
#include "call.h"
#include "unit.h"

/* setup_error returns the message of ev_call_setup on 'c', or "ok". */
static const char *
setup_error(ev_call_config *c)
{
    static char msg[512];
    jv err;
    if (ev_call_setup(c, &err))
        return "ok";
    jv m = jv_invalid_get_msg(err);
    snprintf(msg, sizeof(msg), "%s", jv_string_value(m));
    jv_free(m);
    return msg;
}

static void
test_options(void)
{
    ev_call_config c;
    jv err;
    ev_call_init(&c, 0);
    CHECK(c.req.provider == EV_PROVIDER_OPENAI && c.jobs == 8 && c.retries == 4 && c.repeat == 1 &&
              c.timeout == 600 && c.req.max_tokens < 0,
          "the defaults: openai, 8 jobs, 4 retries, one sample, 600 s, no max_tokens");
    CHECK(ev_call_add_param(&c, "response_format={\"type\":\"json_object\"}", &err),
          "--param KEY=JSON");
    CHECK(!ev_call_add_param(&c, "stop=[oops", &err), "--param with a value that is not JSON");
    jv m = jv_invalid_get_msg(err);
    CHECK(strstr(jv_string_value(m), "--param 'stop': the value is not JSON") != NULL &&
              strstr(jv_string_value(m), "while parsing") == NULL,
          "names the key, without jq's own suffix");
    jv_free(m);
    CHECK(!ev_call_add_param(&c, "a b=1", &err), "a key with a space is refused");
    jv_free(err);
    CHECK(ev_call_set_max_errors(&c, "5", &err) && c.max_errors == 5 && !c.max_errors_pct,
          "--max-errors N is a count");
    CHECK(ev_call_set_max_errors(&c, "2.5%", &err) && c.max_errors == 2.5 && c.max_errors_pct,
          "--max-errors P% is a share");
    CHECK(!ev_call_set_max_errors(&c, "101%", &err), "a share over 100% is refused");
    jv_free(err);
    ev_call_free(&c);
}

static void
test_setup(void)
{
    ev_call_config c;
    ev_call_init(&c, 0);
    CHECK_STR(setup_error(&c), "--model is required with --provider openai", "a model is required");
    ev_call_free(&c);

    ev_call_init(&c, 0);
    c.req.provider = EV_PROVIDER_ANTHROPIC;
    c.req.model = "m";
    c.req.has_seed = true;
    CHECK_STR(setup_error(&c), "--seed: the Anthropic API has no seed", "no seed for Anthropic");
    ev_call_free(&c);

    ev_call_init(&c, 0);
    c.req.model = "m";
    c.batch = true;
    c.no_cache = true;
    CHECK(strncmp(setup_error(&c), "--batch needs the cache", 23) == 0, "--batch needs the cache");
    ev_call_free(&c);

    unsetenv("OPENAI_API_KEY");
    setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1/", 1);
    ev_call_init(&c, 0);
    c.req.model = "m";
    CHECK_STR(setup_error(&c), "ok", "a local server needs no key");
    CHECK_STR(c.base, "http://127.0.0.1:9/v1", "the base comes from OPENAI_BASE_URL, normalised");
    CHECK_STR(c.url, "http://127.0.0.1:9/v1/chat/completions", "the endpoint of openai");
    CHECK_STR(c.req.max_tokens_field, "max_tokens", "max_tokens to a server that is not OpenAI's");
    CHECK(c.auth_header == NULL, "no key, no Authorization header");
    ev_call_free(&c);
    unsetenv("OPENAI_BASE_URL");

    setenv("ANTHROPIC_API_KEY", "sk-ant-unit", 1);
    ev_call_init(&c, 0);
    c.req.provider = EV_PROVIDER_ANTHROPIC;
    c.req.model = "claude";
    CHECK_STR(setup_error(&c), "ok", "anthropic with its key");
    CHECK_STR(c.url, "https://api.anthropic.com/v1/messages", "the endpoint of anthropic");
    CHECK_STR(c.auth_header, "x-api-key: sk-ant-unit", "the key goes in x-api-key");
    CHECK(c.req.max_tokens == 1024, "max_tokens defaults to 1024");
    bool version = false;
    for (int i = 0; c.headers[i] != NULL; i++)
        version = version || strcmp(c.headers[i], "anthropic-version: 2023-06-01") == 0;
    CHECK(version, "with anthropic-version");
    ev_call_free(&c);
    unsetenv("ANTHROPIC_API_KEY");

    setenv("OPENAI_API_KEY", "sk-unit", 1);
    ev_call_init(&c, 0);
    c.req.model = "m";
    CHECK_STR(setup_error(&c), "ok", "openai with its key");
    CHECK_STR(c.req.max_tokens_field, "max_completion_tokens",
              "max_completion_tokens to api.openai.com");
    CHECK_STR(c.auth_header, "Authorization: Bearer sk-unit", "the key goes as a Bearer token");
    ev_call_free(&c);

    ev_call_init(&c, 0);
    c.req.model = "m";
    c.base_url = "http://gpu-box:8000/v1";
    CHECK_STR(setup_error(&c),
              "refusing to send the API key over plain http to 'gpu-box': use https, or "
              "--allow-insecure-http (or, for a server that needs no key, unset OPENAI_API_KEY)",
              "a key never goes over plain http to another host");
    ev_call_free(&c);
    unsetenv("OPENAI_API_KEY");

    ev_call_init(&c, 0);
    c.req.model = "m";
    c.base_url = "http://gpu-box:8000/v1";
    CHECK_STR(setup_error(&c), "ok", "a server without a key, over plain http to another host");
    CHECK(c.auth_header == NULL && c.key == NULL, "is sent no key");
    ev_call_free(&c);

    ev_call_init(&c, 0);
    c.req.model = "m";
    CHECK_STR(setup_error(&c),
              "no API key for 'api.openai.com': set OPENAI_API_KEY, or use --api-key-env or "
              "--api-key-file",
              "OpenAI's own API always wants a key");
    ev_call_free(&c);
}

static void
test_requests(void)
{
    ev_call_config c;
    ev_call_init(&c, 0);
    c.req.model = "m";
    c.base_url = "http://localhost:9/v1";
    c.req.has_seed = true;
    c.req.seed = 7;
    jv err;
    CHECK(ev_call_setup(&c, &err), "set up");
    jv rec = jv_parse("{\"id\":\"a\",\"input\":\"hi\"}");
    jv msgs = ev_call_prompt(&c, rec);
    CHECK_JV_ORDERED(jv_copy(msgs), "[{\"role\":\"user\",\"content\":\"hi\"}]",
                     "a string is one message");
    jv body, text;
    char key[EV_CACHE_KEY_LEN + 1], want[EV_CACHE_KEY_LEN + 1];
    CHECK(ev_call_request(&c, msgs, 1, &body, &text, key), "a request");
    CHECK_STR(jv_string_value(text),
              "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
              "\"temperature\":0,\"seed\":8}",
              "the body of sample 1, seeded seed + 1");
    ev_cache_key("openai", "http://localhost:9/v1", 1, jv_string_value(text),
                 strlen(jv_string_value(text)), want);
    CHECK_STR(key, want,
              "the cache key is the provider's, the base's, the sample's and the body's");
    jv_free(body);
    jv_free(text);
    jv_free(msgs);
    jv_free(rec);
    rec = jv_parse("{\"id\":\"b\"}");
    msgs = ev_call_prompt(&c, rec);
    CHECK(!ev_call_request(&c, msgs, 0, &body, &text, key), "a case without input has no request");
    jv m = jv_invalid_get_msg(body);
    CHECK_STR(jv_string_value(m), "record has no 'input' or 'messages'", "and says why");
    jv_free(m);
    jv_free(msgs);
    jv_free(rec);
    ev_call_free(&c);
}

static void
test_records(void)
{
    ev_call_config c;
    ev_call_init(&c, 0);
    c.req.model = "m";
    jv call = ev_call_object(&c, jv_number(12.5), jv_number(3), jv_number(1), jv_null(),
                             jv_string("stop"), 2, false, 0);
    CHECK_JV_ORDERED(
        jv_copy(call),
        "{\"provider\":\"openai\",\"model\":\"m\",\"latency_ms\":12.5,\"input_tokens\":3,"
        "\"output_tokens\":1,\"cached_tokens\":null,\"finish_reason\":\"stop\","
        "\"attempts\":2,\"cached\":false,\"sample\":0}",
        "a call object, in the order of ev(7)");
    double in = 0, out = 0;
    ev_call_tokens(call, &in, &out);
    CHECK(in == 3 && out == 1, "its tokens are counted");
    jv entry = ev_call_cache_entry(call, jv_string("Paris"), 0);
    CHECK_JV_ORDERED(
        jv_object_delete(jv_copy(entry), jv_string("time")),
        "{\"version\":1,\"provider\":\"openai\",\"model\":\"m\",\"sample\":0,"
        "\"output\":\"Paris\",\"finish_reason\":\"stop\",\"input_tokens\":3,"
        "\"output_tokens\":1,\"cached_tokens\":null,\"latency_ms\":12.5,\"attempts\":2}",
        "the cache keeps the answer and its call, never a key");
    jv add = ev_call_from_cache(&c, entry, 0, true);
    CHECK_JV_ORDERED(
        add,
        "{\"output\":\"Paris\",\"call\":{\"provider\":\"openai\",\"model\":\"m\","
        "\"latency_ms\":12.5,\"input_tokens\":3,\"output_tokens\":1,\"cached_tokens\":null,"
        "\"finish_reason\":\"stop\",\"attempts\":2,\"cached\":true,\"sample\":0}}",
        "an entry read back gives the answer, marked cached");

    FILE *f = tmpfile();
    const char *fresh = "{\"id\":\"a\",\"input\":\"q\"}";
    const char *old = "{\"id\":\"b\",\"output\":\"old\",\"z\":1}";
    jv rec = jv_parse(old);
    CHECK(ev_call_replaces(rec), "a record with an earlier run's output is one to replace");
    jv_free(rec);
    ev_call_write(f, fresh, strlen(fresh), false, jv_parse("{\"output\":\"A\"}"));
    ev_call_write(f, old, strlen(old), true, jv_parse("{\"output\":\"B\"}"));
    char buf[256] = "";
    rewind(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    CHECK_STR(buf,
              "{\"id\":\"a\",\"input\":\"q\",\"output\":\"A\"}\n{\"id\":\"b\",\"z\":1,\"output\":"
              "\"B\"}\n",
              "a record keeps its bytes with the fields appended, or has the old ones replaced");
    fclose(f);
    ev_call_free(&c);
}

static void
warn_count(void *ctx, const char *text)
{
    (void)text;
    (*(int *)ctx)++;
}

static void
test_dry_run(void)
{
    ev_call_config c;
    ev_call_init(&c, 0);
    c.req.provider = EV_PROVIDER_CMD;
    c.req.command = "cat";
    c.repeat = 2;
    jv err;
    CHECK(ev_call_setup(&c, &err), "a cmd run is set up");
    char path[64];
    unit_file(path, "in.jsonl", "{\"id\":\"a\",\"input\":\"hi\"}\nnot json\n{\"id\":\"c\"}\n");
    int warnings = 0;
    ev_call_hooks h = {.log = {.warn = warn_count, .ctx = &warnings}, .wake_fd = -1};
    FILE *f = tmpfile();
    char *paths[] = {path};
    int status = ev_call_dry_run(&c, NULL, paths, 1, f, &h);
    CHECK(status == 2 && warnings == 2, "a bad line and a case without input are reported: exit 2");
    rewind(f);
    char line[512];
    int lines = 0;
    while (fgets(line, sizeof(line), f) != NULL)
        lines++;
    CHECK(lines == 2, "each sample of each good case is shown");
    rewind(f);
    const char *want = "{\"id\":\"a\",\"sample\":0,\"command\":\"cat\",\"stdin\":\"hi\\n\","
                       "\"cache_key\":\"";
    CHECK(fgets(line, sizeof(line), f) != NULL && strncmp(line, want, strlen(want)) == 0,
          "with the command, its standard input and the cache key");
    fclose(f);
    unit_file_remove(path);
    ev_call_free(&c);
}

int
main(void)
{
    test_options();
    test_setup();
    test_requests();
    test_records();
    test_dry_run();
    UNIT_DONE();
}
