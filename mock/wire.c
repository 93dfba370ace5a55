#include "wire.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "json.h"
#include "clock.h"
#include "hash.h"
#include "model.h"
#include "record.h"
#include "text.h"

typedef struct wire_error {
    unsigned status;
    const char *type;
    const char *code; /* OpenAI's 'code': NULL is null */
    const char *message;
} wire_error;

/* The statuses, types, codes and stock words each provider sends (APIS.md
 * §1, §2). */
static const wire_error openai_errors[EVM_WIRE_NERRORS] = {
    [EVM_WIRE_BAD_REQUEST] = {400, "invalid_request_error", NULL, "bad request"},
    [EVM_WIRE_NO_KEY] = {401, "invalid_request_error", NULL,
                         "You didn't provide an API key. You need to provide your API key in an "
                         "Authorization header using Bearer auth (i.e. Authorization: Bearer "
                         "YOUR_KEY)."},
    [EVM_WIRE_BAD_KEY] = {401, "invalid_request_error", "invalid_api_key",
                          "Incorrect API key provided"},
    [EVM_WIRE_NOT_FOUND] = {404, "invalid_request_error", "unknown_url", "Unknown request URL"},
    [EVM_WIRE_TOO_LARGE] = {413, "invalid_request_error", NULL,
                            "The request body is larger than 32 MB."},
    [EVM_WIRE_RATE_LIMIT] = {429, "requests", "rate_limit_exceeded",
                             "Rate limit reached for requests"},
    [EVM_WIRE_QUOTA] = {429, "insufficient_quota", "insufficient_quota",
                        "You exceeded your current quota, please check your plan and billing "
                        "details."},
    [EVM_WIRE_500] = {500, "server_error", NULL,
                      "The server had an error while processing your request. Sorry about that!"},
    [EVM_WIRE_502] = {502, "cf_bad_gateway", NULL, "Bad gateway."},
    [EVM_WIRE_503] = {503, "server_error", NULL,
                      "The engine is currently overloaded, please try again later."},
    [EVM_WIRE_529] = {529, "server_error", NULL, "The server is overloaded."},
};

static const wire_error anthropic_errors[EVM_WIRE_NERRORS] = {
    [EVM_WIRE_BAD_REQUEST] = {400, "invalid_request_error", NULL, "bad request"},
    [EVM_WIRE_NO_KEY] = {401, "authentication_error", NULL, "x-api-key header is required"},
    [EVM_WIRE_BAD_KEY] = {401, "authentication_error", NULL, "invalid x-api-key"},
    [EVM_WIRE_NOT_FOUND] = {404, "not_found_error", NULL, "Not found"},
    [EVM_WIRE_TOO_LARGE] = {413, "request_too_large", NULL,
                            "Request exceeds the maximum allowed number of bytes."},
    [EVM_WIRE_RATE_LIMIT] = {429, "rate_limit_error", NULL,
                             "Number of requests has exceeded your rate limit. Please try again "
                             "later."},
    [EVM_WIRE_QUOTA] = {400, "invalid_request_error", NULL,
                        "Your credit balance is too low to access the Anthropic API. Please go to "
                        "Plans & Billing to upgrade or purchase credits."},
    [EVM_WIRE_500] = {500, "api_error", NULL, "Internal server error"},
    [EVM_WIRE_502] = {502, "api_error", NULL, "Bad gateway"},
    [EVM_WIRE_503] = {503, "api_error", NULL, "Service unavailable"},
    [EVM_WIRE_529] = {529, "overloaded_error", NULL, "Overloaded"},
};

/* token_limit reads the optional limit 'v' (consumed) into '*out'. */
static bool
token_limit(jv v, long *out)
{
    bool ok = true;
    *out = -1;
    if (jv_get_kind(v) == JV_KIND_NUMBER) {
        double d = jv_number_value(v);
        ok = d >= 0 && d <= INT_MAX && d == floor(d);
        *out = ok ? (long)d : -1;
    } else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL) {
        ok = false;
    }
    jv_free(v);
    return ok;
}

/* check returns the first thing wrong with the request 'req' (borrowed),
 * or NULL, and sets '*limit'. */
