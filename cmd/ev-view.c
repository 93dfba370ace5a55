/*
 * ev-view: see the failures, and label them.
 *
 * Reads scored runs, and a baseline run, and writes one self-contained HTML
 * page: ev-compare's summary, failures per tag as ev-gaps counts them, the
 * learning curve of an ev-curve report, and every case side by side, with
 * filters, search, keyboard navigation and review labels that the page
 * exports as review.jsonl for ev-gaps. The page fetches nothing and runs no
 * text of a record.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "ev.h"
#include "interrupt.h"
#include "view.h"

static void
usage(FILE *f)
{
    fputs("usage: ev-view [-b BASELINE] [-c CURVE.json] [-g surpass|match] [-M MARGIN]\n"
          "               RUN ... > review.html\n"
          "\n"
          "Write one self-contained HTML page for reading scored runs and reviewing their\n"
          "failures: the summary, failures per tag, and every case side by side, with\n"
          "filters, search and review labels that the page exports as review.jsonl.\n"
          "\n"
          "  -b, --baseline RUN   compare each run with RUN, case by case, as ev-compare\n"
          "                       does: regressed, fixed and both-fail cases\n"
          "  -c, --curve FILE     draw the learning curve of FILE, an ev-curve -f json\n"
          "                       report\n"
          "  -g, --goal GOAL      with --baseline: the verdict the summary gives, surpass\n"
          "                       or match (within --margin)\n"
          "  -M, --margin M       for --goal match: the difference that still counts as a\n"
          "                       match (default 0.05, five points)\n"
          "  -h, --help           show this help\n"
          "  -V, --version        show the version\n"
          "\n"
          "Exit status: 0 done, 2 trouble (the page leaves out what was bad). See\n"
          "ev-view(1).\n",
          f);
}

static void
report_problem(jv msg, void *ctx)
{
    (void)ctx;
    ev_diag_warn_jv(msg);
}

static const ev_cli_opt opts[] = {
    {"baseline", 'b', EV_CLI_ARG_TEXT, 0, 0, false}, {"curve", 'c', EV_CLI_ARG_TEXT, 0, 0, false},
    {"goal", 'g', EV_CLI_ARG_TEXT, 0, 0, false},     {"help", 'h', EV_CLI_ARG_NONE, 0, 0, false},
    {"margin", 'M', EV_CLI_ARG_REAL, 0, 1, true},    {"version", 'V', EV_CLI_ARG_NONE, 0, 0, false},
};

int
main(int argc, char **argv)
{
    ev_view_opts o = {.margin = 0.05};
    bool margin_given = false;
    ev_cli c;
    int k;
    ev_cli_init(&c, opts, (int)(sizeof(opts) / sizeof(opts[0])), argc, argv);
    while ((k = ev_cli_next(&c)) != -1) {
        switch (k) {
        case 'b':
            o.baseline = c.text;
            break;
        case 'c':
            o.curve = c.text;
            break;
        case 'g':
            if (strcmp(c.text, "surpass") == 0)
                o.goal = EV_COMPARE_GOAL_SURPASS;
            else if (strcmp(c.text, "match") == 0)
                o.goal = EV_COMPARE_GOAL_MATCH;
            else
                ev_diag_usage_error("--goal takes surpass or match, not '%s'", c.text);
            break;
        case 'h':
            usage(stdout);
            ev_cli_free(&c);
            return ev_diag_close_stdout();
        case 'M':
            o.margin = c.real;
            margin_given = true;
            break;
        case 'V':
            ev_diag_version();
        default: /* ev_cli_next has refused anything else */
            break;
        }
    }
    ev_cli_free(&c);
    int nruns = argc - optind, stdin_runs = o.baseline != NULL && strcmp(o.baseline, "-") == 0;
    if (nruns < 1)
        ev_diag_usage_error("name at least one scored run");
    for (int i = optind; i < argc; i++)
        stdin_runs += strcmp(argv[i], "-") == 0;
    if (stdin_runs > 1)
        ev_diag_usage_error("standard input can be only one of the runs");
    if (o.goal != EV_COMPARE_GOAL_NONE && o.baseline == NULL)
        ev_diag_usage_error("--goal compares the runs with a baseline: add --baseline RUN");
    if (margin_given && o.goal != EV_COMPARE_GOAL_MATCH)
        ev_diag_usage_error("--margin goes with --goal match");
    ev_interrupt_catch();

    int problems = 0;
    jv data = ev_view_data(argv + optind, nruns, &o, report_problem, NULL, &problems);
    if (!jv_is_valid(data)) { /* a run could not be read, or was interrupted */
        jv_free(data);
        return ev_interrupt_status(EV_EXIT_TROUBLE);
    }
    int status = problems > 0 ? EV_EXIT_TROUBLE : EV_EXIT_OK;
    int wrote = ev_view_write(stdout, data); /* a failed write is reported at the close */
    if (ev_diag_close_stdout() != EV_EXIT_OK || wrote != 0)
        status = EV_EXIT_TROUBLE;
    return ev_interrupt_status(status);
}
