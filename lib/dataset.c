#include "dataset.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "ev.h"
#include "json.h"
#include "jsonl.h"
#include "report.h"
#include "stats.h"

void
ev_dataset_stats_init(ev_dataset_stats *s, double max_tokens)
{
    memset(s, 0, sizeof(*s));
    s->max_tokens = max_tokens;
}

void
ev_dataset_stats_add(ev_dataset_stats *s, const ev_example_measure *m)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->tokens = ev_alloc_resize(s->tokens, s->cap * sizeof(double));
        s->assistant = ev_alloc_resize(s->assistant, s->cap * sizeof(double));
        s->messages = ev_alloc_resize(s->messages, s->cap * sizeof(double));
    }
    s->tokens[s->n] = m->tokens;
    s->assistant[s->n] = m->assistant_tokens;
    s->messages[s->n] = m->messages;
    s->n++;
    s->missing_system += !m->has_system;
    s->missing_user += !m->has_user;
    s->over_limit += m->tokens > s->max_tokens;
    s->billing_tokens += m->tokens < s->max_tokens ? m->tokens : s->max_tokens;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* distribution sorts 'x' and returns {total, min, median, max}. */
static jv
distribution(double *x, size_t n)
{
    jv d = jv_object();
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += x[i];
    if (n > 0)
        qsort(x, n, sizeof(*x), cmp_double);
    d = jv_object_set(d, jv_string("total"), jv_number(total));
    d = jv_object_set(d, jv_string("min"), n ? jv_number(x[0]) : jv_null());
    d = jv_object_set(d, jv_string("median"),
                      n ? jv_number(ev_stats_quantile_sorted(x, n, 0.5)) : jv_null());
    return jv_object_set(d, jv_string("max"), n ? jv_number(x[n - 1]) : jv_null());
}

jv
ev_dataset_stats_json(ev_dataset_stats *s)
{
    jv o = jv_object_set(jv_object(), jv_string("examples"), jv_number((double)s->n));
    o = jv_object_set(o, jv_string("tokens"), distribution(s->tokens, s->n));
    o = jv_object_set(o, jv_string("assistant_tokens"), distribution(s->assistant, s->n));
    jv msgs = distribution(s->messages, s->n);
    o = jv_object_set(o, jv_string("messages"), msgs);
    o = jv_object_set(o, jv_string("missing_system"), jv_number((double)s->missing_system));
    o = jv_object_set(o, jv_string("missing_user"), jv_number((double)s->missing_user));
    o = jv_object_set(o, jv_string("over_token_limit"), jv_number((double)s->over_limit));
    return jv_object_set(o, jv_string("billing_tokens"), jv_number(s->billing_tokens));
}

void
ev_dataset_stats_free(ev_dataset_stats *s)
{
    free(s->tokens);
    free(s->assistant);
    free(s->messages);
    memset(s, 0, sizeof(*s));
}

/* Reading a training file. */

static void
append(ev_dataset *d, const char *s, size_t n)
{
    if (d->len + n + 1 > d->cap) {
        d->cap = (d->len + n + 1) * 2;
        d->text = ev_alloc_resize(d->text, d->cap);
    }
    memcpy(d->text + d->len, s, n);
    d->len += n;
    d->text[d->len] = '\0';
}

static void
problem(ev_dataset *d, const ev_dataset_opts *o, jv where /* borrowed */,
        enum ev_example_problem kind, const char *msg)
{
    d->problems[kind]++;
    ev_log_warn(o->log, "%s: %s", jv_string_value(where), msg);
}

/* from_record returns the example of 'o->method' that 'rec' stands for. */
static jv
from_record(const ev_dataset_opts *o, jv rec, bool *changed, enum ev_example_problem *kind)
{
    return o->method == EV_EXAMPLE_DPO
               ? ev_example_preference_from_record(rec, o->system, changed, kind)
               : ev_example_from_record(rec, o->system, changed, kind);
}

