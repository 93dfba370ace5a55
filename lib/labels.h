/*
 * labels.h: a reviewer's decisions about the cases of a run, review.jsonl.
 *
 * ev-view(1) writes review.jsonl, one line per labelled case:
 *   {"id": ..., "label": L, "corrected"?: string, "note"?: string,
 *    "reviewer"?: string}
 * where L is model-wrong (the model failed the case), expected-wrong (the
 * case's expected answer is wrong; 'corrected' gives the right one), ambiguous
 * (the case allows several answers) or ok (the output is right, whatever the
 * scorer said). ev-gaps reads it with --labels. A later line of an id wins.
 * Memory holds every line kept, which a person wrote one by one.
 * Ownership: json.h.
 */
#ifndef EV_LABELS_H
#define EV_LABELS_H

#include <stdbool.h>

#include <jv.h>

#include "log.h"

enum ev_labels_label {
    EV_LABELS_NONE, /* the case has no label */
    EV_LABELS_MODEL_WRONG,
    EV_LABELS_EXPECTED_WRONG,
    EV_LABELS_AMBIGUOUS,
    EV_LABELS_OK,
};

typedef struct ev_labels {
    jv byid; /* id -> the line's object, label checked */
    jv used; /* id -> true, for each id ev_labels_find found */
} ev_labels;

/* ev_labels_load reads review.jsonl at 'path' into 'l'. Each bad line (not
 * a record, no id, no known label, a 'corrected', 'note' or 'reviewer' that
 * is not a string) is a warning to 'log', "file:line: ...", and is left
 * out. Returns the number of problems. */
unsigned long ev_labels_load(ev_labels *l, const char *path, const ev_log *log);

/* ev_labels_find returns the label of case 'id' (a string), and in
 * '*entry', when not NULL, its line (owned by the caller; null when none). */
enum ev_labels_label ev_labels_find(ev_labels *l, jv id /* borrowed */, jv *entry);

/* ev_labels_name returns the label's name as review.jsonl spells it. */
const char *ev_labels_name(enum ev_labels_label label);

/* ev_labels_unused returns how many labelled ids ev_labels_find never
 * found: labels of cases that are not in the run. */
long ev_labels_unused(const ev_labels *l);

void ev_labels_free(ev_labels *l);

#endif
