#include "call.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "batch.h"
#include "child.h"
#include "cli.h"
#include "ev.h"
#include "json.h"
#include "jsonl.h"
#include "record.h"
#include "secret.h"
#include "url.h"

void
ev_call_init(ev_call_config *c, int max_env)
{
    *c = (ev_call_config){
        .req = {.provider = EV_PROVIDER_OPENAI, .max_tokens = -1, .params = jv_object()},
        .pass_env = ev_alloc_zero((size_t)max_env + 1, sizeof(char *)),
        .jobs = EV_CALL_JOBS,
        .retries = EV_CALL_RETRIES,
        .repeat = 1,
        .timeout = EV_CALL_TIMEOUT,
        .connect_timeout = EV_CALL_CONNECT_TIMEOUT,
        .poll_interval = EV_CALL_POLL_INTERVAL,
    };
}

/* fail sets '*err' to an invalid with the message 'fmt' makes, and returns
 * false. */
static bool fail(jv *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool
fail(jv *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *err = jv_invalid_with_msg(jv_string_vfmt(fmt, ap));
    va_end(ap);
    return false;
}

bool
ev_call_add_param(ev_call_config *c, const char *arg, jv *err)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg)
        return fail(err, "--param wants KEY=JSON, not '%s'", arg);
    for (const char *p = arg; p < eq; p++)
        if (!(p[0] == '_' || p[0] == '-' || (p[0] >= 'a' && p[0] <= 'z') ||
              (p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= '0' && p[0] <= '9')))
            return fail(err, "--param '%s': bad KEY '%.*s'", arg, (int)(eq - arg), arg);
    jv v = jv_parse(eq + 1);
    if (!jv_is_valid(v)) {
        jv m = ev_json_parse_error(v);
        fail(err, "--param '%.*s': the value is not JSON: %s (quote a string: %.*s='\"text\"')",
             (int)(eq - arg), arg, jv_string_value(m), (int)(eq - arg), arg);
        jv_free(m);
        return false;
    }
    c->req.params = jv_object_set(c->req.params, jv_string_sized(arg, (int)(eq - arg)), v);
    return true;
}

bool
ev_call_set_max_errors(ev_call_config *c, const char *arg, jv *err)
{
    size_t n = strlen(arg);
    c->has_max_errors = true;
    if (n > 0 && arg[n - 1] == '%') {
        char buf[64];
        if (n >= sizeof(buf))
            return fail(err, "--max-errors must be N or P%%, not '%s'", arg);
        memcpy(buf, arg, n - 1);
        buf[n - 1] = '\0';
        if (!ev_cli_parse_double(buf, 0, 100, &c->max_errors))
            return fail(err, "--max-errors P%% must be a number from 0 to 100, not '%s'", buf);
        c->max_errors_pct = true;
        return true;
    }
    long count;
    if (!ev_cli_parse_long(arg, 0, 1000000000L, &count))
        return fail(err, "--max-errors must be a whole number from 0 to 1000000000, not '%s'", arg);
    c->max_errors = (double)count;
    return true;
}

/* read_text sets '*out' to the contents of 'path' without trailing
 * newlines; false with '*err' set when it cannot be read. */
static bool
read_text(const char *what, const char *path, char **out, jv *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return fail(err, "cannot open %s '%s': %s", what, path, strerror(errno));
    char *buf = NULL;
    size_t cap = 0, len = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            buf = ev_alloc_resize(buf, cap);
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return fail(err, "cannot read %s '%s'", what, path);
    }
    if (buf == NULL)
        buf = ev_alloc_strdup("");
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    buf[len] = '\0';
    *out = buf;
    return true;
}

