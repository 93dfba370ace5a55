/*
 * ev-gaps: where the small model fails, and which data to add next.
 *
 * Reads a scored run and writes its failures, each with gap = {kind, ...}:
 * error, truncated, refusal, format or wrong, and against a baseline run
 * whether it is a regression. --summary tabulates failures per tag and spreads
 * a budget of new training examples over them; --review writes a Markdown
 * sheet for the person who reviews failures; --as train turns cases into chat
 * training examples, --as preference failures into preference pairs;
 * --from-pool picks new cases from a pool, aimed at the failures; --labels
 * takes a reviewer's decisions into account. The work is lib/gaps.c's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "diag.h"
#include "ev.h"
#include "gaps.h"
#include "gaps_report.h"
#include "interrupt.h"
#include "json.h"
#include "jsonl.h"
#include "text.h"

enum { OPT_AS = 256, OPT_FIX_OUT, OPT_LABELS, OPT_SYSTEM, OPT_THRESHOLD };

static const ev_cli_opt opts[] = {
    {"as", OPT_AS, EV_CLI_ARG_TEXT, 0, 0, false},
    {"baseline", 'b', EV_CLI_ARG_TEXT, 0, 0, false},
    {"budget", 'k', EV_CLI_ARG_INT, 0, 100000000, false},
    {"fix-out", OPT_FIX_OUT, EV_CLI_ARG_TEXT, 0, 0, false},
    {"format", 'f', EV_CLI_ARG_TEXT, 0, 0, false},
    {"from-pool", 'p', EV_CLI_ARG_TEXT, 0, 0, false},
    {"help", 'h', EV_CLI_ARG_NONE, 0, 0, false},
    {"labels", OPT_LABELS, EV_CLI_ARG_TEXT, 0, 0, false},
    {"quiet", 'q', EV_CLI_ARG_NONE, 0, 0, false},
    {"review", 'r', EV_CLI_ARG_NONE, 0, 0, false},
    {"summary", 's', EV_CLI_ARG_NONE, 0, 0, false},
    {"system", OPT_SYSTEM, EV_CLI_ARG_TEXT, 0, 0, false},
    {"teacher", 't', EV_CLI_ARG_TEXT, 0, 0, false},
    {"threshold", OPT_THRESHOLD, EV_CLI_ARG_REAL, 0.01, 1, false},
    {"version", 'V', EV_CLI_ARG_NONE, 0, 0, false},
};

static void
usage(FILE *f)
{
    fputs("usage: ev-gaps [-b BASELINE] [-q] [LABELS] [RUN ...]\n"
          "       ev-gaps --summary [-k BUDGET] [-b BASELINE] [-f FORMAT] [LABELS] [RUN]\n"
          "       ev-gaps --review [-b BASELINE] [LABELS] [RUN]\n"
          "       ev-gaps --from-pool POOL -k BUDGET [--as train] [-t TEACHER] [RUN]\n"
          "       ev-gaps --as train|preference [-t TEACHER] [--system TEXT] [LABELS] [RUN]\n"
          "  where LABELS is --labels REVIEW.jsonl [--fix-out FILE]\n"
          "\n"
          "Write the failures of a scored run, each with gap = {kind, ...}, where kind is\n"
          "error, truncated, refusal, format or wrong.\n"
          "\n"
          "  -b, --baseline RUN   mark each failure a regression (the baseline passed) or\n"
          "                       both-fail, and count regressions per tag\n"
          "  -s, --summary        a per-tag table of cases, failures, failure rate and\n"
          "                       regressions, worst first\n"
          "  -k, --budget K       with --summary: how to spread K new training examples\n"
          "                       across tags, in proportion to failures, at least one\n"
          "                       per failing tag; with --from-pool: how many to pick\n"
          "  -r, --review         a Markdown review sheet of the failures, grouped by tag\n"
          "  -p, --from-pool POOL pick BUDGET new training cases from POOL, aimed at the\n"
          "                       failing tags and most like the failing inputs, never\n"
          "                       one that leaks into the run's own cases\n"
          "      --threshold T    with --from-pool: the similarity, 0 to 1, from which a\n"
          "                       pool case counts as a leak (default 0.8)\n"
          "      --as train       write cases as chat fine-tuning examples instead\n"
          "      --as preference  write each failure as a preference (DPO) example: the\n"
          "                       answer to train on preferred to the failing output\n"
          "  -t, --teacher RUN    with --as: take the answer from RUN (a baseline\n"
          "                       model's run) where that run passed: distillation\n"
          "      --system TEXT    with --as: a system message for each example\n"
          "      --labels FILE    a reviewer's review.jsonl (ev-view): ok and model-wrong\n"
          "                       set the verdict, expected-wrong cases leave the counts,\n"
          "                       and a corrected answer is the answer to train on\n"
          "      --fix-out FILE   with --labels: write the cases labelled expected-wrong,\n"
          "                       with their corrected answers, to FILE\n"
          "  -f, --format FORMAT  for --summary: table, json, markdown or tsv (default:\n"
          "                       table on a terminal, json otherwise)\n"
          "  -q, --quiet          no summary line on standard error\n"
          "  -h, --help           show this help\n"
          "  -V, --version        show the version\n"
          "\n"
          "Exit status: 0 done, 2 trouble. See ev-gaps(1).\n",
          f);
}

/* set_mode makes 'm' the mode, unless another was chosen. */
static void
set_mode(ev_gaps_opts *o, enum ev_gaps_mode m)
{
    if (o->mode != EV_GAPS_RECORDS)
        ev_diag_usage_error("choose one of --summary, --review and --from-pool");
    o->mode = m;
}