/* take checks one record read at 'where'. */
static void
take(ev_dataset *d, const ev_dataset_opts *o, jv rec, jv where /* borrowed */)
{
    enum ev_example_problem kind;
    bool changed;
    jv ex = from_record(o, rec, &changed, &kind);
    if (!jv_is_valid(ex)) {
        jv m = jv_invalid_get_msg(ex);
        problem(d, o, where, kind, jv_string_value(m));
        jv_free(m);
        d->invalid++;
        return;
    }
    ev_example_measure m;
    jv found = o->method == EV_EXAMPLE_DPO ? ev_example_preference_check(ex, o->max_tokens, &m)
                                           : ev_example_check(ex, o->max_tokens, &m);
    int n = jv_array_length(jv_copy(found));
    if (m.messages > 0)
        ev_dataset_stats_add(&d->stats, &m);
    jv_array_foreach(found, i, p)
    {
        jv k = jv_array_get(jv_copy(p), 0), msg = jv_array_get(p, 1);
        problem(d, o, where, (enum ev_example_problem)jv_number_value(k), jv_string_value(msg));
        jv_free(k);
        jv_free(msg);
        (void)i;
    }
    jv_free(found);
    if (n > 0) {
        jv_free(ex);
        d->invalid++;
        return;
    }
    jv out = ev_convert(ex, o->to);
    if (!jv_is_valid(out)) {
        jv msg = jv_invalid_get_msg(out);
        ev_log_warn(o->log, "%s: cannot write as %s: %s", jv_string_value(where),
                    ev_convert_name(o->to), jv_string_value(msg));
        jv_free(msg);
        d->invalid++;
        return;
    }
    d->valid++;
    d->changed = d->changed || changed || o->to != ev_convert_default(o->method);
    jv text = jv_dump_string(out, 0);
    append(d, jv_string_value(text), (size_t)jv_string_length_bytes(jv_copy(text)));
    append(d, "\n", 1);
    jv_free(text);
}

const char *
ev_dataset_name(const ev_dataset_opts *o)
{
    return o->nfiles == 1 ? o->files[0] : o->nfiles == 0 ? "-" : "input";
}

void
ev_dataset_read(ev_dataset *d, const ev_dataset_opts *o)
{
    memset(d, 0, sizeof(*d));
    ev_dataset_stats_init(&d->stats, o->max_tokens);
    ev_jsonl_reader r;
    jv rec;
    int rc;
    ev_jsonl_init(&r, o->files, o->nfiles, NULL);
    while ((rc = ev_jsonl_next(&r, &rec)) != EV_JSONL_EOF) {
        jv where = ev_jsonl_where(&r);
        if (rc == EV_JSONL_BAD) {
            /* A line that is no record is a problem of the file; a file
             * that cannot be read is trouble. */
            jv msg = jv_invalid_get_msg(rec);
            jv prefix = jv_string_fmt("%s: ", jv_string_value(where));
            const char *m = jv_string_value(msg), *p = jv_string_value(prefix);
            if (r.line > 0 && strncmp(m, p, strlen(p)) == 0) {
                problem(d, o, where, EV_EXAMPLE_DATA_TYPE, m + strlen(p));
                d->invalid++;
            } else {
                ev_log_warn(o->log, "%s", m);
                d->trouble = true;
            }
            jv_free(prefix);
            jv_free(msg);
        } else {
            take(d, o, rec, where);
        }
        jv_free(where);
    }
    ev_jsonl_free(&r);
    unsigned long least = o->min_examples > 0 ? o->min_examples : EV_DATASET_MIN_EXAMPLES;
    if (d->valid < least) {
        d->problems[EV_EXAMPLE_TOO_FEW_EXAMPLES]++;
        ev_log_warn(o->log, "%s: %lu valid example%s, and at least %lu are required",
                    ev_dataset_name(o), d->valid, d->valid == 1 ? "" : "s", least);
    }
}

bool
ev_dataset_valid(const ev_dataset *d)
{
    for (int k = 0; k < EV_EXAMPLE_NPROBLEMS; k++)
        if (d->problems[k] > 0)
            return false;
    return d->invalid == 0 && !d->trouble;
}

void
ev_dataset_free(ev_dataset *d)
{
    free(d->text);
    ev_dataset_stats_free(&d->stats);
    d->text = NULL;
    d->len = d->cap = 0;
}

/* The report of --check. */

