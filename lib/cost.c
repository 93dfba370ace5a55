#include "cost.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"
#include "json.h"
#include "record.h"
#include "report.h"

static ev_cost_model *
entry_for(ev_cost_ledger *pc, const char *model)
{
    jv k = jv_object_get(jv_copy(pc->index), jv_string(model));
    if (jv_get_kind(k) == JV_KIND_NUMBER) {
        ev_cost_model *e = &pc->models[(size_t)jv_number_value(k)];
        jv_free(k);
        return e;
    }
    jv_free(k);
    if (pc->nmodels == pc->cap) {
        pc->cap = pc->cap ? 2 * pc->cap : 16;
        pc->models = ev_alloc_resize(pc->models, pc->cap * sizeof(*pc->models));
    }
    ev_cost_model *e = &pc->models[pc->nmodels];
    memset(e, 0, sizeof(*e));
    e->model = ev_alloc_strdup(model);
    e->shutdown = jv_invalid();
    pc->index = jv_object_set(pc->index, jv_string(model), jv_number((double)pc->nmodels));
    pc->nmodels++;
    return e;
}

/* row_for returns the row of 'e', sold by the --provider or by 'provider'
 * (or NULL), looking it up the first time; NULL with '*why' set to a string
 * or invalid (ev_price_table_lookup) when it has none. */
static const ev_price *
row_for(ev_cost_ledger *pc, ev_cost_model *e, const char *provider, jv *why)
{
    *why = jv_invalid();
    if (e->row == NULL && !e->no_price_told) {
        e->row = pc->o->custom ? ev_price_table_find(pc->table, EV_COST_COMMAND_LINE)
                               : ev_price_table_lookup(pc->table,
                                                       pc->o->provider ? pc->o->provider : provider,
                                                       e->model, why);
        if (e->row != NULL && !pc->o->custom) {
            e->shutdown = ev_price_shutdown_note(e->row, pc->o->today);
            if (jv_is_valid(e->shutdown) && pc->warn != NULL)
                pc->warn(jv_copy(e->shutdown), pc->ctx);
        }
        if (e->row != NULL && e->row->as_of != NULL) {
            const char *d = e->row->as_of;
            if (!jv_is_valid(pc->as_of_min) || strcmp(d, jv_string_value(pc->as_of_min)) < 0) {
                jv_free(pc->as_of_min);
                pc->as_of_min = jv_string(d);
            }
            if (!jv_is_valid(pc->as_of_max) || strcmp(d, jv_string_value(pc->as_of_max)) > 0) {
                jv_free(pc->as_of_max);
                pc->as_of_max = jv_string(d);
            }
        }
    }
    return e->row;
}

jv
ev_cost_rate(const ev_cost_opts *o, const char *from)
{
    if (o->currency == NULL)
        return jv_null();
    jv r = jv_object();
    r = jv_object_set(r, jv_string("rate"), jv_number(o->rate));
    r = jv_object_set(r, jv_string("currency"), jv_string(o->currency));
    r = jv_object_set(r, jv_string("from"), jv_string(from));
    r = jv_object_set(r, jv_string("date"), ev_json_string_or_null(o->rate_date));
    jv note = o->rate_date != NULL ? jv_string_fmt("%g %s per %s on %s, a rate given by the user",
                                                   o->rate, o->currency, from, o->rate_date)
                                   : jv_string_fmt("%g %s per %s, a rate given by the user",
                                                   o->rate, o->currency, from);
    return jv_object_set(r, jv_string("note"), note);
}

jv
ev_cost_money(double x)
{
    return isnan(x) ? jv_null() : jv_number(ev_price_money(x));
}

static jv
unknown_cost(const ev_cost_ledger *pc, const ev_price_usage *u)
{
    const char *why = isnan(u->input) && isnan(u->output) ? "no token usage"
                      : isnan(u->input)                   ? "no input token count"
                                                          : "no output token count";
    jv c = jv_object();
    c = jv_object_set(c, jv_string("input"), jv_null());
    c = jv_object_set(c, jv_string("output"), jv_null());
    c = jv_object_set(c, jv_string("total"), jv_null());
    c = jv_object_set(c, jv_string("currency"), jv_string(pc->currency));
    return jv_object_set(c, jv_string("unknown"), jv_string(why));
}

static void
add_to(ev_cost_tally *t, const ev_price_usage *u, double in, double out)
{
    t->priced++;
    t->in_tok += u->input;
    t->out_tok += u->output;
    t->cached_tok += u->cached + u->cache_write;
    t->cost_in += in;
    t->cost_out += out;
}

