/*
 * ev-score: check each record's output against its expected answer.
 *
 * Reads records (JSONL) and writes each one back with a 'score' field,
 * {pass, value, scorer, reason}, chosen by --scorer or by the record's own
 * 'assert'. A record whose call failed scores as a failure, never vanishes.
 *
 * A judge assertion asks a model: ev-score runs ev-call as a child for the
 * whole run and relays the judge prompts to it, so providers, keys, the
 * cache, retries and rate limits are ev-call's. Records wait in a queue for
 * their answers and leave it in input order.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "child.h"
#include "cli.h"
#include "diag.h"
#include "ev.h"
#include "interrupt.h"
#include "judge.h"
#include "jsonl.h"
#include "record.h"
#include "relay.h"
#include "score.h"
#include "text.h"

/* Codes of the options that have no short form. */
enum {
    OPT_ALLOW_RECORD_COMMANDS = 256,
    OPT_CPU_BUDGET,
    OPT_ENV,
    OPT_JUDGE,
    OPT_JUDGE_AGGREGATE,
    OPT_JUDGE_BASE_URL,
    OPT_JUDGE_LABELS,
    OPT_JUDGE_MODEL,
    OPT_JUDGE_OPT,
    OPT_JUDGE_PROVIDER,
    OPT_JUDGE_SAMPLES,
    OPT_JUDGE_TEMPLATE,
    OPT_MEMORY_BUDGET,
};

/* Records wait for their judges in a queue of at most this many. */
#define MAX_WAITING 4096

typedef struct judge_opts {
    const char *rubric, *tmpl, *labels, *model, *provider, *base_url;
    long samples;
    char **opts; /* --judge-opt, in order */
    int nopts;
    bool batch; /* --judge-opt=--batch: the judge answers only once its input ends */
} judge_opts;

/* A record on its way out: scored already, or waiting for its judges. */
typedef struct entry {
    char *raw; /* the record's text, owned */
    size_t len;
    jv rec, where;
    jv score; /* the score, or invalid while 'nprompts' > 0 */
    int nprompts;
    unsigned long seq;
} entry;

typedef struct run {
    ev_score *sc;
    const judge_opts *j;
    bool quiet;
    ev_relay *relay; /* started with the first judge prompt */
    bool relay_failed;
    entry *q; /* a ring of 'cap' entries */
    size_t head, n, cap;
    unsigned long seq, scored, passed;
    unsigned long unjudged; /* left out: the judge ended on an interrupt */
    int status;
    bool write_failed;
} run;

static void
usage(FILE *f)
{
    fputs("usage: ev-score [-ipqw] [-s SPEC] [--allow-record-commands] [--cpu-budget SECONDS]\n"
          "                [--memory-budget MB] [--env NAME]... [FILE ...]\n"
          "       ev-score --judge RUBRIC | --judge-template FILE [--judge-labels LABELS]\n"
          "                --judge-model MODEL [--judge-provider P] [--judge-base-url URL]\n"
          "                [--judge-samples K] [--judge-aggregate majority|mean]\n"
          "                [--judge-opt OPT]... [-q] [FILE ...]\n"
          "\n"
          "Score each record's 'output' against its 'expected' and add\n"
          "score = {pass, value, scorer, reason}.\n"
          "\n"
          "  -s, --scorer SPEC     default scorer (default: exact); a record's 'assert'\n"
          "                        overrides it. SPEC is one of:\n"
          "                          exact  contains[:TEXT]  icontains[:TEXT]\n"
          "                          starts-with[:TEXT]  regex[:PATTERN]  number[:TOL]\n"
          "                          choice  json  json-subset  f1[:THRESHOLD]\n"
          "                          similar[:THRESHOLD]  jq:EXPR  cmd:COMMAND\n"
          "                          judge[:CRITERION]\n"
          "                        and any but judge prefixed with 'not-'; with no\n"
          "                        TEXT or PATTERN, the record's 'expected' is used\n"
          "  -i, --ignore-case     fold case (exact, contains, starts-with, similar)\n"
          "  -w, --ignore-space    ignore surrounding and repeated white space (same)\n"
          "  -p, --ignore-punct    ignore punctuation (same)\n"
          "      --env NAME        also pass $NAME (a pattern: 'HF_*') to cmd scorers,\n"
          "                        which otherwise get only PATH, HOME, LANG... and no key\n"
          "  -q, --quiet           no summary on standard error (ev-call gets -q)\n"
          "      --allow-record-commands\n"
          "                        let a record's 'assert' run a cmd scorer (refused\n"
          "                        otherwise: a record is data from anywhere)\n"
          "      --cpu-budget SECONDS\n"
          "                        the CPU time each record's jq programs, long regex\n"
          "                        matches and similar may take (default 10)\n"
          "      --memory-budget MB\n"
          "                        the memory they may take (default 512)\n"
          "  -h, --help            show this help\n"
          "  -V, --version         show the version\n"
          "\n"
          "A model as the judge, asked through ev-call:\n"
          "      --judge RUBRIC        judge by default: fact, closedqa or rubric:TEXT\n"
          "      --judge-template FILE judge by default with a prompt of {{input}},\n"
          "                            {{expected}} and {{output}}\n"
          "      --judge-labels LABELS the template's labels (default PASS=1,FAIL=0)\n"
          "      --judge-model MODEL   the judge model (required for any judge)\n"
          "      --judge-provider P    openai (default), anthropic or cmd\n"
          "      --judge-base-url URL  the judge's API base\n"
          "      --judge-samples K     ask K times (ev-call --repeat K; default 1)\n"
          "      --judge-aggregate A   majority (default) or mean of the samples\n"
          "      --judge-opt OPT       pass OPT to ev-call (repeatable)\n"
          "\n"
          "Exit status: 0 scored, 2 trouble (bad line, unreadable file, record that\n"
          "cannot be scored or ran over its budget, failed judge call, cmd scorer out\n"
          "of step, failed write), 130 interrupted.\n"
          "See ev-score(1) and ev(7).\n",
          f);
}