jv
ev_dataset_report(ev_dataset *d, const ev_dataset_opts *o, const ev_quote *q, const char *model)
{
    jv files = jv_array();
    for (int i = 0; i < o->nfiles; i++)
        files = jv_array_append(files, jv_string(o->files[i]));
    if (o->nfiles == 0)
        files = jv_array_append(files, jv_string("-"));
    jv problems = jv_object();
    for (int k = 0; k < EV_EXAMPLE_NPROBLEMS; k++)
        if (ev_example_problem_applies(k, o->method))
            problems = ev_json_set(problems, ev_example_problem_name(k),
                                   jv_number((double)d->problems[k]));
    jv r = ev_json_set(jv_object(), "files", files);
    r = ev_json_set(r, "method", jv_string(ev_example_method_name(o->method)));
    r = ev_json_set(r, "valid", jv_bool(ev_dataset_valid(d)));
    r = ev_json_set(r, "valid_examples", jv_number((double)d->valid));
    r = ev_json_set(r, "invalid_examples", jv_number((double)d->invalid));
    r = ev_json_set(r, "problems", problems);
    jv s = ev_dataset_stats_json(&d->stats);
    jv_object_foreach(s, k, v) r = jv_object_set(r, k, v);
    jv_free(s);
    r = ev_json_set(r, "max_example_tokens", jv_number(o->max_tokens));
    r = ev_json_set(r, "epochs", jv_number((double)q->epochs));
    r = ev_json_set(r, "epochs_rule", jv_copy(q->epochs_rule));
    r = ev_json_set(r, "training_tokens", jv_number(q->tokens));
    r = ev_json_set(r, "cost", ev_quote_cost_json(q, model));
    return ev_json_set(
        r, "estimate",
        jv_string("tokens are estimated, not counted: ceil(bytes / 4) per string field, 3 per "
                  "message (1 more for a name) and 3 per example; training tokens are the sum "
                  "of min(tokens, max_example_tokens) times epochs"));
}