static const char *
check(enum evm_wire w, jv req, long *limit)
{
    bool anth = w == EVM_WIRE_ANTHROPIC;
    const char *bad = NULL;
    jv model = ev_json_field(req, "model");
    jv msgs = ev_json_field(req, "messages");
    jv stream = ev_json_field(req, "stream");
    jv max = ev_json_field(req, anth ? "max_tokens" : "max_completion_tokens");
    if (!anth && !jv_is_valid(max)) {
        jv_free(max);
        max = ev_json_field(req, "max_tokens");
    }
    if (jv_get_kind(model) != JV_KIND_STRING || jv_string_length_bytes(jv_copy(model)) == 0)
        bad = anth ? "model: Field required" : "you must provide a model parameter";
    else if (jv_get_kind(msgs) != JV_KIND_ARRAY || jv_array_length(jv_copy(msgs)) == 0)
        bad = anth ? "messages: at least one message is required"
                   : "'messages' must be a non-empty array of messages";
    else if (anth && (!jv_is_valid(max) || jv_get_kind(max) == JV_KIND_NULL))
        bad = "max_tokens: Field required";
    else if (!token_limit(jv_copy(max), limit))
        bad = "the token limit must be a non-negative integer";
    else if (jv_get_kind(stream) == JV_KIND_TRUE)
        bad = "ev-mock does not stream: 'stream' must be false";
    for (int i = 0, n = bad ? 0 : jv_array_length(jv_copy(msgs)); i < n && !bad; i++) {
        jv m = jv_array_get(jv_copy(msgs), i);
        if (jv_get_kind(m) != JV_KIND_OBJECT)
            bad = "each of 'messages' must be an object";
        jv_free(m);
    }
    jv_free(model);
    jv_free(msgs);
    jv_free(stream);
    jv_free(max);
    return bad;
}

const char *
evm_wire_parse(enum evm_wire w, const char *body, size_t len, evm_wire_request *out)
{
    if (len > INT_MAX)
        return "The request body is too large.";
    jv req = len > 0 ? jv_parse_sized(body, (int)len) : jv_invalid();
    if (jv_get_kind(req) != JV_KIND_OBJECT) {
        bool parsed = jv_is_valid(req);
        jv_free(req);
        return parsed ? "The request body must be a JSON object."
                      : "We could not parse the JSON body of your request.";
    }
    long limit;
    const char *bad = check(w, req, &limit);
    if (bad != NULL) {
        jv_free(req);
        return bad;
    }
    jv msgs = ev_json_field(req, "messages");
    jv system = w == EVM_WIRE_ANTHROPIC ? ev_json_field(req, "system") : jv_invalid();
    if (jv_is_valid(system) && jv_get_kind(system) != JV_KIND_NULL) {
        jv first = jv_object_set(jv_object(), jv_string("role"), jv_string("system"));
        first = jv_object_set(first, jv_string("content"), system);
        msgs = jv_array_concat(jv_array_append(jv_array(), first), msgs);
    } else {
        jv_free(system);
    }
    evm_model_prompt(msgs, &out->full, &out->last);
    out->model = ev_json_field(req, "model");
    out->max_tokens = limit;
    jv_free(req);
    return NULL;
}

void
evm_wire_request_free(evm_wire_request *req)
{
    jv_free(req->model);
    jv_free(req->full);
    jv_free(req->last);
    req->model = req->full = req->last = jv_invalid();
}

long
evm_wire_tokens(size_t bytes)
{
    return (long)((bytes + 3) / 4);
}

static jv
openai_answer(const evm_wire_request *req, const char *id, jv text, bool cut, jv usage)
{
    jv msg = jv_object_set(jv_object(), jv_string("role"), jv_string("assistant"));
    msg = jv_object_set(msg, jv_string("content"), text);
    msg = jv_object_set(msg, jv_string("refusal"), jv_null());
    jv choice = jv_object_set(jv_object(), jv_string("index"), jv_number(0));
    choice = jv_object_set(choice, jv_string("message"), msg);
    choice = jv_object_set(choice, jv_string("logprobs"), jv_null());
    choice = jv_object_set(choice, jv_string("finish_reason"), jv_string(cut ? "length" : "stop"));
    jv o = jv_object_set(jv_object(), jv_string("id"), jv_string(id));
    o = jv_object_set(o, jv_string("object"), jv_string("chat.completion"));
    o = jv_object_set(o, jv_string("created"), jv_number((double)(ev_clock_wall_ms() / 1000)));
    o = jv_object_set(o, jv_string("model"), jv_copy(req->model));
    o = jv_object_set(o, jv_string("choices"), jv_array_append(jv_array(), choice));
    if (jv_is_valid(usage))
        o = jv_object_set(o, jv_string("usage"), usage);
    else
        jv_free(usage);
    return jv_object_set(o, jv_string("system_fingerprint"), jv_string("fp_ev_mock"));
}

