/*
 * cost.h: what a run cost, record by record and in all, and what a set of
 * cases will cost before any call is made.
 *
 * Ownership: json.h.
 *
 * A ledger prices records at the rows of a price table (price.h): a record's
 * tokens (call.input_tokens, call.output_tokens...) at the row of its model,
 * and the tokens of its judge (score.judge) at the judge model's row. It
 * keeps a tally per model and for the whole run, which ev_cost_summary
 * reports. An estimate prices cases from the length of their prompt and of
 * their expected answer (price.h's rule of thumb), at one model.
 *
 * Money is rounded per record (ev_price_money) so that sums carry no float noise.
 */
#ifndef EV_COST_H
#define EV_COST_H

#include <stdbool.h>

#include <jv.h>

#include "keymap.h"
#include "price.h"

/* EV_COST_COMMAND_LINE is the name of the row that --price-in/--price-out
 * make. */
#define EV_COST_COMMAND_LINE "(command line)"

typedef struct ev_cost_opts {
    const char *model;    /* price every record as this model, or NULL */
    const char *provider; /* the seller whose row prices a model, or NULL: call.provider */
    const char *today;    /* YYYY-MM-DD, for the notes of shutdowns, or NULL */
    bool batch;           /* apply the table's batch discount */
    bool custom;          /* the table is one row of the command line's prices */
    double price_in, price_out, price_cached; /* those prices */
    double rate;                              /* units of 'currency' per unit of the table's */
    const char *currency;                     /* the currency reported, when converted, or NULL */
    const char *rate_date; /* the day of the rate, as the user gave it, or NULL */
    long max_tokens;       /* estimate: answers of this many tokens; 0 for none */
    long repeat;           /* estimate: calls per case */
    const char *system;    /* estimate: an opening system message, or NULL */
} ev_cost_opts;

/* What a set of records cost. */
typedef struct ev_cost_tally {
    unsigned long records, priced, unknown, errors;
    unsigned long batch;                /* priced records at batch rates */
    double in_tok, out_tok, cached_tok; /* of priced records */
    double cost_in, cost_out;           /* of priced records, rounded per record */
} ev_cost_tally;

/* One model as records name it, with the row it is priced at. */
typedef struct ev_cost_model {
    char *model;
    const ev_price *row; /* NULL when the table has none */
    bool no_price_told;  /* its missing price was reported */
    bool no_batch_told;  /* its missing batch factor was reported */
    jv shutdown;         /* the note of its row's shutdown, or invalid */
    ev_cost_tally t;
} ev_cost_model;

/* A callback for a warning that is not an error of a record, such as a
 * model priced at the standard rate for want of a batch discount. */
typedef void (*ev_cost_warn)(jv msg, void *ctx);

typedef struct ev_cost_ledger {
    const ev_cost_opts *o;
    const ev_price_table *table;
    const char *currency;  /* of the reported figures */
    ev_cost_model *models; /* in first-seen order */
    size_t nmodels, cap;
    jv index;             /* model name -> its number */
    ev_keymap *cases;     /* hashes of the ids of priced cases, or NULL */
    unsigned long ncases; /* distinct ids among them, and records without one */
    ev_cost_tally all;    /* every record */
    ev_cost_tally judge;  /* the judges of score.judge, priced as their models */
    jv as_of_min;         /* dates of the rows used, or invalid */
    jv as_of_max;
    ev_cost_warn warn;
    void *ctx;
} ev_cost_ledger;

/* ev_cost_ledger_init starts a ledger of 'table' (borrowed; it must outlive
 * the ledger) under 'o' (likewise). With 'count_cases' it counts the
 * distinct cases priced, by id. Warnings go to 'warn' with 'ctx'. */
void ev_cost_ledger_init(ev_cost_ledger *l, const ev_cost_opts *o, const ev_price_table *table,
                         bool count_cases, ev_cost_warn warn, void *ctx);

void ev_cost_ledger_free(ev_cost_ledger *l);

/* ev_cost_record prices 'rec' (borrowed) and its judge, and tallies them.
 * '*cost' receives the record's cost field, {input, output, total,
 * currency} (nulls and "unknown" when its tokens are not known; "judge"
 * when it was judged), or invalid when it cannot be priced. '*problem'
 * receives a message for the user, or invalid: a model without a price is
 * named once. Returns 0, or -1 when the record or its judge could not be
 * priced. */
int ev_cost_record(ev_cost_ledger *l, jv rec /* borrowed */, jv *cost, jv *problem);

/* ev_cost_summary reports the ledger: counts, tokens and cost in all, per
 * record and per case, per model, and of the judges, with the price files
 * used. "complete" says whether every record was priced; "notes" lists the
 * models that have shut down or shut down soon (ev_price_shutdown_note). */
jv ev_cost_summary(const ev_cost_ledger *l);

