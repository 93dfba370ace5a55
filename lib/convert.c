#include "convert.h"

#include <stdbool.h>
#include <string.h>

#include "json.h"

static const char *const names[] = {"chat", "alpaca", "sharegpt"};

const char *
ev_convert_name(enum ev_convert_to to)
{
    return names[to];
}

bool
ev_convert_parse(const char *name, enum ev_convert_to *to)
{
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i]) == 0) {
            *to = (enum ev_convert_to)i;
            return true;
        }
    }
    return false;
}

jv
ev_convert(jv chat, enum ev_convert_to to)
{
    jv out = to == EV_CONVERT_ALPACA     ? ev_convert_alpaca(chat)
             : to == EV_CONVERT_SHAREGPT ? ev_convert_sharegpt(chat)
                                         : jv_copy(chat);
    jv_free(chat);
    return out;
}

/* role_content reads message 'm' (borrowed) into '*role' and '*content'
 * (both strings, owned by the caller) or returns a message of what is
 * wrong. */
static jv
role_content(jv m, int k, jv *role, jv *content)
{
    *role = *content = jv_invalid();
    if (jv_get_kind(m) != JV_KIND_OBJECT)
        return jv_string_fmt("message %d is not an object", k);
    jv r = ev_json_field(m, "role");
    jv c = ev_json_field(m, "content");
    if (jv_get_kind(r) != JV_KIND_STRING || jv_get_kind(c) != JV_KIND_STRING) {
        bool bad_role = jv_get_kind(r) != JV_KIND_STRING;
        jv_free(r);
        jv_free(c);
        return jv_string_fmt("message %d has %s that is not a string", k,
                             bad_role ? "a role" : "content");
    }
    *role = r;
    *content = c;
    return jv_invalid();
}

/* next_message reads message 'k' 'm' (consumed) into '*role' and
 * '*content' as role_content does, unless '*why' already holds a reason to
 * refuse the example, and says whether it did. */
static bool
next_message(jv m, int k, jv *why, jv *role, jv *content)
{
    if (!jv_is_valid(*why))
        *why = role_content(m, k, role, content);
    jv_free(m);
    return !jv_is_valid(*why);
}

static jv
chat_messages(jv chat)
{
    jv msgs = ev_json_field(chat, "messages");
    if (jv_get_kind(msgs) != JV_KIND_ARRAY) {
        jv_free(msgs);
        return jv_invalid_with_msg(jv_string("example has no 'messages' array"));
    }
    return msgs;
}

jv
ev_convert_alpaca(jv chat)
{
    jv msgs = chat_messages(chat);
    if (!jv_is_valid(msgs))
        return msgs;
    jv system = jv_invalid(), user = jv_invalid(), answer = jv_invalid(), why = jv_invalid();
    int nsystem = 0, nuser = 0, nassistant = 0, n = jv_array_length(jv_copy(msgs));
    jv_array_foreach(msgs, i, m)
    {
        jv role, content;
        if (!next_message(m, i + 1, &why, &role, &content))
            continue;
        const char *r = jv_string_value(role);
        jv *slot = NULL;
        if (strcmp(r, "system") == 0 && nuser == 0 && nassistant == 0)
            slot = ++nsystem == 1 ? &system : NULL;
        else if (strcmp(r, "user") == 0)
            slot = ++nuser == 1 ? &user : NULL;
        else if (strcmp(r, "assistant") == 0 && i == n - 1)
            slot = ++nassistant == 1 ? &answer : NULL;
        if (slot != NULL) {
            *slot = content;
        } else {
            why = jv_string_fmt("alpaca holds one exchange (system?, user, assistant), and "
                                "message %d is a%s %s message",
                                i + 1, strchr("aeiou", r[0]) != NULL ? "n" : "",
                                r[0] ? r : "(no role)");
            jv_free(content);
        }
        jv_free(role);
    }
    jv_free(msgs);
    if (!jv_is_valid(why) && (nuser == 0 || nassistant == 0))
        why = jv_string(nuser == 0 ? "alpaca needs a user message"
                                   : "alpaca needs the example to end with an assistant message");
    if (jv_is_valid(why)) {
        jv_free(system);
        jv_free(user);
        jv_free(answer);
        return jv_invalid_with_msg(why);
    }
    jv_free(why);
    jv o = jv_object();
    if (jv_is_valid(system)) {
        o = jv_object_set(o, jv_string("instruction"), system);
        o = jv_object_set(o, jv_string("input"), user);
    } else {
        o = jv_object_set(o, jv_string("instruction"), user);
        o = jv_object_set(o, jv_string("input"), jv_string(""));
    }
    return jv_object_set(o, jv_string("output"), answer);
}

jv
ev_convert_sharegpt(jv chat)
{
    static const char *const from[][2] = {
        {"system", "system"}, {"user", "human"}, {"assistant", "gpt"}};
    jv msgs = chat_messages(chat);
    if (!jv_is_valid(msgs))
        return msgs;
    jv conv = jv_array(), why = jv_invalid();
    jv_array_foreach(msgs, i, m)
    {
        jv role, content;
        if (!next_message(m, i + 1, &why, &role, &content))
            continue;
        size_t k = 0;
        while (k < 3 && strcmp(from[k][0], jv_string_value(role)) != 0)
            k++;
        if (k == 3) {
            why = jv_string_fmt("sharegpt has no role for '%s' (message %d)", jv_string_value(role),
                                i + 1);
            jv_free(content);
        } else {
            jv turn = jv_object_set(jv_object(), jv_string("from"), jv_string(from[k][1]));
            conv = jv_array_append(conv, jv_object_set(turn, jv_string("value"), content));
        }
        jv_free(role);
    }
    jv_free(msgs);
    if (jv_is_valid(why)) {
        jv_free(conv);
        return jv_invalid_with_msg(why);
    }
    return jv_object_set(jv_object(), jv_string("conversations"), conv);
}
