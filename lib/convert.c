#include "convert.h"

#include <stdbool.h>
#include <string.h>

#include "json.h"

static const char *const names[] = {"chat",        "prompt-completion", "alpaca",
                                    "sharegpt",    "preference",        "trl-dpo",
                                    "axolotl-dpo", "alpaca-dpo",        "sharegpt-dpo"};

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

const char *
ev_convert_names(enum ev_example_method method)
{
    return method == EV_EXAMPLE_SFT ? "chat, prompt-completion, alpaca, sharegpt"
                                    : "preference, trl-dpo, axolotl-dpo, alpaca-dpo, sharegpt-dpo";
}

enum ev_example_method
ev_convert_method(enum ev_convert_to to)
{
    return to >= EV_CONVERT_PREFERENCE ? EV_EXAMPLE_DPO : EV_EXAMPLE_SFT;
}

enum ev_convert_to
ev_convert_default(enum ev_example_method method)
{
    return method == EV_EXAMPLE_DPO ? EV_CONVERT_PREFERENCE : EV_CONVERT_CHAT;
}

jv
ev_convert(jv ex, enum ev_convert_to to)
{
    jv out;
    if (!jv_is_valid(ex) || to == EV_CONVERT_CHAT)
        out = jv_copy(ex);
    else if (to == EV_CONVERT_PROMPT_COMPLETION)
        out = ev_convert_prompt_completion(ex);
    else if (to == EV_CONVERT_ALPACA)
        out = ev_convert_alpaca(ex);
    else if (to == EV_CONVERT_SHAREGPT)
        out = ev_convert_sharegpt(ex);
    else
        out = ev_convert_dpo(ex, to);
    jv_free(ex);
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
                                "message %d, of role '%s', is more",
                                i + 1, r);
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

jv
ev_convert_prompt_completion(jv chat)
{
    jv msgs = chat_messages(chat);
    if (!jv_is_valid(msgs))
        return msgs;
    int n = jv_array_length(jv_copy(msgs));
    jv last = n > 0 ? jv_array_get(jv_copy(msgs), n - 1) : jv_null();
    jv role = jv_get_kind(last) == JV_KIND_OBJECT ? ev_json_field(last, "role") : jv_null();
    bool ok = n > 1 && jv_get_kind(role) == JV_KIND_STRING &&
              strcmp(jv_string_value(role), "assistant") == 0;
    jv_free(role);
    if (!ok) {
        jv_free(last);
        jv_free(msgs);
        return jv_invalid_with_msg(jv_string(
            "prompt-completion needs a prompt and the example to end with an assistant message"));
    }
    jv o = jv_object_set(jv_object(), jv_string("prompt"), jv_array_slice(msgs, 0, n - 1));
    o = jv_object_set(o, jv_string("completion"), jv_array_append(jv_array(), last));
    jv tools = ev_json_field(chat, "tools");
    if (jv_is_valid(tools))
        return jv_object_set(o, jv_string("tools"), tools);
    jv_free(tools);
    return o;
}

/* answer returns the one message of the answer 'name' of preference example
 * 'pref' (borrowed), with string content, or invalid with a message. */
static jv
answer(jv pref, const char *name)
{
    jv out = ev_json_field(pref, name);
    jv msg = jv_null();
    if (jv_get_kind(out) == JV_KIND_ARRAY && jv_array_length(jv_copy(out)) == 1)
        msg = jv_array_get(jv_copy(out), 0);
    jv_free(out);
    jv content = jv_get_kind(msg) == JV_KIND_OBJECT ? ev_json_field(msg, "content") : jv_null();
    bool ok = jv_get_kind(content) == JV_KIND_STRING;
    jv_free(content);
    if (!ok) {
        jv_free(msg);
        return jv_invalid_with_msg(
            jv_string_fmt("'%s' is not a list of one message with string content", name));
    }
    return msg;
}

/* the string content of message 'm' (consumed) */
static jv
content_of(jv m)
{
    jv c = ev_json_field(m, "content");
    jv_free(m);
    return c;
}

/* gpt returns content 'c' as a ShareGPT turn of the assistant. */
static jv
gpt(jv c)
{
    jv t = jv_object_set(jv_object(), jv_string("from"), jv_string("gpt"));
    return jv_object_set(t, jv_string("value"), c);
}

