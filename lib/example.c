#include "example.h"

#include <math.h>
#include <stdio.h>
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
    "missing_input",
    "input_not_one_turn",
    "output_not_one_assistant_message",
    "identical_outputs",
};

static const char *const method_names[] = {"sft", "dpo"};

static const char *const roles[] = {"system", "user", "assistant", "function", "tool"};
static const char *const message_keys[] = {"role",   "content",    "name",        "function_call",
                                           "weight", "tool_calls", "tool_call_id"};
/* Top-level fields a trainer reads beside 'messages'. */
static const char *const example_keys[] = {"tools", "functions", "parallel_tool_calls"};
/* The fields of a preference example, and of its input. */
static const char *const preference_keys[] = {"input", "preferred_output", "non_preferred_output"};
static const char *const input_keys[] = {"messages", "tools", "parallel_tool_calls"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *
ev_example_problem_name(enum ev_example_problem p)
{
    return p < EV_EXAMPLE_NPROBLEMS ? problem_names[p] : "unknown";
}

bool
ev_example_problem_applies(enum ev_example_problem p, enum ev_example_method method)
{
    if (method == EV_EXAMPLE_SFT)
        return p <= EV_EXAMPLE_TOO_FEW_EXAMPLES;
    return p != EV_EXAMPLE_MISSING_MESSAGES && p != EV_EXAMPLE_MISSING_ASSISTANT;
}

const char *
ev_example_method_name(enum ev_example_method method)
{
    return method_names[method];
}

bool
ev_example_method_parse(const char *name, enum ev_example_method *method)
{
    for (size_t i = 0; i < COUNT(method_names); i++) {
        if (strcmp(name, method_names[i]) == 0) {
            *method = (enum ev_example_method)i;
            return true;
        }
    }
    return false;
}

static bool
in(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, set[i]) == 0)
            return true;
    return false;
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
            msgs = jv_array_append(msgs, ev_record_message("system", jv_copy(system)));
        msgs = jv_array_concat(msgs, in);
    } else {
        if (jv_get_kind(system) == JV_KIND_STRING)
            msgs = jv_array_append(msgs, ev_record_message("system", jv_copy(system)));
        msgs = jv_array_append(msgs, ev_record_message("user", ev_record_text_of(in)));
    }
    jv_free(system);
    msgs = jv_array_append(msgs, ev_record_message("assistant", answer));
    return jv_object_set(jv_object(), jv_string("messages"), msgs);
}

/* with_system returns 'msgs' with a system message of 'system' first when
 * 'system' is not NULL and 'msgs' is a list without one, and then sets
 * '*changed'. */
static jv
with_system(jv msgs, const char *system, bool *changed)
{
    if (system == NULL || jv_get_kind(msgs) != JV_KIND_ARRAY || has_role(jv_copy(msgs), "system"))
        return msgs;
    *changed = true;
    return jv_array_concat(
        jv_array_append(jv_array(), ev_record_message("system", jv_string(system))), msgs);
}

/* keep returns 'ex' with the fields of 'keys' that 'rec' has, and sets
 * '*changed' when 'rec' has a field that the result has not. */
static jv
keep(jv ex, jv rec /* borrowed */, const char *const *keys, size_t n, bool *changed)
{
    for (size_t i = 0; i < n; i++) {
        jv v = ev_json_field(rec, keys[i]);
        if (jv_is_valid(v))
            ex = jv_object_set(ex, jv_string(keys[i]), v);
        else
            jv_free(v);
    }
    *changed = *changed || jv_object_length(jv_copy(rec)) != jv_object_length(jv_copy(ex));
    return ex;
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
    jv pref = ev_json_field(rec, "preferred_output");
    bool preference = jv_is_valid(pref);
    jv_free(pref);
    if (!jv_is_valid(msgs) && preference) {
        jv_free(msgs);
        jv_free(rec);
        *kind = EV_EXAMPLE_MISSING_MESSAGES;
        return jv_invalid_with_msg(jv_string("a preference example: check it with --method dpo"));
    }
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
    jv ex = jv_object_set(jv_object(), jv_string("messages"), with_system(msgs, system, changed));
    ex = keep(ex, rec, example_keys, COUNT(example_keys), changed);
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
        t = ev_price_estimate_text_tokens((size_t)jv_string_length_bytes(jv_copy(v)));
    } else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL) {
        jv s = jv_dump_string(jv_copy(v), 0);
        t = ev_price_estimate_text_tokens(strlen(jv_string_value(s)));
        jv_free(s);
    }
    jv_free(v);
    return t;
}

