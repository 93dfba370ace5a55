#include "batch.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "jsonl.h"
#include "record.h"

#define ID_MAX 64       /* the longest custom_id Anthropic takes */
#define MESSAGE_MAX 300 /* bytes of a provider's message kept */

ev_batch_limits
ev_batch_limits_of(ev_provider p)
{
    if (p == EV_PROVIDER_ANTHROPIC)
        return (ev_batch_limits){100000, 256UL * 1000 * 1000};
    return (ev_batch_limits){50000, 200UL * 1000 * 1000};
}

jv
ev_batch_custom_id(const char *tag, jv id, int sample, int dup)
{
    char buf[ID_MAX + 1], num[32], suffix[32];
    const char *s = "case";
    if (jv_get_kind(id) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(id)) > 0) {
        s = jv_string_value(id);
    } else if (jv_get_kind(id) == JV_KIND_NUMBER) {
        snprintf(num, sizeof(num), "%.17g", jv_number_value(id));
        s = num;
    }
    if (dup > 0)
        snprintf(suffix, sizeof(suffix), "_s%d_%d", sample, dup + 1);
    else
        snprintf(suffix, sizeof(suffix), "_s%d", sample);
    size_t n = (size_t)snprintf(buf, sizeof(buf), "%.8s_", tag);
    /* the id is cut to what the tag and the suffix leave of 64 bytes */
    size_t keep = ID_MAX - n - strlen(suffix);
    for (size_t i = 0; s[i] != '\0' && i < keep; i++, n++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
        buf[n] = ok ? ch : '_';
    }
    memcpy(buf + n, suffix, strlen(suffix) + 1);
    return jv_string(buf);
}

jv
ev_batch_line(ev_provider p, const char *custom_id, const char *body)
{
    jv b = jv_parse(body);
    jv o = jv_object_set(jv_object(), jv_string("custom_id"), jv_string(custom_id));
    if (p == EV_PROVIDER_ANTHROPIC) {
        o = jv_object_set(o, jv_string("params"), b);
    } else {
        o = jv_object_set(o, jv_string("method"), jv_string("POST"));
        o = jv_object_set(o, jv_string("url"), jv_string("/v1/chat/completions"));
        o = jv_object_set(o, jv_string("body"), b);
    }
    return jv_dump_string(o, 0);
}

/* number returns field 'key' of 'o' (borrowed) as a number, 0 when absent. */
static double
number(jv o, const char *key)
{
    double x = ev_json_number(o, key);
    return isfinite(x) && x > 0 ? x : 0;
}

/* openai_errors returns the message of a failed batch's 'errors' list. */
static jv
openai_errors(jv b)
{
    jv e = ev_json_field(b, "errors"), data = ev_json_field(e, "data");
    jv_free(e);
    jv out = jv_string("");
    int n = jv_get_kind(data) == JV_KIND_ARRAY ? jv_array_length(jv_copy(data)) : 0;
    for (int i = 0; i < n && i < 3; i++) {
        jv d = jv_array_get(jv_copy(data), i);
        jv m = ev_json_field_kind(d, "message", JV_KIND_STRING), line = ev_json_field(d, "line");
        if (i > 0)
            out = jv_string_append_str(out, "; ");
        if (jv_get_kind(line) == JV_KIND_NUMBER)
            out = jv_string_concat(out, jv_string_fmt("line %.0f: ", jv_number_value(line)));
        out = jv_string_append_str(out, jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m)
                                                                         : "(no message)");
        jv_free(m);
        jv_free(line);
        jv_free(d);
    }
    if (n > 3)
        out = jv_string_concat(out, jv_string_fmt("; and %d more", n - 3));
    jv_free(data);
    if (n == 0) {
        jv_free(out);
        return jv_string("the provider refused the batch and gave no reason");
    }
    return out;
}

bool
ev_batch_status_read(ev_provider p, jv b, ev_batch_status *s)
{
    s->id = ev_json_field_kind(b, "id", JV_KIND_STRING);
    s->state = ev_json_field_kind(b, p == EV_PROVIDER_ANTHROPIC ? "processing_status" : "status",
                                  JV_KIND_STRING);
    s->output = jv_null();
    s->errors = jv_null();
    s->message = jv_null();
    s->ended = s->failed = false;
    s->total = s->done = s->failed_n = 0;
    if (jv_get_kind(s->id) != JV_KIND_STRING || jv_get_kind(s->state) != JV_KIND_STRING) {
        ev_batch_status_free(s);
        return false;
    }
    const char *st = jv_string_value(s->state);
    jv rc = ev_json_field(b, "request_counts");
    if (p == EV_PROVIDER_ANTHROPIC) {
        double ok = number(rc, "succeeded"), bad = number(rc, "errored"),
               gone = number(rc, "canceled") + number(rc, "expired");
        s->total = number(rc, "processing") + ok + bad + gone;
        s->done = ok + bad + gone;
        s->failed_n = bad + gone;
        s->ended = strcmp(st, "ended") == 0;
    } else {
        s->total = number(rc, "total");
        s->failed_n = number(rc, "failed");
        s->done = number(rc, "completed") + s->failed_n;
        s->ended = strcmp(st, "completed") == 0 || strcmp(st, "failed") == 0 ||
                   strcmp(st, "expired") == 0 || strcmp(st, "cancelled") == 0;
        s->failed = strcmp(st, "failed") == 0;
        jv_free(s->output);
        jv_free(s->errors);
        s->output = ev_json_field_kind(b, "output_file_id", JV_KIND_STRING);
        s->errors = ev_json_field_kind(b, "error_file_id", JV_KIND_STRING);
        if (s->failed) {
            jv_free(s->message);
            s->message = openai_errors(b);
        }
    }
    jv_free(rc);
    return true;
}

