#include "trainset.h"

#include <stdbool.h>
#include <string.h>

#include "alloc.h"
#include "json.h"
#include "record.h"
#include "wire.h"

void
evm_trainset_count(evm_learner_tally *tally, const evm_model *m, jv rec, jv input)
{
    jv tags = ev_record_tags(rec);
    jv first = jv_array_length(jv_copy(tags)) > 0 ? jv_array_get(jv_copy(tags), 0) : jv_null();
    jv_free(tags);
    const char *tag = NULL;
    if (jv_get_kind(first) == JV_KIND_STRING) {
        tag = jv_string_value(first);
    } else if (m != NULL && jv_is_valid(input)) {
        jv full, last;
        evm_model_prompt(jv_copy(input), &full, &last);
        /* the tag is the mock's, not the prompt's */
        if (!evm_model_case_tag(m, jv_string_value(full), jv_string_value(last), &tag))
            tag = NULL;
        jv_free(full);
        jv_free(last);
    }
    evm_learner_tally_add(tally, tag, 1);
    jv_free(first);
    jv_free(input);
}

const char *
evm_trainset_format_name(enum evm_trainset_format f)
{
    static const char *const names[] = {"none", "conversation", "instruction", "general",
                                        "preference_openai"};
    return names[f];
}

/* Checking one example. Each check returns null, or what is wrong as a
 * string, without the line. */

static bool
has(jv rec, const char *key)
{
    jv v = ev_json_field(rec, key);
    bool yes = jv_is_valid(v);
    jv_free(v);
    return yes;
}

static bool
is_kind(jv obj, const char *key, jv_kind kind)
{
    jv v = ev_json_field(obj, key);
    bool yes = jv_get_kind(v) == kind;
    jv_free(v);
    return yes;
}

/* format_of returns the format whose keys 'rec' has, EVM_TRAINSET_NONE when
 * it has none's and 'twice' set when it has two's. */
static enum evm_trainset_format
format_of(enum evm_trainset_rules r, jv rec, bool *twice)
{
    bool is[] = {
        false,
        has(rec, "messages"),
        r == EVM_TRAINSET_TOGETHER && has(rec, "prompt") && has(rec, "completion"),
        r == EVM_TRAINSET_TOGETHER && has(rec, "text"),
        has(rec, "input") && has(rec, "preferred_output") && has(rec, "non_preferred_output"),
    };
    enum evm_trainset_format f = EVM_TRAINSET_NONE;
    int n = 0;
    for (int k = EVM_TRAINSET_CHAT; k <= EVM_TRAINSET_PREFERENCE; k++)
        if (is[k]) {
            f = (enum evm_trainset_format)k;
            n++;
        }
    *twice = n > 1;
    return f;
}

/* extra_key returns Together's problem with a key its format does not
 * have, or null. */
static jv
extra_key(jv rec, enum evm_trainset_format f)
{
    static const char *const keys[][4] = {
        [EVM_TRAINSET_CHAT] = {"messages", "tools"},
        [EVM_TRAINSET_INSTRUCTION] = {"prompt", "completion"},
        [EVM_TRAINSET_TEXT] = {"text"},
        [EVM_TRAINSET_PREFERENCE] = {"input", "preferred_output", "non_preferred_output"},
    };
    jv found = jv_null();
    jv_object_foreach(rec, k, v)
    {
        bool known = strcmp(jv_string_value(k), "weight") == 0;
        for (int i = 0; i < 4 && keys[f][i] != NULL; i++)
            known = known || strcmp(jv_string_value(k), keys[f][i]) == 0;
        if (!known && jv_get_kind(found) == JV_KIND_NULL)
            found = jv_string_fmt("found extra column \"%s\"", jv_string_value(k));
        jv_free(k);
        jv_free(v);
    }
    return found;
}

/* content_ok says whether message 'm' has a content the provider takes:
 * a string; for Fireworks also a list of text parts; for an assistant
 * message that calls tools, none. */
