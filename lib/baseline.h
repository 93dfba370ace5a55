/*
 * baseline.h: what ev-gaps keeps of another run of the same cases.
 *
 * Of a baseline run, whether each case passed, so that a failure can be
 * called a regression (the baseline passed it) or both-fail. Of a teacher
 * run (--as train --teacher), also the answer of each case it passed, to
 * train on. Cases are found by id; a later record of an id wins. Memory is
 * the ids once, about 40 bytes a case, and a teacher's distinct answers.
 */
#ifndef EV_BASELINE_H
#define EV_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "intern.h"
#include "log.h"

typedef struct ev_baseline {
    ev_intern *ids;
    bool *passed;       /* per id */
    uint32_t *answer;   /* teacher: per id, its answer in 'answers' */
    ev_intern *answers; /* teacher: the distinct passing answers; NULL otherwise */
    size_t cap;
} ev_baseline;

/* ev_baseline_load reads the scored run at 'path' ("-" for standard input)
 * into 'b', which starts zeroed; with 'answers' it keeps the answers of the
 * cases that passed, as a teacher's. Each bad line, record without an id and
 * bad score is a warning to 'log', "file:line: ...", and the record is
 * left out. Returns the number of problems. */
unsigned long ev_baseline_load(ev_baseline *b, const char *path, bool answers, const ev_log *log);

/* ev_baseline_find returns the position of the case 'id' (a string), or
 * EV_INTERN_NONE when 'b' holds none or 'id' is not a valid string. */
uint32_t ev_baseline_find(const ev_baseline *b, jv id /* borrowed */);

/* ev_baseline_passed says whether case 'i' (from ev_baseline_find) passed. */
bool ev_baseline_passed(const ev_baseline *b, uint32_t i);

/* ev_baseline_answer returns the teacher's passing answer for case 'id', or
 * invalid when it has none. */
jv ev_baseline_answer(const ev_baseline *b, jv id /* borrowed */);

void ev_baseline_free(ev_baseline *b);

#endif
