/*
 * score.h: a record's score, from the run's scorer or the record's own
 * 'assert'.
 *
 * Ownership: json.h.
 *
 * This is what ev-score calls; the rooms behind it are assertion.h (SPEC
 * strings and 'assert' values read), scorer.h (one assertion on one
 * record), scorebox.h and jqprog.h (what runs in the sandbox), pattern.h
 * (which regexes are safe) and reason.h (the wording of reasons).
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
 * A judge assertion ("judge:TEXT", or "judge" for the run's rubric) is
 * scored in two steps, because a model answers it: ev_score_prompts says
 * what to ask the judge, and ev_score_run_judged scores the record with
 * the answers. Its score adds 'label' and 'judge' (judge.h).
 *
 * Regular expressions, jq programs and cmd processes are compiled or started
 * once per distinct text and kept for the run; ev_score_free releases them
 * and waits for the cmd processes to exit.
 *
 * A record is data from anywhere, and its 'assert' is held to that:
 * - it may not name a cmd scorer, which runs a program, unless the run
 *   allows it ('record_commands'); a default spec may;
 * - jq programs, from a record or not, run in a sandbox (sandbox.h) with
 *   the record as their only input: no environment, no files, no modules;
 * - what a record makes costly runs in the sandbox too, under the record's
 *   budget: every jq program, a regex on a long output, 'similar' on long
 *   texts. Past its budget a record fails, with the budget as its reason,
 *   and the caller is given a warning to report;
 * - a regex with a back-reference is refused.
 */
#ifndef EV_SCORE_H
#define EV_SCORE_H

#include <stdbool.h>

#include <jv.h>

#include "judge.h"
#include "sandbox.h"

/* The defaults of a record's budget (ev_score_opts). */
#define EV_SCORE_CPU_BUDGET 10.0   /* seconds of CPU time */
#define EV_SCORE_MEMORY_BUDGET 512 /* MiB */

/* Options that apply to every scorer of a run. */
typedef struct ev_score_opts {
    int norm; /* enum ev_text_norm flags for exact, contains, starts-with, similar */
    const ev_judge_rubric *judge; /* the rubric of a bare "judge", borrowed; may be NULL */
    bool judge_mean;              /* combine a judge's samples by their mean, not a vote */
    char *const *pass_env;        /* patterns of our variables a cmd scorer also gets
                                     (lib/child.h: ev_child_env); may be NULL */
    bool record_commands;         /* a record's 'assert' may run a cmd scorer */
    ev_sandbox_budget budget;     /* each record's; a field of 0 takes its default */
} ev_score_opts;

/* A scoring context: the run's default scorer, plus what per-case 'assert'
 * fields compile to (jq programs and cmd scorer processes are compiled or
 * started once and reused). */
typedef struct ev_score ev_score;

/* ev_score_new compiles the default 'spec': a SPEC string, or anything an
 * 'assert' field may hold. A cmd scorer's process starts now. On error it
 * returns NULL and sets '*err' to an invalid whose message says what is
 * wrong, without naming the spec. */
ev_score *ev_score_new(jv spec, const ev_score_opts *opts, jv *err);

/* ev_score_run scores 'rec' and returns its score object. The
 * record's own 'assert' overrides the default; a record with 'error' fails
 * with reason "call failed". When the record cannot be scored (a bad
 * 'assert', no expected answer, a jq runtime error, a dead cmd scorer) the
 * result is invalid with a message, and the caller reports it. When the
 * record failed because it ran over its budget, '*warning' is set to a
 * message for the caller to report; otherwise it is set to invalid. */
jv ev_score_run(ev_score *s, jv rec /* borrowed */, jv *warning);

/* ev_score_prompts returns the judge prompts that scoring 'rec' takes: an
 * array of strings, one per judge assertion in order. It is empty when
 * there is none, or when the record fails before a judge is asked (a
 * failed call, no output). When the record cannot be scored the result is
 * invalid with a message, as from ev_score_run. */
jv ev_score_prompts(ev_score *s, jv rec /* borrowed */);

/* ev_score_run_judged is ev_score_run with the judges' answers:
 * 'judged' (consumed) holds, for each prompt of ev_score_prompts, the
 * array of records (with 'output' and 'call') that ev-call wrote for its
 * samples. A judge assertion without an answer is an error. */
jv ev_score_run_judged(ev_score *s, jv rec /* borrowed */, jv judged, jv *warning);

/* ev_score_finish ends the cmd scorers' processes (their input is closed
 * and they are waited for) and returns an array of messages about what no
 * record was told: a cmd scorer that wrote more lines than it was sent
 * records, whose answers were out of step. Call it once, after the last
 * record. */
jv ev_score_finish(ev_score *s);

/* ev_score_free releases 's' and everything it compiled or started. NULL
 * is allowed. */
void ev_score_free(ev_score *s);

#endif
