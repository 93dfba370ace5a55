/*
 * ev-split: cut a pool of cases into eval and training sets you can trust.
 *
 * Every choice comes from a seeded hash of each case's id, so it is the same
 * on every run and every machine, and a case keeps its side as the pool
 * grows. --ratio sends a share of the pool to standard output and the rest to
 * --rest; --stratify keeps that share within each tag; --take writes
 * the first N cases in hash order, so smaller sets nest in larger ones;
 * --shard writes one of N disjoint shards; --dedupe drops cases whose input
 * repeats, exactly or nearly. Near duplicates always stay on one side.
 * --check reads a training set and an eval set and reports the eval cases
 * that leak into training, exactly or nearly, by the same measure. The split
 * is lib/split.c's, the check lib/leak.c's, near duplicates lib/near.c's.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "diag.h"
#include "ev.h"
#include "interrupt.h"
#include "leak.h"
#include "split.h"
#include "text.h"

enum { OPT_CHECK = 256, OPT_REST, OPT_SEED, OPT_SHARD, OPT_STRATIFY, OPT_THRESHOLD };

static const ev_cli_opt opts[] = {
    {"check", OPT_CHECK, EV_CLI_ARG_TEXT, 0, 0, false},
    {"dedupe", 'd', EV_CLI_ARG_NONE, 0, 0, false},
    {"help", 'h', EV_CLI_ARG_NONE, 0, 0, false},
    {"quiet", 'q', EV_CLI_ARG_NONE, 0, 0, false},
    {"ratio", 'r', EV_CLI_ARG_REAL, 0, 1, false},
    {"rest", OPT_REST, EV_CLI_ARG_TEXT, 0, 0, false},
    {"seed", OPT_SEED, EV_CLI_ARG_INT, 0, (double)LONG_MAX, false},
    {"shard", OPT_SHARD, EV_CLI_ARG_TEXT, 0, 0, false},
    {"stratify", OPT_STRATIFY, EV_CLI_ARG_NONE, 0, 0, false},
    {"take", 't', EV_CLI_ARG_INT, 0, (double)LONG_MAX, false},
    {"threshold", OPT_THRESHOLD, EV_CLI_ARG_REAL, 0.1, 1, false},
    {"version", 'V', EV_CLI_ARG_NONE, 0, 0, false},
};

/* The command line: a split (lib/split.h) or a check (lib/leak.h). */
typedef struct options {
    ev_split_opts split;
    ev_leak_opts check;
    const char *mode; /* the option that chose the mode, or NULL */
    const char *rest;
    bool quiet, seed_given, threshold_given;
} options;

static void
usage(FILE *f)
{
    fputs("usage: ev-split -r RATIO [--stratify] [--rest FILE] [-d] [--seed N] [--threshold T]\n"
          "                [-q] [FILE ...]\n"
          "       ev-split -t N [-d [--threshold T]] [--seed N] [-q] [FILE ...]\n"
          "       ev-split --shard K/N [--rest FILE] [-d] [--seed N] [--threshold T] [-q]\n"
          "                [FILE ...]\n"
          "       ev-split -d [--threshold T] [-q] [FILE ...]\n"
          "       ev-split --check TRAIN [--threshold T] [-q] [EVAL ...]\n"
          "\n"
          "Split a pool of cases (JSONL) by a seeded hash of each case's id, keeping\n"
          "near duplicates on one side.\n"
          "\n"
          "  -r, --ratio RATIO     send about RATIO (0 to 1) of the cases to standard\n"
          "                        output and the rest to --rest\n"
          "      --stratify        with --ratio: keep the share within each tag, by\n"
          "                        each case's rarest tag\n"
          "  -t, --take N          write the first N cases in hash order; the first 5\n"
          "                        are among the first 10\n"
          "      --shard K/N       write shard K (1 to N) of N disjoint shards\n"
          "  -d, --dedupe          drop cases whose input is a near duplicate of an\n"
          "                        earlier case's; alone or with a mode above\n"
          "      --rest FILE       write the cases not sent to standard output to FILE\n"
          "                        (without it they are left out)\n"
          "      --seed N          the seed of the hash (default: 0)\n"
          "      --check TRAIN     report eval cases that leak into the training set\n"
          "                        TRAIN, as JSONL pairs; exit 1 when any does\n"
          "      --threshold T     the word 3-gram similarity (0.1 to 1) that makes a\n"
          "                        near duplicate (default: 0.8)\n"
          "  -q, --quiet           no report on standard error\n"
          "  -h, --help            show this help\n"
          "  -V, --version         show the version\n"
          "\n"
          "Exit status: 0 done (--check: no leak), 1 --check found a leak,\n"
          "2 trouble (usage, bad line, unreadable file, failed write).\n"
          "See ev-split(1) and ev(7).\n",
          f);
}

