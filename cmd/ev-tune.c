/*
 * ev-tune: check a training file, convert cases to a trainer's format, and
 * fine-tune: through an OpenAI-compatible fine-tuning API, or with a local
 * training command.
 *
 * Checking comes first in every mode that trains, so that no money is spent
 * on a file the provider would refuse or truncate: the checks are those of
 * OpenAI's cookbook (lib/tune.h), with the token counts and the cost
 * estimated before anything is sent. Submitting uploads the file, creates
 * the job and follows it to its end, with its events on standard error, and
 * writes one JSON line that names the tuned model.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "child.h"
#include "cli.h"
#include "clock.h"
#include "diag.h"
#include "ev.h"
#include "rest.h"
#include "jsonl.h"
#include "secret.h"
#include "price.h"
#include "record.h"
#include "train.h"
#include "trainer.h"
#include "tune.h"

#define DEFAULT_BASE_URL "https://api.openai.com/v1"
/* Polls in a row that may fail on their own before ev-tune gives up. */
#define MAX_POLL_FAILURES 5
/* How long one request may take, at most. */
#define REQUEST_MS 60000L
#define UPLOAD_MS 600000L
/* The trainer's last lines quoted when it fails. */
#define TRAINER_TAIL 5

enum mode { M_CHECK, M_CONVERT, M_SUBMIT, M_CMD, M_RESUME, M_CANCEL };
enum to { TO_CHAT, TO_ALPACA, TO_SHAREGPT };

static const char *const to_names[] = {"chat", "alpaca", "sharegpt"};

typedef struct opts {
    enum mode mode;
    bool mode_set;
    const char *job;     /* --resume, --cancel */
    const char *command; /* --cmd */
    const char *model;
    const char *suffix;
    const char *system;
    const char *base_url;
    const char *cacert;
    const char *key_env, *key_file;
    char **prices;
    int nprices;
    char **pass_env; /* --env, NULL-terminated */
    int npass;
    long epochs; /* 0: the cookbook's default */
    long seed;   /* -1: none */
    bool seed_set;
    double max_tokens;
    long poll_ms;
    double timeout_s; /* 0: none */
    enum ev_format format;
    enum to to;
    bool quiet;
    char **files;
    int nfiles;
} opts;

/* Set by SIGINT and SIGTERM; every wait and transfer looks at it. */
static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void
usage(FILE *f)
{
    fputs("usage: ev-tune [--check] [-m MODEL] [--epochs N] [--max-example-tokens N]\n"
          "               [--prices FILE] [--format table|json] [--system TEXT] [FILE ...]\n"
          "       ev-tune --convert [--to chat|alpaca|sharegpt] [--system TEXT] [FILE ...]\n"
          "       ev-tune --submit -m MODEL [--suffix S] [--seed N] [--epochs N]\n"
          "               [--base-url URL] [--api-key-env NAME | --api-key-file FILE]\n"
          "               [--cacert FILE]\n"
          "               [--poll-ms MS] [--timeout SEC] [FILE ...]\n"
          "       ev-tune --cmd COMMAND [-m MODEL] [--to FORMAT] [--epochs N]\n"
          "               [--env NAME]... [FILE ...]\n"
          "       ev-tune --resume JOB | --cancel JOB [--base-url URL] ...\n"
          "\n"
          "Check a chat fine-tuning file by the OpenAI cookbook's rules, estimate its\n"
          "tokens and cost, convert cases to chat, Alpaca or ShareGPT, and fine-tune.\n"
          "Records may be chat examples ({messages}) or cases ({input, expected}).\n"
          "\n"
          "Modes:\n"
          "  -c, --check               check and report (the default)\n"
          "      --convert             write the examples as JSONL in --to's format\n"
          "  -s, --submit              check, upload, create a job, follow it to its end\n"
          "      --cmd COMMAND         check, then run COMMAND with the training file as $1\n"
          "                            (and $EV_TRAIN_FILE); its last line of output names\n"
          "                            the model\n"
          "      --env NAME            with --cmd: also pass $NAME (a pattern: 'HF_*') to\n"
          "                            COMMAND, which otherwise gets only PATH, HOME,\n"
          "                            LANG... and no key\n"
          "      --resume JOB          follow a job created earlier to its end\n"
          "      --cancel JOB          cancel a job\n"
          "\n"
          "Options:\n"
          "  -m, --model MODEL         base model: priced for the estimate, tuned by --submit\n"
          "      --epochs N            epochs (1-50); default: the cookbook's, 3 raised or\n"
          "                            lowered to keep examples x epochs in 100..25000\n"
          "      --max-example-tokens N\n"
          "                            the most tokens an example may have (default 16385)\n"
          "      --system TEXT         a system message for examples that have none\n"
          "      --to FORMAT           chat (default), alpaca or sharegpt\n"
          "  -p, --prices FILE         price table (default $EV_PRICES, else the installed one)\n"
          "  -f, --format FORMAT       report as table or json (default: table on a terminal)\n"
          "      --suffix S            suffix of the tuned model's name (up to 64 characters)\n"
          "      --seed N              the job's seed\n"
          "      --base-url URL        the API (default $OPENAI_BASE_URL, else\n"
          "                            " DEFAULT_BASE_URL ")\n"
          "      --api-key-env NAME    read the key from $NAME (default $OPENAI_API_KEY)\n"
          "      --api-key-file FILE   read the key from FILE\n"
          "      --cacert FILE         trust the CA certificates in FILE (PEM) for https\n"
          "      --poll-ms MS          time between polls of the job (default 5000)\n"
          "      --timeout SEC         give up following the job after SEC seconds\n"
          "  -q, --quiet               no progress or events on standard error\n"
          "  -h, --help                show this help\n"
          "  -V, --version             show the version\n"
          "\n"
          "Tokens are estimated: ceil(bytes / 4) per string field, 3 per message (1 more\n"
          "for a name) and 3 per example.\n"
          "Exit status: 0 valid or tuned, 1 invalid file or failed job, 2 trouble,\n"
          "130 interrupted. See ev-tune(1) and ev(7).\n",
          f);
}

static jv
get(jv o, const char *key)
{
    return jv_object_get(jv_copy(o), jv_string(key));
}

/* str returns the text of 'v' (borrowed), or 'otherwise' when it is no
 * string. */
