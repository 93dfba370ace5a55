/*
 * scorer.h: one assertion (assertion.h) run on one record: its verdict.
 *
 * Ownership: json.h.
 *
 * The scorers compare a record's 'output' with an answer: the assertion's
 * own VALUE, else the record's expected answer (record.h: 'expected' and
 * its aliases). An expected answer that is a list accepts any of its
 * elements, and the best verdict stands. ev-score(1) says what each type
 * passes; the reasons are worded by reason.h.
 *
 * What a record makes costly runs in the sandbox (scorebox.h) under the
 * record's CPU budget: every jq program, a regex whose match would cost
 * more than about 10 ms in ev-score itself (pattern.h: ev_pattern_cost
 * above 1e9), and 'similar' on texts whose lengths multiply past 4e6. A
 * record over its budget fails, with the budget as its reason, and a
 * warning for the user.
 */
#ifndef EV_SCORER_H
#define EV_SCORER_H

#include <stdbool.h>

#include <jv.h>

#include "assertion.h"
#include "pattern.h"
#include "sandbox.h"

/* What the assertions of a run share: the regexes and jq programs known
 * good, and the sandbox. */
typedef struct ev_scorer ev_scorer;

/* ev_scorer_new returns a scorer that normalises texts by 'norm' (enum
 * ev_text_norm flags, for exact, contains, starts-with and similar), combines
 * a judge's samples by their mean when 'judge_mean' (else by a vote), and
 * gives each record 'budget'. */
ev_scorer *ev_scorer_new(int norm, bool judge_mean, ev_sandbox_budget budget);

void ev_scorer_free(ev_scorer *s);

/* ev_scorer_pattern returns the regex 'text', compiled once for the run
 * (pattern.h: ev_pattern_cached). */
ev_pattern *ev_scorer_pattern(ev_scorer *s, const char *text, bool *own, jv *err);

/* ev_scorer_check_jq asks the sandbox whether the program of the jq
 * assertion 'a' compiles, once per distinct program, and says why not in
 * '*err'. */
bool ev_scorer_check_jq(ev_scorer *s, const ev_assertion *a, jv *err);

/* One record, as its assertions see it; what they fetch is kept for the
 * next one. */
typedef struct ev_scorer_case {
    ev_scorer *s;
    jv rec;      /* borrowed */
    jv out;      /* 'output', or invalid when absent or null */
    jv text;     /* 'output' as text, or invalid until asked for */
    jv expected; /* the expected answer, invalid when absent or null */
    bool fetched;
    jv judged; /* the judges' answers, one array of samples per judge assertion */
    int next_judged;
    jv warning;      /* why the record failed, for the user to hear, or invalid */
    double cpu_left; /* of the record's CPU budget */
} ev_scorer_case;

/* ev_scorer_case_init readies 'rec' (borrowed; it must outlive the case)
 * for scoring, with 'judged' the judges' answers, or invalid when none
 * were asked. */
void ev_scorer_case_init(ev_scorer_case *c, ev_scorer *s, jv rec, jv judged);

void ev_scorer_case_free(ev_scorer_case *c);

/* The outcome of one assertion on one record. */
typedef struct ev_scorer_verdict {
    bool pass;
    double value; /* in [0, 1] */
    jv reason;
    bool final;      /* "no output": not flipped by not- */
    bool unparsed;   /* the scorer could not read the output (no number, no
                      * choice letter, invalid JSON): score.parsed is false */
    jv label, judge; /* a judge's verdict: its label and score.judge, or invalid */
} ev_scorer_verdict;

/* ev_scorer_reads_output says whether 'a' needs the record's output: all
 * but jq and cmd do. */
bool ev_scorer_reads_output(const ev_assertion *a);

/* ev_scorer_run scores the record of 'c' with 'a' into '*v'. A record with
 * no output fails every assertion that reads it, negated or not. Returns
 * false with '*err' set when the record cannot be scored: no expected
 * answer, a jq program that fails, a cmd scorer that died, no judge
 * answer. */
bool ev_scorer_run(const ev_assertion *a, ev_scorer_case *c, ev_scorer_verdict *v, jv *err);

/* ev_scorer_merge_judge moves the judge's verdict of 'v', if any, into
 * '*label' and '*judge', a record's judge data so far (invalid before the
 * first judge): the first label is kept, and the samples, labels and
 * tokens of several judges add up. */
void ev_scorer_merge_judge(ev_scorer_verdict *v, jv *label, jv *judge);

/* ev_scorer_prompt returns the prompt of the judge assertion 'a' for the
 * record of 'c', or an invalid with a message. */
jv ev_scorer_prompt(const ev_assertion *a, ev_scorer_case *c);

#endif