static void row(FILE *out, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
row(FILE *out, const char *label, const char *fmt, ...)
{
    va_list ap;
    fprintf(out, "%-18s ", label);
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
}

/* dist_row prints the distribution at 'key' of 'r': min, median, max,
 * total. */
static void
dist_row(FILE *out, const char *label, jv r /* borrowed */, const char *key)
{
    jv d = ev_json_field(r, key);
    double mn = ev_json_number(d, "min");
    if (!isnan(mn))
        row(out, label, "min %g, median %g, max %g, total %g", mn, ev_json_number(d, "median"),
            ev_json_number(d, "max"), ev_json_number(d, "total"));
    else
        row(out, label, "none");
    jv_free(d);
}

void
ev_dataset_report_table(FILE *out, jv r)
{
    jv valid = ev_json_field(r, "valid");
    row(out, "valid", "%s", jv_get_kind(valid) == JV_KIND_TRUE ? "yes" : "no");
    jv_free(valid);
    row(out, "examples", "%g valid, %g invalid", ev_json_number(r, "valid_examples"),
        ev_json_number(r, "invalid_examples"));
    jv problems = ev_json_field(r, "problems");
    bool any = false;
    jv_object_foreach(problems, k, n)
    {
        if (jv_number_value(n) > 0) {
            row(out, any ? "" : "problems", "%s: %g", jv_string_value(k), jv_number_value(n));
            any = true;
        }
        jv_free(k);
        jv_free(n);
    }
    jv_free(problems);
    if (!any)
        row(out, "problems", "none");
    dist_row(out, "tokens", r, "tokens");
    dist_row(out, "assistant tokens", r, "assistant_tokens");
    dist_row(out, "messages", r, "messages");
    row(out, "no system message", "%g examples", ev_json_number(r, "missing_system"));
    row(out, "no user message", "%g examples", ev_json_number(r, "missing_user"));
    row(out, "token limit", "%g tokens an example", ev_json_number(r, "max_example_tokens"));
    jv rule = ev_json_field(r, "epochs_rule");
    row(out, "epochs", "%g (%s)", ev_json_number(r, "epochs"), ev_json_str(rule, ""));
    jv_free(rule);
    row(out, "training tokens", "about %g", ev_json_number(r, "training_tokens"));
    jv cur = ev_json_path(r, "cost.currency"), note = ev_json_path(r, "cost.note");
    double total = ev_json_number(r, "cost.total");
    char cost[64];
    if (!isnan(total))
        row(out, "training cost", "about %s %s, %s", ev_json_str(cur, ""),
            ev_report_fixed(total, 4, cost, sizeof(cost)), ev_json_str(note, ""));
    else
        row(out, "training cost", "unknown: %s", ev_json_str(note, ""));
    jv_free(cur);
    jv_free(note);
    jv est = ev_json_field(r, "estimate");
    row(out, "estimate", "%s", ev_json_str(est, ""));
    jv_free(est);
}

int
ev_dataset_check(const ev_dataset_opts *o, const ev_quote_opts *qo, enum ev_cli_format format,
                 FILE *out)
{
    ev_dataset d;
    ev_quote q;
    ev_dataset_read(&d, o);
    jv trouble = ev_quote_make(&q, qo, d.stats.n, d.stats.billing_tokens);
    bool table_trouble = !jv_is_valid(trouble);
    if (table_trouble)
        ev_log_warn_jv(o->log, trouble);
    else
        jv_free(trouble);
    bool ok = ev_dataset_valid(&d);
    bool bad = d.trouble || table_trouble;
    jv r = ev_dataset_report(&d, o, &q, qo->model);
    if (ev_cli_format_resolve(format) == EV_CLI_FORMAT_TABLE) {
        ev_dataset_report_table(out, r);
        jv_free(r);
    } else {
        ev_jsonl_write(out, r);
    }
    ev_quote_free(&q);
    ev_dataset_free(&d);
    return bad ? EV_EXIT_TROUBLE : ok ? EV_EXIT_OK : EV_EXIT_NO;
}

/* --convert: a filter. */

int
ev_dataset_convert(const ev_dataset_opts *o, FILE *out)
{
    ev_jsonl_reader r;
    jv rec;
    int rc, status = EV_EXIT_OK;
    ev_jsonl_init(&r, o->files, o->nfiles, out);
    while ((rc = ev_jsonl_next(&r, &rec)) != EV_JSONL_EOF) {
        if (rc == EV_JSONL_BAD) {
            ev_log_warn_jv(o->log, rec);
            status = EV_EXIT_TROUBLE;
            continue;
        }
        enum ev_example_problem kind;
        bool changed;
        jv ex = ev_convert(from_record(o, rec, &changed, &kind), o->to);
        if (!jv_is_valid(ex)) {
            jv where = ev_jsonl_where(&r);
            jv m = jv_invalid_get_msg(ex);
            ev_log_warn(o->log, "%s: cannot convert: %s", jv_string_value(where),
                        ev_json_str(m, "not an example"));
            jv_free(m);
            jv_free(where);
            status = EV_EXIT_TROUBLE;
            continue;
        }
        if (ev_jsonl_write(out, ex) != 0)
            break;
    }
    ev_jsonl_free(&r);
    return status;
}

/* Before training. */

int
ev_dataset_prepare(ev_dataset *d, ev_quote *q, const ev_dataset_opts *o, const ev_quote_opts *qo,
                   const char *refusal)
{
    ev_dataset_read(d, o);
    if (d->trouble || !ev_dataset_valid(d)) {
        int status = d->trouble ? EV_EXIT_TROUBLE : EV_EXIT_NO;
        if (!d->trouble)
            ev_log_warn(o->log, "%s", refusal);
        ev_dataset_free(d);
        return status;
    }
    jv trouble = ev_quote_make(q, qo, d->stats.n, d->stats.billing_tokens);
    if (!jv_is_valid(trouble))
        ev_log_warn_jv(o->log, trouble);
    else
        jv_free(trouble);
    ev_log_progress(
        o->log, "%lu examples, about %g tokens; %ld epochs (%s); about %g training tokens",
        d->valid, d->stats.billing_tokens, q->epochs, jv_string_value(q->epochs_rule), q->tokens);
    if (!isnan(q->cost))
        ev_log_progress(o->log, "estimated training cost: %s %.4f, %s", q->currency, q->cost,
                        jv_string_value(q->cost_note));
    else
        ev_log_progress(o->log, "training cost unknown: %s", jv_string_value(q->cost_note));
    return EV_EXIT_OK;
}