/* check_message checks message 'k' (1-based) 'msg', called 'label' 'k' in
 * what it says ("message 2"), and adds its tokens to '*m'. */
static jv
check_message(jv list, jv msg /* borrowed */, const char *label, int k, ev_example_measure *m)
{
    if (jv_get_kind(msg) != JV_KIND_OBJECT)
        return problem(list, EV_EXAMPLE_MISSING_KEY,
                       jv_string_fmt("%s %d is not an object with 'role' and 'content'", label, k));
    jv role = ev_json_field(msg, "role");
    jv content = ev_json_field(msg, "content");
    bool has_call = false;
    jv_object_foreach(msg, key, val)
    {
        const char *name = jv_string_value(key);
        if (!in(name, message_keys, COUNT(message_keys)))
            list = problem(list, EV_EXAMPLE_UNRECOGNIZED_KEY,
                           jv_string_fmt("%s %d has unrecognized key '%s'", label, k, name));
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
    m->tokens += EV_PRICE_TOKENS_PER_MESSAGE + string_tokens(jv_copy(role));
    double content_tokens = string_tokens(jv_copy(content));
    m->tokens += content_tokens;
    if (!jv_is_valid(role) || !jv_is_valid(content)) {
        list = problem(
            list, EV_EXAMPLE_MISSING_KEY,
            jv_string_fmt("%s %d has no '%s'", label, k, !jv_is_valid(role) ? "role" : "content"));
    }
    if (jv_is_valid(role)) {
        if (jv_get_kind(role) != JV_KIND_STRING ||
            !in(jv_string_value(role), roles, COUNT(roles))) {
            jv text = ev_record_text_of(jv_copy(role));
            list = problem(
                list, EV_EXAMPLE_UNRECOGNIZED_ROLE,
                jv_string_fmt("%s %d has unrecognized role '%s'", label, k, jv_string_value(text)));
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
                                             ? "%s %d has empty content"
                                             : "%s %d has content that is not a string",
                                         label, k));
    }
    jv_free(role);
    jv_free(content);
    return list;
}

/* begin starts the check of example 'ex', clearing '*m', and returns its
 * list of problems: data_type when 'ex' is not an object, else none. */
static jv
begin(jv ex /* borrowed */, ev_example_measure *m)
{
    *m = (ev_example_measure){0, 0, 0, false, false};
    if (jv_get_kind(ex) != JV_KIND_OBJECT)
        return problem(jv_array(), EV_EXAMPLE_DATA_TYPE, jv_string("record is not an object"));
    return jv_array();
}

/* finish adds to 'list' the problem of an example of 'm' over 'max_tokens'. */
static jv
finish(jv list, const ev_example_measure *m, double max_tokens)
{
    if (m->tokens > max_tokens)
        list = problem(
            list, EV_EXAMPLE_OVER_TOKEN_LIMIT,
            jv_string_fmt("about %.0f tokens, over the limit of %.0f", m->tokens, max_tokens));
    return list;
}