/* ev_cost_nothing_priced says why the ledger has no cost to report when it
 * priced no record ("no records: ...", "no record was priced (...): ..."),
 * or returns invalid when it priced one. A summary of no priced record is
 * no evidence of what a run costs: it carries this as "no_evidence". */
jv ev_cost_nothing_priced(const ev_cost_ledger *l);

/* ev_cost_summary_line says the ledger in one line, for standard error:
 * "12 records, 12 priced, ...; total 0.0042 USD (prices as of ...)". */
jv ev_cost_summary_line(const ev_cost_ledger *l);

/* An estimate in the making. */
typedef struct ev_cost_estimate {
    const ev_cost_opts *o;
    const ev_price_table *table;
    const ev_price *row; /* the model's */
    const char *model;   /* as named */
    const char *currency;
    unsigned long cases, no_expected, tiered, calls;
    double in_tok, out_low, out_high;
    double cost_in, cost_low, cost_high; /* output costs at either end */
} ev_cost_estimate;

/* ev_cost_estimate_init starts an estimate of running cases on 'o->model'
 * (or the command line's prices). Returns 0, or -1 with '*err' set when the
 * table has no price for it. */
int ev_cost_estimate_init(ev_cost_estimate *e, const ev_cost_opts *o, const ev_price_table *table,
                          jv *err);

/* ev_cost_estimate_case adds case 'rec' (borrowed). Returns 0, or -1 with
 * '*problem' set when the case gives nothing to estimate from. */
int ev_cost_estimate_case(ev_cost_estimate *e, jv rec /* borrowed */, jv *problem);

/* ev_cost_estimate_report is the estimate, with what it takes for granted
 * in words ("assumptions"). Its "range" goes from "low", answers as long as
 * 'expected', to "high", answers of --max-tokens (of no bound, null, without
 * it); "headline" names the end that "cost" is: "high", the worst case, with
 * --max-tokens, and "low", an optimistic figure, without. */
jv ev_cost_estimate_report(const ev_cost_estimate *e);

/* The figures of serving cases from dedicated capacity (ev-cost(1),
 * "Hosting"): one replica at 'per_hour' answers 'concurrency' calls every
 * 'latency_s' seconds, 'calls_per_case' calls a case. */
typedef struct ev_cost_hosted {
    double capacity;   /* cases a day one replica serves */
    double replicas;   /* max(1, ceil(traffic / capacity)) */
    double daily;      /* replicas x 24 x per_hour */
    double per_case;   /* daily / traffic */
    double break_even; /* 24 x per_hour / baseline, when one replica serves it; else NAN */
} ev_cost_hosted;

/* ev_cost_hosted_at computes them at 'traffic' cases a day, against a
 * per-token 'baseline' cost per case (NAN for none). */
ev_cost_hosted ev_cost_hosted_at(double per_hour, double traffic, double concurrency,
                                 double latency_s, double calls_per_case, double baseline);

/* Hosting: a run served from dedicated capacity, billed by the hour, priced
 * at a traffic from the run's own measured latency (ev_cost_hosting_report
 * states the formula). */
typedef struct ev_cost_hosting {
    double per_hour;              /* of one replica, in the table's currency */
    const char *endpoint;         /* the endpoint row's name, or NULL for a number */
    const ev_price_endpoint *row; /* or NULL */
    double traffic;               /* cases per day */
    double concurrency;           /* calls at once in the run */
    double rate;                  /* units of 'currency' per unit of the table's */
    const char *currency;
    jv rate_said; /* ev_cost_rate's, borrowed, or null */
    unsigned long records, timed, ncases;
    double latency_ms, in_tok, out_tok; /* sums over the timed records */
    ev_keymap *cases;
} ev_cost_hosting;

/* ev_cost_hosting_init starts 'h' for the run; the fields above 'records'
 * are the caller's to set. */
void ev_cost_hosting_init(ev_cost_hosting *h);
void ev_cost_hosting_free(ev_cost_hosting *h);

/* ev_cost_hosting_add counts record 'rec' (borrowed) of the hosted run: its
 * case, and its call.latency_ms and tokens when it has them. */
void ev_cost_hosting_add(ev_cost_hosting *h, jv rec /* borrowed */);

/* ev_cost_hosting_report is what serving the run's cases at h->traffic
 * costs, and, with 'baseline' (a ledger of a per-token run, or NULL), the
 * traffic at which the two cost the same. Returns invalid with a message
 * when the run has no timed call to measure. */
jv ev_cost_hosting_report(const ev_cost_hosting *h, const ev_cost_ledger *baseline);

/* ev_cost_rate says how the figures were converted, {rate, currency, from,
 * date, note}, the note such as "0.79 GBP per USD, a rate given by the
 * user"; or null when they were not. 'from' is the table's currency. */
jv ev_cost_rate(const ev_cost_opts *o, const char *from);

/* ev_cost_money returns an amount as a number, rounded (ev_price_money), or null
 * when it is not known (NaN). */
jv ev_cost_money(double x);

#endif