enum outcome { PRICED, UNKNOWN, FAILED };

/* no_price says why 'model' has no price, from 'why' (consumed;
 * ev_price_table_lookup's), and what to do. */
static jv
no_price(const char *model, jv why)
{
    if (!jv_is_valid(why))
        return jv_string_fmt("no price for model '%s'; add it with --prices or "
                             "--price-in/--price-out",
                             model);
    const char *w = jv_string_value(why);
    jv out = strstr(w, "say which") != NULL
                 ? jv_string_fmt("%s with --provider", w)
                 : jv_string_fmt("%s: price its run with --hosting, or give its prices with "
                                 "--price-in/--price-out",
                                 w);
    jv_free(why);
    return out;
}

/* count_case counts the case of 'rec' (borrowed) once, however many of its
 * records are priced. Ids are kept as 64-bit hashes, 24 to 40 bytes a case
 * (keymap.h): two ids that share one would count as one case, with odds of
 * about one in 2^64 a pair. A record with neither an id nor an input to
 * derive one is a case of its own. */
static void
count_case(ev_keymap *cases, unsigned long *ncases, jv rec)
{
    jv id = ev_record_id(rec);
    if (jv_get_kind(id) != JV_KIND_STRING) {
        jv_free(id);
        (*ncases)++;
        return;
    }
    uint64_t key = ev_hash_64(jv_string_value(id), (size_t)jv_string_length_bytes(jv_copy(id)), 0);
    jv_free(id);
    if (ev_keymap_find(cases, key) == EV_KEYMAP_END) {
        ev_keymap_add(cases, key, 0);
        (*ncases)++;
    }
}

/* price_record prices 'rec' (borrowed). PRICED and UNKNOWN set '*cost';
 * FAILED sets '*problem' to a message for the user, or to invalid when the
 * problem was reported before (a model without a price is named once). */
static enum outcome
price_record(ev_cost_ledger *pc, jv rec, jv *cost, jv *problem)
{
    jv call = ev_json_field(rec, "call");
    /* An answer of a provider's batch API (ev-call --batch) is billed at
     * batch rates; with --price-in/--price-out the user's prices stand. */
    jv bid = ev_json_field(call, "batch");
    bool batch = pc->o->batch || (jv_get_kind(bid) == JV_KIND_STRING && !pc->o->custom);
    jv_free(bid);
    jv m = pc->o->model != NULL ? jv_string(pc->o->model) : ev_json_field(call, "model");
    jv seller = ev_json_field_kind(call, "provider", JV_KIND_STRING);
    ev_cost_model *e =
        entry_for(pc, jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "(none)");
    bool has_model = jv_get_kind(m) == JV_KIND_STRING || pc->o->custom;
    jv_free(m);
    e->t.records++;
    pc->all.records++;

    ev_price_usage u;
    jv err;
    int rc = ev_price_usage_from_call(call, &u, &err);
    jv_free(call);
    if (rc != 0) {
        jv_free(seller);
        *problem = jv_invalid_get_msg(err);
        goto failed;
    }
    if (isnan(u.input) || isnan(u.output)) {
        jv_free(seller);
        *cost = unknown_cost(pc, &u);
        e->t.unknown++;
        pc->all.unknown++;
        return UNKNOWN;
    }
    if (!has_model) {
        jv_free(seller);
        *problem = jv_string("no model to price: the record has no 'call.model'; name one "
                             "with --model");
        goto failed;
    }
    jv why;
    const ev_price *p = row_for(pc, e, ev_json_str(seller, NULL), &why);
    jv_free(seller);
    if (p == NULL) {
        *problem = e->no_price_told ? jv_invalid() : no_price(e->model, why);
        if (e->no_price_told)
            jv_free(why);
        e->no_price_told = true;
        goto failed;
    }
    ev_price_charge c;
    if (ev_price_cost(p, &u, batch, pc->o->rate, &c, &err) != 0) {
        *problem = jv_invalid_get_msg(err);
        goto failed;
    }
    e->t.batch += c.batch;
    pc->all.batch += c.batch;
    if (batch && !c.batch && !e->no_batch_told) {
        if (pc->warn != NULL)
            pc->warn(jv_string_fmt("no batch discount known for '%s'; priced at the standard "
                                   "rate",
                                   p->model),
                     pc->ctx);
        e->no_batch_told = true;
    }
    double in = ev_price_money(c.input), out = ev_price_money(c.output);
    jv o = jv_object();
    o = jv_object_set(o, jv_string("input"), jv_number(in));
    o = jv_object_set(o, jv_string("output"), jv_number(out));
    o = jv_object_set(o, jv_string("total"), jv_number(ev_price_money(in + out)));
    *cost = jv_object_set(o, jv_string("currency"), jv_string(pc->currency));
    add_to(&e->t, &u, in, out);
    add_to(&pc->all, &u, in, out);
    if (pc->cases != NULL)
        count_case(pc->cases, &pc->ncases, rec);
    return PRICED;
failed:
    e->t.errors++;
    pc->all.errors++;
    return FAILED;
}