/* one_stdin refuses a command line on which two inputs read standard input:
 * the run (no operand, or "-") and the files of 'o'. */
static void
one_stdin(const ev_gaps_opts *o, char **paths, int npaths)
{
    const char *named[] = {"the run", "--baseline", "--teacher", "--labels", "--from-pool"};
    const char *files[] = {npaths == 0 ? "-" : NULL, o->baseline, o->teacher, o->labels, o->pool};
    for (int i = 0; i < npaths && files[0] == NULL; i++)
        files[0] = strcmp(paths[i], "-") == 0 ? "-" : NULL;
    const char *first = NULL;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (files[i] == NULL || strcmp(files[i], "-") != 0)
            continue;
        if (first != NULL)
            ev_diag_usage_error("%s and %s both read standard input: give one of them a file",
                                first, named[i]);
        first = named[i];
    }
}

static void
validate(ev_gaps_opts *o, bool threshold_given, const char *fix_out, char **paths, int npaths)
{
    one_stdin(o, paths, npaths);
    if (o->as_preference && o->mode != EV_GAPS_RECORDS)
        ev_diag_usage_error("--as preference goes alone");
    if (o->as_preference)
        o->mode = EV_GAPS_PREFERENCE;
    if (o->as_train && o->mode == EV_GAPS_RECORDS)
        o->mode = EV_GAPS_TRAIN;
    if (o->as_train && o->mode != EV_GAPS_TRAIN && o->mode != EV_GAPS_POOL)
        ev_diag_usage_error("--as train goes with --from-pool, or alone");
    if (o->labels != NULL && o->mode == EV_GAPS_POOL)
        ev_diag_usage_error("--labels does not go with --from-pool");
    if (o->budget >= 0 && o->mode != EV_GAPS_SUMMARY && o->mode != EV_GAPS_POOL)
        ev_diag_usage_error("--budget goes with --summary or --from-pool");
    if (o->mode == EV_GAPS_POOL && o->budget < 0)
        ev_diag_usage_error("--from-pool needs --budget: how many cases to pick");
    if ((o->teacher || jv_get_kind(o->system) == JV_KIND_STRING) && !o->as_train &&
        !o->as_preference)
        ev_diag_usage_error("--teacher and --system go with --as train or --as preference");
    if (fix_out != NULL && o->labels == NULL)
        ev_diag_usage_error("--fix-out goes with --labels");
    if (threshold_given && o->mode != EV_GAPS_POOL)
        ev_diag_usage_error("--threshold goes with --from-pool");
    if (o->format != EV_CLI_FORMAT_AUTO && o->mode != EV_GAPS_SUMMARY)
        ev_diag_usage_error("--format goes with --summary");
    o->format = ev_cli_format_resolve(o->format);
}