static const char *
str(jv v, const char *otherwise)
{
    return jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : otherwise;
}

static bool
valid_flag(jv r)
{
    jv v = get(r, "valid");
    bool yes = jv_get_kind(v) == JV_KIND_TRUE;
    jv_free(v);
    return yes;
}

/* Reading the training examples. */

/* The examples read, checked and written out in the chosen format. */
typedef struct training {
    char *text; /* the valid examples as JSONL, in 'to' format */
    size_t len, cap;
    ev_tune_stats stats;
    unsigned long problems[EV_TUNE_NPROBLEMS];
    unsigned long invalid; /* examples with a problem */
    unsigned long valid;
    bool changed; /* the text differs from the one input file */
    bool trouble; /* a file could not be read */
} training;

static void
append(training *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->text = ev_alloc_resize(t->text, t->cap);
    }
    memcpy(t->text + t->len, s, n);
    t->len += n;
    t->text[t->len] = '\0';
}

/* in_format returns the chat example 'ex' (consumed) in format 'to'. */
static jv
in_format(jv ex, enum to to)
{
    jv out = to == TO_ALPACA     ? ev_chat_to_alpaca(ex)
             : to == TO_SHAREGPT ? ev_chat_to_sharegpt(ex)
                                 : jv_copy(ex);
    jv_free(ex);
    return out;
}

static void
problem(training *t, jv where, enum ev_tune_problem kind, const char *msg)
{
    t->problems[kind]++;
    ev_warn("%s: %s", jv_string_value(where), msg);
}

/* take checks one record (consumed) read at 'where' (borrowed). */
static void
take(training *t, const opts *o, jv rec, jv where)
{
    enum ev_tune_problem kind;
    bool changed;
    jv ex = ev_tune_example(rec, o->system, &changed, &kind);
    if (!jv_is_valid(ex)) {
        jv m = jv_invalid_get_msg(ex);
        problem(t, where, kind, jv_string_value(m));
        jv_free(m);
        t->invalid++;
        return;
    }
    ev_tune_measure m;
    jv found = ev_tune_check(ex, o->max_tokens, &m);
    int n = jv_array_length(jv_copy(found));
    if (m.messages > 0)
        ev_tune_stats_add(&t->stats, &m);
    jv_array_foreach(found, i, p)
    {
        jv k = jv_array_get(jv_copy(p), 0), msg = jv_array_get(p, 1);
        problem(t, where, (enum ev_tune_problem)jv_number_value(k), jv_string_value(msg));
        jv_free(k);
        jv_free(msg);
        (void)i;
    }
    jv_free(found);
    if (n > 0) {
        jv_free(ex);
        t->invalid++;
        return;
    }
    jv out = in_format(ex, o->to);
    if (!jv_is_valid(out)) {
        jv msg = jv_invalid_get_msg(out);
        ev_warn("%s: cannot write as %s: %s", jv_string_value(where), to_names[o->to],
                jv_string_value(msg));
        jv_free(msg);
        t->invalid++;
        return;
    }
    t->valid++;
    t->changed = t->changed || changed || o->to != TO_CHAT;
    jv s = jv_dump_string(out, 0);
    append(t, jv_string_value(s), strlen(jv_string_value(s)));
    append(t, "\n", 1);
    jv_free(s);
}

/* input_name names the input in a message about the file as a whole. */
static const char *
input_name(const opts *o)
{
    return o->nfiles == 1 ? o->files[0] : o->nfiles == 0 ? "-" : "input";
}

/* read_training reads and checks every record of the operands. A line that
 * is not a record is a problem of the file (data_type), not trouble; a file
 * that cannot be read is trouble. */
static void
read_training(training *t, const opts *o)
{
    memset(t, 0, sizeof(*t));
    ev_tune_stats_init(&t->stats, o->max_tokens);
    ev_reader r;
    jv rec;
    int rc;
    ev_reader_init(&r, o->files, o->nfiles, NULL);
    while ((rc = ev_reader_next(&r, &rec)) != EV_READ_EOF) {
        jv where = ev_reader_where(&r);
        if (rc == EV_READ_BAD) {
            jv msg = jv_invalid_get_msg(rec);
            jv prefix = jv_string_fmt("%s: ", jv_string_value(where));
            const char *m = jv_string_value(msg), *p = jv_string_value(prefix);
            if (r.line > 0 && strncmp(m, p, strlen(p)) == 0) {
                problem(t, where, EV_TUNE_DATA_TYPE, m + strlen(p));
                t->invalid++;
            } else {
                ev_warn("%s", m);
                t->trouble = true;
            }
            jv_free(prefix);
            jv_free(msg);
        } else {
            take(t, o, rec, where);
        }
        jv_free(where);
    }
    ev_reader_free(&r);
    if (t->valid < EV_TUNE_MIN_EXAMPLES) {
        t->problems[EV_TUNE_TOO_FEW_EXAMPLES]++;
        ev_warn("%s: %lu valid example%s, and at least %d are required", input_name(o), t->valid,
                t->valid == 1 ? "" : "s", EV_TUNE_MIN_EXAMPLES);
    }
}

/* valid says whether the file may be trained on: no problem, no example
 * the chosen format cannot hold, no unreadable file. */
static bool
valid(const training *t)
{
    for (int k = 0; k < EV_TUNE_NPROBLEMS; k++)
        if (t->problems[k] > 0)
            return false;
    return t->invalid == 0 && !t->trouble;
}

static void
training_free(training *t)
{
    free(t->text);
    ev_tune_stats_free(&t->stats);
}

/* The plan: epochs, tokens and cost. */

typedef struct plan {
    long epochs;
    jv epochs_rule; /* why that many */
    double tokens;  /* billing tokens times epochs */
    double price;   /* per million training tokens; NAN when unknown */
    double cost;    /* NAN when unknown */
    char currency[16];
    jv cost_note; /* why there is no cost, or where the price is from */
    bool table_trouble;
} plan;

/* load_prices loads the price table: the --prices files, else the default
 * one. Returns NULL with a note when there is none to load; an unreadable
 * --prices file is trouble. */
