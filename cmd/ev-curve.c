/*
 * ev-curve: how many training examples are enough?
 *
 * Reads learning-curve points, accuracy against the number of training
 * examples, as JSONL ({"n", "k", "N"} or {"n", "accuracy", "N"}) or as scored
 * runs named N=FILE, fits the curves of STATS.md §8, and projects how many
 * examples reach the target, with a bootstrap range and honest warnings.
 * Exit 0 when the target has been reached already, 1 when not.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "chart.h"
#include "cli.h"
#include "diag.h"
#include "ev.h"
#include "interrupt.h"
#include "json.h"
#include "projection.h"

static void
usage(FILE *f)
{
    fputs("usage: ev-curve (-t TARGET | -T RUN) [-m MODEL] [-f FORMAT] [--plot FILE.svg]\n"
          "                [--seed N] [--bootstrap B] [-q] [FILE ... | N=RUN ...]\n"
          "\n"
          "Fit accuracy against the number of training examples and project how many\n"
          "examples reach the target. Points are JSONL lines {\"n\", \"k\", \"N\"} or\n"
          "{\"n\", \"accuracy\", \"N\"}, or scored runs given as N=RUN (N examples).\n"
          "\n"
          "  -t, --target X        the accuracy to reach, from 0 to 1\n"
          "  -T, --target-run RUN  the accuracy of a scored run (the baseline model's),\n"
          "                        with its uncertainty\n"
          "  -m, --model MODEL     the fit that gives the headline projection: loglinear\n"
          "                        (the same gain per doubling; default), logit or power\n"
          "  -f, --format FORMAT   table or json (default: table on a terminal)\n"
          "      --plot FILE.svg   write a chart of points, fit, target and projection\n"
          "      --seed N          bootstrap seed, reported (default 1)\n"
          "      --bootstrap B     bootstrap resamples (default 1000)\n"
          "  -q, --quiet           no text chart on a terminal\n"
          "  -h, --help            show this help\n"
          "  -V, --version         show the version\n"
          "\n"
          "Exit status: 0 the target is reached already, 1 not yet, 2 trouble.\n"
          "See ev-curve(1).\n",
          f);
}

enum { OPT_BOOTSTRAP = 256, OPT_PLOT, OPT_SEED };

static const ev_cli_opt opts[] = {
    {"bootstrap", OPT_BOOTSTRAP, EV_CLI_ARG_INT, 100, 1000000, false},
    {"format", 'f', EV_CLI_ARG_TEXT, 0, 0, false},
    {"help", 'h', EV_CLI_ARG_NONE, 0, 0, false},
    {"model", 'm', EV_CLI_ARG_TEXT, 0, 0, false},
    {"plot", OPT_PLOT, EV_CLI_ARG_TEXT, 0, 0, false},
    {"quiet", 'q', EV_CLI_ARG_NONE, 0, 0, false},
    {"seed", OPT_SEED, EV_CLI_ARG_TEXT, 0, 0, false},
    {"target", 't', EV_CLI_ARG_TEXT, 0, 0, false},
    {"target-run", 'T', EV_CLI_ARG_TEXT, 0, 0, false},
    {"version", 'V', EV_CLI_ARG_NONE, 0, 0, false},
};

/* What the command line asks for, beyond the projection's options. */
typedef struct options {
    ev_projection_opts pj;
    enum ev_cli_format format;
    const char *plot;
    bool quiet;
} options;

static void
problem(jv msg, void *ctx)
{
    int *status = ctx;
    ev_diag_warn_jv(msg);
    *status = EV_EXIT_TROUBLE;
}

static void
warn(jv msg, void *ctx)
{
    (void)ctx;
    ev_diag_warn_jv(msg);
}

static enum ev_curve_model
model(const char *s)
{
    for (int m = EV_CURVE_LOGLINEAR; m <= EV_CURVE_POWER; m++)
        if (strcmp(s, ev_curve_model_name((enum ev_curve_model)m)) == 0)
            return (enum ev_curve_model)m;
    ev_diag_usage_error("--model takes loglinear, logit or power, not '%s'", s);
}

/* option applies the option 'key' just read by 'c' to 'o'. */
static void
option(options *o, int key, const ev_cli *c)
{
    long l;
    switch (key) {
    case OPT_BOOTSTRAP:
        o->pj.bootstrap = c->integer;
        break;
    case 'f':
        if (!ev_cli_parse_format(c->text, 2, &o->format))
            ev_diag_usage_error("--format takes table or json, not '%s'", c->text);
        break;
    case 'h':
        usage(stdout);
        exit(ev_diag_close_stdout());
    case 'm':
        o->pj.primary = model(c->text);
        break;
    case OPT_PLOT:
        o->plot = c->text;
        break;
    case 'q':
        o->quiet = true;
        break;
    case OPT_SEED:
        if (!ev_cli_parse_long(c->text, 0, LONG_MAX, &l))
            ev_diag_usage_error("--seed takes a whole number from 0 to %ld, not '%s'", LONG_MAX,
                                c->text);
        o->pj.seed = (uint64_t)l;
        break;
    case 't':
        if (!ev_cli_parse_double(c->text, 0, 1, &o->pj.target) || o->pj.target <= 0 ||
            o->pj.target >= 1)
            ev_diag_usage_error("--target takes an accuracy between 0 and 1, not '%s'", c->text);
        break;
    case 'T':
        o->pj.target_run = c->text;
        break;
    case 'V':
        ev_diag_version();
    default: /* ev_cli_next refuses any other */
        abort();
    }
}

