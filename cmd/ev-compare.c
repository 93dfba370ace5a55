/*
 * ev-compare: is the small model as good as the large one yet?
 *
 * Reads scored runs. The first is the baseline; every other run is compared
 * with it case by case (paired by id), with the intervals and tests of
 * STATS.md, and, when a goal is given, a verdict: surpasses, matches, worse
 * or inconclusive. Exit 0 when every goal is met, 1 when one is not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cli.h"
#include "compare.h"
#include "compare_report.h"
#include "diag.h"
#include "ev.h"
#include "interrupt.h"
#include "json.h"
#include "run.h"

static void
usage(FILE *f)
{
    fputs("usage: ev-compare [-g surpass|match] [-M MARGIN] [--min-accuracy X] [-b FIELD]\n"
          "                  [-c FIELD] [-f FORMAT] [--exact] [--seed N] [--bootstrap B]\n"
          "                  BASELINE [CANDIDATE ...]\n"
          "\n"
          "Report scored runs and compare each candidate with the baseline, case by case.\n"
          "\n"
          "  -g, --goal GOAL         surpass, or match (within --margin); exit 1 unless met\n"
          "  -M, --margin M          for --goal match: the absolute difference above 0\n"
          "                          that still counts as a match (default 0.05)\n"
          "      --min-accuracy X    goal: the candidate's accuracy interval lies at or\n"
          "                          above X (with one run, that run's)\n"
          "  -b, --by FIELD          add figures per group: 'tag' (each tag) or a field\n"
          "                          path such as meta.source\n"
          "  -c, --cluster FIELD     clustered standard errors, clusters named by FIELD\n"
          "  -f, --format FORMAT     table, json, markdown or tsv (default: table on a\n"
          "                          terminal, json otherwise)\n"
          "      --exact             Clopper-Pearson instead of Wilson intervals\n"
          "      --seed N            bootstrap seed for graded scores (default 1)\n"
          "      --bootstrap B       bootstrap resamples (default 10000)\n"
          "      --hosting H         the candidates served from dedicated capacity at H\n"
          "                          per hour: their cost a case at --traffic, and the\n"
          "                          break-even against the baseline's per-token cost\n"
          "      --traffic T         with --hosting: T cases a day\n"
          "      --concurrency N     with --hosting: calls the candidate ran at once\n"
          "                          (default 1)\n"
          "  -h, --help              show this help\n"
          "  -V, --version           show the version\n"
          "\n"
          "Exit status: 0 every goal met (or no goal), 1 a goal not met or the result\n"
          "inconclusive, 2 trouble, such as no scored case in common: no verdict.\n"
          "See ev-compare(1).\n",
          f);
}

/* Codes of the options that have no short form. */
enum {
    OPT_BOOTSTRAP = 256,
    OPT_CONCURRENCY,
    OPT_EXACT,
    OPT_HOSTING,
    OPT_MIN_ACCURACY,
    OPT_SEED,
    OPT_TRAFFIC
};

/* The options, sorted by long name. A seed is reported as a JSON number,
 * exact up to 2^53. */
static const ev_cli_opt opts[] = {
    {"bootstrap", OPT_BOOTSTRAP, EV_CLI_ARG_INT, 100, 10000000, false},
    {"by", 'b', EV_CLI_ARG_TEXT, 0, 0, false},
    {"cluster", 'c', EV_CLI_ARG_TEXT, 0, 0, false},
    {"concurrency", OPT_CONCURRENCY, EV_CLI_ARG_INT, 1, 100000, false},
    {"exact", OPT_EXACT, EV_CLI_ARG_NONE, 0, 0, false},
    {"format", 'f', EV_CLI_ARG_TEXT, 0, 0, false},
    {"goal", 'g', EV_CLI_ARG_TEXT, 0, 0, false},
    {"help", 'h', EV_CLI_ARG_NONE, 0, 0, false},
    {"hosting", OPT_HOSTING, EV_CLI_ARG_REAL, 0, 1e6, true},
    {"margin", 'M', EV_CLI_ARG_REAL, 0, 1, true},
    {"min-accuracy", OPT_MIN_ACCURACY, EV_CLI_ARG_REAL, 0, 1, false},
    {"seed", OPT_SEED, EV_CLI_ARG_INT, 0, 9007199254740991.0, false},
    {"traffic", OPT_TRAFFIC, EV_CLI_ARG_REAL, 0, 1e12, true},
    {"version", 'V', EV_CLI_ARG_NONE, 0, 0, false},
};

/* parse_options reads the options into 'o', 'ro' and '*fmt', checks that
 * they go together, and returns the index of the first run. */