static ev_prices *
load_prices(const opts *o, plan *p)
{
    ev_prices *t = ev_prices_new();
    jv err;
    if (o->nprices == 0) {
        jv path = ev_prices_locate();
        if (!jv_is_valid(path)) {
            jv m = jv_invalid_get_msg(path);
            p->cost_note = jv_string_fmt("no price table: %s", jv_string_value(m));
            jv_free(m);
            ev_prices_free(t);
            return NULL;
        }
        int rc = ev_prices_load(t, jv_string_value(path), &err);
        jv_free(path);
        if (rc != 0) {
            jv m = jv_invalid_get_msg(err);
            p->cost_note = jv_string_fmt("the price table is bad: %s", jv_string_value(m));
            jv_free(m);
            ev_prices_free(t);
            return NULL;
        }
        return t;
    }
    for (int i = 0; i < o->nprices; i++) {
        if (ev_prices_load(t, o->prices[i], &err) != 0) {
            ev_warn_jv(err);
            p->table_trouble = true;
            p->cost_note = jv_string("the price table cannot be read");
            ev_prices_free(t);
            return NULL;
        }
    }
    return t;
}

/* price sets the cost of the plan's tokens at the training price of
 * 'model' in the table, or says why there is none. */
static void
price(plan *p, const ev_prices *table, const char *model)
{
    const ev_price *row = ev_prices_find(table, model);
    snprintf(p->currency, sizeof(p->currency), "%s", ev_prices_currency(table));
    if (row == NULL) {
        p->cost_note = jv_string_fmt("'%s' is not in the price table", model);
    } else if (isnan(row->training)) {
        p->cost_note = jv_string_fmt("the price table has no training price for '%s'", model);
    } else {
        p->price = row->training;
        p->cost = ev_money(ev_price_training(row, p->tokens));
        p->cost_note = jv_string_fmt("at %g per million training tokens (row '%s'%s%s); verify "
                                     "prices before budgeting",
                                     row->training, row->model, row->as_of ? ", as of " : "",
                                     row->as_of ? row->as_of : "");
    }
}

static void
make_plan(plan *p, const opts *o, const training *t)
{
    const char *why;
    *p = (plan){0, jv_null(), 0, NAN, NAN, "USD", jv_null(), false};
    size_t n = t->stats.n;
    if (o->epochs > 0) {
        p->epochs = o->epochs;
        p->epochs_rule = jv_string("given with --epochs");
    } else {
        p->epochs = ev_tune_default_epochs(n, &why);
        p->epochs_rule =
            strcmp(why, "raised") == 0
                ? jv_string_fmt("the cookbook's default: 3, raised to %ld so that %zu examples x "
                                "epochs reach 100",
                                p->epochs, n)
            : strcmp(why, "lowered") == 0
                ? jv_string_fmt("the cookbook's default: 3, lowered to %ld so that %zu examples x "
                                "epochs stay within 25000",
                                p->epochs, n)
                : jv_string("the cookbook's default: 3");
    }
    p->tokens = t->stats.billing_tokens * (double)p->epochs;
    if (o->model == NULL) {
        p->cost_note = jv_string("no model given: -m MODEL prices the training");
        return;
    }
    ev_prices *table = load_prices(o, p);
    if (table != NULL) {
        price(p, table, o->model);
        ev_prices_free(table);
    }
}

static void
plan_free(plan *p)
{
    jv_free(p->epochs_rule);
    jv_free(p->cost_note);
}

/* The report of --check. */

static jv
report_json(training *t, const opts *o, const plan *p)
{
    jv files = jv_array();
    for (int i = 0; i < o->nfiles; i++)
        files = jv_array_append(files, jv_string(o->files[i]));
    if (o->nfiles == 0)
        files = jv_array_append(files, jv_string("-"));
    jv problems = jv_object();
    for (int k = 0; k < EV_TUNE_NPROBLEMS; k++)
        problems = jv_object_set(problems, jv_string(ev_tune_problem_name(k)),
                                 jv_number((double)t->problems[k]));
    jv r = jv_object_set(jv_object(), jv_string("files"), files);
    r = jv_object_set(r, jv_string("valid"), jv_bool(valid(t)));
    r = jv_object_set(r, jv_string("valid_examples"), jv_number((double)t->valid));
    r = jv_object_set(r, jv_string("invalid_examples"), jv_number((double)t->invalid));
    r = jv_object_set(r, jv_string("problems"), problems);
    jv s = ev_tune_stats_json(&t->stats);
    jv_object_foreach(s, k, v) r = jv_object_set(r, k, v);
    jv_free(s);
    r = jv_object_set(r, jv_string("max_example_tokens"), jv_number(o->max_tokens));
    r = jv_object_set(r, jv_string("epochs"), jv_number((double)p->epochs));
    r = jv_object_set(r, jv_string("epochs_rule"), jv_copy(p->epochs_rule));
    r = jv_object_set(r, jv_string("training_tokens"), jv_number(p->tokens));
    jv cost =
        jv_object_set(jv_object(), jv_string("model"), o->model ? jv_string(o->model) : jv_null());
    cost = jv_object_set(cost, jv_string("training_per_million"),
                         isnan(p->price) ? jv_null() : jv_number(p->price));
    cost = jv_object_set(cost, jv_string("total"), isnan(p->cost) ? jv_null() : jv_number(p->cost));
    cost = jv_object_set(cost, jv_string("currency"), jv_string(p->currency));
    cost = jv_object_set(cost, jv_string("note"), jv_copy(p->cost_note));
    r = jv_object_set(r, jv_string("cost"), cost);
    return jv_object_set(
        r, jv_string("estimate"),
        jv_string("tokens are estimated, not counted: ceil(bytes / 4) per string field, 3 per "
                  "message (1 more for a name) and 3 per example; training tokens are the sum "
                  "of min(tokens, max_example_tokens) times epochs"));
}

