#include "example.h"

#include <string.h>

#include "json.h"
#include "price.h"
#include "record.h"

static const char *const problem_names[EV_EXAMPLE_NPROBLEMS] = {
    "data_type",
    "missing_messages_list",
    "message_missing_key",
    "message_unrecognized_key",
    "unrecognized_role",
    "missing_content",
    "example_missing_assistant_message",
    "example_over_token_limit",
    "too_few_examples",
};

static const char *const roles[] = {"system", "user", "assistant", "function", "tool"};
static const char *const message_keys[] = {"role",   "content",    "name",        "function_call",
                                           "weight", "tool_calls", "tool_call_id"};
/* Top-level fields a trainer reads beside 'messages'. */
static const char *const example_keys[] = {"tools", "functions", "parallel_tool_calls"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *
ev_example_problem_name(enum ev_example_problem p)
{
    return p < EV_EXAMPLE_NPROBLEMS ? problem_names[p] : "unknown";
}

static bool
in(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, set[i]) == 0)
            return true;
    return false;
}

static jv
message(const char *role, jv content)
{
    jv m = jv_object_set(jv_object(), jv_string("role"), jv_string(role));
    return jv_object_set(m, jv_string("content"), content);
}

/* role_is says whether 'm' is a message of 'role'. */
static bool
role_is(jv m /* borrowed */, const char *role)
{
    jv r = ev_json_field(m, "role");
    bool yes = jv_get_kind(r) == JV_KIND_STRING && strcmp(jv_string_value(r), role) == 0;
    jv_free(r);
    return yes;
}

/* has_role says whether a message of 'msgs' is of 'role'. */
static bool
has_role(jv msgs, const char *role)
{
    bool yes = false;
    jv_array_foreach(msgs, i, m)
    {
        yes = yes || role_is(m, role);
        jv_free(m);
        (void)i;
    }
    jv_free(msgs);
    return yes;
}

jv
ev_example_from_case(jv rec, jv system, jv answer)
{
    jv in = ev_record_input(rec);
    if (!jv_is_valid(in)) {
        jv_free(system);
        jv_free(answer);
        return jv_invalid_has_msg(jv_copy(in))
                   ? in
                   : jv_invalid_with_msg(jv_string("case has no input"));
    }
    if (jv_get_kind(answer) != JV_KIND_STRING) {
        jv_free(answer);
        answer = ev_record_expected(rec);
        if (!jv_is_valid(answer) || jv_get_kind(answer) == JV_KIND_NULL) {
            jv_free(in);
            jv_free(system);
            jv_free(answer);
            return jv_invalid_with_msg(jv_string("case has no expected answer"));
        }
        answer = ev_record_text_of(answer);
    }
    jv msgs = jv_array();
    if (jv_get_kind(in) == JV_KIND_ARRAY) {
        if (jv_get_kind(system) == JV_KIND_STRING && !has_role(jv_copy(in), "system"))
            msgs = jv_array_append(msgs, message("system", jv_copy(system)));
        msgs = jv_array_concat(msgs, in);
    } else {
        if (jv_get_kind(system) == JV_KIND_STRING)
            msgs = jv_array_append(msgs, message("system", jv_copy(system)));
        msgs = jv_array_append(msgs, message("user", ev_record_text_of(in)));
    }
    jv_free(system);
    msgs = jv_array_append(msgs, message("assistant", answer));
    return jv_object_set(jv_object(), jv_string("messages"), msgs);
}

jv
ev_example_from_record(jv rec, const char *system, bool *changed, enum ev_example_problem *kind)
{
    *changed = false;
    if (jv_get_kind(rec) != JV_KIND_OBJECT) {
        *kind = EV_EXAMPLE_DATA_TYPE;
        jv_free(rec);
        return jv_invalid_with_msg(jv_string("record is not an object"));
    }
    jv msgs = ev_json_field(rec, "messages");
    if (!jv_is_valid(msgs)) {
        jv_free(msgs);
        jv input = ev_json_field(rec, "input");
        bool has_input = jv_is_valid(input) && jv_get_kind(input) != JV_KIND_NULL;
        jv_free(input);
        if (!has_input) {
            jv_free(rec);
            *kind = EV_EXAMPLE_MISSING_MESSAGES;
            return jv_invalid_with_msg(jv_string("no 'messages', and no 'input' to convert"));
        }
        jv ex = ev_example_from_case(rec, system ? jv_string(system) : jv_null(), jv_null());
        jv_free(rec);
        *changed = true;
        if (!jv_is_valid(ex))
            *kind = EV_EXAMPLE_MISSING_ASSISTANT;
        return ex;
    }
    if (system != NULL && jv_get_kind(msgs) == JV_KIND_ARRAY &&
        !has_role(jv_copy(msgs), "system")) {
        jv first = message("system", jv_string(system));
        msgs = jv_array_concat(jv_array_append(jv_array(), first), msgs);
        *changed = true;
    }
    jv ex = jv_object_set(jv_object(), jv_string("messages"), msgs);
    int kept = 1;
    for (size_t i = 0; i < COUNT(example_keys); i++) {
        jv v = ev_json_field(rec, example_keys[i]);
        if (jv_is_valid(v)) {
            ex = jv_object_set(ex, jv_string(example_keys[i]), v);
            kept++;
        } else {
            jv_free(v);
        }
    }
    *changed = *changed || jv_object_length(jv_copy(rec)) != kept;
    jv_free(rec);
    return ex;
}

static jv
problem(jv list, enum ev_example_problem kind, jv msg)
{
    jv p = jv_array_append(jv_array_append(jv_array(), jv_number(kind)), msg);
    return jv_array_append(list, p);
}