static int
parse_options(int argc, char **argv, ev_compare_opts *o, ev_run_opts *ro, enum ev_cli_format *fmt)
{
    bool margin_given = false;
    ev_cli c;
    int k;
    ev_cli_init(&c, opts, (int)(sizeof(opts) / sizeof(opts[0])), argc, argv);
    while ((k = ev_cli_next(&c)) != -1) {
        switch (k) {
        case OPT_BOOTSTRAP:
            o->bootstrap = c.integer;
            break;
        case 'b':
            ro->by = c.text;
            o->by = true;
            break;
        case 'c':
            ro->cluster = c.text;
            o->clustered = true;
            break;
        case OPT_EXACT:
            o->exact = true;
            break;
        case 'f':
            if (!ev_cli_parse_format(c.text, 4, fmt))
                ev_diag_usage_error("--format takes table, json, markdown or tsv, not '%s'",
                                    c.text);
            break;
        case 'g':
            if (strcmp(c.text, "surpass") == 0)
                o->goal = EV_COMPARE_GOAL_SURPASS;
            else if (strcmp(c.text, "match") == 0)
                o->goal = EV_COMPARE_GOAL_MATCH;
            else
                ev_diag_usage_error("--goal takes surpass or match, not '%s'", c.text);
            break;
        case 'h':
            usage(stdout);
            exit(ev_diag_close_stdout());
        case 'M':
            o->margin = c.real;
            margin_given = true;
            break;
        case OPT_MIN_ACCURACY:
            o->min_accuracy = c.real;
            o->has_min = true;
            break;
        case OPT_SEED:
            o->seed = (uint64_t)c.integer;
            break;
        case OPT_HOSTING:
            o->per_hour = c.real;
            break;
        case OPT_TRAFFIC:
            o->traffic = c.real;
            break;
        case OPT_CONCURRENCY:
            o->concurrency = c.real;
            break;
        case 'V':
            ev_diag_version();
        default: /* ev_cli_next refuses every other option */
            abort();
        }
    }
    ev_cli_free(&c);
    int nruns = argc - optind;
    if (nruns < 1)
        ev_diag_usage_error("name at least one scored run");
    if (o->goal != EV_COMPARE_GOAL_NONE && nruns < 2)
        ev_diag_usage_error("--goal compares a candidate with a baseline: name two runs");
    if (margin_given && o->goal != EV_COMPARE_GOAL_MATCH)
        ev_diag_usage_error("--margin goes with --goal match");
    if ((o->per_hour > 0) != (o->traffic > 0))
        ev_diag_usage_error("--hosting and --traffic go together");
    if (o->concurrency > 0 && o->per_hour == 0)
        ev_diag_usage_error("--concurrency goes with --hosting");
    if (o->concurrency == 0)
        o->concurrency = 1;
    int stdin_runs = 0;
    for (int i = optind; i < argc; i++)
        stdin_runs += strcmp(argv[i], "-") == 0;
    if (stdin_runs > 1)
        ev_diag_usage_error("standard input can be only one of the runs");
    *fmt = ev_cli_format_resolve(*fmt);
    return optind;
}

static void
report_problem(jv msg, void *ctx)
{
    (void)ctx;
    ev_diag_warn_jv(msg);
}

/* load_runs reads the 'n' runs named at 'paths' into 'runs'. Returns the
 * exit status so far, or -1 when a run could not be read whole (reported):
 * no report is made of part of a run. */
static int
load_runs(ev_run *runs, char **paths, int n, const ev_run_opts *ro)
{
    int status = EV_EXIT_OK;
    for (int i = 0; i < n; i++) {
        int problems = ev_run_load(&runs[i], paths[i], ro, report_problem, NULL);
        if (problems < 0 || ev_interrupt_pending())
            return -1;
        if (problems > 0)
            status = EV_EXIT_TROUBLE;
        if (runs[i].n == 0)
            ev_diag_warn("'%s' has no scored cases", paths[i]);
    }
    return status;
}

/* no_evidence warns of each comparison, or lone run's goal, that has nothing
 * to rest on, and says whether there was one: there is no verdict then, and
 * the run is in trouble. */
static bool
no_evidence(jv rep /* borrowed */)
{
    jv no = ev_json_field(rep, "no_evidence");
    bool any = jv_get_kind(no) == JV_KIND_TRUE;
    jv_free(no);
    if (!any)
        return false;
    jv comps = ev_json_field(rep, "comparisons");
    jv_array_foreach(comps, i, c)
    {
        jv base = ev_json_field(c, "baseline"), cand = ev_json_field(c, "candidate");
        if (ev_json_number(c, "paired_cases") == 0)
            ev_diag_warn("'%s' and '%s' have no scored case id in common: nothing to compare, "
                         "no verdict",
                         ev_json_str(cand, "-"), ev_json_str(base, "-"));
        jv_free(base);
        jv_free(cand);
        jv_free(c);
        (void)i;
    }
    if (jv_array_length(comps) == 0)
        ev_diag_warn("no scored case to judge --min-accuracy by: no verdict");
    return true;
}

int
main(int argc, char **argv)
{
    ev_compare_opts o = {
        .level = 0.95, .margin = 0.05, .seed = 1, .bootstrap = 10000, .max_ids = -1};
    ev_run_opts ro = {0};
    enum ev_cli_format fmt = EV_CLI_FORMAT_AUTO;
    int first = parse_options(argc, argv, &o, &ro, &fmt);
    int nruns = argc - first;
    ev_interrupt_catch();

    ev_run *runs = ev_alloc_zero((size_t)nruns, sizeof(*runs));
    int status = load_runs(runs, argv + first, nruns, &ro);
    jv rep = status < 0 ? jv_invalid() : ev_compare_runs(runs, (size_t)nruns, &o);
    for (int i = 0; i < nruns; i++)
        ev_run_free(&runs[i]);
    free(runs);
    if (status < 0)
        return ev_interrupt_status(EV_EXIT_TROUBLE);
    jv met = ev_json_field(rep, "met");
    if (!ev_interrupt_pending()) /* a report made while interrupted is not printed */
        ev_compare_report_write(stdout, rep, fmt);
    if (ev_diag_close_stdout() != EV_EXIT_OK || no_evidence(rep))
        status = EV_EXIT_TROUBLE;
    else if (status == EV_EXIT_OK && jv_get_kind(met) == JV_KIND_FALSE)
        status = EV_EXIT_NO;
    jv_free(met);
    jv_free(rep);
    return ev_interrupt_status(status);
}