static void row(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
row(const char *label, const char *fmt, ...)
{
    va_list ap;
    printf("%-18s ", label);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static void
dist_row(const char *label, jv d)
{
    jv mn = jv_object_get(jv_copy(d), jv_string("min"));
    jv md = jv_object_get(jv_copy(d), jv_string("median"));
    jv mx = jv_object_get(jv_copy(d), jv_string("max"));
    jv tot = jv_object_get(d, jv_string("total"));
    if (jv_get_kind(mn) == JV_KIND_NUMBER)
        row(label, "min %g, median %g, max %g, total %g", jv_number_value(mn), jv_number_value(md),
            jv_number_value(mx), jv_number_value(tot));
    else
        row(label, "none");
    jv_free(mn);
    jv_free(md);
    jv_free(mx);
    jv_free(tot);
}

/* num returns the number 'key' of 'o' (borrowed), NAN when absent. */
static double
num(jv o, const char *key)
{
    jv v = get(o, key);
    double x = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
    jv_free(v);
    return x;
}

static void
report_table(jv r)
{
    row("valid", "%s", valid_flag(r) ? "yes" : "no");
    row("examples", "%g valid, %g invalid", num(r, "valid_examples"), num(r, "invalid_examples"));
    jv problems = get(r, "problems");
    bool any = false;
    jv_object_foreach(problems, k, n)
    {
        if (jv_number_value(n) > 0) {
            row(any ? "" : "problems", "%s: %g", jv_string_value(k), jv_number_value(n));
            any = true;
        }
        jv_free(k);
        jv_free(n);
    }
    jv_free(problems);
    if (!any)
        row("problems", "none");
    dist_row("tokens", get(r, "tokens"));
    dist_row("assistant tokens", get(r, "assistant_tokens"));
    dist_row("messages", get(r, "messages"));
    row("no system message", "%g examples", num(r, "missing_system"));
    row("no user message", "%g examples", num(r, "missing_user"));
    row("token limit", "%g tokens an example", num(r, "max_example_tokens"));
    jv rule = get(r, "epochs_rule");
    row("epochs", "%g (%s)", num(r, "epochs"), str(rule, ""));
    jv_free(rule);
    row("training tokens", "about %g", num(r, "training_tokens"));
    jv cost = get(r, "cost");
    jv cur = get(cost, "currency"), note = get(cost, "note");
    if (!isnan(num(cost, "total")))
        row("training cost", "about %s %.4f, %s", str(cur, ""), num(cost, "total"), str(note, ""));
    else
        row("training cost", "unknown: %s", str(note, ""));
    jv_free(cost);
    jv_free(cur);
    jv_free(note);
    jv est = get(r, "estimate");
    row("estimate", "%s", str(est, ""));
    jv_free(est);
    jv_free(r);
}

static int
run_check(const opts *o)
{
    training t;
    plan p;
    read_training(&t, o);
    make_plan(&p, o, &t);
    bool ok = valid(&t);
    bool trouble = t.trouble || p.table_trouble;
    jv r = report_json(&t, o, &p);
    bool table = ev_format_resolve(o->format) == EV_FORMAT_TABLE;
    if (table) {
        report_table(r);
    } else {
        ev_write_record(stdout, r);
    }
    plan_free(&p);
    training_free(&t);
    if (ev_close_stdout() != EV_EXIT_OK || trouble)
        return EV_EXIT_TROUBLE;
    return ok ? EV_EXIT_OK : EV_EXIT_NO;
}

/* --convert: a filter. */

static int
run_convert(const opts *o)
{
    ev_output_setup();
    ev_reader r;
    jv rec;
    int rc, status = EV_EXIT_OK;
    ev_reader_init(&r, o->files, o->nfiles, stdout);
    while ((rc = ev_reader_next(&r, &rec)) != EV_READ_EOF) {
        if (rc == EV_READ_BAD) {
            ev_warn_jv(rec);
            status = EV_EXIT_TROUBLE;
            continue;
        }
        enum ev_tune_problem kind;
        bool changed;
        jv ex = in_format(ev_tune_example(rec, o->system, &changed, &kind), o->to);
        if (!jv_is_valid(ex)) {
            jv where = ev_reader_where(&r);
            jv m = jv_invalid_get_msg(ex);
            ev_warn("%s: cannot convert: %s", jv_string_value(where),
                    jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "not an example");
            jv_free(m);
            jv_free(where);
            status = EV_EXIT_TROUBLE;
            continue;
        }
        if (ev_write_record(stdout, ex) != 0)
            break;
    }
    ev_reader_free(&r);
    if (ev_close_stdout() != EV_EXIT_OK)
        status = EV_EXIT_TROUBLE;
    return status;
}

/* The summary of a training file on standard error, before training. */
static void
say_plan(const opts *o, const training *t, const plan *p)
{
    if (o->quiet)
        return;
    ev_warn("%lu examples, about %g tokens; %ld epochs (%s); about %g training tokens", t->valid,
            t->stats.billing_tokens, p->epochs, jv_string_value(p->epochs_rule), p->tokens);
    if (!isnan(p->cost))
        ev_warn("estimated training cost: %s %.4f, %s", p->currency, p->cost,
                jv_string_value(p->cost_note));
    else
        ev_warn("training cost unknown: %s", jv_string_value(p->cost_note));
}

/* The API: the key, and following a job. */

static ev_rest *
open_api(const opts *o)
{
    char *key;
    jv err;
    if (!ev_secret_read(o->key_file, o->key_env, "OPENAI_API_KEY", &key, NULL, &err)) {
        jv m = jv_invalid_get_msg(err);
        ev_usage_error("%s", jv_string_value(m));
    }
    jv base = ev_secret_base(o->base_url, "OPENAI_BASE_URL", DEFAULT_BASE_URL);
    ev_rest *api = NULL;
    if (jv_is_valid(base))
        api = ev_rest_new(jv_string_value(base), key, &interrupted, &err);
    else
        err = jv_copy(base);
    jv_free(base);
    ev_secret_free(key);
    if (api == NULL) {
        ev_warn_jv(err);
        exit(EV_EXIT_TROUBLE);
    }
    ev_rest_set_agent(api, "ev-tune/" EV_VERSION);
    if (o->cacert != NULL)
        ev_rest_set_cacert(api, o->cacert);
    return api;
}

/* nap sleeps 'ms' milliseconds, or less when a signal comes. */
static void
nap(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    if (!interrupted)
        nanosleep(&ts, NULL);
}

static bool
terminal(const char *status)
{
    return strcmp(status, "succeeded") == 0 || strcmp(status, "failed") == 0 ||
           strcmp(status, "cancelled") == 0;
}

/* The state of a job being followed. */
typedef struct follow {
    ev_rest *api;
    const opts *o;
    jv job;  /* the last answer */
    jv seen; /* ids of the events already shown */
    char *id;
    double start;
} follow;

/* show_events prints the job's events not shown yet, oldest first. */
static void
show_events(follow *f)
{
    ev_rest_result res;
    jv list = ev_rest_events(f->api, f->id, 100, &res);
    if (!jv_is_valid(list)) {
        if (!f->o->quiet && res.fail != EV_REST_INTERRUPTED)
            ev_warn_jv(list);
        else
            jv_free(list);
        return;
    }
    jv data = get(list, "data");
    jv_free(list);
    int n = jv_get_kind(data) == JV_KIND_ARRAY ? jv_array_length(jv_copy(data)) : 0;
    for (int i = n - 1; i >= 0; i--) {
        jv e = jv_array_get(jv_copy(data), i);
        jv eid = get(e, "id"), msg = get(e, "message"), level = get(e, "level");
        jv was = jv_get_kind(eid) == JV_KIND_STRING ? jv_object_get(jv_copy(f->seen), jv_copy(eid))
                                                    : jv_true();
        bool fresh = !jv_is_valid(was);
        jv_free(was);
        if (fresh) {
            f->seen = jv_object_set(f->seen, jv_copy(eid), jv_true());
            const char *lv = str(level, "info");
            if (!f->o->quiet)
                ev_warn("%s: %s%s%s", f->id, strcmp(lv, "info") == 0 ? "" : lv,
                        strcmp(lv, "info") == 0 ? "" : ": ", str(msg, ""));
        }
        jv_free(eid);
        jv_free(msg);
        jv_free(level);
        jv_free(e);
    }
    jv_free(data);
}

/* result_line writes the one line of standard output about the job. */
static void
result_line(jv job)
{
    static const char *const keys[] = {"fine_tuned_model", "trained_tokens", "training_file",
                                       "model"};
    jv id = get(job, "id"), st = get(job, "status");
    jv out = jv_object_set(jv_object(), jv_string("job_id"), jv_is_valid(id) ? id : jv_null());
    out = jv_object_set(out, jv_string("status"), jv_is_valid(st) ? st : jv_null());
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        jv v = get(job, keys[i]);
        out = jv_object_set(out, jv_string(keys[i]), jv_is_valid(v) ? v : jv_null());
    }
    jv err = get(job, "error");
    if (jv_get_kind(err) == JV_KIND_OBJECT)
        out = jv_object_set(out, jv_string("error"), err);
    else
        jv_free(err);
    ev_write_record(stdout, out);
}

static void
resume_hint(const follow *f)
{
    ev_warn("job '%s' was not cancelled and goes on at the provider: 'ev-tune --resume %s' "
            "follows it again, 'ev-tune --cancel %s' cancels it (with the same --base-url)",
            f->id, f->id, f->id);
}

/* follow_job polls the job until it ends, the time is up or a signal
 * comes, then writes the line and returns the exit status. */
static int
follow_job(ev_rest *api, const opts *o, jv job)
{
    follow f = {api, o, job, jv_object(), NULL, ev_clock_mono()};
    jv id = get(job, "id");
    f.id = ev_alloc_strdup(str(id, "?"));
    jv_free(id);
    double deadline = o->timeout_s > 0 ? f.start + o->timeout_s : 0;
    int failures = 0, status = -1;
    jv st = get(f.job, "status");
    char *last = ev_alloc_strdup(str(st, "unknown"));
    jv_free(st);
    show_events(&f);
    while (!terminal(last)) {
        double left = deadline > 0 ? deadline - ev_clock_mono() : 1e9;
        if (interrupted) {
            ev_warn("interrupted while following job '%s'", f.id);
            resume_hint(&f);
            status = EV_EXIT_INTR;
            break;
        }
        if (left <= 0) {
            ev_warn("gave up after %g s: job '%s' is %s", o->timeout_s, f.id, last);
            resume_hint(&f);
            status = EV_EXIT_TROUBLE;
            break;
        }
        nap(left * 1000 < (double)o->poll_ms ? (long)(left * 1000) + 1 : o->poll_ms);
        if (interrupted)
            continue;
        left = deadline > 0 ? deadline - ev_clock_mono() : 1e9;
        ev_rest_set_timeout(api, left * 1000 < REQUEST_MS ? (long)(left * 1000) + 1 : REQUEST_MS);
        ev_rest_result res;
        jv j = ev_rest_job(api, f.id, &res);
        if (!jv_is_valid(j)) {
            if (res.fail == EV_REST_INTERRUPTED) {
                jv_free(j);
                continue;
            }
            if (ev_rest_transient(&res) && ++failures < MAX_POLL_FAILURES) {
                jv m = jv_invalid_get_msg(j);
                ev_warn("%s; trying again", jv_string_value(m));
                jv_free(m);
                continue;
            }
            ev_warn_jv(j);
            resume_hint(&f);
            status = EV_EXIT_TROUBLE;
            break;
        }
        failures = 0;
        jv_free(f.job);
        f.job = j;
        show_events(&f);
        st = get(f.job, "status");
        if (strcmp(str(st, "unknown"), last) != 0) {
            free(last);
            last = ev_alloc_strdup(str(st, "unknown"));
            if (!o->quiet)
                ev_warn("%s: %s (%.1f s)", f.id, last, ev_clock_mono() - f.start);
        }
        jv_free(st);
    }
    if (status < 0) {
        if (strcmp(last, "succeeded") == 0) {
            status = EV_EXIT_OK;
        } else {
            jv err = get(f.job, "error");
            jv msg = jv_get_kind(err) == JV_KIND_OBJECT ? get(err, "message") : jv_null();
            ev_warn("job '%s' %s%s%s", f.id, last, jv_get_kind(msg) == JV_KIND_STRING ? ": " : "",
                    str(msg, ""));
            jv_free(err);
            jv_free(msg);
            status = EV_EXIT_NO;
        }
    }
    result_line(f.job);
    jv_free(f.job);
    free(last);
    free(f.id);
    jv_free(f.seen);
    return status;
}

static const char *
upload_name(const opts *o)
{
    if (o->nfiles == 1 && strcmp(o->files[0], "-") != 0) {
        const char *slash = strrchr(o->files[0], '/');
        return slash ? slash + 1 : o->files[0];
    }
    return "ev-tune-train.jsonl";
}

static int
run_submit(const opts *o)
{
    training t;
    plan p;
    /* The key and the URL first: a mistake there is found before the
     * reading of a large file. Nothing is sent before the file is valid. */
    ev_rest *api = open_api(o);
    read_training(&t, o);
    if (t.trouble || !valid(&t)) {
        if (!t.trouble)
            ev_warn("refusing to upload an invalid training file; nothing was sent");
        training_free(&t);
        ev_rest_free(api);
        return t.trouble ? EV_EXIT_TROUBLE : EV_EXIT_NO;
    }
    make_plan(&p, o, &t);
    say_plan(o, &t, &p);
    plan_free(&p);
    ev_rest_result res;
    ev_rest_set_timeout(api, UPLOAD_MS);
    jv file = ev_rest_upload(api, "fine-tune", upload_name(o), t.text, t.len, &res);
    training_free(&t);
    if (!jv_is_valid(file)) {
        ev_warn_jv(file);
        ev_rest_free(api);
        return interrupted ? EV_EXIT_INTR : EV_EXIT_TROUBLE;
    }
    jv fid = get(file, "id");
    jv_free(file);
    if (jv_get_kind(fid) != JV_KIND_STRING) {
        jv_free(fid);
        ev_warn("the upload's answer has no file id");
        ev_rest_free(api);
        return EV_EXIT_TROUBLE;
    }
    if (!o->quiet)
        ev_warn("uploaded the training file as '%s'", jv_string_value(fid));
    jv req = jv_object_set(jv_object(), jv_string("model"), jv_string(o->model));
    req = jv_object_set(req, jv_string("training_file"), fid);
    if (o->suffix != NULL)
        req = jv_object_set(req, jv_string("suffix"), jv_string(o->suffix));
    if (o->seed_set)
        req = jv_object_set(req, jv_string("seed"), jv_number((double)o->seed));
    if (o->epochs > 0)
        req = jv_object_set(
            req, jv_string("hyperparameters"),
            jv_object_set(jv_object(), jv_string("n_epochs"), jv_number((double)o->epochs)));
    ev_rest_set_timeout(api, REQUEST_MS);
    jv job = ev_rest_create(api, req, &res);
    if (!jv_is_valid(job)) {
        ev_warn_jv(job);
        if (res.fail == EV_REST_INTERRUPTED || res.fail == EV_REST_TIMEOUT)
            ev_warn("the job may have been created all the same: list the jobs to see");
        ev_rest_free(api);
        return interrupted ? EV_EXIT_INTR : EV_EXIT_TROUBLE;
    }
    jv id = get(job, "id");
    if (!o->quiet)
        ev_warn("created job '%s' to tune '%s'; following it every %g s", str(id, "?"), o->model,
                (double)o->poll_ms / 1000);
    jv_free(id);
    int status = follow_job(api, o, job);
    ev_rest_free(api);
    if (ev_close_stdout() != EV_EXIT_OK)
        return EV_EXIT_TROUBLE;
    return status;
}

static int
run_resume(const opts *o)
{
    ev_rest *api = open_api(o);
    ev_rest_result res;
    ev_rest_set_timeout(api, REQUEST_MS);
    jv job =
        o->mode == M_CANCEL ? ev_rest_cancel(api, o->job, &res) : ev_rest_job(api, o->job, &res);
    if (!jv_is_valid(job)) {
        ev_warn_jv(job);
        ev_rest_free(api);
        return interrupted ? EV_EXIT_INTR : EV_EXIT_TROUBLE;
    }
    int status;
    if (o->mode == M_CANCEL) {
        jv st = get(job, "status");
        if (!o->quiet)
            ev_warn("job '%s' is %s", o->job, str(st, "unknown"));
        jv_free(st);
        result_line(job);
        jv_free(job);
        status = EV_EXIT_OK;
    } else {
        status = follow_job(api, o, job);
    }
    ev_rest_free(api);
    if (ev_close_stdout() != EV_EXIT_OK)
        return EV_EXIT_TROUBLE;
    return status;
}

/* --cmd: a local trainer. */

typedef struct trainer_out {
    bool quiet;
    char *model;              /* the last non-empty line of standard output */
    char *tail[TRAINER_TAIL]; /* the last lines of either stream */
    int ntail;
} trainer_out;

static char *
trimmed(const char *s, size_t len)
{
    while (len > 0 && (*s == ' ' || *s == '\t' || *s == '\r')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    char *out = ev_alloc_strndup(s, len);
    return out;
}

static void
on_trainer_line(void *ctx, int stream, const char *line, size_t len)
{
    trainer_out *t = ctx;
    if (!t->quiet)
        fprintf(stderr, "%s\n", line);
    char *s = trimmed(line, len);
    if (t->ntail == TRAINER_TAIL) {
        free(t->tail[0]);
        memmove(t->tail, t->tail + 1, (TRAINER_TAIL - 1) * sizeof(*t->tail));
        t->ntail--;
    }
    t->tail[t->ntail++] = ev_alloc_strdup(s);
    if (stream == 1 && *s != '\0') {
        free(t->model);
        t->model = s;
    } else {
        free(s);
    }
}

/* write_temp writes the training text to a new temporary file and returns
 * its path. */
static char *
write_temp(const training *t)
{
    const char *dir = getenv("TMPDIR");
    jv path = jv_string_fmt("%s/ev-tune-XXXXXX.jsonl", dir && *dir ? dir : "/tmp");
    char *p = ev_alloc_strdup(jv_string_value(path));
    jv_free(path);
    int fd = mkstemps(p, 6);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL || fwrite(t->text, 1, t->len, f) != t->len || fclose(f) != 0) {
        ev_warn("cannot write the training file '%s': %s", p, strerror(errno));
        if (fd >= 0)
            unlink(p);
        free(p);
        return NULL;
    }
    return p;
}

static char *
env_entry(const char *name, const char *value)
{
    jv s = jv_string_fmt("%s=%s", name, value);
    char *e = ev_alloc_strdup(jv_string_value(s));
    jv_free(s);
    return e;
}

static int
run_cmd(const opts *o)
{
    training t;
    plan p;
    read_training(&t, o);
    if (t.trouble) {
        training_free(&t);
        return EV_EXIT_TROUBLE;
    }
    if (!valid(&t)) {
        ev_warn("refusing to train on an invalid training file");
        training_free(&t);
        return EV_EXIT_NO;
    }
    make_plan(&p, o, &t);
    say_plan(o, &t, &p);
    struct stat sb;
    bool as_given = !t.changed && o->nfiles == 1 && strcmp(o->files[0], "-") != 0 &&
                    stat(o->files[0], &sb) == 0 && S_ISREG(sb.st_mode);
    char *path = as_given ? ev_alloc_strdup(o->files[0]) : write_temp(&t);
    training_free(&t);
    if (path == NULL) {
        plan_free(&p);
        return EV_EXIT_TROUBLE;
    }
    char epochs[32];
    snprintf(epochs, sizeof(epochs), "%ld", p.epochs);
    plan_free(&p);
    char *env[8];
    int n = 0;
    env[n++] = env_entry("EV_TRAIN_FILE", path);
    env[n++] = env_entry("EV_TRAIN_FORMAT", to_names[o->to]);
    env[n++] = env_entry("EV_EPOCHS", epochs);
    if (o->model != NULL)
        env[n++] = env_entry("EV_BASE_MODEL", o->model);
    if (o->suffix != NULL)
        env[n++] = env_entry("EV_SUFFIX", o->suffix);
    env[n] = NULL;
    trainer_out out = {o->quiet, NULL, {NULL}, 0};
    jv err;
    int rc = ev_trainer_run(o->command, "ev-tune", path, env, o->pass_env, on_trainer_line, &out,
                            &interrupted, &err);
    if (!as_given)
        unlink(path);
    int status;
    jv line = jv_object_set(jv_object(), jv_string("job_id"), jv_null());
    if (rc < 0) {
        ev_warn_jv(err);
        status = EV_EXIT_TROUBLE;
    } else if (interrupted) {
        ev_warn("interrupted: the trainer was stopped");
        status = EV_EXIT_INTR;
    } else if (rc != 0 || out.model == NULL) {
        if (rc != 0)
            ev_warn("the trainer failed with status %d%s", rc,
                    out.ntail ? "; its last lines:" : "");
        else
            ev_warn("the trainer printed no model name: its last line of output must be one");
        for (int i = 0; rc != 0 && i < out.ntail; i++)
            ev_warn("  %s", out.tail[i]);
        status = EV_EXIT_NO;
    } else {
        status = EV_EXIT_OK;
    }
    if (status == EV_EXIT_OK || status == EV_EXIT_NO) {
        line = jv_object_set(line, jv_string("status"),
                             jv_string(status == EV_EXIT_OK ? "succeeded" : "failed"));
        line = jv_object_set(line, jv_string("fine_tuned_model"),
                             status == EV_EXIT_OK ? jv_string(out.model) : jv_null());
        line = jv_object_set(line, jv_string("trained_tokens"), jv_null());
        line =
            jv_object_set(line, jv_string("training_file"), as_given ? jv_string(path) : jv_null());
        line = jv_object_set(line, jv_string("model"), o->model ? jv_string(o->model) : jv_null());
        if (status == EV_EXIT_NO) {
            jv e = jv_object_set(jv_object(), jv_string("code"), jv_string("trainer_failed"));
            e = jv_object_set(e, jv_string("message"),
                              rc != 0 ? jv_string_fmt("the trainer exited with status %d", rc)
                                      : jv_string("the trainer printed no model name"));
            line = jv_object_set(line, jv_string("error"), e);
        }
        ev_write_record(stdout, line);
    } else {
        jv_free(line);
    }
    for (int i = 0; i < n; i++)
        free(env[i]);
    for (int i = 0; i < out.ntail; i++)
        free(out.tail[i]);
    free(out.model);
    free(path);
    if (ev_close_stdout() != EV_EXIT_OK)
        return EV_EXIT_TROUBLE;
    return status;
}

/* Options. */

enum {
    OPT_API_KEY_ENV = 256,
    OPT_API_KEY_FILE,
    OPT_BASE_URL,
    OPT_CACERT,
    OPT_CANCEL,
    OPT_CMD,
    OPT_CONVERT,
    OPT_ENV,
    OPT_EPOCHS,
    OPT_MAX_EXAMPLE_TOKENS,
    OPT_POLL_MS,
    OPT_RESUME,
    OPT_SEED,
    OPT_SUFFIX,
    OPT_SYSTEM,
    OPT_TIMEOUT,
    OPT_TO,
};

static void
set_mode(opts *o, enum mode m, const char *name)
{
    if (o->mode_set && o->mode != m)
        ev_usage_error("%s: give one of --check, --convert, --submit, --cmd, --resume, --cancel",
                       name);
    o->mode = m;
    o->mode_set = true;
}

static void
parse_options(opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"api-key-env", required_argument, NULL, OPT_API_KEY_ENV},
        {"api-key-file", required_argument, NULL, OPT_API_KEY_FILE},
        {"base-url", required_argument, NULL, OPT_BASE_URL},
        {"cacert", required_argument, NULL, OPT_CACERT},
        {"cancel", required_argument, NULL, OPT_CANCEL},
        {"check", no_argument, NULL, 'c'},
        {"cmd", required_argument, NULL, OPT_CMD},
        {"convert", no_argument, NULL, OPT_CONVERT},
        {"env", required_argument, NULL, OPT_ENV},
        {"epochs", required_argument, NULL, OPT_EPOCHS},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {"max-example-tokens", required_argument, NULL, OPT_MAX_EXAMPLE_TOKENS},
        {"model", required_argument, NULL, 'm'},
        {"poll-ms", required_argument, NULL, OPT_POLL_MS},
        {"prices", required_argument, NULL, 'p'},
        {"quiet", no_argument, NULL, 'q'},
        {"resume", required_argument, NULL, OPT_RESUME},
        {"seed", required_argument, NULL, OPT_SEED},
        {"submit", no_argument, NULL, 's'},
        {"suffix", required_argument, NULL, OPT_SUFFIX},
        {"system", required_argument, NULL, OPT_SYSTEM},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"to", required_argument, NULL, OPT_TO},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;
    long v;
    o->max_tokens = EV_TUNE_MAX_TOKENS;
    o->poll_ms = 5000;
    o->prices = ev_alloc_resize(NULL, (size_t)argc * sizeof(*o->prices));
    o->pass_env = ev_alloc_zero((size_t)argc, sizeof(*o->pass_env));
    while ((c = getopt_long(argc, argv, "cf:hm:p:qsV", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_API_KEY_ENV:
            o->key_env = optarg;
            break;
        case OPT_API_KEY_FILE:
            o->key_file = optarg;
            break;
        case OPT_BASE_URL:
            o->base_url = optarg;
            break;
        case OPT_CACERT:
            o->cacert = optarg;
            break;
        case OPT_CANCEL:
            set_mode(o, M_CANCEL, "--cancel");
            o->job = optarg;
            break;
        case 'c':
            set_mode(o, M_CHECK, "--check");
            break;
        case OPT_CMD:
            set_mode(o, M_CMD, "--cmd");
            o->command = optarg;
            break;
        case OPT_CONVERT:
            set_mode(o, M_CONVERT, "--convert");
            break;
        case OPT_ENV:
            if (!ev_child_pass_ok(optarg))
                ev_usage_error("--env takes the name of a variable, or a pattern such as 'HF_*', "
                               "never a value");
            o->pass_env[o->npass++] = optarg;
            break;
        case OPT_EPOCHS:
            if (!ev_parse_long(optarg, 1, 50, &o->epochs))
                ev_usage_error("--epochs must be from 1 to 50, not '%s'", optarg);
            break;
        case 'f':
            if (!ev_parse_format(optarg, 2, &o->format))
                ev_usage_error("--format takes table or json, not '%s'", optarg);
            break;
        case 'h':
            usage(stdout);
            free(o->prices);
            free(o->pass_env);
            exit(ev_close_stdout());
        case OPT_MAX_EXAMPLE_TOKENS:
            if (!ev_parse_long(optarg, 1, 100000000, &v))
                ev_usage_error("--max-example-tokens must be from 1 to 100000000, not '%s'",
                               optarg);
            o->max_tokens = (double)v;
            break;
        case 'm':
            if (*optarg == '\0')
                ev_usage_error("--model needs a model name");
            o->model = optarg;
            break;
        case OPT_POLL_MS:
            if (!ev_parse_long(optarg, 1, 3600000, &o->poll_ms))
                ev_usage_error("--poll-ms must be from 1 to 3600000, not '%s'", optarg);
            break;
        case 'p':
            o->prices[o->nprices++] = optarg;
            break;
        case 'q':
            o->quiet = true;
            break;
        case OPT_RESUME:
            set_mode(o, M_RESUME, "--resume");
            o->job = optarg;
            break;
        case 's':
            set_mode(o, M_SUBMIT, "--submit");
            break;
        case OPT_SEED:
            if (!ev_parse_long(optarg, 0, 2147483647, &o->seed))
                ev_usage_error("--seed must be from 0 to 2147483647, not '%s'", optarg);
            o->seed_set = true;
            break;
        case OPT_SUFFIX:
            if (strlen(optarg) > 64 || strchr(optarg, ':') != NULL || *optarg == '\0')
                ev_usage_error("--suffix must be 1 to 64 characters without ':', not '%s'", optarg);
            o->suffix = optarg;
            break;
        case OPT_SYSTEM:
            o->system = optarg;
            break;
        case OPT_TIMEOUT:
            if (!ev_parse_double(optarg, 0.001, 1e7, &o->timeout_s))
                ev_usage_error("--timeout must be seconds from 0.001 to 10000000, not '%s'",
                               optarg);
            break;
        case OPT_TO:
            if (strcmp(optarg, "chat") == 0)
                o->to = TO_CHAT;
            else if (strcmp(optarg, "alpaca") == 0)
                o->to = TO_ALPACA;
            else if (strcmp(optarg, "sharegpt") == 0)
                o->to = TO_SHAREGPT;
            else
                ev_usage_error("--to must be 'chat', 'alpaca' or 'sharegpt', not '%s'", optarg);
            break;
        case 'V':
            free(o->prices);
            free(o->pass_env);
            ev_print_version();
        default:
            fprintf(stderr, "try 'ev-tune --help'\n");
            free(o->prices);
            free(o->pass_env);
            exit(EV_EXIT_TROUBLE);
        }
    }
    o->files = argv + optind;
    o->nfiles = argc - optind;
}