void
ev_batch_status_free(ev_batch_status *s)
{
    jv_free(s->id);
    jv_free(s->state);
    jv_free(s->output);
    jv_free(s->errors);
    jv_free(s->message);
    s->id = s->state = s->output = s->errors = s->message = jv_null();
}

/* failed sets '*r' to a failure of 'kind' saying 'message' (consumed). */
static void
failed(ev_provider_reply *r, const char *kind, jv message)
{
    ev_provider_reply_free(r);
    r->outcome = EV_PROVIDER_FAILED;
    r->kind = kind;
    const char *m = jv_string_value(message);
    r->message = ev_jsonl_excerpt(m, strlen(m), MESSAGE_MAX);
    jv_free(message);
}

/* error_text returns "TYPE: MESSAGE" of an error object {type|code, message}. */
static jv
error_text(jv e, const char *fallback)
{
    jv t = ev_json_field_kind(e, "code", JV_KIND_STRING);
    if (jv_get_kind(t) != JV_KIND_STRING) {
        jv_free(t);
        t = ev_json_field_kind(e, "type", JV_KIND_STRING);
    }
    jv m = ev_json_field_kind(e, "message", JV_KIND_STRING);
    bool named = jv_get_kind(t) == JV_KIND_STRING;
    jv out = jv_string_fmt("%s%s%s", named ? jv_string_value(t) : "", named ? ": " : "",
                           jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : fallback);
    jv_free(t);
    jv_free(m);
    return out;
}

/* reply_of reads a response 'body' (consumed) with HTTP 'status'. */
static void
reply_of(ev_provider p, long status, jv body, ev_provider_reply *r)
{
    jv text = jv_dump_string(body, 0);
    const char *t = jv_string_value(text);
    ev_provider_reply_parse(p, status, t, strlen(t), r);
    jv_free(text);
    if (r->outcome == EV_PROVIDER_RETRYABLE || r->outcome > EV_PROVIDER_FAILED)
        r->outcome = EV_PROVIDER_FAILED; /* a batch answer is final */
}

static bool
openai_result(jv o, long *status, ev_provider_reply *r)
{
    jv resp = ev_json_field(o, "response"), err = ev_json_field(o, "error");
    bool ok = true;
    if (jv_get_kind(resp) == JV_KIND_OBJECT) {
        jv sc = ev_json_field(resp, "status_code");
        *status = jv_get_kind(sc) == JV_KIND_NUMBER ? (long)jv_number_value(sc) : 0;
        jv_free(sc);
        reply_of(EV_PROVIDER_OPENAI, *status, ev_json_field(resp, "body"), r);
    } else if (jv_get_kind(err) == JV_KIND_OBJECT) {
        jv code = ev_json_field_kind(err, "code", JV_KIND_STRING);
        bool expired = jv_get_kind(code) == JV_KIND_STRING &&
                       strcmp(jv_string_value(code), "batch_expired") == 0;
        jv_free(code);
        failed(r, expired ? "timeout" : "http", error_text(err, "the request failed"));
    } else {
        ok = false;
    }
    jv_free(resp);
    jv_free(err);
    return ok;
}

static bool
anthropic_result(jv o, long *status, ev_provider_reply *r)
{
    jv res = ev_json_field(o, "result");
    jv type = ev_json_field_kind(res, "type", JV_KIND_STRING);
    bool ok = jv_get_kind(type) == JV_KIND_STRING;
    const char *t = ok ? jv_string_value(type) : "";
    if (strcmp(t, "succeeded") == 0) {
        *status = 200;
        reply_of(EV_PROVIDER_ANTHROPIC, 200, ev_json_field(res, "message"), r);
    } else if (strcmp(t, "errored") == 0) {
        jv e = ev_json_field(res, "error"), inner = ev_json_field(e, "error");
        failed(r, "http",
               error_text(jv_get_kind(inner) == JV_KIND_OBJECT ? inner : e, "the request failed"));
        jv_free(inner);
        jv_free(e);
    } else if (strcmp(t, "canceled") == 0) {
        failed(r, "http", jv_string("the batch was cancelled before this request ran"));
    } else if (strcmp(t, "expired") == 0) {
        failed(r, "timeout", jv_string("the batch expired before this request ran"));
    } else {
        ok = false;
    }
    jv_free(type);
    jv_free(res);
    return ok;
}

bool
ev_batch_result_read(ev_provider p, const char *line, size_t len, jv *custom_id, long *status,
                     ev_provider_reply *r)
{
    *status = 0;
    *custom_id = jv_invalid();
    jv o = jv_parse_sized(line, (int)len);
    jv id = jv_get_kind(o) == JV_KIND_OBJECT ? ev_json_field_kind(o, "custom_id", JV_KIND_STRING)
                                             : jv_null();
    bool ok =
        jv_get_kind(id) == JV_KIND_STRING &&
        (p == EV_PROVIDER_ANTHROPIC ? anthropic_result(o, status, r) : openai_result(o, status, r));
    if (ok) {
        *custom_id = id;
    } else {
        jv_free(id);
        jv ex = ev_jsonl_excerpt(line, len, 120);
        failed(r, "parse", jv_string_fmt("not a batch result: '%s'", jv_string_value(ex)));
        jv_free(ex);
    }
    jv_free(o);
    return ok;
}