static jv
anthropic_answer(const evm_wire_request *req, const char *id, jv text, bool cut, jv usage)
{
    jv block = jv_object_set(jv_object(), jv_string("type"), jv_string("text"));
    block = jv_object_set(block, jv_string("text"), text);
    jv o = jv_object_set(jv_object(), jv_string("id"), jv_string(id));
    o = jv_object_set(o, jv_string("type"), jv_string("message"));
    o = jv_object_set(o, jv_string("role"), jv_string("assistant"));
    o = jv_object_set(o, jv_string("model"), jv_copy(req->model));
    o = jv_object_set(o, jv_string("content"), jv_array_append(jv_array(), block));
    o = jv_object_set(o, jv_string("stop_reason"), jv_string(cut ? "max_tokens" : "end_turn"));
    o = jv_object_set(o, jv_string("stop_sequence"), jv_null());
    if (jv_is_valid(usage))
        o = jv_object_set(o, jv_string("usage"), usage);
    else
        jv_free(usage);
    return o;
}

jv
evm_wire_answer(enum evm_wire w, const evm_wire_request *req, const char *id, const char *text,
                bool usage)
{
    size_t len = strlen(text);
    bool cut = req->max_tokens >= 0 && evm_wire_tokens(len) > req->max_tokens;
    /* the text is UTF-8 (a jv string's), so its longest valid prefix ends
     * on a character boundary */
    if (cut)
        len = ev_text_utf8_valid_len(text, (size_t)req->max_tokens * 4);
    long in = evm_wire_tokens(jv_string_length_bytes(jv_copy(req->full)));
    long out = evm_wire_tokens(len);
    jv u = jv_invalid();
    if (usage && w == EVM_WIRE_OPENAI) {
        u = jv_object_set(jv_object(), jv_string("prompt_tokens"), jv_number(in));
        u = jv_object_set(u, jv_string("completion_tokens"), jv_number(out));
        u = jv_object_set(u, jv_string("total_tokens"), jv_number(in + out));
        u = jv_object_set(u, jv_string("prompt_tokens_details"),
                          jv_object_set(jv_object(), jv_string("cached_tokens"), jv_number(0)));
    } else if (usage) {
        u = jv_object_set(jv_object(), jv_string("input_tokens"), jv_number(in));
        u = jv_object_set(u, jv_string("output_tokens"), jv_number(out));
        u = jv_object_set(u, jv_string("cache_creation_input_tokens"), jv_number(0));
        u = jv_object_set(u, jv_string("cache_read_input_tokens"), jv_number(0));
    }
    jv t = jv_string_sized(text, (int)len);
    return w == EVM_WIRE_OPENAI ? openai_answer(req, id, t, cut, u)
                                : anthropic_answer(req, id, t, cut, u);
}

unsigned
evm_wire_status(enum evm_wire w, enum evm_wire_error e)
{
    return (w == EVM_WIRE_OPENAI ? openai_errors : anthropic_errors)[e].status;
}

jv
evm_wire_error(enum evm_wire w, enum evm_wire_error e, const char *message, const char *request_id)
{
    const wire_error *we = &(w == EVM_WIRE_OPENAI ? openai_errors : anthropic_errors)[e];
    const char *msg = message ? message : we->message;
    if (w == EVM_WIRE_OPENAI) {
        jv code = e == EVM_WIRE_502 ? jv_number(502) : we->code ? jv_string(we->code) : jv_null();
        jv err = jv_object_set(jv_object(), jv_string("message"), jv_string(msg));
        err = jv_object_set(err, jv_string("type"), jv_string(we->type));
        err = jv_object_set(err, jv_string("param"), jv_null());
        err = jv_object_set(err, jv_string("code"), code);
        return jv_object_set(jv_object(), jv_string("error"), err);
    }
    jv err = jv_object_set(jv_object(), jv_string("type"), jv_string(we->type));
    err = jv_object_set(err, jv_string("message"), jv_string(msg));
    jv body = jv_object_set(jv_object(), jv_string("type"), jv_string("error"));
    body = jv_object_set(body, jv_string("error"), err);
    return jv_object_set(body, jv_string("request_id"), jv_string(request_id));
}