/* price_judge adds to 'cost' (consumed) what judging the record 'rec'
 * (borrowed) cost: the tokens of score.judge at the judge model's prices,
 * as cost.judge. A judge without token counts costs null; a judge model
 * without a price sets '*failed', and '*problem' as price_record does. */
static jv
price_judge(ev_cost_ledger *pc, jv rec, jv cost, bool *failed, jv *problem)
{
    jv score = ev_json_field(rec, "score");
    jv judge = jv_get_kind(score) == JV_KIND_OBJECT ? ev_json_field(score, "judge") : jv_invalid();
    jv_free(score);
    if (jv_get_kind(judge) != JV_KIND_OBJECT) {
        jv_free(judge);
        return cost;
    }
    jv m = ev_json_field(judge, "model");
    pc->judge.records++;
    /* at batch rates when every sample came from a batch API */
    jv nb = ev_json_field_kind(judge, "batch", JV_KIND_NUMBER),
       ns = ev_json_field_kind(judge, "samples", JV_KIND_NUMBER);
    bool batch = pc->o->batch || (!pc->o->custom && jv_get_kind(nb) == JV_KIND_NUMBER &&
                                  jv_get_kind(ns) == JV_KIND_NUMBER && jv_number_value(nb) > 0 &&
                                  jv_number_value(nb) >= jv_number_value(ns));
    jv_free(nb);
    jv_free(ns);
    ev_price_usage u;
    jv err;
    double in = NAN, out = NAN;
    if (ev_price_usage_from_call(judge, &u, &err) != 0) {
        *problem = jv_invalid_get_msg(err);
        *failed = true;
    } else if (jv_get_kind(m) != JV_KIND_STRING && !pc->o->custom) {
        *problem = jv_string("no model to price the judge: 'score.judge' has no 'model'");
        *failed = true;
    } else if (!isnan(u.input) && !isnan(u.output)) {
        ev_cost_model *e =
            entry_for(pc, jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "(none)");
        jv why, seller = ev_json_field_kind(judge, "provider", JV_KIND_STRING);
        const ev_price *p = row_for(pc, e, ev_json_str(seller, NULL), &why);
        jv_free(seller);
        ev_price_charge c;
        if (p == NULL) {
            *problem = e->no_price_told ? jv_invalid()
                                        : jv_string_fmt("no price for judge model '%s'", e->model);
            jv_free(why);
            e->no_price_told = true;
            *failed = true;
        } else if (ev_price_cost(p, &u, batch, pc->o->rate, &c, &err) != 0) {
            *problem = jv_invalid_get_msg(err);
            *failed = true;
        } else {
            in = ev_price_money(c.input);
            out = ev_price_money(c.output);
            add_to(&pc->judge, &u, in, out);
        }
    }
    jv_free(m);
    jv_free(judge);
    return jv_object_set(cost, jv_string("judge"), ev_cost_money(in + out));
}

static double
per(double total, unsigned long n)
{
    return n > 0 ? total / (double)n : NAN;
}

static jv
tally_json(const ev_cost_tally *t, bool priced_any)
{
    jv o = jv_object();
    o = jv_object_set(o, jv_string("records"), jv_number((double)t->records));
    o = jv_object_set(o, jv_string("priced"), jv_number((double)t->priced));
    o = jv_object_set(o, jv_string("unknown"), jv_number((double)t->unknown));
    o = jv_object_set(o, jv_string("errors"), jv_number((double)t->errors));
    o = jv_object_set(o, jv_string("batch_priced"), jv_number((double)t->batch));
    o = jv_object_set(o, jv_string("input_tokens"), jv_number(t->in_tok));
    o = jv_object_set(o, jv_string("output_tokens"), jv_number(t->out_tok));
    o = jv_object_set(o, jv_string("cached_tokens"), jv_number(t->cached_tok));
    jv c = jv_object();
    c = jv_object_set(c, jv_string("input"), priced_any ? ev_cost_money(t->cost_in) : jv_null());
    c = jv_object_set(c, jv_string("output"), priced_any ? ev_cost_money(t->cost_out) : jv_null());
    c = jv_object_set(c, jv_string("total"),
                      priced_any ? ev_cost_money(t->cost_in + t->cost_out) : jv_null());
    return jv_object_set(o, jv_string("cost"), c);
}