/* check_options says whether the options go together. */
static bool
check_options(const ev_call_config *c, jv *err)
{
    bool cmd = c->req.provider == EV_PROVIDER_CMD;
    if (c->req.command != NULL && !cmd)
        return fail(err, "--command needs --provider cmd");
    if (cmd && (c->req.command == NULL || *c->req.command == '\0'))
        return fail(err, "--provider cmd needs --command");
    if (!cmd && (c->req.model == NULL || *c->req.model == '\0'))
        return fail(err, "--model is required with --provider %s",
                    ev_provider_name(c->req.provider));
    if (c->system_text != NULL && c->system_file != NULL)
        return fail(err, "--system and --system-file cannot both be given");
    if (c->no_cache && c->refresh)
        return fail(err, "--no-cache and --refresh cannot both be given");
    if (cmd && (c->base_url || c->key_env || c->key_file || c->insecure_http || c->cacert))
        return fail(err, "--base-url, --cacert and the API key options do not apply to "
                         "--provider cmd");
    if (c->cacert != NULL && access(c->cacert, R_OK) != 0)
        return fail(err, "--cacert: cannot read '%s': %s", c->cacert, strerror(errno));
    if (!cmd && c->npass > 0)
        return fail(err, "--env goes with --provider cmd");
    if (cmd && jv_object_length(jv_copy(c->req.params)) > 0)
        return fail(err, "--param does not apply to --provider cmd");
    if (c->batch) {
        if (cmd)
            return fail(err, "--batch needs a provider's batch API: openai or anthropic");
        if (c->no_cache)
            return fail(err, "--batch needs the cache: it keeps the answers and the batch's id, "
                             "so that a batch is never paid for twice");
        if (c->dry_run || c->unordered || c->rpm > 0 || c->tpm > 0 || c->has_max_errors ||
            c->insecure_http)
            return fail(err, "--dry-run, --unordered, --rpm, --tpm, --max-errors and "
                             "--allow-insecure-http do not apply to --batch");
        ev_batch_limits lim = ev_batch_limits_of(c->req.provider);
        if (c->batch_size > (long)lim.requests)
            return fail(err, "--batch-size: a %s batch holds at most %zu requests",
                        ev_provider_name(c->req.provider), lim.requests);
    } else if (c->batch_size > 0 || c->poll_interval != EV_CALL_POLL_INTERVAL) {
        return fail(err, "--batch-size and --poll-interval go with --batch");
    }
    if (c->req.has_seed && c->req.provider == EV_PROVIDER_ANTHROPIC)
        return fail(err, "--seed: the Anthropic API has no seed");
    return true;
}

/* tokens_field decides the name of the answer's length limit: OpenAI's own
 * API wants max_completion_tokens, the servers that copy it max_tokens. */
static bool
tokens_field(ev_call_config *c, const char *host, jv *err)
{
    const char *field = c->tokens_field ? c->tokens_field : "auto";
    if (strcmp(field, "auto") == 0)
        c->req.max_tokens_field =
            strcmp(host, "api.openai.com") == 0 ? "max_completion_tokens" : "max_tokens";
    else if (strcmp(field, "max_tokens") == 0 || strcmp(field, "max_completion_tokens") == 0)
        c->req.max_tokens_field = field;
    else
        return fail(err,
                    "--max-tokens-field must be auto, max_tokens or max_completion_tokens, not "
                    "'%s'",
                    field);
    return true;
}

/* find_key reads the key, and decides whether it may go to 'host': a key
 * goes over plain http only to this machine, unless --allow-insecure-http;
 * a server without a key is sent none, and needs no https then, since
 * there is nothing to protect; but the providers' own APIs always want
 * one, so none for them is the user's mistake, said before anything is
 * sent. */
static bool
find_key(ev_call_config *c, const char *host, jv *err)
{
    bool anth = c->req.provider == EV_PROVIDER_ANTHROPIC;
    const char *source;
    if (!ev_secret_read(c->key_file, c->key_env, anth ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY",
                        &c->key, &source, err))
        return false;
    c->key_name = ev_alloc_strdup(source);
    bool own = strcmp(host, "api.openai.com") == 0 || strcmp(host, "api.anthropic.com") == 0;
    if (c->key == NULL && own && !c->dry_run)
        return fail(err, "no API key for '%s': set %s, or use --api-key-env or --api-key-file",
                    host, c->key_name);
    if (ev_secret_check(c->base, c->key, c->insecure_http, "--allow-insecure-http", err))
        return true;
    if (c->key_file == NULL && c->key_env == NULL) {
        jv m = jv_invalid_get_msg(*err);
        fail(err, "%s (or, for a server that needs no key, unset %s)", jv_string_value(m),
             c->key_name);
        jv_free(m);
    }
    return false;
}