jv
ev_example_check(jv ex, double max_tokens, ev_example_measure *m)
{
    jv list = begin(ex, m);
    if (jv_array_length(jv_copy(list)) > 0)
        return list;
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
    m->tokens = EV_PRICE_TOKENS_PER_PROMPT;
    jv_array_foreach(msgs, i, msg)
    {
        list = check_message(list, msg, "message", i + 1, m);
        assistant = assistant || role_is(msg, "assistant");
        m->messages++;
        jv_free(msg);
    }
    jv_free(msgs);
    if (!assistant)
        list = problem(list, EV_EXAMPLE_MISSING_ASSISTANT, jv_string("no assistant message"));
    return finish(list, m, max_tokens);
}

/* Preference examples. */

jv
ev_example_preference_from_record(jv rec, const char *system, bool *changed,
                                  enum ev_example_problem *kind)
{
    *changed = false;
    if (jv_get_kind(rec) != JV_KIND_OBJECT) {
        *kind = EV_EXAMPLE_DATA_TYPE;
        jv_free(rec);
        return jv_invalid_with_msg(jv_string("record is not an object"));
    }
    jv ex = keep(jv_object(), rec, preference_keys, COUNT(preference_keys), changed);
    jv_free(rec);
    bool added = false;
    jv msgs = with_system(ev_json_path(ex, "input.messages"), system, &added);
    if (added) {
        jv input = jv_object_set(ev_json_field(ex, "input"), jv_string("messages"), msgs);
        ex = jv_object_set(ex, jv_string("input"), input);
        *changed = true;
    } else {
        jv_free(msgs);
    }
    return ex;
}

/* check_input checks the input of a preference example, its messages as
 * check_message does, and that they are one turn: system?, user. */
static jv
check_input(jv list, jv input /* borrowed */, ev_example_measure *m)
{
    jv msgs = ev_json_field(input, "messages");
    if (jv_get_kind(input) != JV_KIND_OBJECT || jv_get_kind(msgs) != JV_KIND_ARRAY ||
        jv_array_length(jv_copy(msgs)) == 0) {
        jv_free(msgs);
        return problem(list, EV_EXAMPLE_MISSING_INPUT,
                       jv_string("no 'input' with a list of 'messages' (a preference example is "
                                 "{input: {messages}, preferred_output, non_preferred_output})"));
    }
    jv_object_foreach(input, key, val)
    {
        if (!in(jv_string_value(key), input_keys, COUNT(input_keys)))
            list = problem(list, EV_EXAMPLE_UNRECOGNIZED_KEY,
                           jv_string_fmt("input has unrecognized key '%s'", jv_string_value(key)));
        jv_free(key);
        jv_free(val);
    }
    int users = 0;
    jv why = jv_invalid();
    jv_array_foreach(msgs, i, msg)
    {
        list = check_message(list, msg, "input message", i + 1, m);
        m->messages++;
        bool first_system = i == 0 && role_is(msg, "system");
        if (role_is(msg, "user"))
            users++;
        else if (!first_system && !jv_is_valid(why)) {
            jv r = ev_json_field(msg, "role");
            why = jv_string_fmt("input message %d has role '%s'", i + 1, ev_json_str(r, "?"));
            jv_free(r);
        }
        if (users > 1 && !jv_is_valid(why))
            why = jv_string_fmt("input message %d is a second user message", i + 1);
        jv_free(msg);
    }
    jv_free(msgs);
    if (!jv_is_valid(why) && users == 0)
        why = jv_string("the input has no user message");
    if (jv_is_valid(why)) {
        jv text = jv_string_fmt("%s: the input must be one turn, an optional system message "
                                "and one user message (OpenAI and Fireworks train on one-turn "
                                "conversations only)",
                                jv_string_value(why));
        jv_free(why);
        list = problem(list, EV_EXAMPLE_INPUT_NOT_ONE_TURN, text);
    } else {
        jv_free(why);
    }
    return list;
}

/* check_output checks the answer 'name' of preference example 'ex', a list
 * of one assistant message, and returns its content (or invalid). */
