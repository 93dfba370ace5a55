/*
 * gaps.h: why a case failed, and where the next training examples should go.
 *
 * The classification of a failure, the per-tag tally and its summary, and
 * ev_gaps_run, the whole of ev-gaps: it reads a scored run and writes its
 * failures, a summary (printed by gaps_report.h), a review sheet
 * (review.h), training or preference examples (example.h), or examples
 * picked from a pool (pick.h). Ownership: json.h.
 */
#ifndef EV_GAPS_H
#define EV_GAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jv.h>

#include "cli.h"
#include "intern.h"
#include "log.h"

/* ev_gaps_failed says whether a scored record is a failure: its score did not
 * pass, or its call failed. */
bool ev_gaps_failed(jv rec /* borrowed */);

/* ev_gaps_kind classifies a failure, in this order of precedence:
 *   "error"      the call failed (the record has 'error');
 *   "truncated"  the answer hit the token limit (finish reason length or
 *                max_tokens);
 *   "refusal"    the provider's filter stopped it (content_filter, refusal)
 *                or the output reads as a refusal;
 *   "format"     the scorer could not parse the output (score.parsed false);
 *   "wrong"      anything else.
 * For a refusal matched in the text, '*pattern' receives the phrase (static
 * storage), else NULL. */
const char *ev_gaps_kind(jv rec /* borrowed */, const char **pattern);

/* ev_gaps_allocate spreads 'budget' examples over 'n' groups in proportion to
 * their 'weight' (failures), at least one to each group with a weight above
 * zero while the budget lasts; the heaviest groups come first when it does
 * not. Remainders go by the largest-remainder rule, ties to the lower index.
 * 'out' receives the counts. */
void ev_gaps_allocate(const double *weight, size_t n, long budget, long *out);

/* A tally of cases, failures and regressions per tag. Tags are numbered in
 * the order they were first counted; memory grows with the number of
 * distinct tags, not of cases. */
typedef struct ev_gaps_count {
    double cases, failures, regressions;
} ev_gaps_count;

typedef struct ev_gaps_tally {
    ev_intern *tags;
    ev_gaps_count *count; /* per tag number */
    size_t cap;
} ev_gaps_tally;

void ev_gaps_tally_init(ev_gaps_tally *t);
void ev_gaps_tally_free(ev_gaps_tally *t);

/* ev_gaps_tally_add counts one case in the tag 'tag' (borrowed, a string),
 * and returns the tag's number. */
uint32_t ev_gaps_tally_add(ev_gaps_tally *t, jv tag /* borrowed */, bool failed, bool regression);

/* ev_gaps_tally_name returns the name of tag 'k'. */
jv ev_gaps_tally_name(const ev_gaps_tally *t, uint32_t k);

/* ev_gaps_tally_worst_first returns the tag numbers ordered by failure rate,
 * then failures, both highest first, then name in byte order; '*n' receives
 * their count. The caller frees the array. */
uint32_t *ev_gaps_tally_worst_first(const ev_gaps_tally *t, size_t *n);

/* ev_gaps_summary returns the report of --summary: the run's name 'run', its
 * 'cases' and 'failures', and a row per tag of 't', worst first, with its
 * cases, failures, failure rate, and its regressions when 'regressions';
 * with a 'budget' of 0 or more, how many new examples each tag gets
 * (ev_gaps_allocate). */
jv ev_gaps_summary(const ev_gaps_tally *t, const char *run, long cases, long failures, long budget,
                   bool regressions);

/* What ev-gaps does with a scored run. */
enum ev_gaps_mode {
    EV_GAPS_RECORDS,    /* write each failure with 'gap' */
    EV_GAPS_SUMMARY,    /* a per-tag summary (ev_gaps_summary) */
    EV_GAPS_REVIEW,     /* a Markdown review sheet (review.h) */
    EV_GAPS_TRAIN,      /* every case as a chat training example */
    EV_GAPS_POOL,       /* examples picked from a pool (pick.h) */
    EV_GAPS_PREFERENCE, /* each failure as a preference example (example.h) */
};

typedef struct ev_gaps_opts {
    enum ev_gaps_mode mode;
    enum ev_cli_format format; /* EV_GAPS_SUMMARY: resolved */
    long budget;               /* -1 when not given */
    const char *baseline;      /* a run to call regressions against, or NULL */
    const char *teacher;       /* a run whose passing answers to train on, or NULL */
    const char *pool;          /* EV_GAPS_POOL: the cases to pick from */
    const char *labels;        /* a reviewer's review.jsonl (labels.h), or NULL */
    FILE *fixes;               /* with 'labels': where expected-wrong cases go, or NULL */
    jv system;                 /* a string or null (borrowed): a system message */
    double threshold;          /* EV_GAPS_POOL: the similarity that counts as a leak */
    bool as_train;             /* write cases as chat training examples */
    bool as_preference;        /* EV_GAPS_PREFERENCE */
    FILE *out;
    const ev_log *log; /* problems ("file:line: ..." for a line); the run goes on */
} ev_gaps_opts;

typedef struct ev_gaps_result {
    long cases, failures;
    long scored, errors;   /* cases scored without a failed call; cases whose call failed */
    long written, skipped; /* EV_GAPS_TRAIN, _PREFERENCE: examples written and left out */
    long no_output;        /* EV_GAPS_PREFERENCE: failures left out for want of an output */
    long changed;          /* cases whose standing the labels changed */
    long expected_wrong;   /* cases labelled expected-wrong: out of the counts, to fix */
    long labelled_ok;      /* cases labelled ok: never failures, counted apart */
    long made_failures;    /* passing cases labelled model-wrong: failures */
    long labels_unused;    /* labels of cases the run does not have */
    jv picked;             /* EV_GAPS_POOL: what was picked (pick.h), or null */
} ev_gaps_result;

/* ev_gaps_run reads the run from the 'npaths' operands 'paths' and does what
 * 'o' says, writing to 'o->out'. With 'o->labels', a reviewer's labels are
 * the verdict: a case labelled ok is no failure and one labelled
 * model-wrong is one, whatever its score; a case labelled expected-wrong
 * leaves every count and is written to 'o->fixes' (when given) as
 * {id, input, expected, tags?, corrected?, note?, reviewer?}, and training
 * data is answered by a label's corrected answer first. An interrupted run (interrupt.h) writes no
 * summary, sheet or picks, which would speak for part of the run. Nor does
 * a run without evidence write a summary: with no case scored without a
 * failed call (an empty run, an unscored one, failed calls only) there are
 * no gaps to report, and it says so as a problem (ev_gaps_no_evidence).
 * Returns
 * EV_EXIT_OK, or EV_EXIT_TROUBLE when a problem was reported or a write
 * failed. The caller frees 'res->picked'. */
int ev_gaps_run(const ev_gaps_opts *o, char **paths, int npaths, ev_gaps_result *res);

/* ev_gaps_no_evidence says why the run 'res' read has no evidence of gaps,
 * or returns NULL when it has: "has no case", "has no scored case", "has no
 * scored case, only failed calls". */
const char *ev_gaps_no_evidence(const ev_gaps_result *res);

/* ev_gaps_labels returns what the labels changed in the run 'res' read, as
 * --summary reports it: {changed, expected_wrong, ok, made_failures}. */
jv ev_gaps_labels(const ev_gaps_result *res);

#endif
