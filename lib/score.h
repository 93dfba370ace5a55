/*
 * score.h: the scorers of ev-score.
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
 *
 * A scorer is compiled once from a SPEC string ("exact", "contains:Paris",
 * "not-regex:^A", "jq:.output == .expected", "cmd:./judge.py", ...) or from a
 * case's 'assert' value (a SPEC string, an object {type, value, weight}, or a
 * list of them), and then run on records. Running yields the record's 'score':
 * {pass, value, scorer, reason}.
 */
#ifndef EV_SCORE_H
#define EV_SCORE_H

#include <stdbool.h>

#include <jv.h>

/* Options that apply to every scorer of a run. */
typedef struct ev_score_opts {
    int norm;        /* enum ev_norm flags for exact and friends */
} ev_score_opts;

/* A scoring context: the run's default scorer, plus what per-case 'assert'
 * fields compile to (jq programs and cmd scorer processes are compiled or
 * started once and reused). */
typedef struct ev_scoring ev_scoring;

/* ev_scoring_new compiles the default 'spec' (a SPEC string). On error it
 * returns NULL and sets '*err' to a string saying what is wrong. */
ev_scoring *ev_scoring_new(jv spec, const ev_score_opts *opts, jv *err);

/* ev_scoring_run scores 'rec' (borrowed) and returns its score object. The
 * record's own 'assert' overrides the default; a record with 'error' fails
 * with reason "call failed". When the record cannot be scored (a bad
 * 'assert', a jq runtime error, a dead cmd scorer) the result is invalid with
 * a message, and the caller reports it. */
jv ev_scoring_run(ev_scoring *s, jv rec);

void ev_scoring_free(ev_scoring *s);

#endif
