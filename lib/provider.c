#include "provider.h"

#include <string.h>
#include <strings.h>

#include "json.h"
#include "jsonl.h"
#include "record.h"

#define MESSAGE_MAX 300

const char *
ev_provider_name(ev_provider p)
{
    switch (p) {
    case EV_PROVIDER_OPENAI:
        return "openai";
    case EV_PROVIDER_ANTHROPIC:
        return "anthropic";
    case EV_PROVIDER_CMD:
        return "cmd";
    }
    return "?";
}

bool
ev_provider_from_name(const char *name, ev_provider *p)
{
    static const ev_provider all[] = {EV_PROVIDER_OPENAI, EV_PROVIDER_ANTHROPIC, EV_PROVIDER_CMD};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (strcmp(name, ev_provider_name(all[i])) == 0) {
            *p = all[i];
            return true;
        }
    }
    return false;
}

/* Building requests. */

jv
ev_provider_messages(jv prompt)
{
    switch (jv_get_kind(prompt)) {
    case JV_KIND_STRING:
        return jv_array_append(jv_array(), ev_record_message("user", prompt));
    case JV_KIND_ARRAY:
        break;
    default:
        jv_free(prompt);
        return jv_invalid_with_msg(jv_string("the prompt is neither a string nor messages"));
    }
    if (jv_array_length(jv_copy(prompt)) == 0) {
        jv_free(prompt);
        return jv_invalid_with_msg(jv_string("the prompt has no messages"));
    }
    jv_array_foreach(prompt, i, m)
    {
        jv role = jv_get_kind(m) == JV_KIND_OBJECT ? ev_json_field(m, "role") : jv_invalid();
        bool ok = jv_get_kind(role) == JV_KIND_STRING;
        jv_free(role);
        jv_free(m);
        if (!ok) {
            jv_free(prompt);
            return jv_invalid_with_msg(
                jv_string_fmt("message %d of the prompt is not an object with a 'role'", i + 1));
        }
    }
    return prompt;
}

/* field_is says whether field 'key' of 'o' (borrowed) is the string 'want'. */
static bool
field_is(jv o, const char *key, const char *want)
{
    if (jv_get_kind(o) != JV_KIND_OBJECT)
        return false;
    jv v = ev_json_field(o, key);
    bool yes = jv_get_kind(v) == JV_KIND_STRING && strcmp(jv_string_value(v), want) == 0;
    jv_free(v);
    return yes;
}

/* join appends 'text' (consumed) to 'acc' with a separator when both are
 * non-empty. 'acc' may be invalid: nothing yet. */
static jv
join(jv acc, jv text, const char *sep)
{
    if (!jv_is_valid(acc)) {
        jv_free(acc);
        return text;
    }
    if (jv_string_length_bytes(jv_copy(text)) == 0) {
        jv_free(text);
        return acc;
    }
    return jv_string_concat(jv_string_append_str(acc, sep), text);
}

static jv
openai_body(const ev_provider_opts *o, jv messages, int sample)
{
    if (o->system != NULL)
        messages = jv_array_concat(
            jv_array_append(jv_array(), ev_record_message("system", jv_string(o->system))),
            messages);
    jv b = jv_object_set(jv_object(), jv_string("model"), jv_string(o->model));
    b = jv_object_set(b, jv_string("messages"), messages);
    b = jv_object_set(b, jv_string("temperature"), jv_number(o->temperature));
    if (o->max_tokens >= 0)
        b = jv_object_set(b, jv_string(o->max_tokens_field ? o->max_tokens_field : "max_tokens"),
                          jv_number((double)o->max_tokens));
    if (o->has_seed)
        b = jv_object_set(b, jv_string("seed"), jv_number((double)o->seed + sample));
    return b;
}

static jv
anthropic_body(const ev_provider_opts *o, jv messages)
{
    jv system = o->system != NULL ? jv_string(o->system) : jv_invalid();
    jv rest = jv_array();
    jv_array_foreach(messages, i, m)
    {
        if (field_is(m, "role", "system"))
            system = join(system, ev_record_content_text(ev_json_field(m, "content")), "\n\n");
        else
            rest = jv_array_append(rest, jv_copy(m));
        jv_free(m);
        (void)i;
    }
    jv_free(messages);
    if (jv_array_length(jv_copy(rest)) == 0) {
        jv_free(rest);
        jv_free(system);
        return jv_invalid_with_msg(jv_string("the prompt has only system messages"));
    }
    jv b = jv_object_set(jv_object(), jv_string("model"), jv_string(o->model));
    b = jv_object_set(b, jv_string("max_tokens"),
                      jv_number((double)(o->max_tokens >= 0 ? o->max_tokens : 1024)));
    if (jv_is_valid(system))
        b = jv_object_set(b, jv_string("system"), system);
    else
        jv_free(system);
    b = jv_object_set(b, jv_string("messages"), rest);
    return jv_object_set(b, jv_string("temperature"), jv_number(o->temperature));
}

