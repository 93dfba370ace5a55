#include "quote.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "price.h"

/* The cookbook's epochs heuristic (APIS.md §4). */
#define TARGET_EPOCHS 3
#define MIN_TARGET_EXAMPLES 100
#define MAX_TARGET_EXAMPLES 25000
#define MIN_DEFAULT_EPOCHS 1
#define MAX_DEFAULT_EPOCHS 25

long
ev_quote_default_epochs(size_t n, const char **why)
{
    long epochs = TARGET_EPOCHS;
    const char *w = "default";
    if (n > 0 && n * TARGET_EPOCHS < MIN_TARGET_EXAMPLES) {
        long e = (long)(MIN_TARGET_EXAMPLES / n);
        epochs = e < MAX_DEFAULT_EPOCHS ? e : MAX_DEFAULT_EPOCHS;
        w = "raised";
    } else if (n * TARGET_EPOCHS > MAX_TARGET_EXAMPLES) {
        long e = (long)(MAX_TARGET_EXAMPLES / n);
        epochs = e > MIN_DEFAULT_EPOCHS ? e : MIN_DEFAULT_EPOCHS;
        w = "lowered";
    }
    if (why != NULL)
        *why = w;
    return epochs;
}

/* load loads the price table: the 'o->prices' files, else the installed
 * one. It returns NULL with the note set when there is none to price with,
 * and sets '*trouble' when a file of 'o->prices' cannot be read. */
static ev_price_table *
load(ev_quote *q, const ev_quote_opts *o, jv *trouble)
{
    ev_price_table *t = ev_price_table_new();
    jv err;
    if (o->nprices == 0) {
        jv path = ev_price_table_locate();
        if (!jv_is_valid(path)) {
            jv m = jv_invalid_get_msg(path);
            q->cost_note = jv_string_fmt("no price table: %s", jv_string_value(m));
            jv_free(m);
            ev_price_table_free(t);
            return NULL;
        }
        int rc = ev_price_table_load(t, jv_string_value(path), &err);
        jv_free(path);
        if (rc != 0) {
            jv m = jv_invalid_get_msg(err);
            q->cost_note = jv_string_fmt("the price table is bad: %s", jv_string_value(m));
            jv_free(m);
            ev_price_table_free(t);
            return NULL;
        }
        return t;
    }
    for (int i = 0; i < o->nprices; i++) {
        if (ev_price_table_load(t, o->prices[i], &err) != 0) {
            *trouble = err;
            q->cost_note = jv_string("the price table cannot be read");
            ev_price_table_free(t);
            return NULL;
        }
    }
    return t;
}

/* price_band sets the cost of the quote's tokens at the LoRA SFT training
 * price of 'provider' for a base of the size 'model' names, or says why
 * there is none. */
static void
price_band(ev_quote *q, const ev_price_table *table, const char *provider, const char *model)
{
    double size = ev_price_params_b(model);
    const ev_price_band *b =
        isnan(size) ? NULL : ev_price_table_band(table, provider, size, true, false);
    if (isnan(size)) {
        q->cost_note = jv_string_fmt("the size of '%s' is not in its name, and %s prices "
                                     "training by size",
                                     model, provider);
    } else if (b == NULL) {
        q->cost_note = jv_string_fmt("the price table has no LoRA SFT training price of %s for "
                                     "a %gB model",
                                     provider, size);
    } else {
        q->price = b->training;
        q->cost = ev_price_money(q->tokens * b->training / EV_PRICE_PER);
        q->cost_note = jv_string_fmt("at %g per million training tokens (%s, LoRA SFT, %gB "
                                     "models%s%s); verify prices before budgeting",
                                     b->training, provider, size, b->as_of ? ", as of " : "",
                                     b->as_of ? b->as_of : "");
    }
}

/* price sets the cost of the quote's tokens at the training price of
 * 'model' in 'table', or says why there is none. */
static void
price(ev_quote *q, const ev_price_table *table, const char *model)
{
    const ev_price *row = ev_price_table_find(table, model);
    snprintf(q->currency, sizeof(q->currency), "%s", ev_price_table_currency(table));
    const char *provider = ev_price_provider_of(model);
    if ((row == NULL || isnan(row->training)) && provider != NULL) {
        price_band(q, table, provider, model);
    } else if (row == NULL) {
        q->cost_note = jv_string_fmt("'%s' is not in the price table", model);
    } else if (isnan(row->training)) {
        q->cost_note = jv_string_fmt("the price table has no training price for '%s'", model);
    } else {
        q->price = row->training;
        q->cost = ev_price_money(ev_price_training(row, q->tokens));
        q->cost_note = jv_string_fmt("at %g per million training tokens (row '%s'%s%s); verify "
                                     "prices before budgeting",
                                     row->training, row->model, row->as_of ? ", as of " : "",
                                     row->as_of ? row->as_of : "");
    }
}

/* epochs_rule says in words why 'q' has its epochs, for 'n' examples. */
static jv
epochs_rule(const ev_quote *q, size_t n, const char *why)
{
    if (strcmp(why, "raised") == 0)
        return jv_string_fmt("the cookbook's default: 3, raised to %ld so that %zu examples x "
                             "epochs reach 100",
                             q->epochs, n);
    if (strcmp(why, "lowered") == 0)
        return jv_string_fmt("the cookbook's default: 3, lowered to %ld so that %zu examples x "
                             "epochs stay within 25000",
                             q->epochs, n);
    return jv_string("the cookbook's default: 3");
}

jv
ev_quote_make(ev_quote *q, const ev_quote_opts *o, size_t n, double billing_tokens)
{
    *q = (ev_quote){0, jv_null(), 0, NAN, NAN, "USD", jv_null()};
    if (o->epochs > 0) {
        q->epochs = o->epochs;
        q->epochs_rule = jv_string("given with --epochs");
    } else {
        const char *why;
        q->epochs = ev_quote_default_epochs(n, &why);
        q->epochs_rule = epochs_rule(q, n, why);
    }
    q->tokens = billing_tokens * (double)q->epochs;
    if (o->model == NULL) {
        q->cost_note = jv_string("no model given: -m MODEL prices the training");
        return jv_null();
    }
    jv trouble = jv_null();
    ev_price_table *table = load(q, o, &trouble);
    if (table != NULL) {
        price(q, table, o->model);
        ev_price_table_free(table);
    }
    return trouble;
}

jv
ev_quote_cost_json(const ev_quote *q, const char *model)
{
    jv cost = ev_json_set(jv_object(), "model", ev_json_string_or_null(model));
    cost = ev_json_set(cost, "training_per_million", ev_json_finite(q->price));
    cost = ev_json_set(cost, "total", ev_json_finite(q->cost));
    cost = ev_json_set(cost, "currency", jv_string(q->currency));
    return ev_json_set(cost, "note", jv_copy(q->cost_note));
}

void
ev_quote_free(ev_quote *q)
{
    jv_free(q->epochs_rule);
    jv_free(q->cost_note);
    q->epochs_rule = q->cost_note = jv_null();
}
