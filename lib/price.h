/*
 * price.h: the price table: load it, look up a model, compute what a call
 * cost or will cost.
 *
 * Ownership: json.h. The ev_price rows a
 * table hands out belong to the table and live as long as it does.
 *
 * A table is JSONL. An optional first line without 'model' holds the table's
 * metadata: {as_of, currency, note, source}. Every other line prices one
 * model, in the table's currency (USD unless the metadata says otherwise) per
 * million tokens:
 *
 *   {"model": "gpt-4o-mini", "provider": "openai", "input": 0.15,
 *    "cached_input": 0.075, "output": 0.6, "batch": 0.5, "training": 3,
 *    "tiers": [{"above": 200000, "input": 0.3, "output": 1.2}],
 *    "aliases": ["..."], "source": "https://...", "as_of": "2025-10-15"}
 *
 * Only model, input and output are required. Unknown fields are ignored, so
 * tables written for a later version still load. A row may also carry
 * "checked" (the date its source was read, its as_of when it has none),
 * "deprecated" and "shutdown" (the provider's dates, YYYY-MM-DD) and
 * "shutdown_by" (gone from the provider's catalog by then, no date
 * published). One file may price a model once per provider.
 *
 * Rows with "kind" price other things than a model's tokens:
 *
 *   {"kind": "training", "provider": "fireworks", "params_b_above": 0,
 *    "params_b_max": 16, "method": "lora", "objective": "sft",
 *    "training": 0.5, ...}
 *
 * per million training tokens for base models of more than params_b_above
 * and at most params_b_max billion parameters (no max: no upper bound),
 * method lora or full, objective sft or dpo; and
 *
 *   {"kind": "endpoint", "name": "together-1x-h100-80gb",
 *    "provider": "together", "hardware": "1x H100 80GB", "gpus": 1,
 *    "per_hour": 3.99, ...}
 *
 * dedicated capacity, per hour of one replica.
 *
 * Lookup (ev_price_table_find), first match wins:
 *   1. a row whose model or alias is the name exactly;
 *   2. a fine-tuned OpenAI name, "ft:BASE:org:suffix:id": the whole name
 *      exactly, then the row "ft:BASE" by rules 1 and 3; never the base
 *      model's own row, since fine-tuned inference costs more;
 *   3. a dated snapshot: the longest row name N such that the name is
 *      N-TAG, where TAG is a date (2024-07-18, 20241022), a four-digit
 *      snapshot (0613) or "latest". "gpt-4o-mini-2024-07-18" finds
 *      "gpt-4o-mini", but "gpt-4o-mini-audio-preview" finds nothing, because
 *      a different product may cost something else.
 * A table loaded later shadows an earlier one's rows of the same name.
 * When rows of several providers answer to the name, the caller's provider
 * picks one (ev_price_table_lookup); without it the name is ambiguous. Fine-tunes
 * that a provider serves only on dedicated capacity have no row:
 * "accounts/A/models/M" (Fireworks, A other than "fireworks") and
 * "ACCOUNT/BASE-SUFFIX..." (Together, BASE the name of a Together row after
 * its organisation, without "-Turbo"); the lookup says so.
 */
#ifndef EV_PRICE_H
#define EV_PRICE_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

/* Prices are per this many tokens. */
#define EV_PRICE_PER 1e6

typedef struct ev_price_tier {
    double above; /* applies when the prompt has more tokens than this */
    double input, output, cached, cache_write;
} ev_price_tier;

typedef struct ev_price {
    char *model;    /* the row's name */
    char *provider; /* who sells it, such as "openai", or NULL */
    /* Per EV_PRICE_PER tokens. 'cached' is for prompt tokens read from the
     * provider's cache and 'cache_write' for prompt tokens written to it
     * (Anthropic); each is 'input' when the row gives none. */
    double input, output, cached, cache_write;
    double batch;         /* price factor for batch jobs, such as 0.5; NAN if unknown */
    double training;      /* per EV_PRICE_PER training tokens; NAN if not tunable */
    ev_price_tier *tiers; /* ascending by 'above' */
    size_t ntiers;
    char *source; /* where the figures come from, or NULL */
    char *as_of;  /* when they were recorded: the row's as_of or checked, else the table's */
    char *file;   /* where the row was read */
    unsigned long line;
    /* The provider's dates, YYYY-MM-DD, or NULL. */
    char *deprecated, *shutdown, *shutdown_by;
} ev_price;