/* setup_endpoint decides the URL, the key and the headers. */
static bool
setup_endpoint(ev_call_config *c, jv *err)
{
    bool anth = c->req.provider == EV_PROVIDER_ANTHROPIC;
    jv base = ev_secret_base(c->base_url, anth ? "ANTHROPIC_BASE_URL" : "OPENAI_BASE_URL",
                             anth ? "https://api.anthropic.com/v1" : "https://api.openai.com/v1");
    if (!jv_is_valid(base)) {
        *err = base;
        return false;
    }
    c->base = ev_alloc_strdup(jv_string_value(base));
    jv_free(base);
    c->url = ev_alloc_printf("%s%s", c->base, anth ? "/messages" : "/chat/completions");
    jv host = ev_url_host(c->base);
    bool ok =
        tokens_field(c, jv_string_value(host), err) && find_key(c, jv_string_value(host), err);
    jv_free(host);
    if (!ok)
        return false;
    int n = 0;
    c->headers[n++] = "Content-Type: application/json";
    c->headers[n++] = "Accept: application/json";
    c->headers[n++] = "Expect:";
    if (anth)
        c->headers[n++] = "anthropic-version: 2023-06-01";
    if (c->key != NULL) {
        c->auth_header =
            ev_alloc_printf(anth ? "x-api-key: %s" : "Authorization: Bearer %s", c->key);
        c->headers[n++] = c->auth_header;
    }
    c->headers[n] = NULL;
    return true;
}

bool
ev_call_setup(ev_call_config *c, jv *err)
{
    if (!check_options(c, err))
        return false;
    if (c->system_file != NULL) {
        if (!read_text("system prompt file", c->system_file, &c->system, err))
            return false;
    } else if (c->system_text != NULL) {
        c->system = ev_alloc_strdup(c->system_text);
    }
    c->req.system = c->system;
    if (c->template_path != NULL) {
        c->tpl = ev_template_load(c->template_path, err);
        if (c->tpl == NULL)
            return false;
    }
    if (c->req.provider == EV_PROVIDER_CMD)
        c->base = ev_alloc_strdup("");
    else if (!setup_endpoint(c, err))
        return false;
    if (c->req.provider == EV_PROVIDER_ANTHROPIC && c->req.max_tokens < 0)
        c->req.max_tokens = EV_CALL_ANTHROPIC_MAX_TOKENS;
    return true;
}

void
ev_call_free(ev_call_config *c)
{
    jv_free(c->req.params);
    c->req.params = jv_invalid();
    ev_secret_free(c->key);
    ev_secret_free(c->auth_header);
    free(c->pass_env);
    free(c->key_name);
    free(c->system);
    free(c->url);
    free(c->base);
    ev_template_free(c->tpl);
    c->key = c->auth_header = c->key_name = c->system = c->url = c->base = NULL;
    c->pass_env = NULL;
    c->tpl = NULL;
}

bool
ev_call_stopped(const ev_call_hooks *h)
{
    return h->stop != NULL && *h->stop != 0;
}

/* Requests. */

jv
ev_call_prompt(const ev_call_config *c, jv rec)
{
    jv prompt;
    if (c->tpl != NULL) {
        prompt = ev_template_render(c->tpl, rec);
    } else {
        prompt = ev_record_input(rec);
        if (!jv_is_valid(prompt) && !jv_invalid_has_msg(jv_copy(prompt))) {
            jv_free(prompt);
            return jv_invalid_with_msg(jv_string("record has no 'input' or 'messages'"));
        }
    }
    if (!jv_is_valid(prompt))
        return prompt;
    return ev_provider_messages(prompt);
}

bool
ev_call_request(const ev_call_config *c, jv messages, int sample, jv *body, jv *text,
                char key[EV_CACHE_KEY_LEN + 1])
{
    *body = jv_is_valid(messages) ? ev_provider_body(&c->req, jv_copy(messages), sample)
                                  : jv_copy(messages);
    if (!jv_is_valid(*body)) {
        if (!jv_invalid_has_msg(jv_copy(*body))) {
            jv_free(*body);
            *body = jv_invalid_with_msg(jv_string("cannot build a prompt"));
        }
        *text = jv_invalid();
        return false;
    }
    *text = jv_dump_string(jv_copy(*body), 0);
    const char *t = jv_string_value(*text);
    ev_cache_key(ev_provider_name(c->req.provider), c->base, sample, t, strlen(t), key);
    return true;
}