/* --- the judge's ev-call ------------------------------------------------ */

/* ev_call_path returns ev-call beside this program, else its name for PATH. */
static char *
ev_call_path(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
        char path[PATH_MAX + 16];
        snprintf(path, sizeof(path), "%s/ev-call", dirname(self));
        if (access(path, X_OK) == 0)
            return ev_alloc_strdup(path);
    }
    return ev_alloc_strdup("ev-call");
}

/* start_judge starts ev-call with the judge's options. */
static bool
start_judge(run *r)
{
    const judge_opts *j = r->j;
    char samples[32];
    snprintf(samples, sizeof(samples), "%ld", j->samples);
    char **argv = ev_alloc_zero((size_t)j->nopts + 12, sizeof(char *));
    int n = 0;
    argv[n++] = ev_call_path();
    argv[n++] = "-m";
    argv[n++] = (char *)j->model;
    if (j->provider) {
        argv[n++] = "-p";
        argv[n++] = (char *)j->provider;
    }
    if (j->base_url) {
        argv[n++] = "--base-url";
        argv[n++] = (char *)j->base_url;
    }
    argv[n++] = "--repeat";
    argv[n++] = samples;
    if (r->quiet)
        argv[n++] = "-q";
    for (int i = 0; i < j->nopts; i++)
        argv[n++] = j->opts[i];
    jv err;
    r->relay = ev_relay_start(argv, &err);
    if (r->relay == NULL) {
        jv m = jv_invalid_get_msg(err);
        ev_warn("cannot start the judge '%s': %s", argv[0], jv_string_value(m));
        jv_free(m);
        r->relay_failed = true;
    }
    free(argv[0]);
    free(argv);
    return r->relay != NULL;
}

/* send_prompts sends the judge prompts of entry 'e' (consumed) to ev-call,
 * one request per prompt, with ids that name the entry. */
static bool
send_prompts(run *r, const entry *e, jv prompts)
{
    if (r->relay == NULL && (r->relay_failed || !start_judge(r))) {
        jv_free(prompts);
        return false;
    }
    jv lines = jv_string("");
    jv_array_foreach(prompts, i, p)
    {
        jv req =
            jv_object_set(jv_object(), jv_string("id"), jv_string_fmt("judge-%lu-%d", e->seq, i));
        req = jv_object_set(req, jv_string("input"), p);
        lines = jv_string_concat(lines, jv_dump_string(req, 0));
        lines = jv_string_append_str(lines, "\n");
    }
    jv_free(prompts);
    ev_relay_send(r->relay, jv_string_value(lines), (size_t)jv_string_length_bytes(jv_copy(lines)),
                  e->nprompts * (int)r->j->samples);
    jv_free(lines);
    return true;
}

