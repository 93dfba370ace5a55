#include "baseline.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "gaps.h"
#include "json.h"
#include "jsonl.h"
#include "record.h"

/* set records that case 'id' passed or not, and its 'answer' (a string, or
 * null for none) when 'b' keeps answers. */
static void
set(ev_baseline *b, jv id, bool passed, jv answer)
{
    uint32_t i = ev_intern_add(b->ids, jv_string_value(id),
                               (size_t)jv_string_length_bytes(jv_copy(id)), NULL);
    jv_free(id);
    if (i >= b->cap) {
        b->cap = b->cap ? 2 * b->cap : 256;
        b->passed = ev_alloc_array(b->passed, b->cap, sizeof(*b->passed));
        if (b->answers != NULL)
            b->answer = ev_alloc_array(b->answer, b->cap, sizeof(*b->answer));
    }
    b->passed[i] = passed;
    if (b->answers != NULL) {
        b->answer[i] = jv_get_kind(answer) != JV_KIND_STRING
                           ? EV_INTERN_NONE
                           : ev_intern_add(b->answers, jv_string_value(answer),
                                           (size_t)jv_string_length_bytes(jv_copy(answer)), NULL);
    }
    jv_free(answer);
}

/* shown returns what a review shows of the baseline's record 'rec'
 * (borrowed): its output as text, or its error. */
static jv
shown(jv rec)
{
    jv err = ev_json_field(rec, "error");
    if (jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL) {
        jv msg = ev_json_field(err, "message");
        jv text =
            jv_get_kind(msg) == JV_KIND_STRING ? jv_copy(msg) : ev_record_text_of(jv_copy(err));
        jv_free(msg);
        jv_free(err);
        jv shown = jv_string_fmt("error: %s", jv_string_value(text));
        jv_free(text);
        return shown;
    }
    jv_free(err);
    jv out = ev_json_field(rec, "output");
    return jv_is_valid(out) ? ev_record_text_of(out) : jv_null();
}

unsigned long
ev_baseline_load(ev_baseline *b, const char *path, enum ev_baseline_keep keep, const ev_log *log)
{
    char *paths[] = {(char *)path};
    ev_jsonl_reader r;
    jv rec;
    unsigned long problems = 0;

    b->ids = ev_intern_new();
    b->answers = keep != EV_BASELINE_VERDICTS ? ev_intern_new() : NULL;
    ev_jsonl_init(&r, paths, 1, NULL);
    jv id;
    while (ev_jsonl_next_case(&r, &rec, &id, ev_record_score_problem, log, &problems)) {
        bool passed = !ev_gaps_failed(rec);
        jv out = ev_json_field(rec, "output");
        if (keep == EV_BASELINE_VERDICTS)
            set(b, id, passed, jv_null());
        else if (keep == EV_BASELINE_OUTPUTS)
            set(b, id, passed, shown(rec));
        else if (passed && jv_get_kind(out) == JV_KIND_STRING)
            set(b, id, passed, jv_copy(out));
        else
            jv_free(id);
        jv_free(out);
        jv_free(rec);
    }
    ev_jsonl_free(&r);
    return problems;
}

uint32_t
ev_baseline_find(const ev_baseline *b, jv id)
{
    if (b->ids == NULL || jv_get_kind(id) != JV_KIND_STRING)
        return EV_INTERN_NONE;
    return ev_intern_find(b->ids, jv_string_value(id), (size_t)jv_string_length_bytes(jv_copy(id)));
}

bool
ev_baseline_passed(const ev_baseline *b, uint32_t i)
{
    return b->passed[i];
}

jv
ev_baseline_answer(const ev_baseline *b, jv id)
{
    uint32_t i = ev_baseline_find(b, id);
    if (i == EV_INTERN_NONE || b->answers == NULL || b->answer[i] == EV_INTERN_NONE)
        return jv_invalid();
    size_t len;
    const char *s = ev_intern_get(b->answers, b->answer[i], &len);
    return jv_string_sized(s, (int)len);
}

void
ev_baseline_free(ev_baseline *b)
{
    ev_intern_free(b->ids);
    ev_intern_free(b->answers);
    free(b->passed);
    free(b->answer);
    memset(b, 0, sizeof(*b));
}
