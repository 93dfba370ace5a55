/*
 * ev-score: check each record's output against its expected answer.
 *
 * Reads records (JSONL) and writes each one back with a 'score' field,
 * {pass, value, scorer, reason}, chosen by --scorer or by the record's own
 * 'assert'. A record whose call failed scores as a failure, never vanishes.
 *
 * A judge assertion asks a model through ev-call (lib/scorerun.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "alloc.h"
#include "child.h"
#include "cli.h"
#include "diag.h"
#include "ev.h"
#include "interrupt.h"
#include "jsonl.h"
#include "report.h"
#include "scorerun.h"
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
          "  -q, --quiet           no summary or progress on standard error (ev-call gets -q)\n"
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

/* The options, sorted by their long names. */
static const ev_cli_opt opts[] = {
    {"allow-record-commands", OPT_ALLOW_RECORD_COMMANDS, EV_CLI_ARG_NONE, 0, 0, false},
    {"cpu-budget", OPT_CPU_BUDGET, EV_CLI_ARG_REAL, 0.01, 86400, false},
    {"env", OPT_ENV, EV_CLI_ARG_TEXT, 0, 0, false},
    {"help", 'h', EV_CLI_ARG_NONE, 0, 0, false},
    {"ignore-case", 'i', EV_CLI_ARG_NONE, 0, 0, false},
    {"ignore-punct", 'p', EV_CLI_ARG_NONE, 0, 0, false},
    {"ignore-space", 'w', EV_CLI_ARG_NONE, 0, 0, false},
    {"judge", OPT_JUDGE, EV_CLI_ARG_TEXT, 0, 0, false},
    {"judge-aggregate", OPT_JUDGE_AGGREGATE, EV_CLI_ARG_TEXT, 0, 0, false},
    {"judge-base-url", OPT_JUDGE_BASE_URL, EV_CLI_ARG_TEXT, 0, 0, false},
    {"judge-labels", OPT_JUDGE_LABELS, EV_CLI_ARG_TEXT, 0, 0, false},
    {"judge-model", OPT_JUDGE_MODEL, EV_CLI_ARG_TEXT, 0, 0, false},
    {"judge-opt", OPT_JUDGE_OPT, EV_CLI_ARG_TEXT, 0, 0, false},
    {"judge-provider", OPT_JUDGE_PROVIDER, EV_CLI_ARG_TEXT, 0, 0, false},
    {"judge-samples", OPT_JUDGE_SAMPLES, EV_CLI_ARG_INT, 1, 100, false},
    {"judge-template", OPT_JUDGE_TEMPLATE, EV_CLI_ARG_TEXT, 0, 0, false},
    {"memory-budget", OPT_MEMORY_BUDGET, EV_CLI_ARG_REAL, 1, 1048576, false},
    {"quiet", 'q', EV_CLI_ARG_NONE, 0, 0, false},
    {"scorer", 's', EV_CLI_ARG_TEXT, 0, 0, false},
    {"version", 'V', EV_CLI_ARG_NONE, 0, 0, false},
};

/* summary says how the scored records did, and how many had no answer. */
static void
summary(const ev_scorerun_stats *st)
{
    char none[64] = "";
    if (st->unanswered > 0)
        snprintf(none, sizeof(none), ", %lu with no output", st->unanswered);
    fprintf(stderr, "ev-score: %lu records, %lu passed (%.1f%%)%s\n", st->scored, st->passed,
            100.0 * (double)st->passed / (double)st->scored, none);
}

/* The progress line on a terminal, while the judge works. */
typedef struct line {
    int drawn;   /* the length of the line on the screen, 0 for none */
    double last; /* when it was drawn */
} line;

/* erase takes the progress line off the screen, so a message can take its
 * place; it is drawn again on the next record. Blanks, not escape codes:
 * the same on a dumb terminal. */
static void
erase(line *l)
{
    if (l->drawn > 0)
        fprintf(stderr, "\r%*s\r", l->drawn, "");
    l->drawn = 0;
}

/* warn prints a message of the run. */
static void
warn(void *ctx, const char *message)
{
    erase(ctx);
    ev_diag_warn("%s", message);
}

/* width returns the terminal's width: from the terminal, else COLUMNS,
 * else 80. */
static int
width(void)
{
    struct winsize ws;
    long cols;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    if (ev_cli_parse_long(getenv("COLUMNS"), 20, 1000, &cols))
        return (int)cols;
    return 80;
}

/* progress draws "judged 120/500 records (24%), 3.2/s, ETA 2m05s", at most
 * four times a second, and the last one for good. */
static void
progress(void *ctx, const ev_scorerun_progress *p)
{
    line *l = ctx;
    if (!p->ended && l->drawn > 0 && p->elapsed - l->last < 0.25)
        return;
    l->last = p->elapsed;
    double rate = p->elapsed > 0 ? (double)p->done / p->elapsed : 0;
    char text[256], d[32], eta[48] = "";
    int n;
    if (p->total > 0 && p->done <= p->total) {
        if (!p->ended && rate > 0 && p->done > 0)
            snprintf(eta, sizeof(eta), ", ETA %s",
                     ev_report_duration((double)(p->total - p->done) / rate, d, sizeof(d)));
        n = snprintf(text, sizeof(text), "judged %lu/%lu records (%.0f%%), %.1f/s%s", p->done,
                     p->total, 100.0 * (double)p->done / (double)p->total, rate, eta);
    } else {
        n = snprintf(text, sizeof(text), "judged %lu records, %.1f/s", p->done, rate);
    }
    if (p->failed > 0)
        snprintf(text + n, sizeof(text) - (size_t)n, ", %lu judge call%s failed", p->failed,
                 p->failed == 1 ? "" : "s");
    /* Cut to the terminal, so that the line never wraps. */
    int room = width() - (int)strlen("ev-score: ") - 1;
    int len = (int)strlen(text);
    len = len < room ? len : room > 0 ? room : 0;
    int full = len + (int)strlen("ev-score: ");
    fprintf(stderr, "\rev-score: %.*s%*s", len, text, l->drawn > full ? l->drawn - full : 0, "");
    l->drawn = full;
    if (p->ended) {
        fputc('\n', stderr);
        l->drawn = 0;
    }
    fflush(stderr);
}