static jv
cmd_body(const ev_provider_opts *o, jv messages)
{
    jv text = jv_invalid();
    jv_array_foreach(messages, i, m)
    {
        text = join(text, ev_record_content_text(ev_json_field(m, "content")), "\n");
        jv_free(m);
        (void)i;
    }
    jv_free(messages);
    if (!jv_is_valid(text)) {
        jv_free(text);
        text = jv_string("");
    }
    jv b = jv_object_set(jv_object(), jv_string("command"), jv_string(o->command));
    b = jv_object_set(b, jv_string("model"), o->model ? jv_string(o->model) : jv_null());
    b = jv_object_set(b, jv_string("system"), o->system ? jv_string(o->system) : jv_null());
    return jv_object_set(b, jv_string("input"), text);
}

jv
ev_provider_body(const ev_provider_opts *o, jv messages, int sample)
{
    jv b;
    switch (o->provider) {
    case EV_PROVIDER_OPENAI:
        b = openai_body(o, messages, sample);
        break;
    case EV_PROVIDER_ANTHROPIC:
        b = anthropic_body(o, messages);
        break;
    default:
        return cmd_body(o, messages);
    }
    if (!jv_is_valid(b) || jv_get_kind(o->params) != JV_KIND_OBJECT)
        return b;
    jv params = o->params; /* the macro evaluates it repeatedly, borrowing */
    jv_object_foreach(params, key, val)
    {
        if (jv_get_kind(val) == JV_KIND_NULL) {
            b = jv_object_delete(b, key);
            jv_free(val);
        } else {
            b = jv_object_set(b, key, val);
        }
    }
    return b;
}

/* Reading replies. */

void
ev_provider_reply_init(ev_provider_reply *r)
{
    r->outcome = EV_PROVIDER_FAILED;
    r->output = jv_invalid();
    r->finish_reason = jv_null();
    r->input_tokens = jv_null();
    r->output_tokens = jv_null();
    r->cached_tokens = jv_null();
    r->kind = "http";
    r->message = jv_invalid();
}

void
ev_provider_reply_free(ev_provider_reply *r)
{
    jv_free(r->output);
    jv_free(r->finish_reason);
    jv_free(r->input_tokens);
    jv_free(r->output_tokens);
    jv_free(r->cached_tokens);
    jv_free(r->message);
    ev_provider_reply_init(r);
}

/* count returns the token count at 'p' of 'v' (borrowed), or null. */
static jv
count(jv v, const char *p)
{
    jv n = ev_json_path(v, p);
    if (jv_get_kind(n) == JV_KIND_NUMBER && jv_number_value(n) >= 0)
        return n;
    jv_free(n);
    return jv_null();
}

static jv
string_or_null(jv v)
{
    if (jv_get_kind(v) == JV_KIND_STRING)
        return v;
    jv_free(v);
    return jv_null();
}

static void
fail(ev_provider_reply *r, enum ev_provider_outcome outcome, const char *kind, jv message)
{
    r->outcome = outcome;
    r->kind = kind;
    jv_free(r->message);
    const char *s = jv_string_value(message);
    r->message = ev_jsonl_excerpt(s, strlen(s), MESSAGE_MAX);
    jv_free(message);
}

/* excerpt quotes the start of a body that is not what was expected. */
static jv
excerpt(const char *body, size_t len)
{
    while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
        len--;
    return ev_jsonl_excerpt(body, len, 60);
}

/* tool_json returns the compact JSON of the elements of 'items' (borrowed)
 * whose 'type' is 'type' (or all when NULL), or invalid when there is none. */