/* read_answers groups the ev-call records of entry 'e' ('lines', consumed)
 * by prompt. A failed call, or an answer that is not for this entry, is an
 * invalid with a message. */
static jv
read_answers(run *r, const entry *e, jv lines)
{
    int k = (int)r->j->samples;
    jv judged = jv_array(), failure = jv_invalid();
    bool failed = false;
    for (int p = 0; p < e->nprompts && !failed; p++) {
        jv samples = jv_array();
        for (int i = 0; i < k; i++) {
            jv line = jv_array_get(jv_copy(lines), p * k + i);
            jv a = jv_parse(jv_string_value(line));
            jv_free(line);
            jv id = jv_get_kind(a) == JV_KIND_OBJECT ? jv_object_get(jv_copy(a), jv_string("id"))
                                                     : jv_invalid();
            jv want = jv_string_fmt("judge-%lu-%d", e->seq, p);
            jv error = jv_get_kind(a) == JV_KIND_OBJECT
                           ? jv_object_get(jv_copy(a), jv_string("error"))
                           : jv_invalid();
            if (!jv_equal(id, want)) {
                failure = jv_invalid_with_msg(jv_string("ev-call answered out of order"));
                failed = true;
            } else if (jv_get_kind(error) == JV_KIND_OBJECT) {
                jv m = ev_text_of(jv_object_get(error, jv_string("message")));
                failure = jv_invalid_with_msg(m);
                error = jv_invalid();
                failed = true;
            }
            jv_free(error);
            if (failed) {
                jv_free(a);
                break;
            }
            samples = jv_array_append(samples, a);
        }
        judged = jv_array_append(judged, samples);
    }
    jv_free(lines);
    if (failed) {
        jv_free(judged);
        return failure;
    }
    return judged;
}

/* --- the queue ----------------------------------------------------------- */

static entry *
push(run *r)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        entry *q = ev_alloc_zero(cap, sizeof(entry));
        for (size_t i = 0; i < r->n; i++)
            q[i] = r->q[(r->head + i) % r->cap];
        free(r->q);
        r->q = q;
        r->head = 0;
        r->cap = cap;
    }
    entry *e = &r->q[(r->head + r->n++) % r->cap];
    memset(e, 0, sizeof(*e));
    return e;
}

/* write_entry writes the record of 'e' with its score, or unchanged when it
 * has none, and releases what 'e' holds. A record that could not be scored
 * ('rec' invalid) is left out. */
static void
write_entry(run *r, entry *e)
{
    int wrote = 0;
    if (!jv_is_valid(e->rec)) {
        jv_free(e->score);
    } else if (!r->write_failed && jv_is_valid(e->score)) {
        r->scored++;
        jv pass = jv_object_get(jv_copy(e->score), jv_string("pass"));
        r->passed += jv_get_kind(pass) == JV_KIND_TRUE;
        jv_free(pass);
        jv add = jv_object_set(jv_object(), jv_string("score"), e->score);
        if (jv_object_has(jv_copy(e->rec), jv_string("score"))) {
            wrote = ev_write_record(stdout, jv_object_merge(e->rec, add));
            e->rec = jv_invalid();
        } else {
            wrote = ev_write_extended(stdout, e->raw, e->len, add);
        }
    } else if (!r->write_failed) {
        fwrite(e->raw, 1, e->len, stdout);
        putchar('\n');
        wrote = ferror(stdout) ? -1 : 0;
        jv_free(e->score);
    } else {
        jv_free(e->score);
    }
    r->write_failed = r->write_failed || wrote != 0;
    jv_free(e->rec);
    jv_free(e->where);
    free(e->raw);
}

/* report_warning reports 'warning' (consumed), when there is one, about
 * the record at 'where' (borrowed): it was scored, and failed for a reason
 * the user must hear of. */
static void
report_warning(run *r, jv where, jv warning)
{
    if (jv_is_valid(warning)) {
        ev_warn("%s: %s", jv_string_value(where), jv_string_value(warning));
        r->status = EV_EXIT_TROUBLE;
    }
    jv_free(warning);
}

/* judge_done scores entry 'e' with its judges' 'answers' (consumed). A
 * failed judge call leaves the record without a new score. */
