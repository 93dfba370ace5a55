/*
 * scorebox.h: the work of ev-score's scorers that runs in the sandbox.
 *
 * Ownership: json.h.
 *
 * What a record makes costly, or could make reach outside, runs in a
 * sandbox (sandbox.h) under the record's budget: every jq program
 * (jqprog.h), a regular expression on a long text, the edit distance of two
 * long texts. The worker starts on the first request and is kept; a request
 * that ran over its budget ends it, and the next request starts another.
 *
 * Each request takes '*cpu_left', the CPU time the record has left, and
 * takes from it what it used. When it ran over, or the worker died, the
 * result is invalid with the sandbox's message and '*over' says whether a
 * budget was the cause (sandbox.h: ev_sandbox_call).
 */
#ifndef EV_SCOREBOX_H
#define EV_SCOREBOX_H

#include <jv.h>

#include "sandbox.h"

typedef struct ev_scorebox ev_scorebox;

/* ev_scorebox_new prepares a sandbox with 'budget'; no process starts yet. */
ev_scorebox *ev_scorebox_new(ev_sandbox_budget budget);

/* ev_scorebox_jq runs the jq 'program' (a string) on 'input', or only
 * compiles it when 'input' is invalid, and returns the reply of
 * ev_jqprog_run (jqprog.h). */
jv ev_scorebox_jq(ev_scorebox *b, jv program, jv input, double *cpu_left, ev_sandbox_over *over);

/* ev_scorebox_regex returns true or false: whether 'text' (a string)
 * matches the extended regular expression 'pattern' (a string, which
 * ev_pattern_new accepts; one it refuses matches nothing). */
jv ev_scorebox_regex(ev_scorebox *b, jv pattern, jv text, double *cpu_left, ev_sandbox_over *over);

/* ev_scorebox_similar returns ev_metric_similarity (metric.h) of the strings 'a'
 * and 'c' as a number. */
jv ev_scorebox_similar(ev_scorebox *b, jv a, jv c, double *cpu_left, ev_sandbox_over *over);

/* ev_scorebox_free ends the worker and frees 'b'. NULL is allowed. */
void ev_scorebox_free(ev_scorebox *b);

#endif