/* check_options refuses the combinations that make no sense. */
static void
check_options(const opts *o)
{
    if (o->mode == M_SUBMIT && o->model == NULL)
        ev_usage_error("--submit needs the base model: -m MODEL");
    if (o->mode == M_SUBMIT && o->to != TO_CHAT)
        ev_usage_error("--submit uploads the chat format: drop --to");
    if ((o->mode == M_RESUME || o->mode == M_CANCEL) && o->nfiles > 0)
        ev_usage_error("--resume and --cancel take no file, not '%s'", o->files[0]);
    if (o->mode == M_CHECK && o->to != TO_CHAT)
        ev_usage_error("--check checks the chat format: drop --to, or use --convert");
    if (o->key_env != NULL && o->key_file != NULL)
        ev_usage_error("give --api-key-env or --api-key-file, not both");
    if (o->npass > 0 && o->mode != M_CMD)
        ev_usage_error("--env goes with --cmd");
    if (o->cacert != NULL && access(o->cacert, R_OK) != 0)
        ev_usage_error("--cacert: cannot read '%s': %s", o->cacert, strerror(errno));
}

int
main(int argc, char **argv)
{
    opts o = {0};
    parse_options(&o, argc, argv);
    check_options(&o);

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* Only the modes that talk HTTP ignore SIGPIPE, as libcurl needs; the
     * others end quietly by it when a reader such as head(1) goes away. */
    if (o.mode == M_SUBMIT || o.mode == M_RESUME || o.mode == M_CANCEL)
        signal(SIGPIPE, SIG_IGN);

    int status;
    switch (o.mode) {
    case M_CONVERT:
        status = run_convert(&o);
        break;
    case M_SUBMIT:
        status = run_submit(&o);
        break;
    case M_CMD:
        status = run_cmd(&o);
        break;
    case M_RESUME:
    case M_CANCEL:
        status = run_resume(&o);
        break;
    default:
        status = run_check(&o);
        break;
    }
    free(o.prices);
    free(o.pass_env);
    if (interrupted && status != EV_EXIT_TROUBLE)
        status = EV_EXIT_INTR;
    return status;
}