bool
evm_wire_good_id(const char *id)
{
    size_t n = strlen(id);
    return n > 0 && n <= 63 && id[0] >= 'a' && id[0] <= 'z' &&
           strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

jv
evm_wire_time(int64_t ms)
{
    char buf[32];
    evm_wire_rfc3339(buf, sizeof(buf), ms);
    return jv_string(buf);
}

jv
evm_wire_nullable(const char *s)
{
    return s != NULL ? jv_string(s) : jv_null();
}

jv
evm_wire_openai_error(const char *message, const char *param, const char *code)
{
    jv e = jv_object_set(jv_object(), jv_string("message"), jv_string(message));
    e = jv_object_set(e, jv_string("type"), jv_string("invalid_request_error"));
    e = jv_object_set(e, jv_string("param"), evm_wire_nullable(param));
    e = jv_object_set(e, jv_string("code"), evm_wire_nullable(code));
    return jv_object_set(jv_object(), jv_string("error"), e);
}

evm_wire_reply
evm_wire_ok(jv body)
{
    return (evm_wire_reply){200, body, false};
}

evm_wire_reply
evm_wire_openai_reply(unsigned status, jv message, const char *param, const char *code)
{
    evm_wire_reply r = {status, evm_wire_openai_error(jv_string_value(message), param, code),
                        false};
    jv_free(message);
    return r;
}

evm_wire_reply
evm_wire_error_reply(enum evm_wire w, enum evm_wire_error e, jv message, const char *request_id)
{
    evm_wire_reply r = {evm_wire_status(w, e),
                        evm_wire_error(w, e, jv_string_value(message), request_id), false};
    jv_free(message);
    return r;
}

char *
evm_wire_id(const char *prefix, uint64_t key, size_t dup)
{
    return ev_alloc_printf("%s%016" PRIx64, prefix,
                           ev_hash_mix64(key ^ ev_hash_mix64((uint64_t)dup + 1)));
}

char *
evm_wire_uuid(const char *prefix, uint64_t key, size_t dup)
{
    uint64_t a = ev_hash_mix64(key ^ ev_hash_mix64((uint64_t)dup + 1)), b = ev_hash_mix64(a ^ key);
    return ev_alloc_printf("%s%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
                           prefix, a >> 32, (a >> 16) & 0xffff, a & 0xffff, b >> 48,
                           b & (uint64_t)0xffffffffffff);
}

evm_wire_reply
evm_wire_grpc_reply(enum evm_wire_grpc code, jv message)
{
    unsigned status = code == EVM_WIRE_GRPC_NOT_FOUND           ? 404
                      : code == EVM_WIRE_GRPC_ALREADY_EXISTS    ? 409
                      : code == EVM_WIRE_GRPC_PERMISSION_DENIED ? 403
                      : code == EVM_WIRE_GRPC_UNAUTHENTICATED   ? 401
                                                                : 400;
    jv o = jv_object_set(jv_object(), jv_string("code"), jv_number(code));
    o = jv_object_set(o, jv_string("message"), message);
    return (evm_wire_reply){status, jv_object_set(o, jv_string("details"), jv_array()), false};
}

void
evm_wire_form_append(evm_wire_form *f, const char *name, const char *filename, const char *data,
                     size_t n)
{
    evm_wire_field *x = (evm_wire_field *)evm_wire_form_get(f, name);
    if (x == NULL) {
        f->fields = ev_alloc_array(f->fields, f->n + 1, sizeof(*f->fields));
        x = &f->fields[f->n++];
        *x = (evm_wire_field){ev_alloc_strdup(name),
                              filename != NULL ? ev_alloc_strdup(filename) : NULL,
                              ev_alloc_zero(1, 1), 0};
    }
    x->data = ev_alloc_resize(x->data, x->len + n + 1);
    memcpy(x->data + x->len, data, n);
    x->len += n;
    x->data[x->len] = '\0';
}

const evm_wire_field *
evm_wire_form_get(const evm_wire_form *f, const char *name)
{
    for (size_t i = 0; f != NULL && i < f->n; i++)
        if (strcmp(f->fields[i].name, name) == 0)
            return &f->fields[i];
    return NULL;
}

void
evm_wire_form_free(evm_wire_form *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->fields[i].name);
        free(f->fields[i].filename);
        free(f->fields[i].data);
    }
    free(f->fields);
    *f = (evm_wire_form){NULL, 0};
}