/* A training price: per EV_PRICE_PER training tokens (epochs included). */
typedef struct ev_price_band {
    char *provider;
    double above, max; /* billions of parameters: above < size <= max */
    bool lora, dpo;    /* else full, sft */
    double training;
    char *source, *as_of;
} ev_price_band;

/* Dedicated capacity, per hour of one replica. */
typedef struct ev_price_endpoint {
    char *name, *provider, *hardware;
    double gpus, per_hour;
    char *source, *as_of;
} ev_price_endpoint;

typedef struct ev_price_table ev_price_table;

/* ev_price_table_new returns an empty table. */
ev_price_table *ev_price_table_new(void);

/* ev_price_table_load adds the rows of the table in 'path' to 't'. Returns 0, or
 * -1 with '*err' set to an invalid whose message names "path:line" (or the
 * path, when it cannot be read); 't' then holds none of the file's rows. */
int ev_price_table_load(ev_price_table *t, const char *path, jv *err);

/* ev_price_table_open returns a new table of the 'n' files at 'paths', loaded in
 * order, or NULL with '*err' set as ev_price_table_load sets it. */
ev_price_table *ev_price_table_open(const char *const *paths, int n, jv *err);

/* ev_price_table_add_custom adds a row named 'model' with the given prices per
 * EV_PRICE_PER tokens, as from the command line. It has no tiers and no batch
 * factor. */
void ev_price_table_add_custom(ev_price_table *t, const char *model, double input, double output,
                               double cached);

/* ev_price_table_find returns the row that prices 'model' by the lookup rules
 * above, or NULL. */
const ev_price *ev_price_table_find(const ev_price_table *t, const char *model);

/* ev_price_table_lookup returns the row that prices 'model' as sold by
 * 'provider' (or any, when NULL or when no row of that provider answers),
 * or NULL with '*why' set to a string that says why: ambiguous between
 * providers, or a fine-tune served only on dedicated capacity; '*why' is
 * invalid when the table simply has no such model. */
const ev_price *ev_price_table_lookup(const ev_price_table *t, const char *provider,
                                      const char *model, jv *why);

/* ev_price_table_endpoint returns the endpoint row named 'name', or NULL. */
const ev_price_endpoint *ev_price_table_endpoint(const ev_price_table *t, const char *id);

/* ev_price_table_endpoint_names returns the names of the endpoint rows, ", "
 * between them ("" for none). */
jv ev_price_table_endpoint_names(const ev_price_table *t);

/* ev_price_table_band returns the training price of 'provider' for a base model
 * of 'params_b' billion parameters, or NULL. */
const ev_price_band *ev_price_table_band(const ev_price_table *t, const char *provider,
                                         double params_b, bool lora, bool dpo);

/* ev_price_params_b returns the size of 'model' in billions of parameters as
 * its name says it, "8B" or "8b", "1p5b" (Fireworks' 1.5B), or NAN:
 * "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference" is 8,
 * "accounts/fireworks/models/qwen3-30b-a3b" is 30. */
double ev_price_params_b(const char *model);

/* ev_price_provider_of returns the provider whose naming 'model' follows
 * for fine-tuning: "fireworks" for "accounts/fireworks/models/M",
 * "together" for "ORG/MODEL", else NULL (OpenAI's names need none). */
const char *ev_price_provider_of(const char *model);

/* ev_price_shutdown_note returns a warning when row 'p' has shut down, or
 * shuts down within EV_PRICE_SHUTDOWN_DAYS days of 'today' (YYYY-MM-DD):
 * "'gpt-4-turbo' (openai) shut down on 2026-10-23"; else invalid. */
#define EV_PRICE_SHUTDOWN_DAYS 30
jv ev_price_shutdown_note(const ev_price *p, const char *today);

/* ev_price_table_shutdown_warning returns ev_price_shutdown_note for 'model' as
 * sold by 'provider' (or NULL) at today's date, from the default table
 * (ev_price_table_locate); invalid when there is nothing to say, or no table to
 * say it from: a warning, never a reason to stop. */
jv ev_price_table_shutdown_warning(const char *provider, const char *model);

/* ev_price_today writes today's date, UTC, as YYYY-MM-DD into 'buf'. */
void ev_price_today(char buf[11]);

/* ev_price_table_currency returns the table's currency code, "USD" by default. */
const char *ev_price_table_currency(const ev_price_table *t);