jv
ev_cost_summary(const ev_cost_ledger *pc)
{
    const ev_cost_tally *t = &pc->all;
    jv o = tally_json(t, t->priced > 0);
    unsigned long ncases = pc->ncases;
    double total = t->cost_in + t->cost_out;
    jv c = jv_object_get(jv_copy(o), jv_string("cost"));
    c = jv_object_set(c, jv_string("per_record"), ev_cost_money(per(total, t->priced)));
    c = jv_object_set(c, jv_string("per_case"), ev_cost_money(per(total, ncases)));
    o = jv_object_set(o, jv_string("cost"), c);
    o = jv_object_set(o, jv_string("cases"), jv_number((double)ncases));
    o = jv_object_set(o, jv_string("complete"), jv_bool(t->priced == t->records));
    o = jv_object_set(o, jv_string("currency"), jv_string(pc->currency));
    o = jv_object_set(o, jv_string("batch"), jv_bool(pc->o->batch));
    jv models = jv_object();
    for (size_t i = 0; i < pc->nmodels; i++) {
        const ev_cost_model *e = &pc->models[i];
        if (e->t.records == 0) /* a judge model only */
            continue;
        jv m = tally_json(&e->t, e->t.priced > 0);
        m = jv_object_set(m, jv_string("priced_as"),
                          e->row != NULL ? jv_string(e->row->model) : jv_null());
        m = jv_object_set(m, jv_string("as_of"),
                          e->row != NULL && e->row->as_of != NULL ? jv_string(e->row->as_of)
                                                                  : jv_null());
        m = jv_object_set(m, jv_string("source"),
                          e->row != NULL && e->row->source != NULL ? jv_string(e->row->source)
                                                                   : jv_null());
        models = jv_object_set(models, jv_string(e->model), m);
    }
    o = jv_object_set(o, jv_string("models"), models);
    jv notes = jv_array();
    for (size_t i = 0; i < pc->nmodels; i++)
        if (jv_is_valid(pc->models[i].shutdown))
            notes = jv_array_append(notes, jv_copy(pc->models[i].shutdown));
    o = jv_object_set(o, jv_string("notes"), notes);
    o = jv_object_set(o, jv_string("rate"),
                      ev_cost_rate(pc->o, ev_price_table_currency(pc->table)));
    if (pc->judge.priced > 0) {
        c = jv_object_get(jv_copy(o), jv_string("cost"));
        c = jv_object_set(c, jv_string("judge"),
                          ev_cost_money(pc->judge.cost_in + pc->judge.cost_out));
        o = jv_object_set(o, jv_string("cost"), c);
        o = jv_object_set(o, jv_string("judge"), tally_json(&pc->judge, true));
    }
    if (t->priced == 0)
        o = jv_object_set(o, jv_string("no_evidence"), ev_cost_nothing_priced(pc));
    return jv_object_set(o, jv_string("prices"), ev_price_table_meta(pc->table));
}

jv
ev_cost_nothing_priced(const ev_cost_ledger *pc)
{
    const ev_cost_tally *t = &pc->all;
    if (t->priced > 0)
        return jv_invalid();
    if (t->records == 0)
        return jv_string("no records: there is no cost to report");
    return jv_string_fmt("no record was priced (%lu without token usage, %lu not priced): there "
                         "is no cost to report",
                         t->unknown, t->errors);
}

void
ev_cost_ledger_init(ev_cost_ledger *pc, const ev_cost_opts *o, const ev_price_table *table,
                    bool count_cases, ev_cost_warn warn, void *ctx)
{
    *pc = (ev_cost_ledger){.o = o,
                           .table = table,
                           .index = jv_object(),
                           .as_of_min = jv_invalid(),
                           .as_of_max = jv_invalid(),
                           .warn = warn,
                           .ctx = ctx};
    pc->currency = o->currency != NULL ? o->currency : ev_price_table_currency(table);
    if (count_cases)
        pc->cases = ev_keymap_new();
}

