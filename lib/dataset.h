/*
 * dataset.h: a training file: its chat examples, read, checked and
 * measured together.
 *
 * Ownership: json.h.
 */
#ifndef EV_DATASET_H
#define EV_DATASET_H

#include <stddef.h>

#include <jv.h>

#include "example.h"

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

#endif