static void
judge_done(run *r, entry *e, jv answers)
{
    bool ended = !jv_is_valid(answers);
    if (ended && ev_interrupted()) {
        /* The judge was interrupted too: the record is left out, as one
         * not yet read would be. */
        jv_free(answers);
        jv_free(e->rec);
        e->rec = jv_invalid();
        e->score = jv_invalid();
        r->unjudged++;
        return;
    }
    jv judged = ended ? answers : read_answers(r, e, answers);
    if (!jv_is_valid(judged)) {
        jv m = jv_invalid_get_msg(judged);
        ev_warn("%s: judge call failed: %s%s", jv_string_value(e->where), ended ? "ev-call " : "",
                jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "gave no answer");
        jv_free(m);
        r->status = EV_EXIT_TROUBLE;
        e->score = jv_invalid();
        return;
    }
    jv warning;
    e->score = ev_score_run_judged(r->sc, e->rec, judged, &warning);
    report_warning(r, e->where, warning);
    if (!jv_is_valid(e->score)) {
        jv m = jv_invalid_get_msg(e->score);
        ev_warn("%s: cannot score record: %s", jv_string_value(e->where), jv_string_value(m));
        jv_free(m);
        r->status = EV_EXIT_TROUBLE;
        e->score = jv_invalid();
        jv_free(e->rec);
        e->rec = jv_invalid();
    }
}

/* drain writes the records at the head of the queue whose scores are known,
 * waiting for the judge when 'wait'. */
static void
drain(run *r, bool wait)
{
    while (r->n > 0) {
        entry *e = &r->q[r->head];
        if (e->nprompts > 0) {
            jv answers = ev_relay_next(r->relay, wait);
            if (!jv_is_valid(answers) && !jv_invalid_has_msg(jv_copy(answers))) {
                jv_free(answers);
                return;
            }
            judge_done(r, e, answers);
        }
        write_entry(r, e);
        r->head = (r->head + 1) % r->cap;
        r->n--;
    }
}

/* classify returns the judge prompts of 'rec' (borrowed) and sets '*score'
 * (and '*warning', see ev_score_run) when it needs none, or returns
 * invalid with a message when the record cannot be scored. */
static jv
classify(run *r, jv rec, jv *score, jv *warning)
{
    *score = jv_invalid();
    *warning = jv_invalid();
    jv prompts = ev_score_prompts(r->sc, rec);
    if (!jv_is_valid(prompts))
        return prompts;
    int n = jv_array_length(jv_copy(prompts));
    if (n > 0 && r->j->model == NULL) {
        jv_free(prompts);
        return jv_invalid_with_msg(jv_string("'judge' needs --judge-model"));
    }
    if (n == 0) {
        *score = ev_score_run(r->sc, rec, warning);
        if (!jv_is_valid(*score)) {
            jv_free(prompts);
            prompts = *score;
            *score = jv_invalid();
        }
    }
    return prompts;
}

/* take queues the record 'rec' (consumed) just read: scored now, or with
 * its prompts sent to the judge. */
static void
take(run *r, ev_reader *rd, jv rec)
{
    jv where = ev_reader_where(rd);
    jv score, warning;
    jv prompts = classify(r, rec, &score, &warning);
    report_warning(r, where, warning);
    if (!jv_is_valid(prompts)) {
        jv m = jv_invalid_get_msg(prompts);
        ev_warn("%s: cannot score record: %s", jv_string_value(where), jv_string_value(m));
        jv_free(m);
        jv_free(where);
        jv_free(rec);
        r->status = EV_EXIT_TROUBLE;
        return;
    }
    entry *e = push(r);
    size_t len;
    const char *raw = ev_reader_raw(rd, &len);
    e->raw = ev_alloc(len + 1);
    memcpy(e->raw, raw, len);
    e->raw[len] = '\0';
    e->len = len;
    e->rec = rec;
    e->where = where;
    e->seq = r->seq++;
    e->score = score;
    e->nprompts = jv_array_length(jv_copy(prompts));
    if (e->nprompts == 0) {
        jv_free(prompts);
    } else if (!send_prompts(r, e, prompts)) {
        e->nprompts = 0;
        ev_warn("%s: judge call failed: cannot start ev-call", jv_string_value(where));
        r->status = EV_EXIT_TROUBLE;
    }
    /* Wait for answers when too many records wait, unless the judge is a
     * batch, which answers nothing before it has read every request. */
    drain(r, r->n >= MAX_WAITING && !r->j->batch);
}

/* --- main ---------------------------------------------------------------- */

static void
usage_error(const char *what)
{
    ev_warn("%s", what);
    fprintf(stderr, "try 'ev-score --help'\n");
    exit(EV_EXIT_TROUBLE);
}

