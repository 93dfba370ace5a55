#include "baseline.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "gaps.h"
#include "json.h"
#include "jsonl.h"
#include "record.h"

/* set records that case 'id' passed or not; of a teacher, only a passing
 * 'answer' is kept. */
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
        b->answer[i] = ev_intern_add(b->answers, jv_string_value(answer),
                                     (size_t)jv_string_length_bytes(jv_copy(answer)), NULL);
    }
    jv_free(answer);
}

unsigned long
ev_baseline_load(ev_baseline *b, const char *path, bool answers, const ev_log *log)
{
    char *paths[] = {(char *)path};
    ev_jsonl_reader r;
    jv rec;
    unsigned long problems = 0;

    b->ids = ev_intern_new();
    b->answers = answers ? ev_intern_new() : NULL;
    ev_jsonl_init(&r, paths, 1, NULL);
    while (ev_jsonl_good(&r, &rec, log, &problems)) {
        jv id = ev_record_id(rec);
        jv bad = jv_is_valid(id) ? ev_record_score_problem(rec) : jv_copy(id);
        if (jv_is_valid(bad) || !jv_is_valid(id)) {
            ev_log_warn_jv(log, ev_jsonl_at(&r, bad));
            problems++;
            jv_free(id);
            jv_free(rec);
            continue;
        }
        jv_free(bad);
        bool passed = !ev_gaps_failed(rec);
        jv out = ev_json_field(rec, "output");
        if (!answers)
            set(b, id, passed, jv_null());
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
    if (i == EV_INTERN_NONE || b->answers == NULL)
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
