#include "record.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "json.h"

static bool
is_role(jv msg, const char *role)
{
    if (jv_get_kind(msg) != JV_KIND_OBJECT)
        return false;
    jv r = jv_object_get(jv_copy(msg), jv_string("role"));
    bool yes = jv_get_kind(r) == JV_KIND_STRING && strcmp(jv_string_value(r), role) == 0;
    jv_free(r);
    return yes;
}

/* last_assistant returns the index of the final message when it is from the
 * assistant, or -1. */
static int
last_assistant(jv msgs)
{
    if (jv_get_kind(msgs) != JV_KIND_ARRAY)
        return -1;
    int n = jv_array_length(jv_copy(msgs));
    if (n == 0)
        return -1;
    jv last = jv_array_get(jv_copy(msgs), n - 1);
    bool yes = is_role(last, "assistant");
    jv_free(last);
    return yes ? n - 1 : -1;
}

jv
ev_record_input(jv rec)
{
    jv in = ev_json_field(rec, "input");
    if (jv_get_kind(in) == JV_KIND_STRING || jv_get_kind(in) == JV_KIND_ARRAY)
        return in;
    if (jv_is_valid(in) && jv_get_kind(in) != JV_KIND_NULL) {
        jv_free(in);
        return jv_invalid_with_msg(
            jv_string("'input' is neither a string nor an array of messages"));
    }
    jv_free(in);
    jv msgs = ev_json_field(rec, "messages");
    if (jv_get_kind(msgs) != JV_KIND_ARRAY) {
        jv_free(msgs);
        return jv_invalid();
    }
    int k = last_assistant(msgs);
    if (k >= 0)
        return jv_array_slice(msgs, 0, k);
    return msgs;
}

jv
ev_record_expected(jv rec)
{
    static const char *const names[] = {"expected", "ideal", "target"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        jv v = ev_json_field(rec, names[i]);
        if (jv_is_valid(v))
            return v;
    }
    jv msgs = ev_json_field(rec, "messages");
    int k = last_assistant(msgs);
    if (k < 0) {
        jv_free(msgs);
        return jv_invalid();
    }
    jv last = jv_array_get(msgs, k);
    return jv_object_get(last, jv_string("content"));
}

jv
ev_record_id_problem(jv rec)
{
    jv id = ev_json_field(rec, "id");
    jv_kind k = jv_get_kind(id);
    jv_free(id);
    if (k == JV_KIND_STRING || k == JV_KIND_NUMBER || k == JV_KIND_NULL || k == JV_KIND_INVALID)
        return jv_invalid();
    return jv_string("'id' is neither a string nor a number");
}

jv
ev_record_score_problem(jv rec)
{
    jv score = ev_json_field(rec, "score");
    jv_kind kind = jv_get_kind(score);
    if (kind == JV_KIND_INVALID || kind == JV_KIND_NULL) {
        jv_free(score);
        return jv_invalid();
    }
    if (kind != JV_KIND_OBJECT) {
        jv_free(score);
        return jv_string_fmt("'score' is %s %s, not an object", kind == JV_KIND_ARRAY ? "an" : "a",
                             jv_kind_name(kind));
    }
    jv pass = jv_object_get(jv_copy(score), jv_string("pass"));
    jv value = jv_object_get(score, jv_string("value"));
    jv_kind pk = jv_get_kind(pass), vk = jv_get_kind(value);
    double v = vk == JV_KIND_NUMBER ? jv_number_value(value) : 0;
    jv_free(pass);
    jv_free(value);
    if (pk != JV_KIND_TRUE && pk != JV_KIND_FALSE)
        return jv_string("'score.pass' is neither true nor false");
    if (vk != JV_KIND_INVALID && vk != JV_KIND_NULL && vk != JV_KIND_NUMBER)
        return jv_string("'score.value' is not a number");
    if (v >= 0 && v <= 1)
        return jv_invalid();
    /* Out of range, it would skew every mean it joins. jq reads 1e400 as
     * infinite; NaN only comes from a program, never from a line. */
    jv shown = isnan(v)   ? jv_string("NaN")
               : isinf(v) ? jv_string(v > 0 ? "infinite" : "minus infinite")
                          : jv_dump_string(jv_number(v), 0);
    jv msg = jv_string_fmt("'score.value' is %s, not a number from 0 to 1", jv_string_value(shown));
    jv_free(shown);
    return msg;
}