const char *
evm_wire_query(const evm_wire_http *h, const char *name)
{
    return h->query != NULL ? h->query(h->ctx, name) : NULL;
}

bool
evm_wire_number(jv obj, const char *key, double lo, double hi, bool whole, double *out)
{
    jv v = jv_get_kind(obj) == JV_KIND_OBJECT ? jv_object_get(jv_copy(obj), jv_string(key))
                                              : jv_invalid();
    bool ok = !jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL;
    if (jv_get_kind(v) == JV_KIND_NUMBER) {
        double x = jv_number_value(v);
        ok = x >= lo && x <= hi && (!whole || x == floor(x));
        *out = ok ? x : *out;
    }
    jv_free(v);
    return ok;
}

bool
evm_wire_match(const char *path, const char *pattern, char **caps)
{
    const char *p = path, *q = pattern;
    const char *span[8];
    size_t len[8], n = 0;
    while (*q != '\0') {
        if (*q == '*') {
            size_t k = strcspn(p, "/:");
            if (k == 0 || n == 8)
                return false;
            span[n] = p;
            len[n++] = k;
            p += k;
            q++;
        } else if (*p++ != *q++) {
            return false;
        }
    }
    if (*p != '\0')
        return false;
    for (size_t i = 0; i < n; i++)
        caps[i] = ev_alloc_strndup(span[i], len[i]);
    return true;
}

jv
evm_wire_json_body(const evm_wire_http *h)
{
    jv v = h->len > 0 && h->len < INT_MAX ? jv_parse_sized(h->body, (int)h->len) : jv_invalid();
    if (jv_get_kind(v) == JV_KIND_OBJECT)
        return v;
    jv_free(v);
    return jv_invalid();
}

jv
evm_wire_flat_error(int code, const char *message)
{
    jv o = jv_object_set(jv_object(), jv_string("object"), jv_string("error"));
    o = jv_object_set(o, jv_string("message"), jv_string(message));
    o = jv_object_set(o, jv_string("type"), jv_string("BadRequestError"));
    o = jv_object_set(o, jv_string("param"), jv_null());
    return jv_object_set(o, jv_string("code"), jv_number(code));
}

void
evm_wire_duration(char *buf, size_t n, long ms)
{
    if (ms < 1000) {
        snprintf(buf, n, "%ldms", ms);
        return;
    }
    long h = ms / 3600000, m = ms / 60000 % 60, sec = ms / 1000 % 60, frac = ms % 1000;
    char s[32];
    if (frac == 0) {
        snprintf(s, sizeof(s), "%lds", sec);
    } else {
        /* Go drops the trailing zeros of the fraction: 1.5s, not 1.500s. */
        int k = snprintf(s, sizeof(s), "%ld.%03ld", sec, frac);
        while (s[k - 1] == '0')
            k--;
        snprintf(s + k, sizeof(s) - (size_t)k, "s");
    }
    if (h > 0)
        snprintf(buf, n, "%ldh%ldm%s", h, m, s);
    else if (m > 0)
        snprintf(buf, n, "%ldm%s", m, s);
    else
        snprintf(buf, n, "%s", s);
}

void
evm_wire_rfc3339(char *buf, size_t n, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
evm_wire_time_in(char *buf, size_t n, long ms)
{
    evm_wire_rfc3339(buf, n, (ev_clock_wall_ms() / 1000 + (ms + 999) / 1000) * 1000);
}