static jv
tool_json(jv items, const char *type)
{
    jv out = jv_array();
    if (jv_get_kind(items) == JV_KIND_ARRAY) {
        jv_array_foreach(items, i, it)
        {
            if (type == NULL || field_is(it, "type", type))
                out = jv_array_append(out, it);
            else
                jv_free(it);
            (void)i;
        }
    }
    if (jv_array_length(jv_copy(out)) == 0) {
        jv_free(out);
        return jv_invalid();
    }
    return jv_dump_string(out, 0);
}

static void
openai_answer(jv body, ev_provider_reply *r)
{
    jv choice = ev_json_field(body, "choices");
    if (jv_get_kind(choice) != JV_KIND_ARRAY || jv_array_length(jv_copy(choice)) == 0) {
        jv_free(choice);
        fail(r, EV_PROVIDER_RETRYABLE, "parse", jv_string("the response has no 'choices'"));
        return;
    }
    choice = jv_array_get(choice, 0);
    jv msg = ev_json_field(choice, "message");
    if (jv_get_kind(msg) != JV_KIND_OBJECT) {
        jv_free(msg);
        jv_free(choice);
        fail(r, EV_PROVIDER_RETRYABLE, "parse",
             jv_string("the response's choice has no 'message'"));
        return;
    }
    jv content = ev_json_field(msg, "content");
    jv out;
    if (jv_get_kind(content) == JV_KIND_STRING || jv_get_kind(content) == JV_KIND_ARRAY) {
        out = ev_record_content_text(content);
    } else {
        jv_free(content);
        jv refusal = ev_json_field(msg, "refusal");
        jv calls = ev_json_field(msg, "tool_calls");
        if (jv_get_kind(refusal) == JV_KIND_STRING) {
            out = refusal;
        } else {
            jv_free(refusal);
            out = tool_json(calls, NULL);
            if (!jv_is_valid(out)) {
                jv_free(out);
                out = jv_string("");
            }
        }
        jv_free(calls);
    }
    r->output = out;
    jv_free(r->finish_reason);
    r->finish_reason = string_or_null(ev_json_field(choice, "finish_reason"));
    jv_free(r->input_tokens);
    jv_free(r->output_tokens);
    jv_free(r->cached_tokens);
    r->input_tokens = count(body, "usage.prompt_tokens");
    r->output_tokens = count(body, "usage.completion_tokens");
    r->cached_tokens = count(body, "usage.prompt_tokens_details.cached_tokens");
    r->outcome = EV_PROVIDER_ANSWERED;
    jv_free(msg);
    jv_free(choice);
}

static void
anthropic_answer(jv body, ev_provider_reply *r)
{
    jv content = ev_json_field(body, "content");
    if (jv_get_kind(content) != JV_KIND_ARRAY) {
        jv_free(content);
        fail(r, EV_PROVIDER_RETRYABLE, "parse", jv_string("the response has no 'content'"));
        return;
    }
    jv text = jv_invalid();
    jv_array_foreach(content, i, block)
    {
        if (field_is(block, "type", "text")) {
            jv t = ev_json_field(block, "text");
            text = join(text, ev_record_text_of(t), "");
        }
        jv_free(block);
        (void)i;
    }
    if (!jv_is_valid(text)) {
        jv_free(text);
        text = tool_json(content, "tool_use");
        if (!jv_is_valid(text)) {
            jv_free(text);
            text = jv_string("");
        }
    }
    jv_free(content);
    r->output = text;
    jv_free(r->finish_reason);
    r->finish_reason = string_or_null(ev_json_field(body, "stop_reason"));
    jv in = count(body, "usage.input_tokens");
    jv read = count(body, "usage.cache_read_input_tokens");
    jv made = count(body, "usage.cache_creation_input_tokens");
    /* input_tokens counts every prompt token, cached or not, as OpenAI's
     * prompt_tokens does, so the two providers read alike. */
    if (jv_get_kind(in) == JV_KIND_NUMBER) {
        double n = jv_number_value(in);
        if (jv_get_kind(read) == JV_KIND_NUMBER)
            n += jv_number_value(read);
        if (jv_get_kind(made) == JV_KIND_NUMBER)
            n += jv_number_value(made);
        jv_free(in);
        in = jv_number(n);
    }
    jv_free(made);
    jv_free(r->input_tokens);
    jv_free(r->output_tokens);
    jv_free(r->cached_tokens);
    r->input_tokens = in;
    r->output_tokens = count(body, "usage.output_tokens");
    r->cached_tokens = read;
    r->outcome = EV_PROVIDER_ANSWERED;
}

