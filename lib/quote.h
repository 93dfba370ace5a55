/*
 * quote.h: what a training run will take, before it is paid for: how many
 * epochs (by the rule of OpenAI's cookbook unless given), how many training
 * tokens, and what they cost at the price table's training price.
 *
 * Ownership: json.h.
 */
#ifndef EV_QUOTE_H
#define EV_QUOTE_H

#include <stddef.h>

#include <jv.h>

/* What to quote. */
typedef struct ev_quote_opts {
    const char *model;   /* the base model to price, or NULL */
    long epochs;         /* 0: the cookbook's default */
    char *const *prices; /* the price tables to read (--prices); none: the installed one */
    int nprices;
} ev_quote_opts;

typedef struct ev_quote {
    long epochs;
    jv epochs_rule; /* why that many, in words */
    double tokens;  /* training tokens: the billing tokens of an epoch times 'epochs' */
    double price;   /* per million training tokens; NAN when unknown */
    double cost;    /* NAN when unknown */
    char currency[16];
    jv cost_note; /* where the price is from, or why there is no cost */
} ev_quote;

/* ev_quote_default_epochs returns the cookbook's default epochs for 'n'
 * examples: 3, raised to 100 / n or lowered to 25000 / n (integer
 * division) so that n x epochs stays between 100 and 25000, within 1..25.
 * '*why', when not NULL, gets "raised", "lowered" or "default". */
long ev_quote_default_epochs(size_t n, const char **why);

/* ev_quote_make quotes '*q' for training on 'n' examples whose tokens, cut
 * at the example limit, sum to 'billing_tokens' an epoch. Without a model,
 * without a price table, or without a training price for the model, the
 * cost is NAN and the note says why; a price is never made up. It returns
 * null, or, when a file of 'o->prices' cannot be read, an invalid with its
 * message: trouble, for the caller to report. Free '*q' with
 * ev_quote_free either way. */
jv ev_quote_make(ev_quote *q, const ev_quote_opts *o, size_t n, double billing_tokens);

/* ev_quote_cost_json returns the cost as a report shows it: {model,
 * training_per_million, total, currency, note}, unknown figures null. */
jv ev_quote_cost_json(const ev_quote *q, const char *model);

void ev_quote_free(ev_quote *q);

#endif