static void
warn(void *ctx, const char *line)
{
    (void)ctx;
    ev_diag_warn("%s", line);
}

static const ev_log warnings = {.warn = warn};

/* warn_eval_cases warns that --as train alone turns eval cases into
 * training data. */
static void
warn_eval_cases(void)
{
    ev_diag_warn("these are eval cases: training on them makes the eval measure memory, not "
                 "skill. Keep them for evaluation, and train on new cases like them instead "
                 "(ev-gaps --from-pool POOL --budget K picks them; ev-split --check finds "
                 "leaks)");
}

/* report_picks says what --from-pool picked, per tag aimed at. */
static void
report_picks(jv rep /* borrowed */)
{
    long picked = jv_array_length(ev_json_field(rep, "picked"));
    fprintf(stderr, "ev-gaps: picked %ld of %.0f pool cases for a budget of %.0f", picked,
            ev_json_number(rep, "pool"), ev_json_number(rep, "budget"));
    if (ev_json_number(rep, "leaks") > 0)
        fprintf(stderr, "; left out %.0f that leak into the eval set",
                ev_json_number(rep, "leaks"));
    fprintf(stderr, "\n");
    jv rows = ev_json_field(rep, "tags");
    jv_array_foreach(rows, i, row)
    {
        double want = ev_json_number(row, "aimed"), got = ev_json_number(row, "picked");
        jv tag = ev_json_field(row, "tag");
        fprintf(stderr, "ev-gaps:   %-20s aimed %3.0f, picked %3.0f%s\n", jv_string_value(tag),
                want, got,
                got < want   ? " (the pool has too few)"
                : got > want ? " (filling in for others)"
                             : "");
        jv_free(tag);
        jv_free(row);
        (void)i;
    }
    jv_free(rows);
}

/* report_labels says what the reviewer's labels changed. */
static void
report_labels(const ev_gaps_opts *o, const ev_gaps_result *res)
{
    jv text = ev_gaps_report_labels(ev_gaps_labels(res));
    fprintf(stderr, "ev-gaps: %s\n", jv_string_value(text));
    jv_free(text);
    if (res->expected_wrong > 0 && o->fixes == NULL)
        fprintf(stderr, "ev-gaps: --fix-out FILE lists the %ld cases labelled expected-wrong\n",
                res->expected_wrong);
    if (res->labels_unused > 0)
        ev_diag_warn("'%s': %ld of its labels name no case of the run", o->labels,
                     res->labels_unused);
}

/* report says what was done, on standard error, unless 'quiet'. */
static void
report(const ev_gaps_opts *o, const ev_gaps_result *res, bool quiet)
{
    bool picked = jv_get_kind(res->picked) == JV_KIND_OBJECT;
    if (!quiet && o->mode == EV_GAPS_RECORDS)
        fprintf(stderr, "ev-gaps: %ld failures in %ld cases\n", res->failures, res->cases);
    if (!quiet && o->mode == EV_GAPS_TRAIN)
        fprintf(stderr, "ev-gaps: %ld training examples written, %ld left out\n", res->written,
                res->skipped);
    if (!quiet && o->mode == EV_GAPS_PREFERENCE)
        fprintf(stderr,
                "ev-gaps: %ld preference examples written of %ld failures; left out %ld "
                "failed calls with no output and %ld more, said above\n",
                res->written, res->failures, res->no_output, res->skipped);
    if (!quiet && o->labels != NULL)
        report_labels(o, res);
    if (!quiet && picked)
        report_picks(res->picked);
    jv lines = picked ? ev_json_field(res->picked, "picked") : jv_array();
    long n = jv_array_length(lines);
    if (picked && n < o->budget)
        ev_diag_warn("the pool had only %ld usable cases for a budget of %ld", n, o->budget);
}

/* What the command line says beyond 'ev_gaps_opts'. */
typedef struct extra {
    bool quiet, threshold_given;
    const char *fix_out; /* --fix-out */
} extra;