void
ev_cost_ledger_free(ev_cost_ledger *pc)
{
    for (size_t i = 0; i < pc->nmodels; i++) {
        free(pc->models[i].model);
        jv_free(pc->models[i].shutdown);
    }
    free(pc->models);
    jv_free(pc->index);
    ev_keymap_free(pc->cases);
    jv_free(pc->as_of_min);
    jv_free(pc->as_of_max);
    *pc = (ev_cost_ledger){
        .index = jv_invalid(), .as_of_min = jv_invalid(), .as_of_max = jv_invalid()};
}

int
ev_cost_record(ev_cost_ledger *pc, jv rec, jv *cost, jv *problem)
{
    *cost = jv_invalid();
    *problem = jv_invalid();
    if (price_record(pc, rec, cost, problem) == FAILED)
        return -1;
    bool failed = false;
    *cost = price_judge(pc, rec, *cost, &failed, problem);
    return failed ? -1 : 0;
}

jv
ev_cost_summary_line(const ev_cost_ledger *pc)
{
    const ev_cost_tally *t = &pc->all;
    char b[48];
    jv s = jv_string_fmt("%lu record%s, %lu priced, %lu without token usage, %lu not priced",
                         t->records, t->records == 1 ? "" : "s", t->priced, t->unknown, t->errors);
    if (t->priced > 0) {
        s = jv_string_append_str(s, "; total ");
        s = jv_string_append_str(s, ev_report_money(t->cost_in + t->cost_out, 0, b, sizeof(b)));
        s = jv_string_append_str(s, " ");
        s = jv_string_append_str(s, pc->currency);
        if (pc->o->batch)
            s = jv_string_append_str(s, " at batch rates");
        if (jv_is_valid(pc->as_of_min)) {
            const char *lo = jv_string_value(pc->as_of_min), *hi = jv_string_value(pc->as_of_max);
            if (strcmp(lo, hi) == 0)
                s = jv_string_concat(s, jv_string_fmt(" (prices as of %s)", lo));
            else
                s = jv_string_concat(s, jv_string_fmt(" (prices as of %s to %s)", lo, hi));
        }
    }
    return s;
}

int
ev_cost_estimate_init(ev_cost_estimate *es, const ev_cost_opts *o, const ev_price_table *table,
                      jv *err)
{
    *es = (ev_cost_estimate){.o = o, .table = table};
    es->model = o->model != NULL ? o->model : EV_COST_COMMAND_LINE;
    es->currency = o->currency != NULL ? o->currency : ev_price_table_currency(table);
    jv why = jv_invalid();
    es->row = o->custom ? ev_price_table_find(table, EV_COST_COMMAND_LINE)
                        : ev_price_table_lookup(table, o->provider, es->model, &why);
    if (es->row == NULL) {
        *err = jv_invalid_with_msg(no_price(es->model, why));
        return -1;
    }
    jv_free(why);
    return 0;
}

int
ev_cost_estimate_case(ev_cost_estimate *es, jv rec, jv *problem)
{
    const ev_cost_opts *o = es->o;
    double in = ev_price_estimate_prompt_tokens(rec, o->system);
    if (isnan(in)) {
        *problem = jv_string("case has no 'input' to estimate from");
        return -1;
    }
    double want = ev_price_estimate_output_tokens(rec);
    double max = o->max_tokens > 0 ? (double)o->max_tokens : NAN;
    if (isnan(want))
        es->no_expected++;
    /* An answer never exceeds --max-tokens, so neither end of the range does. */
    double low = isnan(want) ? (isnan(max) ? 0 : max) : (isnan(max) ? want : fmin(want, max));
    double high = isnan(max) ? low : max;
    ev_price_usage u = {.input = in, .output = low, .style = EV_PRICE_USAGE_INCLUSIVE};
    ev_price_charge c_low, c_high;
    jv err = jv_invalid();
    ev_price_cost(es->row, &u, o->batch, o->rate, &c_low, &err);
    u.output = high;
    ev_price_cost(es->row, &u, o->batch, o->rate, &c_high, &err);
    jv_free(err);
    double k = (double)o->repeat;
    es->cases++;
    es->calls += (unsigned long)o->repeat;
    es->tiered += c_low.tier != NULL;
    es->in_tok += k * in;
    es->out_low += k * low;
    es->out_high += k * high;
    es->cost_in += k * c_low.input;
    es->cost_low += k * c_low.output;
    es->cost_high += k * c_high.output;
    return 0;
}