char *
ev_call_stdin(jv body, size_t *len)
{
    jv in = ev_json_field(body, "input");
    const char *s = jv_string_value(in);
    size_t n = strlen(s);
    char *p = ev_alloc(n + 2);
    memcpy(p, s, n);
    p[n] = '\n';
    p[n + 1] = '\0';
    *len = n + 1;
    jv_free(in);
    return p;
}

/* Records. */

jv
ev_call_object(const ev_call_config *c, jv latency, jv in, jv out, jv cached_tokens, jv finish,
               int attempts, bool cached, int sample)
{
    jv o = ev_json_set(jv_object(), "provider", jv_string(ev_provider_name(c->req.provider)));
    o = ev_json_set(o, "model", ev_json_string_or_null(c->req.model));
    o = ev_json_set(o, "latency_ms", latency);
    o = ev_json_set(o, "input_tokens", in);
    o = ev_json_set(o, "output_tokens", out);
    o = ev_json_set(o, "cached_tokens", cached_tokens);
    o = ev_json_set(o, "finish_reason", finish);
    o = ev_json_set(o, "attempts", jv_number(attempts));
    o = ev_json_set(o, "cached", jv_bool(cached));
    return ev_json_set(o, "sample", jv_number(sample));
}

jv
ev_call_from_cache(const ev_call_config *c, jv entry, int sample, bool cached)
{
    double att = ev_json_number(entry, "attempts");
    jv call = ev_call_object(c, ev_json_field_kind(entry, "latency_ms", JV_KIND_NUMBER),
                             ev_json_field_kind(entry, "input_tokens", JV_KIND_NUMBER),
                             ev_json_field_kind(entry, "output_tokens", JV_KIND_NUMBER),
                             ev_json_field_kind(entry, "cached_tokens", JV_KIND_NUMBER),
                             ev_json_field_kind(entry, "finish_reason", JV_KIND_STRING),
                             isnan(att) ? 1 : (int)att, cached, sample);
    jv batch = ev_json_field_kind(entry, "batch", JV_KIND_STRING);
    if (jv_get_kind(batch) == JV_KIND_STRING)
        call = ev_json_set(call, "batch", batch);
    else
        jv_free(batch);
    jv add = ev_json_set(jv_object(), "output", ev_json_field(entry, "output"));
    jv_free(entry);
    return ev_json_set(add, "call", call);
}

jv
ev_call_now(void)
{
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return jv_string(when);
}

jv
ev_call_cache_entry(jv call, jv output, int sample)
{
    static const char *const kept[] = {"finish_reason", "input_tokens", "output_tokens",
                                       "cached_tokens", "latency_ms",   "attempts"};
    jv e = ev_json_set(jv_object(), "version", jv_number(1));
    e = ev_json_set(e, "provider", ev_json_field(call, "provider"));
    e = ev_json_set(e, "model", ev_json_field(call, "model"));
    e = ev_json_set(e, "sample", jv_number(sample));
    e = ev_json_set(e, "output", output);
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
        e = ev_json_set(e, kept[i], ev_json_field(call, kept[i]));
    jv batch = ev_json_field(call, "batch");
    if (jv_get_kind(batch) == JV_KIND_STRING)
        e = ev_json_set(e, "batch", batch);
    else
        jv_free(batch);
    e = ev_json_set(e, "time", ev_call_now());
    jv_free(call);
    return e;
}

void
ev_call_tokens(jv call, double *in, double *out)
{
    double i = ev_json_number(call, "input_tokens"), o = ev_json_number(call, "output_tokens");
    if (!isnan(i))
        *in += i;
    if (!isnan(o))
        *out += o;
}

static const char *const old_fields[] = {"output", "call", "error"};

bool
ev_call_replaces(jv rec)
{
    for (size_t i = 0; i < sizeof(old_fields) / sizeof(old_fields[0]); i++)
        if (jv_object_has(jv_copy(rec), jv_string(old_fields[i])))
            return true;
    return false;
}