/* ev_price_table_meta returns what the loaded files say about themselves:
 * [{file, as_of, note, rows}], one object per file, in load order. */
jv ev_price_table_meta(const ev_price_table *t);

void ev_price_table_free(ev_price_table *t);

/* ev_price_table_locate returns the path of the default table: $EV_PRICES when set
 * and not empty, else EV_DATADIR/prices.jsonl, else data/prices.jsonl beside
 * the directory of the running program (so bin/ev-cost, and bin/san/ev-cost,
 * work in a source tree before installation). The last two only when the
 * file exists. Otherwise an invalid whose message lists the places tried. */
jv ev_price_table_locate(void);

/* How a count of input tokens treats the prompt tokens of the cache. */
enum ev_price_usage_style {
    /* Input counts every prompt token, cached or not: the convention of ev's
     * records (ev-call folds Anthropic's cache reads and writes in) and of
     * OpenAI's prompt_tokens. */
    EV_PRICE_USAGE_INCLUSIVE,
    /* Input leaves out the cache reads and writes: Anthropic's raw usage. */
    EV_PRICE_USAGE_EXCLUSIVE,
};

/* The tokens of one call. A count the provider did not report is NAN, except
 * the cache counts, which are 0 then: a provider that reports no cache use
 * bills every prompt token at the input price. */
typedef struct ev_price_usage {
    double input, output;
    double cached;      /* prompt tokens read from the cache */
    double cache_write; /* prompt tokens written to the cache (Anthropic) */
    enum ev_price_usage_style style;
} ev_price_usage;

/* ev_price_usage_from_call reads the token counts of 'call' (borrowed), ev-call's
 * record field: input_tokens, output_tokens, cached_tokens (cache reads) and
 * the optional cache_write_tokens, in the inclusive style whatever the
 * provider. 'call' may be invalid or null, which means nothing is known.
 * Returns 0, or -1 with '*err' set when a count is present but is not a
 * whole number of tokens from 0 up. */
int ev_price_usage_from_call(jv call /* borrowed */, ev_price_usage *u, jv *err);

typedef struct ev_price_charge {
    double input, output, total; /* NAN where the usage lacks the count */
    const ev_price_tier *tier;   /* the prompt-size tier applied, or NULL */
    bool batch;                  /* the batch factor was applied */
} ev_price_charge;

/* ev_price_cost prices usage 'u' at row 'p', in the table's currency times
 * 'rate'. The tier is chosen by the prompt's size: every prompt token, cached
 * or not. With 'batch', the row's batch factor applies when it has one;
 * '*c'.batch says whether it did. Returns 0, or -1 with '*err' set when the
 * counts contradict each other: more cache reads and writes than input
 * tokens, in the inclusive style. */
int ev_price_cost(const ev_price *p, const ev_price_usage *u, bool batch, double rate,
                  ev_price_charge *c, jv *err);

/* ev_price_training returns what training on 'tokens' tokens costs at row 'p'
 * (epochs included in 'tokens'), or NAN when the row has no training price. */
double ev_price_training(const ev_price *p, double tokens);

/* ev_price_money rounds an amount to 1e-9, so that sums print without float noise. */
double ev_price_money(double x);

/* Estimates, before any call is made. A token is taken to be 4 bytes of UTF-8
 * text, rounded up, and each message to add EV_PRICE_TOKENS_PER_MESSAGE tokens of
 * framing (role, separators), and each prompt EV_PRICE_TOKENS_PER_PROMPT for the
 * start of the reply: OpenAI's rule of thumb for its chat models. */
#define EV_PRICE_BYTES_PER_TOKEN 4
#define EV_PRICE_TOKENS_PER_MESSAGE 3
#define EV_PRICE_TOKENS_PER_PROMPT 3

/* ev_price_estimate_text_tokens returns the tokens of 'len' bytes of text. */
double ev_price_estimate_text_tokens(size_t len);

/* ev_price_estimate_prompt_tokens returns the prompt tokens of case 'rec'
 * (borrowed), with 'system' (or NULL) as an opening system message unless the
 * case's input already has one; or NAN when the case has no input. */
double ev_price_estimate_prompt_tokens(jv rec /* borrowed */, const char *system);

/* ev_price_estimate_output_tokens returns the tokens of the case's expected answer
 * (as text: a string as it is, anything else as compact JSON), or NAN when
 * it has none. */
double ev_price_estimate_output_tokens(jv rec /* borrowed */);

#endif