static bool
content_ok(enum evm_trainset_rules r, jv m)
{
    jv c = ev_json_field(m, "content");
    bool ok = jv_get_kind(c) == JV_KIND_STRING;
    if (!ok && jv_get_kind(c) == JV_KIND_ARRAY && r == EVM_TRAINSET_FIREWORKS) {
        ok = jv_array_length(jv_copy(c)) > 0;
        jv_array_foreach(c, i, part)
        {
            ok = ok && jv_get_kind(part) == JV_KIND_OBJECT && is_kind(part, "text", JV_KIND_STRING);
            jv_free(part);
            (void)i;
        }
    }
    if (!ok && (!jv_is_valid(c) || jv_get_kind(c) == JV_KIND_NULL))
        ok = is_kind(m, "tool_calls", JV_KIND_ARRAY);
    jv_free(c);
    return ok;
}

/* check_message returns what is wrong with message 'i' of 'where', 'm',
 * after a message of role 'prev' (NULL for the first). */
static jv
check_message(enum evm_trainset_rules r, const char *where, int i, jv m, const char *prev)
{
    static const char *const roles[] = {"system", "user", "assistant", "tool"};
    if (jv_get_kind(m) != JV_KIND_OBJECT)
        return jv_string_fmt("`%s[%d]` must be an object", where, i);
    jv role = ev_json_field(m, "role"), weight = ev_json_field(m, "weight");
    const char *name = ev_json_str(role, NULL);
    size_t k = 0;
    while (name != NULL && k < sizeof(roles) / sizeof(roles[0]) && strcmp(name, roles[k]) != 0)
        k++;
    jv bad = jv_null();
    if (name == NULL)
        bad = jv_string_fmt("`%s[%d]` must contain a `role` field", where, i);
    else if (k == sizeof(roles) / sizeof(roles[0]))
        bad = jv_string_fmt("`%s[%d]` has an unknown role '%s'", where, i, name);
    else if (!content_ok(r, m))
        bad = jv_string_fmt("`%s[%d]` must contain a `content` string", where, i);
    else if (jv_is_valid(weight) &&
             !(jv_get_kind(weight) == JV_KIND_NUMBER &&
               (jv_number_value(weight) == 0 || jv_number_value(weight) == 1)))
        bad = jv_string_fmt("`%s[%d].weight` must be 0 or 1", where, i);
    else if (r == EVM_TRAINSET_TOGETHER && prev == NULL && k > 1)
        bad = jv_string_fmt("`%s[0]` must be a system or user message", where);
    else if (r == EVM_TRAINSET_TOGETHER && prev != NULL && strcmp(prev, name) == 0)
        bad = jv_string_fmt("`%s[%d]` repeats the role '%s': after an optional system message, "
                            "roles alternate between user and assistant",
                            where, i, name);
    else if (r == EVM_TRAINSET_FIREWORKS && prev != NULL && k == 0)
        bad = jv_string_fmt("`%s[%d]`: a system message must be the first message", where, i);
    jv_free(role);
    jv_free(weight);
    return bad;
}

/* check_messages returns what is wrong with the messages 'msgs' of
 * 'where': of a conversation, or with 'input', of a preference's input. */
static jv
check_messages(enum evm_trainset_rules r, const char *where, jv msgs, bool input)
{
    int n = jv_get_kind(msgs) == JV_KIND_ARRAY ? jv_array_length(jv_copy(msgs)) : 0;
    if (n == 0)
        return jv_string_fmt("`%s` must be a non-empty list of messages", where);
    int users = 0, assistants = 0;
    jv prev = jv_null(), bad = jv_null();
    for (int i = 0; i < n && jv_get_kind(bad) == JV_KIND_NULL; i++) {
        jv m = jv_array_get(jv_copy(msgs), i);
        bad = check_message(r, where, i, m, ev_json_str(prev, NULL));
        jv_free(prev);
        prev = ev_json_field(m, "role");
        users += strcmp(ev_json_str(prev, ""), "user") == 0;
        assistants += strcmp(ev_json_str(prev, ""), "assistant") == 0;
        jv_free(m);
    }
    bool last_assistant = strcmp(ev_json_str(prev, ""), "assistant") == 0;
    jv_free(prev);
    if (jv_get_kind(bad) != JV_KIND_NULL)
        return bad;
    jv_free(bad);
    if (!input && assistants == 0)
        return jv_string_fmt("`%s` has no assistant message", where);
    if (input && r == EVM_TRAINSET_TOGETHER && last_assistant)
        return jv_string_fmt("`%s` must not end with an assistant message", where);
    if (input && r == EVM_TRAINSET_FIREWORKS && (users != 1 || assistants != 0))
        return jv_string_fmt("only one-turn conversations are supported: `%s` must hold an "
                             "optional system message and one user message",
                             where);
    return jv_null();
}