jv
ev_convert_dpo(jv pref, enum ev_convert_to to)
{
    jv msgs = ev_json_path(pref, "input.messages");
    if (jv_get_kind(msgs) != JV_KIND_ARRAY) {
        jv_free(msgs);
        return jv_invalid_with_msg(jv_string("example has no 'input' with a 'messages' list"));
    }
    jv good = answer(pref, "preferred_output");
    jv bad = jv_is_valid(good) ? answer(pref, "non_preferred_output") : jv_null();
    if (!jv_is_valid(good) || !jv_is_valid(bad)) {
        jv_free(msgs);
        jv_free(jv_is_valid(good) ? good : bad);
        return jv_is_valid(good) ? bad : good;
    }
    jv o = jv_invalid();
    if (to == EV_CONVERT_PREFERENCE) {
        jv_free(msgs);
        jv_free(good);
        jv_free(bad);
        return jv_copy(pref);
    }
    if (to == EV_CONVERT_TRL_DPO || to == EV_CONVERT_AXOLOTL_DPO) {
        bool trl = to == EV_CONVERT_TRL_DPO;
        o = jv_object_set(jv_object(), jv_string(trl ? "prompt" : "messages"), msgs);
        o = jv_object_set(o, jv_string("chosen"), trl ? jv_array_append(jv_array(), good) : good);
        o = jv_object_set(o, jv_string("rejected"), trl ? jv_array_append(jv_array(), bad) : bad);
        jv tools = ev_json_path(pref, "input.tools");
        if (jv_is_valid(tools) && trl)
            o = jv_object_set(o, jv_string("tools"), tools);
        else
            jv_free(tools);
        return o;
    }
    if (to == EV_CONVERT_ALPACA_DPO) {
        jv chat =
            jv_object_set(jv_object(), jv_string("messages"), jv_array_append(msgs, jv_copy(good)));
        o = ev_convert_alpaca(chat);
        jv_free(chat);
        if (jv_is_valid(o))
            o = jv_object_delete(o, jv_string("output"));
    } else {
        jv chat = jv_object_set(jv_object(), jv_string("messages"), msgs);
        o = ev_convert_sharegpt(chat);
        jv_free(chat);
    }
    if (!jv_is_valid(o)) {
        jv_free(good);
        jv_free(bad);
        return o;
    }
    bool share = to == EV_CONVERT_SHAREGPT_DPO;
    good = content_of(good);
    bad = content_of(bad);
    o = jv_object_set(o, jv_string("chosen"), share ? gpt(good) : good);
    return jv_object_set(o, jv_string("rejected"), share ? gpt(bad) : bad);
}

jv
ev_convert_dataset_info(enum ev_convert_to to, const char *name)
{
    static const char *const share_tags =
        "{\"role_tag\":\"from\",\"content_tag\":\"value\",\"user_tag\":\"human\","
        "\"assistant_tag\":\"gpt\",\"system_tag\":\"system\"}";
    static const char *const chat_tags =
        "{\"role_tag\":\"role\",\"content_tag\":\"content\",\"user_tag\":\"user\","
        "\"assistant_tag\":\"assistant\",\"system_tag\":\"system\"}";
    const char *columns, *tags = NULL;
    bool ranking = to == EV_CONVERT_ALPACA_DPO || to == EV_CONVERT_SHAREGPT_DPO;
    switch (to) {
    case EV_CONVERT_CHAT:
        columns = "{\"messages\":\"messages\"}";
        tags = chat_tags;
        break;
    case EV_CONVERT_ALPACA:
        columns = "{\"prompt\":\"instruction\",\"query\":\"input\",\"response\":\"output\"}";
        break;
    case EV_CONVERT_SHAREGPT:
        columns = "{\"messages\":\"conversations\"}";
        tags = share_tags;
        break;
    case EV_CONVERT_ALPACA_DPO:
        columns = "{\"prompt\":\"instruction\",\"query\":\"input\",\"chosen\":\"chosen\","
                  "\"rejected\":\"rejected\"}";
        break;
    case EV_CONVERT_SHAREGPT_DPO:
        columns =
            "{\"messages\":\"conversations\",\"chosen\":\"chosen\",\"rejected\":\"rejected\"}";
        tags = share_tags;
        break;
    default:
        return jv_invalid_with_msg(
            jv_string_fmt("LLaMA-Factory reads chat, alpaca, sharegpt, alpaca-dpo and "
                          "sharegpt-dpo, not '%s'",
                          ev_convert_name(to)));
    }
    jv e = jv_object_set(jv_object(), jv_string("file_name"), jv_string_fmt("%s.jsonl", name));
    e = jv_object_set(e, jv_string("formatting"), jv_string(tags != NULL ? "sharegpt" : "alpaca"));
    if (ranking)
        e = jv_object_set(e, jv_string("ranking"), jv_true());
    e = jv_object_set(e, jv_string("columns"), jv_parse(columns));
    if (tags != NULL)
        e = jv_object_set(e, jv_string("tags"), jv_parse(tags));
    return jv_object_set(jv_object(), jv_string(name), e);
}