int
ev_call_write(FILE *out, const char *raw, size_t len, bool replace, jv add)
{
    if (!replace)
        return ev_jsonl_write_extended(out, raw, len, add);
    jv rec = jv_parse_sized(raw, (int)len);
    for (size_t i = 0; i < sizeof(old_fields) / sizeof(old_fields[0]); i++)
        rec = jv_object_delete(rec, jv_string(old_fields[i]));
    jv_object_foreach(add, key, val)
    {
        rec = jv_object_set(rec, key, val);
    }
    jv_free(add);
    return ev_jsonl_write(out, rec);
}

/* The dry run. */

/* shown_headers returns the request's headers as an object, the key's
 * redacted. */
static jv
shown_headers(const ev_call_config *c)
{
    jv h = jv_object();
    for (int i = 0; c->headers[i] != NULL; i++) {
        const char *line = c->headers[i];
        const char *colon = strchr(line, ':');
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        if (*v == '\0')
            continue; /* "Expect:" only removes a header */
        jv name = jv_string_sized(line, (int)(colon - line));
        bool secret = line == c->auth_header;
        h = jv_object_set(h, name, jv_string(secret ? "[redacted]" : v));
    }
    return h;
}

/* dry_sample returns what the dry run shows of sample 'k' of case 'rec',
 * whose request is 'body' (consumed). */
static jv
dry_sample(const ev_call_config *c, ev_cache *cache, jv rec, long k, jv body, jv headers,
           const char *key)
{
    jv id = ev_record_id(rec);
    jv o = ev_json_set(jv_object(), "id", jv_is_valid(id) ? id : (jv_free(id), jv_null()));
    o = ev_json_set(o, "sample", jv_number((double)k));
    if (c->req.provider == EV_PROVIDER_CMD) {
        size_t len;
        char *in = ev_call_stdin(body, &len);
        o = ev_json_set(o, "command", jv_string(c->req.command));
        o = ev_json_set(o, "stdin", jv_string_sized(in, (int)len));
        free(in);
        jv_free(body);
    } else {
        o = ev_json_set(o, "url", jv_string(c->url));
        o = ev_json_set(o, "headers", jv_copy(headers));
        o = ev_json_set(o, "body", body);
    }
    o = ev_json_set(o, "cache_key", jv_string(key));
    return ev_json_set(o, "cached",
                       jv_bool(cache != NULL && !c->refresh && ev_cache_has(cache, key)));
}

int
ev_call_dry_run(const ev_call_config *c, ev_cache *cache, char **paths, int n, FILE *out,
                const ev_call_hooks *h)
{
    ev_jsonl_reader rd;
    jv rec;
    int rc, status = EV_EXIT_OK;
    jv headers = c->req.provider == EV_PROVIDER_CMD ? jv_null() : shown_headers(c);
    ev_jsonl_init(&rd, paths, n, out);
    while ((rc = ev_jsonl_next(&rd, &rec)) != EV_JSONL_EOF) {
        if (rc == EV_JSONL_BAD) {
            ev_log_warn_jv(&h->log, rec);
            status = EV_EXIT_TROUBLE;
            continue;
        }
        jv msgs = ev_call_prompt(c, rec);
        for (long k = 0; k < c->repeat; k++) {
            jv body, text;
            char key[EV_CACHE_KEY_LEN + 1];
            if (!ev_call_request(c, msgs, (int)k, &body, &text, key)) {
                jv m = jv_invalid_get_msg(body), where = ev_jsonl_where(&rd);
                ev_log_warn(&h->log, "%s: %s", jv_string_value(where), jv_string_value(m));
                jv_free(where);
                jv_free(m);
                status = EV_EXIT_TROUBLE;
                break;
            }
            jv_free(text);
            if (ev_jsonl_write(out, dry_sample(c, cache, rec, k, body, headers, key)) != 0)
                break;
        }
        jv_free(msgs);
        jv_free(rec);
        if (ferror(out))
            break;
        if (ev_call_stopped(h)) {
            status = EV_EXIT_INTR;
            break;
        }
    }
    ev_jsonl_free(&rd);
    jv_free(headers);
    return status;
}