/* check_output returns what is wrong with the preference output 'key' of
 * 'rec': a list of exactly one assistant message with a string content. */
static jv
check_output(jv rec, const char *key)
{
    jv out = ev_json_field(rec, key);
    jv m = jv_get_kind(out) == JV_KIND_ARRAY && jv_array_length(jv_copy(out)) == 1
               ? jv_array_get(jv_copy(out), 0)
               : jv_null();
    jv role = jv_get_kind(m) == JV_KIND_OBJECT ? ev_json_field(m, "role") : jv_null();
    bool ok =
        strcmp(ev_json_str(role, ""), "assistant") == 0 && is_kind(m, "content", JV_KIND_STRING);
    jv_free(out);
    jv_free(m);
    jv_free(role);
    return ok ? jv_null()
              : jv_string_fmt("`%s` must be a list of exactly one assistant message with a "
                              "string `content`",
                              key);
}

/* check_example returns what is wrong with example 'rec', of format 'f'. */
static jv
check_example(enum evm_trainset_rules r, jv rec, enum evm_trainset_format f)
{
    jv bad = r == EVM_TRAINSET_TOGETHER ? extra_key(rec, f) : jv_null();
    jv weight = ev_json_field(rec, "weight");
    if (jv_get_kind(bad) == JV_KIND_NULL && jv_is_valid(weight) &&
        (jv_get_kind(weight) != JV_KIND_NUMBER ||
         (r == EVM_TRAINSET_TOGETHER && jv_number_value(weight) < 0))) {
        jv_free(bad);
        bad = jv_string(r == EVM_TRAINSET_TOGETHER ? "`weight` must be a number of 0 or more"
                                                   : "`weight` must be a number");
    }
    jv_free(weight);
    if (jv_get_kind(bad) != JV_KIND_NULL)
        return bad;
    jv_free(bad);
    if (f == EVM_TRAINSET_CHAT) {
        jv msgs = ev_json_field(rec, "messages");
        bad = check_messages(r, "messages", msgs, false);
        jv_free(msgs);
    } else if (f == EVM_TRAINSET_INSTRUCTION) {
        bad = is_kind(rec, "prompt", JV_KIND_STRING) && is_kind(rec, "completion", JV_KIND_STRING)
                  ? jv_null()
                  : jv_string("`prompt` and `completion` must be strings");
    } else if (f == EVM_TRAINSET_TEXT) {
        bad =
            is_kind(rec, "text", JV_KIND_STRING) ? jv_null() : jv_string("`text` must be a string");
    } else {
        jv msgs = ev_json_path(rec, "input.messages");
        bad = check_messages(r, "input.messages", msgs, true);
        jv_free(msgs);
        if (jv_get_kind(bad) == JV_KIND_NULL)
            bad = check_output(rec, "preferred_output");
        if (jv_get_kind(bad) == JV_KIND_NULL)
            bad = check_output(rec, "non_preferred_output");
    }
    return bad;
}

/* prompt_of returns the prompt of a good example 'rec' of format 'f', for
 * its tag: what the model is asked. */