/* set_mode records that 'opt' chose the mode 'm'; --check is 'check'. */
static void
set_mode(options *o, const char *opt, enum ev_split_mode m)
{
    if (o->mode != NULL && strcmp(o->mode, opt) != 0)
        ev_diag_usage_error("%s and %s do not go together: choose one", o->mode, opt);
    o->mode = opt;
    o->split.mode = m;
}

static void
parse_shard(ev_split_opts *s, const char *text)
{
    const char *slash = strchr(text, '/');
    char k[32];

    if (slash == NULL || (size_t)(slash - text) >= sizeof(k))
        ev_diag_usage_error("--shard takes K/N, such as 2/4, not '%s'", text);
    memcpy(k, text, (size_t)(slash - text));
    k[slash - text] = '\0';
    if (!ev_cli_parse_long(slash + 1, 1, 1000000, &s->nshards))
        ev_diag_usage_error("--shard K/N: N is a whole number from 1 to 1000000, not '%s'",
                            slash + 1);
    if (!ev_cli_parse_long(k, 1, s->nshards, &s->shard))
        ev_diag_usage_error("--shard K/N: K is a whole number from 1 to %ld, not '%s'", s->nshards,
                            k);
}

/* check_rest refuses a --rest file that is also an input, which opening it
 * would empty before it is read. */
static void
check_rest(const char *rest, char **paths, int npaths)
{
    const char *in = ev_jsonl_same_input(rest, paths, npaths);
    if (in != NULL && strcmp(in, "-") == 0)
        ev_diag_usage_error("'%s' is both --rest and standard input", rest);
    if (in != NULL)
        ev_diag_usage_error("'%s' is both --rest and an input", rest);
}

static void
validate(options *o, char **paths, int npaths)
{
    ev_split_opts *s = &o->split;
    bool check = o->check.train != NULL;
    if (o->mode == NULL && !s->dedupe)
        ev_diag_usage_error("choose what to do: --ratio, --take, --shard, --dedupe or --check");
    if (o->mode == NULL)
        s->mode = EV_SPLIT_DEDUPE;
    if (s->stratify && (o->mode == NULL || s->mode != EV_SPLIT_RATIO))
        ev_diag_usage_error("--stratify goes with --ratio");
    if (o->rest != NULL && (check || (s->mode != EV_SPLIT_RATIO && s->mode != EV_SPLIT_SHARD)))
        ev_diag_usage_error("--rest goes with --ratio or --shard");
    if (o->threshold_given && s->mode == EV_SPLIT_TAKE && !s->dedupe)
        ev_diag_usage_error("--threshold goes with --ratio, --shard, --dedupe or --check");
    if (o->seed_given && (check || s->mode == EV_SPLIT_DEDUPE))
        ev_diag_usage_error("--seed goes with --ratio, --take or --shard");
    if (check) {
        if (s->dedupe)
            ev_diag_usage_error("--dedupe does not go with --check");
        bool eval_stdin = npaths == 0;
        for (int i = 0; i < npaths; i++)
            eval_stdin = eval_stdin || strcmp(paths[i], "-") == 0;
        if (strcmp(o->check.train, "-") == 0 && eval_stdin)
            ev_diag_usage_error("standard input can be the training set or the eval set, not both");
    }
    if (o->rest != NULL)
        check_rest(o->rest, paths, npaths);
}

static void
warn(void *ctx, const char *line)
{
    (void)ctx;
    ev_diag_warn("%s", line);
}

static const ev_log warnings = {.warn = warn};

/* check runs --check and says how many eval cases leak. */
static int
check(options *o, char **eval, int neval)
{
    ev_leak_result r;
    int status = ev_leak_check(&o->check, eval, neval, &r) ? EV_EXIT_TROUBLE : EV_EXIT_OK;
    unsigned long leaked = r.exact + r.near;
    const char *why = ev_interrupt_pending() ? NULL : ev_leak_no_verdict(&r);
    if (why != NULL) {
        ev_diag_warn("no verdict: %s", why);
        status = EV_EXIT_TROUBLE;
    } else if (!o->quiet && !ev_interrupt_pending()) {
        if (leaked == 0)
            fprintf(stderr, "ev-split: none of %lu eval cases leaks into %lu training cases\n",
                    r.eval, r.train);
        else
            fprintf(stderr,
                    "ev-split: %lu of %lu eval cases leak into %lu training cases: %lu with the "
                    "same input, %lu more with near duplicates\n",
                    leaked, r.eval, r.train, r.exact, r.near);
    }
    if (ev_diag_close_stdout() != EV_EXIT_OK)
        status = EV_EXIT_TROUBLE;
    else if (status == EV_EXIT_OK && leaked > 0)
        status = EV_EXIT_NO;
    return ev_interrupt_status(status);
}