/* load reads the points named by the 'n' operands 'ops', N=RUN or files. */
static jv
load(ev_projection *pj, char **ops, int n, bool runs)
{
    if (!runs)
        return ev_projection_read_points(pj, ops, n);
    double *ns = ev_alloc_zero((size_t)n + 1, sizeof(*ns));
    char **paths = ev_alloc_zero((size_t)n + 1, sizeof(*paths));
    for (int i = 0; i < n; i++) {
        char *eq = strchr(ops[i], '=');
        *eq = '\0';
        paths[i] = eq + 1;
        if (!ev_cli_parse_double(ops[i], 1, EV_PROJECTION_MAX_EXAMPLES, &ns[i]))
            ev_diag_usage_error(
                "'%s=%s': N, the number of training examples, must be a number from 1 "
                "to 1e12",
                ops[i], eq + 1);
    }
    jv err = ev_projection_read_runs(pj, ns, paths, n);
    free(ns);
    free(paths);
    return err;
}

/* plot writes the chart to the file 'path'; false when it cannot. */
static bool
plot(const ev_projection *pj, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return false;
    ev_chart c = ev_projection_chart(pj);
    ev_chart_svg(f, &c);
    bool bad = ferror(f);
    return fclose(f) == 0 && !bad;
}

/* project reads, fits and reports; it returns the exit status. */
static int
project(const options *o, char **ops, int n, bool runs)
{
    int status = EV_EXIT_OK;
    options oo = *o;
    oo.pj.problem = problem;
    oo.pj.warn = warn;
    oo.pj.ctx = &status;
    ev_projection pj;
    ev_projection_init(&pj, &oo.pj);
    jv err = load(&pj, ops, n, runs);
    if (!jv_is_valid(err))
        ev_diag_die(EV_EXIT_TROUBLE, "%s", jv_string_value(jv_invalid_get_msg(err)));
    if (ev_interrupt_pending()) { /* no report of part of the points */
        ev_projection_free(&pj);
        return EV_EXIT_INTR;
    }
    jv rep = ev_projection_report(&pj);
    if (!jv_is_valid(rep))
        ev_diag_die(EV_EXIT_TROUBLE, "%s", jv_string_value(jv_invalid_get_msg(rep)));
    if (ev_interrupt_pending()) { /* during the bootstrap: no report, no chart */
        jv_free(rep);
        ev_projection_free(&pj);
        return EV_EXIT_INTR;
    }
    if (o->plot != NULL && !plot(&pj, o->plot)) {
        ev_diag_warn("cannot write '%s': %s", o->plot, strerror(errno));
        status = EV_EXIT_TROUBLE;
    } else if (o->plot != NULL) {
        rep = ev_json_set(rep, "plot", jv_string(o->plot));
    }
    jv r = ev_json_field(rep, "reached");
    bool reached = jv_get_kind(r) == JV_KIND_TRUE;
    jv_free(r);
    if (ev_cli_format_resolve(o->format) == EV_CLI_FORMAT_TABLE) {
        ev_projection_table(stdout, &pj, rep, !o->quiet && isatty(STDOUT_FILENO));
    } else {
        jv_dumpf(jv_copy(rep), stdout, 0);
        putchar('\n');
    }
    jv_free(rep);
    ev_projection_free(&pj);
    if (ev_diag_close_stdout() != EV_EXIT_OK)
        return EV_EXIT_TROUBLE;
    if (status != EV_EXIT_OK)
        return status;
    return reached ? EV_EXIT_OK : EV_EXIT_NO;
}

int
main(int argc, char **argv)
{
    options o = {.pj = {.target = NAN, .primary = EV_CURVE_LOGLINEAR, .seed = 1, .bootstrap = 1000},
                 .format = EV_CLI_FORMAT_AUTO};
    ev_cli c;
    ev_cli_init(&c, opts, (int)(sizeof(opts) / sizeof(opts[0])), argc, argv);
    for (int key; (key = ev_cli_next(&c)) != -1;)
        option(&o, key, &c);
    ev_cli_free(&c);
    if (isnan(o.pj.target) == (o.pj.target_run == NULL))
        ev_diag_usage_error("give the target as --target X or --target-run RUN (one of them)");
    int nops = argc - optind, runs = 0;
    for (int i = optind; i < argc; i++)
        runs += strchr(argv[i], '=') != NULL;
    if (runs > 0 && runs != nops)
        ev_diag_usage_error("give either point files or N=RUN operands, not both");
    ev_interrupt_catch();
    return project(&o, argv + optind, nops, runs > 0);
}