static jv
add_str(jv a, jv s)
{
    return jv_array_append(a, s);
}

/* assumptions says, in words, what the estimate takes for granted. */
static jv
assumptions(const ev_cost_estimate *es)
{
    const ev_cost_opts *o = es->o;
    const ev_price *p = es->row;
    jv a = jv_array();
    a = add_str(a, jv_string_fmt("input tokens: UTF-8 bytes of the prompt / %d, rounded up, plus "
                                 "%d per message and %d per prompt",
                                 EV_PRICE_BYTES_PER_TOKEN, EV_PRICE_TOKENS_PER_MESSAGE,
                                 EV_PRICE_TOKENS_PER_PROMPT));
    if (o->system != NULL)
        a = add_str(a, jv_string_fmt("a system message of %zu bytes opens every case whose input "
                                     "has none",
                                     strlen(o->system)));
    if (o->max_tokens > 0)
        a = add_str(a, jv_string_fmt("output tokens: %ld per call (--max-tokens), the worst "
                                     "case; the low end of the range takes answers as long as "
                                     "'expected' (bytes / %d, rounded up)",
                                     o->max_tokens, EV_PRICE_BYTES_PER_TOKEN));
    else
        a = add_str(a, jv_string_fmt("output tokens: as long as 'expected' (bytes / %d, rounded "
                                     "up), with no hidden reasoning tokens, which reasoning "
                                     "models bill as output; real answers may be longer: "
                                     "--max-tokens gives the worst case",
                                     EV_PRICE_BYTES_PER_TOKEN));
    if (es->no_expected > 0)
        a = add_str(a, o->max_tokens > 0
                           ? jv_string_fmt("%lu case%s without 'expected' counted at "
                                           "--max-tokens at both ends",
                                           es->no_expected, es->no_expected == 1 ? "" : "s")
                           : jv_string_fmt("%lu case%s without 'expected': %s output is not "
                                           "counted, so the figure is too low",
                                           es->no_expected, es->no_expected == 1 ? "" : "s",
                                           es->no_expected == 1 ? "its" : "their"));
    a = add_str(a, o->repeat == 1
                       ? jv_string("each case called once")
                       : jv_string_fmt("each case called %ld times (--repeat)", o->repeat));
    if (!o->batch)
        a = add_str(a, jv_string("standard rates, no batch discount"));
    else if (!isnan(p->batch))
        a = add_str(a, jv_string_fmt("batch rates: %g of the standard price", p->batch));
    else
        a = add_str(a,
                    jv_string_fmt("standard rates: no batch discount is known for '%s'", p->model));
    a = add_str(a, jv_string("no prompt caching: every prompt token at the full input price"));
    if (es->tiered > 0)
        a = add_str(a, jv_string_fmt("%lu case%s over the prompt-size tier of '%s', priced at "
                                     "the tier's rates",
                                     es->tiered, es->tiered == 1 ? "" : "s", p->model));
    if (o->currency != NULL) {
        jv r = ev_cost_rate(o, ev_price_table_currency(es->table));
        jv note = ev_json_field(r, "note");
        a = add_str(a, jv_string_fmt("converted at %s (--rate)", ev_json_str(note, "")));
        jv_free(note);
        jv_free(r);
    }
    if (o->custom)
        a = add_str(a, jv_string_fmt("prices from the command line: %g input, %g output per "
                                     "million tokens",
                                     o->price_in, o->price_out));
    else
        a = add_str(a, jv_string_fmt("prices of '%s'%s%s%s%s; verify them before budgeting",
                                     p->model, p->as_of ? " as of " : "", p->as_of ? p->as_of : "",
                                     p->source ? " from " : "", p->source ? p->source : ""));
    return a;
}