/* report prints where the cases went, unless --quiet. */
static void
report(const options *o, const ev_split_result *r)
{
    const ev_split_opts *s = &o->split;
    unsigned long rest = r->cases - r->out;

    if (o->quiet || (r->cases == 0 && r->dropped == 0))
        return;
    if (s->dedupe)
        fprintf(stderr,
                "ev-split: dropped %lu case%s whose input repeats an earlier one, or nearly\n",
                r->dropped, r->dropped == 1 ? "" : "s");
    fprintf(stderr, "ev-split: %lu case%s: ", r->cases, r->cases == 1 ? "" : "s");
    if (s->mode == EV_SPLIT_TAKE)
        fprintf(stderr, "the first %lu in hash order to standard output\n", r->out);
    else if (s->mode == EV_SPLIT_DEDUPE)
        fprintf(stderr, "%lu to standard output\n", r->out);
    else if (s->mode == EV_SPLIT_SHARD)
        fprintf(stderr, "%lu in shard %ld/%ld to standard output, ", r->out, s->shard, s->nshards);
    else
        fprintf(stderr, "%lu to standard output, ", r->out);
    if (s->mode == EV_SPLIT_RATIO || s->mode == EV_SPLIT_SHARD) {
        if (o->rest != NULL)
            fprintf(stderr, "%lu to '%s'\n", rest, o->rest);
        else
            fprintf(stderr, "%lu left out\n", rest);
    }
    if (r->groups > 0)
        fprintf(stderr,
                "ev-split: kept %lu group%s of near duplicates, %lu cases, each on one side\n",
                r->groups, r->groups == 1 ? "" : "s", r->grouped);
    if (r->strata != NULL)
        ev_strata_report(r->strata, stderr);
}

/* close_rest closes the --rest file and reports a failed write. */
static int
close_rest(FILE *f, const char *path)
{
    if (f == NULL)
        return EV_EXIT_OK;
    bool bad = fflush(f) != 0 || ferror(f);
    int saved = errno;
    if (fclose(f) != 0 && !bad) {
        bad = true;
        saved = errno;
    }
    if (!bad)
        return EV_EXIT_OK;
    ev_diag_warn("cannot write '%s': %s", path, strerror(saved ? saved : EIO));
    return EV_EXIT_TROUBLE;
}

/* split runs a split and reports it. */
static int
split(options *o, char **paths, int npaths)
{
    ev_split_result r;
    if (o->rest != NULL) {
        o->split.rest = fopen(o->rest, "w");
        if (o->split.rest == NULL)
            ev_diag_die(EV_EXIT_TROUBLE, "cannot open '%s': %s", o->rest, strerror(errno));
        setvbuf(o->split.rest, NULL, _IOFBF, 1 << 16);
    }
    int status = ev_split_run(&o->split, paths, npaths, &r) ? EV_EXIT_TROUBLE : EV_EXIT_OK;
    if (!ev_interrupt_pending())
        report(o, &r);
    ev_strata_free(r.strata);
    if (close_rest(o->split.rest, o->rest) != EV_EXIT_OK)
        status = EV_EXIT_TROUBLE;
    if (ev_diag_close_stdout() != EV_EXIT_OK)
        status = EV_EXIT_TROUBLE;
    return ev_interrupt_status(status);
}

int
main(int argc, char **argv)
{
    options o = {.split = {.threshold = 0.8, .out = stdout, .log = &warnings},
                 .check = {.threshold = 0.8, .out = stdout, .log = &warnings}};
    ev_cli c;
    int k;

    ev_cli_init(&c, opts, (int)(sizeof(opts) / sizeof(opts[0])), argc, argv);
    while ((k = ev_cli_next(&c)) != -1) {
        switch (k) {
        case OPT_CHECK:
            set_mode(&o, "--check", EV_SPLIT_DEDUPE);
            o.check.train = c.text;
            break;
        case 'd':
            o.split.dedupe = true;
            break;
        case 'h':
            usage(stdout);
            ev_cli_free(&c);
            return ev_diag_close_stdout();
        case 'q':
            o.quiet = true;
            break;
        case 'r':
            set_mode(&o, "--ratio", EV_SPLIT_RATIO);
            o.split.ratio = c.real;
            break;
        case OPT_REST:
            o.rest = c.text;
            break;
        case OPT_SEED:
            o.split.seed = (uint64_t)c.integer;
            o.seed_given = true;
            break;
        case OPT_SHARD:
            set_mode(&o, "--shard", EV_SPLIT_SHARD);
            parse_shard(&o.split, c.text);
            break;
        case OPT_STRATIFY:
            o.split.stratify = true;
            break;
        case 't':
            set_mode(&o, "--take", EV_SPLIT_TAKE);
            o.split.take = c.integer;
            break;
        case OPT_THRESHOLD:
            o.check.threshold = o.split.threshold = c.real;
            o.threshold_given = true;
            break;
        default: /* 'V' */
            ev_diag_version();
        }
    }
    ev_cli_free(&c);
    validate(&o, argv + optind, argc - optind);
    ev_text_locale();
    ev_jsonl_output_setup();
    ev_interrupt_catch();
    if (o.check.train != NULL)
        return check(&o, argv + optind, argc - optind);
    return split(&o, argv + optind, argc - optind);
}
