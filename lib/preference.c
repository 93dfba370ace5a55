#include "preference.h"

#include <stdbool.h>
#include <string.h>

#include "example.h"
#include "json.h"

/* assistant returns [{"role": "assistant", "content": content}]. */
static jv
assistant(jv content)
{
    jv m = ev_json_set(jv_object(), "role", jv_string("assistant"));
    return jv_array_append(jv_array(), ev_json_set(m, "content", content));
}

/* bare returns the messages 'msgs' (consumed) with each one's role and
 * content only: the shared format has no other message key. */
static jv
bare(jv msgs)
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
ev_preference_from_case(jv rec, jv system, jv preferred, jv rejected)
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
    jv input = bare(jv_array_slice(msgs, 0, n - 1));
    jv ex = ev_json_set(jv_object(), "input", ev_json_set(jv_object(), "messages", input));
    ex = ev_json_set(ex, "preferred_output", assistant(answer));
    ex = ev_json_set(ex, "non_preferred_output", assistant(rejected));
    jv why = ev_preference_check(ex);
    if (jv_is_valid(why)) {
        jv_free(ex);
        return jv_invalid_with_msg(why);
    }
    return ex;
}

/* text_problem says what is wrong with the content 'c' (borrowed) of 'what',
 * or returns invalid. */
static jv
text_problem(jv c, const char *what)
{
    if (jv_get_kind(c) != JV_KIND_STRING)
        return jv_string_fmt("%s's content is not a string", what);
    if (jv_string_length_bytes(jv_copy(c)) == 0)
        return jv_string_fmt("%s is empty", what);
    return jv_invalid();
}

/* output_problem says what is wrong with the output 'key' of 'ex'. */
static jv
output_problem(jv ex, const char *key, const char *what)
{
    jv out = ev_json_field(ex, key);
    jv p = jv_invalid();
    if (jv_get_kind(out) != JV_KIND_ARRAY || jv_array_length(jv_copy(out)) != 1) {
        p = jv_string_fmt("'%s' is not a list of one message", key);
    } else {
        jv m = jv_array_get(jv_copy(out), 0);
        jv role = ev_json_field(m, "role");
        jv content = ev_json_field(m, "content");
        if (strcmp(ev_json_str(role, ""), "assistant") != 0)
            p = jv_string_fmt("'%s' is not an assistant message", key);
        else
            p = text_problem(content, what);
        jv_free(role);
        jv_free(content);
        jv_free(m);
    }
    jv_free(out);
    return p;
}

/* input_problem says what is wrong with the input messages 'msgs'. */
static jv
input_problem(jv msgs)
{
    if (jv_get_kind(msgs) != JV_KIND_ARRAY)
        return jv_string("'input' has no list of messages");
    int n = jv_array_length(jv_copy(msgs)), users = 0;
    jv p = jv_invalid();
    for (int i = 0; i < n && !jv_is_valid(p); i++) {
        jv m = jv_array_get(jv_copy(msgs), i);
        jv role = ev_json_field(m, "role"), content = ev_json_field(m, "content");
        const char *r = ev_json_str(role, "");
        users += strcmp(r, "user") == 0;
        if (strcmp(r, "system") == 0 && i != 0)
            p = jv_string_fmt("the input's message %d is a system message, not the first", i + 1);
        else if (strcmp(r, "system") != 0 && strcmp(r, "user") != 0)
            p = jv_string_fmt("the input has several turns (message %d is '%s'): OpenAI and "
                              "Fireworks take one-turn preference data only",
                              i + 1, r);
        else
            p = text_problem(content, strcmp(r, "user") == 0 ? "the input's user message"
                                                             : "the input's system message");
        jv_free(role);
        jv_free(content);
        jv_free(m);
    }
    if (!jv_is_valid(p) && users != 1)
        p = users == 0 ? jv_string("the input has no user message")
                       : jv_string_fmt("the input has several turns (%d user messages): OpenAI "
                                       "and Fireworks take one-turn preference data only",
                                       users);
    return p;
}

jv
ev_preference_check(jv ex)
{
    if (jv_get_kind(ex) != JV_KIND_OBJECT)
        return jv_string("the example is not an object");
    static const char *const keys[] = {"input", "preferred_output", "non_preferred_output"};
    jv p = jv_invalid();
    jv_object_foreach(ex, k, v)
    {
        bool known = false;
        for (size_t i = 0; i < 3; i++)
            known = known || strcmp(jv_string_value(k), keys[i]) == 0;
        if (!known && !jv_is_valid(p))
            p = jv_string_fmt("key '%s' is not one of input, preferred_output, "
                              "non_preferred_output",
                              jv_string_value(k));
        jv_free(k);
        jv_free(v);
    }
    if (!jv_is_valid(p)) {
        jv msgs = ev_json_path(ex, "input.messages");
        p = input_problem(msgs);
        jv_free(msgs);
    }
    if (!jv_is_valid(p))
        p = output_problem(ex, "preferred_output", "the preferred answer");
    if (!jv_is_valid(p))
        p = output_problem(ex, "non_preferred_output", "the non-preferred answer");
    if (jv_is_valid(p))
        return p;
    jv a = ev_json_path(ex, "preferred_output.0.content");
    jv b = ev_json_path(ex, "non_preferred_output.0.content");
    if (jv_equal(a, b))
        return jv_string("the preferred and non-preferred answers are the same");
    return jv_invalid();
}
