#include "labels.h"

#include <string.h>

#include "json.h"
#include "jsonl.h"
#include "record.h"

static const char *const names[] = {
    [EV_LABELS_NONE] = "none",
    [EV_LABELS_MODEL_WRONG] = "model-wrong",
    [EV_LABELS_EXPECTED_WRONG] = "expected-wrong",
    [EV_LABELS_AMBIGUOUS] = "ambiguous",
    [EV_LABELS_OK] = "ok",
};

const char *
ev_labels_name(enum ev_labels_label label)
{
    return names[label];
}

/* label_of returns the label named 'name', or EV_LABELS_NONE. */
static enum ev_labels_label
label_of(const char *name)
{
    for (int i = EV_LABELS_MODEL_WRONG; i <= EV_LABELS_OK; i++)
        if (strcmp(name, names[i]) == 0)
            return (enum ev_labels_label)i;
    return EV_LABELS_NONE;
}

/* problem says what is wrong with the label line 'rec' (borrowed), or
 * returns invalid when nothing is. */
static jv
problem(jv rec)
{
    jv label = ev_json_field(rec, "label");
    jv p = jv_invalid();
    if (jv_get_kind(label) != JV_KIND_STRING)
        p = jv_string("no 'label': give one of model-wrong, expected-wrong, ambiguous, ok");
    else if (label_of(jv_string_value(label)) == EV_LABELS_NONE)
        p = jv_string_fmt("'label' is '%s': give one of model-wrong, expected-wrong, ambiguous, ok",
                          jv_string_value(label));
    jv_free(label);
    static const char *const texts[] = {"corrected", "note", "reviewer"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]) && !jv_is_valid(p); i++) {
        jv v = ev_json_field(rec, texts[i]);
        if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_STRING && jv_get_kind(v) != JV_KIND_NULL)
            p = jv_string_fmt("'%s' is not a string", texts[i]);
        jv_free(v);
    }
    return p;
}

unsigned long
ev_labels_load(ev_labels *l, const char *path, const ev_log *log)
{
    char *paths[] = {(char *)path};
    ev_jsonl_reader r;
    unsigned long problems = 0;
    jv rec;

    l->byid = jv_object();
    l->used = jv_object();
    ev_jsonl_init(&r, paths, 1, NULL);
    jv id;
    while (ev_jsonl_next_case(&r, &rec, &id, problem, log, &problems))
        l->byid = jv_object_set(l->byid, id, rec);
    ev_jsonl_free(&r);
    return problems;
}

enum ev_labels_label
ev_labels_find(ev_labels *l, jv id, jv *entry)
{
    if (entry != NULL)
        *entry = jv_null();
    if (jv_get_kind(id) != JV_KIND_STRING || !jv_is_valid(l->byid))
        return EV_LABELS_NONE;
    jv line = jv_object_get(jv_copy(l->byid), jv_copy(id));
    if (!jv_is_valid(line)) {
        jv_free(line);
        return EV_LABELS_NONE;
    }
    l->used = jv_object_set(l->used, jv_copy(id), jv_true());
    jv label = ev_json_field(line, "label");
    enum ev_labels_label k = label_of(jv_string_value(label));
    jv_free(label);
    if (entry != NULL)
        *entry = line;
    else
        jv_free(line);
    return k;
}

long
ev_labels_unused(const ev_labels *l)
{
    if (!jv_is_valid(l->byid))
        return 0;
    return (long)jv_object_length(jv_copy(l->byid)) - (long)jv_object_length(jv_copy(l->used));
}

void
ev_labels_free(ev_labels *l)
{
    if (jv_is_valid(l->byid))
        jv_free(l->byid);
    if (jv_is_valid(l->used))
        jv_free(l->used);
    l->byid = jv_invalid();
    l->used = jv_invalid();
}