jv
ev_cost_estimate_report(const ev_cost_estimate *es)
{
    const ev_cost_opts *o = es->o;
    bool worst = o->max_tokens > 0;
    double out_tok = worst ? es->out_high : es->out_low;
    double out_cost = worst ? es->cost_high : es->cost_low;
    jv j = jv_object();
    j = jv_object_set(j, jv_string("estimate"), jv_true());
    j = jv_object_set(j, jv_string("model"), jv_string(es->model));
    j = jv_object_set(j, jv_string("priced_as"), o->custom ? jv_null() : jv_string(es->row->model));
    j = jv_object_set(j, jv_string("cases"), jv_number((double)es->cases));
    j = jv_object_set(j, jv_string("calls"), jv_number((double)es->calls));
    j = jv_object_set(j, jv_string("repeat"), jv_number((double)o->repeat));
    j = jv_object_set(j, jv_string("max_tokens"),
                      worst ? jv_number((double)o->max_tokens) : jv_null());
    j = jv_object_set(j, jv_string("batch"), jv_bool(o->batch));
    j = jv_object_set(j, jv_string("input_tokens"), jv_number(es->in_tok));
    j = jv_object_set(j, jv_string("output_tokens"), jv_number(out_tok));
    double in = ev_price_money(es->cost_in), out = ev_price_money(out_cost);
    jv c = jv_object();
    c = jv_object_set(c, jv_string("input"), jv_number(in));
    c = jv_object_set(c, jv_string("output"), jv_number(out));
    c = jv_object_set(c, jv_string("total"), jv_number(ev_price_money(in + out)));
    c = jv_object_set(c, jv_string("per_case"), ev_cost_money(per(in + out, es->cases)));
    j = jv_object_set(j, jv_string("cost"), c);
    j = jv_object_set(j, jv_string("currency"), jv_string(es->currency));
    /* The range, always, low to high: answers as long as 'expected', and
     * of --max-tokens, or of no bound without it. The headline is the high
     * end with --max-tokens, the worst case, and the low end without it. */
    jv lo = jv_object();
    lo = jv_object_set(lo, jv_string("output_tokens"), jv_number(es->out_low));
    lo = jv_object_set(lo, jv_string("total"),
                       jv_number(ev_price_money(in + ev_price_money(es->cost_low))));
    lo = jv_object_set(lo, jv_string("basis"), jv_string("expected"));
    jv hi = jv_object();
    hi = jv_object_set(hi, jv_string("output_tokens"), worst ? jv_number(es->out_high) : jv_null());
    hi = jv_object_set(hi, jv_string("total"),
                       worst ? jv_number(ev_price_money(in + ev_price_money(es->cost_high)))
                             : jv_null());
    hi = jv_object_set(hi, jv_string("basis"), jv_string(worst ? "max_tokens" : "unbounded"));
    jv r = jv_object_set(jv_object(), jv_string("low"), lo);
    j = jv_object_set(j, jv_string("range"), jv_object_set(r, jv_string("high"), hi));
    j = jv_object_set(j, jv_string("headline"), jv_string(worst ? "high" : "low"));
    j = jv_object_set(j, jv_string("complete"), jv_bool(worst || es->no_expected == 0));
    return jv_object_set(j, jv_string("assumptions"), assumptions(es));
}

/* Hosting ------------------------------------------------------------------ */

#define SECONDS_PER_DAY 86400.0

void
ev_cost_hosting_init(ev_cost_hosting *h)
{
    h->records = h->timed = h->ncases = 0;
    h->latency_ms = h->in_tok = h->out_tok = 0;
    h->cases = ev_keymap_new();
}

void
ev_cost_hosting_free(ev_cost_hosting *h)
{
    ev_keymap_free(h->cases);
    h->cases = NULL;
}

void
ev_cost_hosting_add(ev_cost_hosting *h, jv rec)
{
    h->records++;
    count_case(h->cases, &h->ncases, rec);
    jv call = ev_json_field(rec, "call");
    double ms = ev_json_number(call, "latency_ms");
    ev_price_usage u;
    jv err;
    if (ev_price_usage_from_call(call, &u, &err) != 0) {
        jv_free(err);
        u.input = u.output = NAN;
    }
    jv_free(call);
    if (!(ms > 0))
        return;
    h->timed++;
    h->latency_ms += ms;
    h->in_tok += isnan(u.input) ? 0 : u.input;
    h->out_tok += isnan(u.output) ? 0 : u.output;
}

static jv
num_or_null(double x)
{
    return isfinite(x) ? jv_number(x) : jv_null();
}

ev_cost_hosted
ev_cost_hosted_at(double per_hour, double traffic, double concurrency, double latency_s,
                  double calls_per_case, double baseline)
{
    ev_cost_hosted x;
    x.capacity = SECONDS_PER_DAY * concurrency / latency_s / calls_per_case;
    x.replicas = fmax(1, ceil(traffic / x.capacity));
    x.daily = x.replicas * 24 * per_hour;
    x.per_case = x.daily / traffic;
    /* One replica costs 24 x per_hour a day whatever its traffic; the
     * baseline costs 'baseline' a case: equal at 24 x per_hour / baseline
     * cases a day, if one replica can serve that many. */
    double t = baseline > 0 ? 24 * per_hour / baseline : INFINITY;
    x.break_even = t <= x.capacity ? ceil(t) : NAN;
    return x;
}