static bool
is_string(jv v, const char *s)
{
    return jv_get_kind(v) == JV_KIND_STRING && strcmp(jv_string_value(v), s) == 0;
}

/* error_outcome decides what an error answer means for the run. */
static enum ev_provider_outcome
error_outcome(long status, jv err, jv msg)
{
    jv code = ev_json_field(err, "code"), type = ev_json_field(err, "type");
    jv detail = ev_json_path(err, "details.error_code");
    bool quota = is_string(code, "insufficient_quota") || is_string(type, "insufficient_quota") ||
                 is_string(code, "enforced_spend_limit_reached") ||
                 is_string(detail, "enforced_spend_limit_reached") ||
                 is_string(type, "billing_error");
    jv_free(code);
    jv_free(type);
    jv_free(detail);
    if (!quota && status == 400 && jv_get_kind(msg) == JV_KIND_STRING &&
        strcasestr(jv_string_value(msg), "credit balance") != NULL)
        quota = true; /* Anthropic: "Your credit balance is too low ..." */
    if (quota || status == 402)
        return EV_PROVIDER_STOP_QUOTA;
    if (status == 401 || status == 403)
        return EV_PROVIDER_STOP_AUTH;
    if (status == 404)
        return EV_PROVIDER_STOP_MISSING;
    if (status == 408 || status == 409 || status == 429 || status >= 500)
        return EV_PROVIDER_RETRYABLE;
    return EV_PROVIDER_FAILED;
}

/* error_of finds the error object in a body: OpenAI and Anthropic nest it
 * under 'error', vLLM before 0.10.1 and some proxies put it at the top. */
static jv
error_of(jv body)
{
    jv e = ev_json_field(body, "error");
    if (jv_get_kind(e) == JV_KIND_OBJECT)
        return e;
    if (jv_get_kind(e) == JV_KIND_STRING) {
        jv o = jv_object_set(jv_object(), jv_string("message"), e);
        return o;
    }
    jv_free(e);
    return jv_get_kind(body) == JV_KIND_OBJECT ? jv_copy(body) : jv_object();
}

static void
http_error(long status, jv body, const char *raw, size_t len, ev_provider_reply *r)
{
    jv err = error_of(body);
    jv msg = ev_json_field(err, "message");
    enum ev_provider_outcome outcome = error_outcome(status, err, msg);
    jv text;
    if (jv_get_kind(msg) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(msg)) > 0) {
        text = jv_copy(msg);
    } else if (!jv_is_valid(body) && len > 0) {
        jv ex = excerpt(raw, len);
        text = jv_string_fmt("HTTP %ld: '%s'", status, jv_string_value(ex));
        jv_free(ex);
    } else {
        text = jv_string_fmt("HTTP %ld", status);
    }
    jv_free(msg);
    jv_free(err);
    fail(r, outcome, "http", text);
}

void
ev_provider_reply_parse(ev_provider provider, long status, const char *body, size_t len,
                        ev_provider_reply *r)
{
    ev_provider_reply_free(r);
    jv v = len > 0 ? jv_parse_sized(body, (int)len) : jv_invalid();
    bool ok = status >= 200 && status < 300;
    if (!ok) {
        http_error(status, v, body, len, r);
        jv_free(v);
        return;
    }
    if (jv_get_kind(v) != JV_KIND_OBJECT) {
        jv_free(v);
        jv ex = excerpt(body, len);
        fail(r, EV_PROVIDER_RETRYABLE, "parse",
             len == 0 ? jv_string("the response body is empty")
                      : jv_string_fmt("the response body is not a JSON object: '%s'",
                                      jv_string_value(ex)));
        jv_free(ex);
        return;
    }
    jv e = ev_json_field(v, "error");
    jv answer = ev_json_field(v, provider == EV_PROVIDER_ANTHROPIC ? "content" : "choices");
    bool is_error = jv_is_valid(e) && jv_get_kind(e) != JV_KIND_NULL && !jv_is_valid(answer);
    jv_free(e);
    jv_free(answer);
    if (is_error) {
        /* A 200 that carries an error, as some proxies send. */
        http_error(status, v, body, len, r);
        if (r->outcome == EV_PROVIDER_FAILED)
            r->outcome = EV_PROVIDER_RETRYABLE;
    } else if (provider == EV_PROVIDER_ANTHROPIC) {
        anthropic_answer(v, r);
    } else {
        openai_answer(v, r);
    }
    jv_free(v);
}