/* judge_option takes the judge's option 'key' with the value 'v', or ends
 * with a usage error. */
static void
judge_option(ev_scorerun_opts *o, int key, const char *v, const ev_cli *c)
{
    ev_scorerun_judge *j = &o->judge;
    switch (key) {
    case OPT_JUDGE:
        j->rubric = v;
        break;
    case OPT_JUDGE_AGGREGATE:
        if (strcmp(v, "mean") != 0 && strcmp(v, "majority") != 0)
            ev_diag_usage_error("--judge-aggregate is 'majority' or 'mean'");
        o->score.judge_mean = strcmp(v, "mean") == 0;
        break;
    case OPT_JUDGE_BASE_URL:
        j->base_url = v;
        break;
    case OPT_JUDGE_LABELS:
        j->labels = v;
        break;
    case OPT_JUDGE_MODEL:
        j->model = v;
        break;
    case OPT_JUDGE_OPT:
        j->opts[j->nopts++] = (char *)v;
        break;
    case OPT_JUDGE_PROVIDER:
        if (strcmp(v, "openai") != 0 && strcmp(v, "anthropic") != 0 && strcmp(v, "cmd") != 0)
            ev_diag_usage_error("--judge-provider is 'openai', 'anthropic' or 'cmd'");
        j->provider = v;
        break;
    case OPT_JUDGE_SAMPLES:
        j->samples = c->integer;
        break;
    default: /* OPT_JUDGE_TEMPLATE */
        j->tmpl = v;
        break;
    }
}

/* option takes the option 'key' just read by 'c' into 'o', and a --env
 * pattern into 'pass'. */
static void
option(ev_scorerun_opts *o, int key, const ev_cli *c, char **pass, int *npass)
{
    switch (key) {
    case 'h':
        usage(stdout);
        exit(ev_diag_close_stdout());
    case 'i':
        o->score.norm |= EV_TEXT_NORM_CASE;
        break;
    case 'p':
        o->score.norm |= EV_TEXT_NORM_PUNCT;
        break;
    case 'q':
        o->quiet = true;
        break;
    case 's':
        o->spec = c->text;
        break;
    case 'V':
        ev_diag_version();
    case 'w':
        o->score.norm |= EV_TEXT_NORM_SPACE;
        break;
    case OPT_ALLOW_RECORD_COMMANDS:
        o->score.record_commands = true;
        break;
    case OPT_CPU_BUDGET:
        o->score.budget.cpu_seconds = c->real;
        break;
    case OPT_ENV:
        if (!ev_child_pass_ok(c->text))
            ev_diag_usage_error("--env takes the name of a variable, or a pattern such as 'HF_*', "
                                "never a value");
        pass[(*npass)++] = (char *)c->text;
        break;
    case OPT_MEMORY_BUDGET:
        o->score.budget.memory_mb = c->real;
        break;
    default:
        judge_option(o, key, c->text, c);
        break;
    }
}

int
main(int argc, char **argv)
{
    line l = {0};
    ev_scorerun_opts o = {.judge.samples = 1, .out = stdout, .warn = warn, .ctx = &l};
    char **pass = ev_alloc_zero((size_t)argc, sizeof(char *));
    o.judge.opts = ev_alloc_zero((size_t)argc, sizeof(char *));
    o.score.pass_env = pass;
    int npass = 0, key;
    ev_cli c;
    ev_cli_init(&c, opts, (int)(sizeof(opts) / sizeof(opts[0])), argc, argv);
    while ((key = ev_cli_next(&c)) != -1)
        option(&o, key, &c, pass, &npass);
    ev_cli_free(&c);
    ev_text_locale();
    if (!o.quiet && isatty(STDERR_FILENO))
        o.progress = progress;

    jv err;
    ev_scorerun *run = ev_scorerun_new(&o, &err);
    if (run == NULL) {
        jv m = jv_invalid_get_msg(err);
        ev_diag_usage_error("%s", jv_string_value(m));
    }
    ev_jsonl_output_setup();
    ev_interrupt_catch();
    ev_scorerun_stats st;
    int status = ev_scorerun_run(run, argv + optind, argc - optind, &st);
    ev_scorerun_free(run);
    free(o.judge.opts);
    free(pass);
    ev_diag_flush(); /* the lines like others, before the summary */
    if (!o.quiet && st.scored > 0)
        summary(&st);
    if (st.unjudged > 0)
        ev_diag_warn("interrupted: %lu records waiting for the judge were left out", st.unjudged);
    if (ev_diag_close_stdout() != EV_EXIT_OK && status != EV_EXIT_INTR)
        status = EV_EXIT_TROUBLE;
    return ev_interrupt_status(status);
}
