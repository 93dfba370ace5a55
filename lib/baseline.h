/*
 * baseline.h: what ev-gaps keeps of another run of the same cases.
 *
 * Of a baseline run, whether each case passed, so that a failure can be
 * called a regression (the baseline passed it) or both-fail. Of a teacher
 * run (--as train --teacher), also the answer of each case it passed, to
 * train on. Of a baseline shown beside the candidate (--review), the output
 * of every case, or its error. Cases are found by id; a later record of an
 * id wins. Memory is the ids once, about 40 bytes a case, and the distinct
 * answers or outputs kept.
 */
#ifndef EV_BASELINE_H
#define EV_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "intern.h"
#include "log.h"

/* What ev_baseline_load keeps of each case, beside whether it passed. */
enum ev_baseline_keep {
    EV_BASELINE_VERDICTS, /* nothing more */
    EV_BASELINE_TEACHER,  /* the answer of each case it passed, and only those cases */
    EV_BASELINE_OUTPUTS,  /* every case's output as text, or "error: ..." */
};

typedef struct ev_baseline {
    ev_intern *ids;
    bool *passed;       /* per id */
    uint32_t *answer;   /* per id, its answer in 'answers', or EV_INTERN_NONE */
    ev_intern *answers; /* the distinct answers or outputs kept; NULL for verdicts */
    size_t cap;
} ev_baseline;

/* ev_baseline_load reads the scored run at 'path' ("-" for standard input)
 * into 'b', which starts zeroed, keeping what 'keep' says. Each bad line,
 * record without an id and bad score is a warning to 'log', "file:line:
 * ...", and the record is left out. Returns the number of problems. */
unsigned long ev_baseline_load(ev_baseline *b, const char *path, enum ev_baseline_keep keep,
                               const ev_log *log);

/* ev_baseline_find returns the position of the case 'id' (a string), or
 * EV_INTERN_NONE when 'b' holds none or 'id' is not a valid string. */
uint32_t ev_baseline_find(const ev_baseline *b, jv id /* borrowed */);

/* ev_baseline_passed says whether case 'i' (from ev_baseline_find) passed. */
bool ev_baseline_passed(const ev_baseline *b, uint32_t i);

/* ev_baseline_answer returns what 'b' keeps of case 'id': a teacher's
 * passing answer, or a baseline's output; invalid when it has none. */
jv ev_baseline_answer(const ev_baseline *b, jv id /* borrowed */);

void ev_baseline_free(ev_baseline *b);

#endif