/* parse reads the command line into 'o' and 'x'; returns optind. */
static int
parse(ev_gaps_opts *o, extra *x, int argc, char **argv)
{
    ev_cli c;
    int k;

    ev_cli_init(&c, opts, (int)(sizeof(opts) / sizeof(opts[0])), argc, argv);
    while ((k = ev_cli_next(&c)) != -1) {
        switch (k) {
        case OPT_AS:
            if (strcmp(c.text, "train") != 0 && strcmp(c.text, "preference") != 0)
                ev_diag_usage_error("--as takes 'train' or 'preference', not '%s'", c.text);
            o->as_train = strcmp(c.text, "train") == 0;
            o->as_preference = !o->as_train;
            break;
        case 'b':
            o->baseline = c.text;
            break;
        case 'f':
            if (!ev_cli_parse_format(c.text, 4, &o->format))
                ev_diag_usage_error("--format takes table, json, markdown or tsv, not '%s'",
                                    c.text);
            break;
        case OPT_FIX_OUT:
            x->fix_out = c.text;
            break;
        case 'h':
            usage(stdout);
            exit(ev_diag_close_stdout());
        case 'k':
            o->budget = c.integer;
            break;
        case OPT_LABELS:
            o->labels = c.text;
            break;
        case 'p':
            set_mode(o, EV_GAPS_POOL);
            o->pool = c.text;
            break;
        case 'q':
            x->quiet = true;
            break;
        case 'r':
            set_mode(o, EV_GAPS_REVIEW);
            break;
        case 's':
            set_mode(o, EV_GAPS_SUMMARY);
            break;
        case OPT_SYSTEM:
            jv_free(o->system);
            o->system = jv_string(c.text);
            break;
        case 't':
            o->teacher = c.text;
            break;
        case OPT_THRESHOLD:
            o->threshold = c.real;
            x->threshold_given = true;
            break;
        default: /* 'V' */
            ev_diag_version();
        }
    }
    ev_cli_free(&c);
    return optind;
}

/* open_fixes opens the --fix-out file 'path', unless it is one of the files
 * the run reads ('o's and the 'n' operands 'paths'), which it would empty. */
static FILE *
open_fixes(const char *path, const ev_gaps_opts *o, char **paths, int n)
{
    if (path == NULL)
        return NULL;
    const char *named[] = {o->labels, o->baseline, o->teacher};
    const char *in = ev_jsonl_same_input(path, paths, n);
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]) && in == NULL; i++)
        if (named[i] != NULL)
            in = ev_jsonl_same_input(path, (char **)&named[i], 1);
    if (in != NULL)
        ev_diag_usage_error("'%s' is both --fix-out and an input, which writing would empty", path);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        ev_diag_die(EV_EXIT_TROUBLE, "cannot write '%s': %s", path, strerror(errno));
    return f;
}

int
main(int argc, char **argv)
{
    ev_gaps_opts o = {.mode = EV_GAPS_RECORDS,
                      .budget = -1,
                      .system = jv_null(),
                      .threshold = 0.8,
                      .out = stdout,
                      .log = &warnings};
    extra x = {0};
    int first = parse(&o, &x, argc, argv);
    validate(&o, x.threshold_given, x.fix_out, argv + first, argc - first);
    ev_text_locale();
    ev_interrupt_catch();
    if (o.mode == EV_GAPS_TRAIN && !x.quiet)
        warn_eval_cases();
    o.fixes = open_fixes(x.fix_out, &o, argv + first, argc - first);
    ev_jsonl_output_setup();
    ev_gaps_result res;
    int status = ev_gaps_run(&o, argv + first, argc - first, &res);
    report(&o, &res, x.quiet);
    jv_free(res.picked);
    jv_free(o.system);
    bool fix_failed = o.fixes != NULL && ferror(o.fixes);
    if (o.fixes != NULL && (fclose(o.fixes) != 0 || fix_failed)) {
        ev_diag_warn("cannot write '%s': %s", x.fix_out, strerror(errno));
        status = EV_EXIT_TROUBLE;
    }
    if (ev_diag_close_stdout() != EV_EXIT_OK)
        status = EV_EXIT_TROUBLE;
    return ev_interrupt_status(status);
}
