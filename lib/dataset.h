/*
 * dataset.h: a training file: its records read as chat examples, or for
 * DPO preference examples (lib/example.h), each checked (a chat example as
 * OpenAI's cookbook does, a preference example by the providers' rules), measured
 * together, written in the format a trainer reads (lib/convert.h), and
 * quoted for training (lib/quote.h). ev-tune's --check and --convert are
 * here whole; --submit and --cmd read their file here (ev_dataset_prepare).
 *
 * Ownership: json.h.
 *
 * A line that is not a record, or an example with a problem, is reported
 * through the log as "file:line: what is wrong" and counted; a file that
 * cannot be read is trouble. Nothing here prints.
 */
#ifndef EV_DATASET_H
#define EV_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jv.h>

#include "cli.h"
#include "convert.h"
#include "example.h"
#include "log.h"
#include "quote.h"

/* The fewest examples OpenAI accepts in a training file. */
#define EV_DATASET_MIN_EXAMPLES 10

/* Statistics over the examples of a file. */
typedef struct ev_dataset_stats {
    size_t n, cap;
    double *tokens, *assistant, *messages; /* one per example */
    unsigned long missing_system, missing_user, over_limit;
    double billing_tokens; /* sum of min(tokens, max_tokens), one epoch */
    double max_tokens;
} ev_dataset_stats;

/* ev_dataset_stats_init prepares 's' for examples limited to 'max_tokens'. */
void ev_dataset_stats_init(ev_dataset_stats *s, double max_tokens);

/* ev_dataset_stats_add counts one example by its measures. */
void ev_dataset_stats_add(ev_dataset_stats *s, const ev_example_measure *m);

/* ev_dataset_stats_json returns {examples, tokens, assistant_tokens,
 * messages, missing_system, missing_user, over_token_limit,
 * billing_tokens}, where each distribution is {total, min, median, max}
 * (null figures when there are no examples). It sorts the per-example
 * arrays. */
jv ev_dataset_stats_json(ev_dataset_stats *s);

void ev_dataset_stats_free(ev_dataset_stats *s);

/* What to read, and how. */
typedef struct ev_dataset_opts {
    char **files; /* the operands (borrowed); none, or "-", is standard input */
    int nfiles;
    const char *system;            /* a system message for examples without one, or NULL */
    double max_tokens;             /* the most tokens an example may have */
    enum ev_convert_to to;         /* the format of the examples written, one of 'method' */
    const ev_log *log;             /* where problems go */
    enum ev_example_method method; /* the kind of example read: chat, or preference */
    unsigned long min_examples;    /* the fewest valid examples; 0: EV_DATASET_MIN_EXAMPLES */
} ev_dataset_opts;

/* A training file read. */
typedef struct ev_dataset {
    char *text; /* the valid examples as JSONL, in the format asked for */
    size_t len, cap;
    ev_dataset_stats stats;
    unsigned long problems[EV_EXAMPLE_NPROBLEMS];
    unsigned long valid;   /* examples written to 'text' */
    unsigned long invalid; /* examples with a problem, or that the format cannot hold */
    bool changed;          /* 'text' differs from the one file read */
    bool trouble;          /* a file could not be read */
} ev_dataset;

/* ev_dataset_read reads and checks every record of the files into '*d'.
 * Fewer than 'min_examples' valid examples is a problem of the
 * file. */
void ev_dataset_read(ev_dataset *d, const ev_dataset_opts *o);

/* ev_dataset_valid says whether '*d' may be trained on: no problem, no
 * example the format cannot hold, no file that could not be read. */
bool ev_dataset_valid(const ev_dataset *d);

/* ev_dataset_name names the input in a message about it as a whole: the
 * one file, "-", or "input". */
const char *ev_dataset_name(const ev_dataset_opts *o);

void ev_dataset_free(ev_dataset *d);

/* ev_dataset_report returns the report of --check (ev-tune(1)): the files,
 * validity, problem counts, statistics, epochs, training tokens and cost
 * of '*d' as '*q' quotes it for 'model' (NULL: none). */
jv ev_dataset_report(ev_dataset *d, const ev_dataset_opts *o, const ev_quote *q, const char *model);

/* ev_dataset_report_table prints 'report' to 'out' as a table of labelled
 * rows. */
void ev_dataset_report_table(FILE *out, jv report /* borrowed */);

/* ev_dataset_check is --check: it reads the files, quotes them with 'q',
 * and prints the report to 'out' in 'format' (lib/cli.h: a table or JSON).
 * It returns EV_EXIT_OK when the file may be trained on, EV_EXIT_NO when
 * not, and EV_EXIT_TROUBLE when a file or a price table of 'q' could not
 * be read. */
int ev_dataset_check(const ev_dataset_opts *o, const ev_quote_opts *q, enum ev_cli_format format,
                     FILE *out);

/* ev_dataset_convert is --convert: a filter that writes each record of the
 * files to 'out' as an example in the format asked for. A line that is not
 * a record, or not an example the format can hold, is reported and left
 * out. It returns EV_EXIT_OK, or EV_EXIT_TROUBLE when a line was left out
 * or a file could not be read. */
int ev_dataset_convert(const ev_dataset_opts *o, FILE *out);

/* ev_dataset_prepare reads the files for a run that trains and quotes it,
 * saying the plan (examples, tokens, epochs, cost) as progress. It returns
 * EV_EXIT_OK with '*d' and '*q' to free, or, with nothing to free,
 * EV_EXIT_TROUBLE when a file could not be read, or EV_EXIT_NO when the
 * file may not be trained on, after saying 'refusal'. */
int ev_dataset_prepare(ev_dataset *d, ev_quote *q, const ev_dataset_opts *o,
                       const ev_quote_opts *qo, const char *refusal);

#endif