jv
ev_cost_hosting_report(const ev_cost_hosting *h, const ev_cost_ledger *base)
{
    if (h->timed == 0)
        return jv_invalid_with_msg(jv_string("no call of the run has a 'call.latency_ms' to "
                                             "measure its throughput from (batch answers have "
                                             "none)"));
    double latency = h->latency_ms / (double)h->timed / 1000; /* seconds a call */
    double calls_per_case = (double)h->records / (double)h->ncases;
    double per_hour = h->per_hour * h->rate;
    double per = NAN;
    if (base != NULL && base->all.priced > 0)
        per = (base->all.cost_in + base->all.cost_out) / (double)base->ncases;
    ev_cost_hosted x =
        ev_cost_hosted_at(per_hour, h->traffic, h->concurrency, latency, calls_per_case, per);
    jv j = jv_object();
    jv host = jv_object();
    host = jv_object_set(host, jv_string("per_hour"), jv_number(ev_price_money(per_hour)));
    host = jv_object_set(host, jv_string("endpoint"), ev_json_string_or_null(h->endpoint));
    if (h->row != NULL) {
        host = jv_object_set(host, jv_string("provider"), jv_string(h->row->provider));
        host = jv_object_set(host, jv_string("hardware"), ev_json_string_or_null(h->row->hardware));
        host = jv_object_set(host, jv_string("source"), ev_json_string_or_null(h->row->source));
        host = jv_object_set(host, jv_string("as_of"), ev_json_string_or_null(h->row->as_of));
    }
    j = jv_object_set(j, jv_string("hosting"), host);
    j = jv_object_set(j, jv_string("currency"), jv_string(h->currency));
    j = jv_object_set(j, jv_string("rate"), jv_copy(h->rate_said));
    j = jv_object_set(j, jv_string("traffic"), jv_number(h->traffic));
    j = jv_object_set(j, jv_string("concurrency"), jv_number(h->concurrency));
    j = jv_object_set(j, jv_string("records"), jv_number((double)h->records));
    j = jv_object_set(j, jv_string("timed"), jv_number((double)h->timed));
    j = jv_object_set(j, jv_string("cases"), jv_number((double)h->ncases));
    j = jv_object_set(j, jv_string("calls_per_case"), jv_number(calls_per_case));
    j = jv_object_set(j, jv_string("latency_ms"), jv_number(latency * 1000));
    j = jv_object_set(j, jv_string("output_tokens_per_second"),
                      jv_number(h->concurrency * h->out_tok / (double)h->timed / latency));
    j = jv_object_set(j, jv_string("capacity"), jv_number(floor(x.capacity)));
    j = jv_object_set(j, jv_string("replicas"), jv_number(x.replicas));
    j = jv_object_set(j, jv_string("daily_cost"), jv_number(ev_price_money(x.daily)));
    j = jv_object_set(j, jv_string("per_case"), jv_number(ev_price_money(x.per_case)));
    jv b = jv_null();
    const char *cheaper = NULL;
    if (!isnan(per)) {
        b = jv_object();
        b = jv_object_set(b, jv_string("per_case"), jv_number(ev_price_money(per)));
        b = jv_object_set(b, jv_string("daily_cost"), jv_number(ev_price_money(per * h->traffic)));
        b = jv_object_set(b, jv_string("cases"), jv_number((double)base->ncases));
        cheaper = x.daily < per * h->traffic ? "hosting" : "baseline";
    }
    j = jv_object_set(j, jv_string("baseline"), b);
    j = jv_object_set(j, jv_string("break_even"), num_or_null(x.break_even));
    j = jv_object_set(j, jv_string("cheaper"), ev_json_string_or_null(cheaper));
    return jv_object_set(
        j, jv_string("formula"),
        jv_string("capacity = 86400 x concurrency / (mean latency in seconds x calls per "
                  "case) cases a day per replica; replicas = max(1, ceil(traffic / "
                  "capacity)); daily cost = replicas x 24 x per_hour; per case = daily cost / "
                  "traffic; break-even = 24 x per_hour / baseline cost per case, when one "
                  "replica can serve it"));
}