static jv
check_output(jv *list, jv ex /* borrowed */, const char *name, ev_example_measure *m)
{
    jv out = ev_json_field(ex, name);
    jv msg = jv_get_kind(out) == JV_KIND_ARRAY && jv_array_length(jv_copy(out)) == 1
                 ? jv_array_get(jv_copy(out), 0)
                 : jv_invalid();
    if (!jv_is_valid(msg) || !role_is(msg, "assistant")) {
        *list =
            problem(*list, EV_EXAMPLE_OUTPUT_NOT_ONE_MESSAGE,
                    jv_string_fmt(jv_is_valid(out) ? "'%s' is not a list of one assistant message"
                                                   : "no '%s'",
                                  name));
        jv_free(out);
        jv_free(msg);
        return jv_invalid();
    }
    jv_free(out);
    char label[64];
    snprintf(label, sizeof(label), "%s message", name);
    *list = check_message(*list, msg, label, 1, m);
    m->messages++;
    jv content = ev_json_field(msg, "content");
    jv_free(msg);
    return content;
}

jv
ev_example_preference_check(jv ex, double max_tokens, ev_example_measure *m)
{
    jv list = begin(ex, m);
    if (jv_array_length(jv_copy(list)) > 0)
        return list;
    m->tokens = EV_PRICE_TOKENS_PER_PROMPT;
    jv input = ev_json_field(ex, "input");
    list = check_input(list, input, m);
    jv_free(input);
    jv good = check_output(&list, ex, "preferred_output", m);
    jv bad = check_output(&list, ex, "non_preferred_output", m);
    if (jv_get_kind(good) == JV_KIND_STRING && jv_equal(jv_copy(good), jv_copy(bad)))
        list = problem(list, EV_EXAMPLE_IDENTICAL_OUTPUTS,
                       jv_string("the preferred and non-preferred answers are the same, which "
                                 "trains nothing"));
    jv_free(good);
    jv_free(bad);
    return finish(list, m, max_tokens);
}

/* assistant_output returns [{"role": "assistant", "content": content}]. */
static jv
assistant_output(jv content)
{
    return jv_array_append(jv_array(), ev_record_message("assistant", content));
}

/* bare_messages returns the messages 'msgs' (consumed) with each one's role and
 * content only: the shared format has no other message key. */
static jv
bare_messages(jv msgs)
{
    jv out = jv_array();
    jv_array_foreach(msgs, i, m)
    {
        jv b = jv_object();
        if (jv_get_kind(m) == JV_KIND_OBJECT) {
            b = ev_json_set(b, "role", ev_json_field(m, "role"));
            b = ev_json_set(b, "content", ev_json_field(m, "content"));
        }
        out = jv_array_append(out, b);
        jv_free(m);
        (void)i;
    }
    jv_free(msgs);
    return out;
}

jv
ev_example_preference_from_case(jv rec, jv system, jv preferred, jv rejected)
{
    jv chat = ev_example_from_case(rec, system, preferred);
    if (!jv_is_valid(chat)) {
        jv_free(rejected);
        return chat;
    }
    jv msgs = ev_json_field(chat, "messages");
    jv_free(chat);
    int n = jv_array_length(jv_copy(msgs));
    jv last = jv_array_get(jv_copy(msgs), n - 1);
    jv answer = ev_json_field(last, "content");
    jv_free(last);
    jv input = bare_messages(jv_array_slice(msgs, 0, n - 1));
    jv ex = ev_json_set(jv_object(), "input", ev_json_set(jv_object(), "messages", input));
    ex = ev_json_set(ex, "preferred_output", assistant_output(answer));
    ex = ev_json_set(ex, "non_preferred_output", assistant_output(rejected));
    ev_example_measure m;
    jv found = ev_example_preference_check(ex, INFINITY, &m);
    if (jv_array_length(jv_copy(found)) > 0) {
        jv why = jv_array_get(jv_array_get(found, 0), 1);
        jv_free(ex);
        return jv_invalid_with_msg(why);
    }
    jv_free(found);
    return ex;
}
