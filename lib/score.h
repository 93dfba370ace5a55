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
 * {pass, value, scorer, reason}. ev-score(1) documents every scorer; this
 * header states what callers rely on.
 *
 * - 'value' is in [0, 1], rounded to six decimals. A list of assertions
 *   passes when all pass, and its value is their weighted mean.
 * - 'scorer' is the spec as written; an object stands for "type:value", and
 *   the specs of a list are joined by " & ".
 * - 'reason' is short: texts quoted in it are cut to 40 bytes.
 * - A record with a non-null 'error' fails with value 0 and reason "call
 *   failed"; one with no 'output' (or a null one) fails with reason "no
 *   output" unless it is scored by jq or cmd alone. not- flips neither.
 * - A record that needs an expected answer and has none (or a null one)
 *   cannot be scored: that is an error, not a failure.
 *
 * Regular expressions, jq programs and cmd processes are compiled or started
 * once per distinct text and kept for the run; ev_scoring_free releases them
 * and waits for the cmd processes to exit.
 */
#ifndef EV_SCORE_H
#define EV_SCORE_H

#include <stdbool.h>

#include <jv.h>

/* Options that apply to every scorer of a run. */
typedef struct ev_score_opts {
    int norm; /* enum ev_norm flags for exact, contains, starts-with, similar */
} ev_score_opts;

/* A scoring context: the run's default scorer, plus what per-case 'assert'
 * fields compile to (jq programs and cmd scorer processes are compiled or
 * started once and reused). */
typedef struct ev_scoring ev_scoring;

/* ev_scoring_new compiles the default 'spec': a SPEC string, or anything an
 * 'assert' field may hold. A cmd scorer's process starts now. On error it
 * returns NULL and sets '*err' to an invalid whose message says what is
 * wrong, without naming the spec. */
ev_scoring *ev_scoring_new(jv spec, const ev_score_opts *opts, jv *err);

/* ev_scoring_run scores 'rec' (borrowed) and returns its score object. The
 * record's own 'assert' overrides the default; a record with 'error' fails
 * with reason "call failed". When the record cannot be scored (a bad
 * 'assert', no expected answer, a jq runtime error, a dead cmd scorer) the
 * result is invalid with a message, and the caller reports it. */
jv ev_scoring_run(ev_scoring *s, jv rec);

/* ev_scoring_free releases 's' and everything it compiled or started. NULL
 * is allowed. */
void ev_scoring_free(ev_scoring *s);

#endif