/* make_rubric builds the run's judge rubric from --judge or
 * --judge-template, or returns NULL when neither was given. */
static ev_judge_rubric *
make_rubric(const judge_opts *j)
{
    jv err;
    ev_judge_rubric *rb = NULL;
    if (j->rubric && j->tmpl)
        usage_error("--judge and --judge-template exclude each other");
    if (j->labels && !j->tmpl)
        usage_error("--judge-labels needs --judge-template");
    if (j->rubric)
        rb = ev_judge_parse(j->rubric, &err);
    else if (j->tmpl)
        rb = ev_judge_from_template(j->tmpl, j->labels ? j->labels : "PASS=1,FAIL=0", &err);
    else
        return NULL;
    if (rb == NULL) {
        jv m = jv_invalid_get_msg(err);
        ev_warn("bad judge: %s", jv_string_value(m));
        jv_free(m);
        fprintf(stderr, "try 'ev-score --help'\n");
        exit(EV_EXIT_TROUBLE);
    }
    if (j->model == NULL)
        usage_error("a judge needs --judge-model");
    return rb;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"allow-record-commands", no_argument, NULL, OPT_ALLOW_RECORD_COMMANDS},
        {"cpu-budget", required_argument, NULL, OPT_CPU_BUDGET},
        {"env", required_argument, NULL, OPT_ENV},
        {"help", no_argument, NULL, 'h'},
        {"ignore-case", no_argument, NULL, 'i'},
        {"ignore-punct", no_argument, NULL, 'p'},
        {"ignore-space", no_argument, NULL, 'w'},
        {"judge", required_argument, NULL, OPT_JUDGE},
        {"judge-aggregate", required_argument, NULL, OPT_JUDGE_AGGREGATE},
        {"judge-base-url", required_argument, NULL, OPT_JUDGE_BASE_URL},
        {"judge-labels", required_argument, NULL, OPT_JUDGE_LABELS},
        {"judge-model", required_argument, NULL, OPT_JUDGE_MODEL},
        {"judge-opt", required_argument, NULL, OPT_JUDGE_OPT},
        {"judge-provider", required_argument, NULL, OPT_JUDGE_PROVIDER},
        {"judge-samples", required_argument, NULL, OPT_JUDGE_SAMPLES},
        {"judge-template", required_argument, NULL, OPT_JUDGE_TEMPLATE},
        {"memory-budget", required_argument, NULL, OPT_MEMORY_BUDGET},
        {"quiet", no_argument, NULL, 'q'},
        {"scorer", required_argument, NULL, 's'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    ev_score_opts opts = {0};
    judge_opts j = {.samples = 1};
    const char *spec = NULL;
    int quiet = 0, c;

    j.opts = ev_alloc_zero((size_t)argc, sizeof(char *));
    char **pass_env = ev_alloc_zero((size_t)argc, sizeof(char *));
    int npass = 0;
    opts.pass_env = pass_env;
    while ((c = getopt_long(argc, argv, "hipqs:wV", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            free(j.opts);
            free(pass_env);
            return ev_close_stdout();
        case 'i':
            opts.norm |= EV_NORM_CASE;
            break;
        case 'p':
            opts.norm |= EV_NORM_PUNCT;
            break;
        case 'q':
            quiet = 1;
            break;
        case 's':
            spec = optarg;
            break;
        case 'V':
            ev_print_version();
        case 'w':
            opts.norm |= EV_NORM_SPACE;
            break;
        case OPT_ENV:
            if (!ev_child_pass_ok(optarg))
                usage_error("--env takes the name of a variable, or a pattern such as 'HF_*', "
                            "never a value");
            pass_env[npass++] = optarg;
            break;
        case OPT_ALLOW_RECORD_COMMANDS:
            opts.record_commands = true;
            break;
        case OPT_CPU_BUDGET:
            if (!ev_parse_double(optarg, 0.01, 86400, &opts.budget.cpu_seconds))
                usage_error("--cpu-budget needs a number of seconds from 0.01 to 86400");
            break;
        case OPT_MEMORY_BUDGET:
            if (!ev_parse_double(optarg, 1, 1048576, &opts.budget.memory_mb))
                usage_error("--memory-budget needs a number of MB from 1 to 1048576");
            break;
        case OPT_JUDGE:
            j.rubric = optarg;
            break;
        case OPT_JUDGE_AGGREGATE:
            if (strcmp(optarg, "mean") != 0 && strcmp(optarg, "majority") != 0)
                usage_error("--judge-aggregate is 'majority' or 'mean'");
            opts.judge_mean = strcmp(optarg, "mean") == 0;
            break;
        case OPT_JUDGE_BASE_URL:
            j.base_url = optarg;
            break;
        case OPT_JUDGE_LABELS:
            j.labels = optarg;
            break;
        case OPT_JUDGE_MODEL:
            j.model = optarg;
            break;
        case OPT_JUDGE_OPT:
            j.opts[j.nopts++] = optarg;
            j.batch = j.batch || strcmp(optarg, "--batch") == 0;
            break;
        case OPT_JUDGE_PROVIDER:
            if (strcmp(optarg, "openai") != 0 && strcmp(optarg, "anthropic") != 0 &&
                strcmp(optarg, "cmd") != 0)
                usage_error("--judge-provider is 'openai', 'anthropic' or 'cmd'");
            j.provider = optarg;
            break;
        case OPT_JUDGE_SAMPLES:
            if (!ev_parse_long(optarg, 1, 100, &j.samples))
                usage_error("--judge-samples needs a number from 1 to 100");
            break;
        case OPT_JUDGE_TEMPLATE:
            j.tmpl = optarg;
            break;
        default:
            fprintf(stderr, "try 'ev-score --help'\n");
            free(j.opts);
            free(pass_env);
            return EV_EXIT_TROUBLE;
        }
    }
    ev_text_locale();
    ev_judge_rubric *rubric = make_rubric(&j);
    if (rubric != NULL && spec != NULL)
        usage_error("--scorer and a default judge exclude each other");
    opts.judge = rubric;
    if (spec == NULL)
        spec = rubric ? "judge" : "exact";

    jv err;
    ev_score *sc = ev_score_new(jv_string(spec), &opts, &err);
    if (sc == NULL) {
        jv m = jv_invalid_get_msg(err);
        ev_warn("bad scorer '%s': %s", spec, jv_string_value(m));
        jv_free(m);
        fprintf(stderr, "try 'ev-score --help'\n");
        ev_judge_free(rubric);
        free(j.opts);
        free(pass_env);
        return EV_EXIT_TROUBLE;
    }

    ev_output_setup();
    ev_interrupt_catch();
    ev_reader rd;
    ev_reader_init(&rd, argv + optind, argc - optind, stdout);
    run r = {.sc = sc, .j = &j, .quiet = quiet, .status = EV_EXIT_OK};
    jv rec;
    int rc;
    while (!r.write_failed && (rc = ev_reader_next(&rd, &rec)) != EV_READ_EOF) {
        if (rc == EV_READ_BAD) {
            ev_warn_jv(rec);
            r.status = EV_EXIT_TROUBLE;
            continue;
        }
        take(&r, &rd, rec);
    }
    ev_relay_end_input(r.relay); /* the input is read: the judge has every request */
    drain(&r, true);
    ev_reader_free(&rd);
    int judge = ev_relay_finish(r.relay);
    if (judge == EV_EXIT_INTR || judge == 128 + SIGINT) {
        r.status = EV_EXIT_INTR;
    } else if (judge > 128) {
        ev_warn("the judge's ev-call was killed by signal %d", judge - 128);
        r.status = EV_EXIT_TROUBLE;
    } else if (judge != EV_EXIT_OK && judge != EV_EXIT_CALLS) {
        ev_warn("the judge's ev-call exited with status %d", judge);
        r.status = EV_EXIT_TROUBLE;
    }
    jv problems = ev_score_finish(sc);
    jv_array_foreach(problems, i, m)
    {
        ev_warn("%s", jv_string_value(m));
        r.status = EV_EXIT_TROUBLE;
        jv_free(m);
    }
    jv_free(problems);
    ev_score_free(sc);
    ev_judge_free(rubric);
    free(r.q);
    free(j.opts);
    free(pass_env);
    if (!quiet && r.scored > 0)
        fprintf(stderr, "ev-score: %lu records, %lu passed (%.1f%%)\n", r.scored, r.passed,
                100.0 * (double)r.passed / (double)r.scored);
    if (r.unjudged > 0)
        ev_warn("interrupted: %lu records waiting for the judge were left out", r.unjudged);
    if (ev_close_stdout() != EV_EXIT_OK && r.status != EV_EXIT_INTR)
        r.status = EV_EXIT_TROUBLE;
    return ev_interrupt_status(r.status);
}