jv
ev_record_id(jv rec)
{
    jv problem = ev_record_id_problem(rec);
    if (jv_is_valid(problem))
        return jv_invalid_with_msg(problem);
    jv id = ev_json_field(rec, "id");
    if (jv_get_kind(id) == JV_KIND_STRING)
        return id;
    if (jv_get_kind(id) == JV_KIND_NUMBER)
        return jv_dump_string(id, 0);
    jv_free(id);
    /* The derived id must never change, so it hashes 'input' whatever its
     * type, even one that is not a prompt. */
    jv in = ev_json_field(rec, "input");
    if (!jv_is_valid(in) || jv_get_kind(in) == JV_KIND_NULL) {
        jv_free(in);
        in = ev_record_input(rec);
    }
    if (!jv_is_valid(in)) {
        jv_free(in);
        return jv_invalid_with_msg(jv_string("record has no 'id' and no 'input' to derive one"));
    }
    jv canon = jv_dump_string(in, JV_PRINT_SORTED);
    const char *s = jv_string_value(canon);
    uint64_t h = ev_hash_64(s, strlen(s), 0);
    jv_free(canon);
    char buf[24];
    snprintf(buf, sizeof(buf), "h%016" PRIx64, h);
    return jv_string(buf);
}

jv
ev_record_with_id(jv rec)
{
    jv old = ev_json_field(rec, "id");
    bool has = jv_get_kind(old) == JV_KIND_STRING || jv_get_kind(old) == JV_KIND_NUMBER;
    jv_free(old);
    if (has)
        return rec;
    jv id = ev_record_id(rec);
    if (!jv_is_valid(id)) {
        jv_free(id);
        return rec;
    }
    return jv_object_set(rec, jv_string("id"), id);
}

jv
ev_record_tags(jv rec)
{
    jv t = ev_json_field(rec, "tags");
    if (jv_get_kind(t) == JV_KIND_STRING)
        return jv_array_append(jv_array(), t);
    if (jv_get_kind(t) != JV_KIND_ARRAY) {
        jv_free(t);
        return jv_array();
    }
    jv out = jv_array();
    jv_array_foreach(t, i, tag)
    {
        if (jv_get_kind(tag) == JV_KIND_STRING)
            out = jv_array_append(out, tag);
        else
            out = jv_array_append(out, ev_record_text_of(tag));
        (void)i;
    }
    jv_free(t);
    return out;
}

jv
ev_record_text_of(jv v)
{
    switch (jv_get_kind(v)) {
    case JV_KIND_STRING:
        return v;
    case JV_KIND_INVALID:
    case JV_KIND_NULL:
        jv_free(v);
        return jv_string("");
    default:
        return jv_dump_string(v, 0);
    }
}

jv
ev_record_message(const char *role, jv content)
{
    jv m = ev_json_set(jv_object(), "role", jv_string(role));
    return ev_json_set(m, "content", content);
}

jv
ev_record_content_text(jv c)
{
    if (jv_get_kind(c) != JV_KIND_ARRAY)
        return ev_record_text_of(c);
    jv out = jv_string("");
    jv_array_foreach(c, i, part)
    {
        jv text = jv_get_kind(part) == JV_KIND_STRING ? jv_copy(part)
                  : jv_get_kind(part) == JV_KIND_OBJECT
                      ? jv_object_get(jv_copy(part), jv_string("text"))
                      : jv_invalid();
        if (jv_get_kind(text) == JV_KIND_STRING)
            out = jv_string_concat(out, text);
        else
            jv_free(text);
        jv_free(part);
        (void)i;
    }
    jv_free(c);
    return out;
}

jv
ev_record_prompt_text(jv rec)
{
    jv in = ev_record_input(rec);
    if (jv_get_kind(in) != JV_KIND_ARRAY)
        return ev_record_text_of(in);
    jv out = jv_string("");
    int first = 1;
    jv_array_foreach(in, i, m)
    {
        jv c = jv_get_kind(m) == JV_KIND_OBJECT ? jv_object_get(m, jv_string("content"))
                                                : (jv_free(m), jv_invalid());
        if (!first)
            out = jv_string_append_str(out, "\n");
        first = 0;
        out = jv_string_concat(out, ev_record_content_text(c));
        (void)i;
    }
    jv_free(in);
    return out;
}
