/*
 * scorerun.h: a run of ev-score: records in, each with its score out, in
 * input order, with the judges asked through ev-call.
 *
 * Ownership: json.h.
 *
 * The run reads its operands (jsonl.h) and scores each record (score.h).
 * A record that needs a judge waits in a queue while ev-call, started as a
 * child for the whole run on the first judge prompt (relay.h), answers its
 * prompts; records leave the queue in input order. So providers, keys, the
 * cache, retries and rate limits are ev-call's. At most 4096 records wait;
 * past that the run waits for answers, unless the judge is a batch
 * (--judge-opt=--batch), which answers nothing before its input ends.
 *
 * What the user must hear of, the run says through the 'warn' callback,
 * one message at a time: a bad line, a record that cannot be scored or ran
 * over its budget, a failed judge call ("file:line: ..."), and how the
 * judge or a cmd scorer ended; these make the status 2. When records were
 * scored, none has an answer (neither an 'output' nor a failed call) and
 * none passed, it says once that ev-call comes first: that is a mistake in
 * the pipeline, not a bad line, and leaves the status alone. The run never
 * prints.
 */
#ifndef EV_SCORERUN_H
#define EV_SCORERUN_H

#include <stdbool.h>
#include <stdio.h>

#include "judge.h"
#include "score.h"

/* The judge's options, as ev-score(1) names them. */
typedef struct ev_scorerun_judge {
    const char *rubric;   /* --judge: fact, closedqa or rubric:TEXT */
    const char *tmpl;     /* --judge-template FILE */
    const char *labels;   /* --judge-labels, for a template */
    const char *model;    /* --judge-model: needed by any judge */
    const char *provider; /* --judge-provider, or NULL */
    const char *base_url; /* --judge-base-url, or NULL */
    long samples;         /* --judge-samples: ev-call --repeat */
    char **opts;          /* --judge-opt, in order, passed to ev-call as they are */
    int nopts;
} ev_scorerun_judge;

/* How far a run with a judge has come, for a progress line. */
typedef struct ev_scorerun_progress {
    unsigned long done;   /* records out of the queue, and bad lines */
    unsigned long total;  /* lines of the operands that are not empty, or 0
                           * when unknown (an operand is not a regular file) */
    unsigned long failed; /* records whose judge call failed */
    double elapsed;       /* seconds since the run began */
    bool ended;           /* the last report, at the end of the run */
} ev_scorerun_progress;

typedef struct ev_scorerun_opts {
    const char *spec;    /* --scorer, or NULL for the default */
    ev_score_opts score; /* the scorers' options; 'judge' is the run's to set */
    ev_scorerun_judge judge;
    bool quiet; /* the judge's ev-call gets -q */
    FILE *out;  /* where the records go */
    void (*warn)(void *ctx, const char *message);
    /* progress, when not NULL, is told of each record out of the queue once
     * the judge has started, and once more at the end; the judge's ev-call
     * then draws no progress of its own (it gets -q). The run counts the
     * lines of its operands first, for the total. */
    void (*progress)(void *ctx, const ev_scorerun_progress *p);
    void *ctx;
} ev_scorerun_opts;

/* What a run counted. */
typedef struct ev_scorerun_stats {
    unsigned long scored;     /* records written with a score */
    unsigned long passed;     /* of them, those that passed */
    unsigned long unjudged;   /* left out: the judge was interrupted */
    unsigned long unanswered; /* scored, with neither an 'output' nor a failed call */
} ev_scorerun_stats;

typedef struct ev_scorerun ev_scorerun;

/* ev_scorerun_new prepares a run: the judge's rubric from --judge or
 * --judge-template, and the default scorer: --scorer, else "judge" with a
 * rubric and "exact" without. What is wrong with the options (they
 * exclude each other, a rubric or scorer that is not one, a judge with no
 * model) makes it return NULL with '*err' an invalid whose message says
 * so; the caller reports it as a usage error. 'o' is borrowed, and must
 * outlive the run. */
ev_scorerun *ev_scorerun_new(const ev_scorerun_opts *o, jv *err);

/* ev_scorerun_run scores the records of the 'npaths' operands 'paths' (none:
 * standard input), sets '*st' to what it counted, and returns the exit
 * status: EV_EXIT_OK, EV_EXIT_TROUBLE when anything was warned of, or
 * EV_EXIT_INTR when the judge was interrupted. Call it once. */
int ev_scorerun_run(ev_scorerun *r, char **paths, int npaths, ev_scorerun_stats *st);

/* ev_scorerun_free ends what the run started and frees 'r'. NULL is
 * allowed. */
void ev_scorerun_free(ev_scorerun *r);

#endif