static jv
prompt_of(jv rec, enum evm_trainset_format f)
{
    if (f == EVM_TRAINSET_CHAT)
        return ev_record_input(rec);
    if (f == EVM_TRAINSET_INSTRUCTION)
        return ev_json_field(rec, "prompt");
    if (f == EVM_TRAINSET_PREFERENCE)
        return ev_json_path(rec, "input.messages");
    return jv_invalid();
}

/* The state of a scan: the root weights Fireworks wants on all or none. */
typedef struct scan {
    unsigned long weighted, unweighted; /* the first line of each, or 0 */
} scan;

/* scan_line reads the example 'line' ('len' bytes), line 'no', into 'd'. */
static void
scan_line(evm_trainset *d, scan *s, enum evm_trainset_rules r, const char *line, size_t len,
          unsigned long no, const evm_model *m)
{
    jv rec = jv_parse_sized(line, (int)len), bad = jv_null();
    bool twice = false;
    enum evm_trainset_format f = EVM_TRAINSET_NONE;
    if (jv_get_kind(rec) != JV_KIND_OBJECT)
        bad = jv_string("not a JSON object");
    else if ((f = format_of(r, rec, &twice)) == EVM_TRAINSET_NONE || twice)
        bad = jv_string(twice ? "the example matches more than one format"
                        : r == EVM_TRAINSET_TOGETHER
                            ? "no known format: want `messages`, `prompt` and `completion`, "
                              "`text`, or `input` with `preferred_output` and "
                              "`non_preferred_output`"
                            : "no known format: want `messages`, or `input` with "
                              "`preferred_output` and `non_preferred_output`");
    else if (d->format != EVM_TRAINSET_NONE && f != d->format)
        bad = jv_string_fmt("the example is %s but the file's first is %s",
                            evm_trainset_format_name(f), evm_trainset_format_name(d->format));
    else
        bad = check_example(r, rec, f);
    if (jv_get_kind(bad) == JV_KIND_NULL && r == EVM_TRAINSET_FIREWORKS) {
        unsigned long *first = has(rec, "weight") ? &s->weighted : &s->unweighted;
        *first = *first ? *first : no;
        if (s->weighted && s->unweighted) {
            jv_free(bad);
            bad = jv_string("`weight` must be on every example or on none");
        }
    }
    if (jv_get_kind(bad) != JV_KIND_NULL) {
        d->problem = jv_string_fmt("Line %lu: %s", no, jv_string_value(bad));
    } else {
        d->format = f;
        d->examples++;
        d->tokens += (double)evm_wire_tokens(len);
        evm_trainset_count(d->tally, m, rec, prompt_of(rec, f));
    }
    jv_free(bad);
    jv_free(rec);
}

void
evm_trainset_scan(evm_trainset *d, enum evm_trainset_rules r, const char *data, size_t len,
                  const evm_model *m)
{
    *d = (evm_trainset){EVM_TRAINSET_NONE, 0, 0, jv_null(), evm_learner_tally_new()};
    scan s = {0, 0};
    unsigned long no = 0;
    for (size_t at = 0; at < len && jv_get_kind(d->problem) == JV_KIND_NULL;) {
        const char *end = memchr(data + at, '\n', len - at);
        size_t n = end ? (size_t)(end - (data + at)) : len - at;
        const char *line = data + at;
        at += n + (end != NULL);
        no++;
        size_t lead = 0;
        while (lead < n && strchr(" \t\r", line[lead]) != NULL)
            lead++;
        if (lead < n)
            scan_line(d, &s, r, line, n, no, m);
    }
    double least = r == EVM_TRAINSET_TOGETHER ? 1 : 3;
    if (jv_get_kind(d->problem) == JV_KIND_NULL && d->examples < least)
        d->problem =
            jv_string_fmt("the file has %.0f example%s, but at least %.0f %s required", d->examples,
                          d->examples == 1 ? "" : "s", least, least == 1 ? "is" : "are");
}

void
evm_trainset_free(evm_trainset *d)
{
    jv_free(d->problem);
    evm_learner_tally_free(d->tally);
    d->problem = jv_null();
    d->tally = NULL;
}