/* string_tokens returns the tokens of 'v' (consumed): a string's bytes, any
 * other value's compact JSON, nothing for null or absent. */
static double
string_tokens(jv v)
{
    double t = 0;
    if (jv_get_kind(v) == JV_KIND_STRING) {
        t = ev_estimate_text_tokens((size_t)jv_string_length_bytes(jv_copy(v)));
    } else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL) {
        jv s = jv_dump_string(jv_copy(v), 0);
        t = ev_estimate_text_tokens(strlen(jv_string_value(s)));
        jv_free(s);
    }
    jv_free(v);
    return t;
}

/* check_message checks message 'k' (1-based) 'msg' and adds its tokens to
 * '*m'. */
static jv
check_message(jv list, jv msg /* borrowed */, int k, ev_example_measure *m)
{
    if (jv_get_kind(msg) != JV_KIND_OBJECT)
        return problem(list, EV_EXAMPLE_MISSING_KEY,
                       jv_string_fmt("message %d is not an object with 'role' and 'content'", k));
    jv role = ev_json_field(msg, "role");
    jv content = ev_json_field(msg, "content");
    bool has_call = false;
    jv_object_foreach(msg, key, val)
    {
        const char *name = jv_string_value(key);
        if (!in(name, message_keys, COUNT(message_keys)))
            list = problem(list, EV_EXAMPLE_UNRECOGNIZED_KEY,
                           jv_string_fmt("message %d has unrecognized key '%s'", k, name));
        if (strcmp(name, "function_call") == 0 || strcmp(name, "tool_calls") == 0) {
            has_call = has_call || jv_get_kind(val) != JV_KIND_NULL;
            m->tokens += string_tokens(jv_copy(val));
        } else if (strcmp(name, "name") == 0) {
            m->tokens += 1 + string_tokens(jv_copy(val));
        } else if (strcmp(name, "tool_call_id") == 0) {
            m->tokens += string_tokens(jv_copy(val));
        }
        jv_free(key);
        jv_free(val);
    }
    m->tokens += EV_TOKENS_PER_MESSAGE + string_tokens(jv_copy(role));
    double content_tokens = string_tokens(jv_copy(content));
    m->tokens += content_tokens;
    if (!jv_is_valid(role) || !jv_is_valid(content)) {
        list = problem(
            list, EV_EXAMPLE_MISSING_KEY,
            jv_string_fmt("message %d has no '%s'", k, !jv_is_valid(role) ? "role" : "content"));
    }
    if (jv_is_valid(role)) {
        if (jv_get_kind(role) != JV_KIND_STRING ||
            !in(jv_string_value(role), roles, COUNT(roles))) {
            jv text = ev_record_text_of(jv_copy(role));
            list = problem(
                list, EV_EXAMPLE_UNRECOGNIZED_ROLE,
                jv_string_fmt("message %d has unrecognized role '%s'", k, jv_string_value(text)));
            jv_free(text);
        } else {
            const char *r = jv_string_value(role);
            m->has_system = m->has_system || strcmp(r, "system") == 0;
            m->has_user = m->has_user || strcmp(r, "user") == 0;
            if (strcmp(r, "assistant") == 0)
                m->assistant_tokens += content_tokens;
        }
    }
    if (jv_is_valid(content)) {
        bool empty =
            jv_get_kind(content) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(content)) == 0;
        bool ok = jv_get_kind(content) == JV_KIND_STRING && !empty;
        if (has_call)
            ok = ok || empty || jv_get_kind(content) == JV_KIND_NULL;
        if (!ok)
            list = problem(list, EV_EXAMPLE_MISSING_CONTENT,
                           jv_string_fmt(empty || jv_get_kind(content) == JV_KIND_NULL
                                             ? "message %d has empty content"
                                             : "message %d has content that is not a string",
                                         k));
    }
    jv_free(role);
    jv_free(content);
    return list;
}

jv
ev_example_check(jv ex, double max_tokens, ev_example_measure *m)
{
    *m = (ev_example_measure){0, 0, 0, false, false};
    jv list = jv_array();
    if (jv_get_kind(ex) != JV_KIND_OBJECT)
        return problem(list, EV_EXAMPLE_DATA_TYPE, jv_string("record is not an object"));
    jv msgs = ev_json_field(ex, "messages");
    if (jv_get_kind(msgs) != JV_KIND_ARRAY || jv_array_length(jv_copy(msgs)) == 0) {
        bool absent = !jv_is_valid(msgs);
        bool array = jv_get_kind(msgs) == JV_KIND_ARRAY;
        jv_free(msgs);
        return problem(list, EV_EXAMPLE_MISSING_MESSAGES,
                       jv_string(absent  ? "no 'messages'"
                                 : array ? "'messages' is empty"
                                         : "'messages' is not an array"));
    }
    bool assistant = false;
    m->tokens = EV_TOKENS_PER_PROMPT;
    jv_array_foreach(msgs, i, msg)
    {
        list = check_message(list, msg, i + 1, m);
        assistant = assistant || role_is(msg, "assistant");
        m->messages++;
        jv_free(msg);
    }
    jv_free(msgs);
    if (!assistant)
        list = problem(list, EV_EXAMPLE_MISSING_ASSISTANT, jv_string("no assistant message"));
    if (m->tokens > max_tokens)
        list = problem(
            list, EV_EXAMPLE_OVER_TOKEN_LIMIT,
            jv_string_fmt("about %.0f tokens, over the limit of %.0f", m->tokens, max_tokens));
    return list;
}
