/*
 * ev-score: check each record's output against its expected answer.
 *
 * Reads records (JSONL) and writes each one back with a 'score' field,
 * {pass, value, scorer, reason}, chosen by --scorer or by the record's own
 * 'assert'. A record whose call failed scores as a failure, never vanishes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "ev.h"
#include "jsonl.h"
#include "record.h"
#include "score.h"
#include "text.h"

static void
usage(FILE *f)
{
    fputs("usage: ev-score [-ipqw] [-s SPEC] [FILE ...]\n"
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
          "                        and any of them prefixed with 'not-'; with no\n"
          "                        TEXT or PATTERN, the record's 'expected' is used\n"
          "  -i, --ignore-case     fold case (exact, contains, starts-with, similar)\n"
          "  -w, --ignore-space    ignore surrounding and repeated white space (same)\n"
          "  -p, --ignore-punct    ignore punctuation (same)\n"
          "  -q, --quiet           no summary on standard error\n"
          "  -h, --help            show this help\n"
          "  -V, --version         show the version\n"
          "\n"
          "Exit status: 0 scored, 2 trouble (bad line, unreadable file, record that\n"
          "cannot be scored, failed write).\n"
          "See ev-score(1) and ev(7).\n",
          f);
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},         {"ignore-case", no_argument, NULL, 'i'},
        {"ignore-punct", no_argument, NULL, 'p'}, {"ignore-space", no_argument, NULL, 'w'},
        {"quiet", no_argument, NULL, 'q'},        {"scorer", required_argument, NULL, 's'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
    };
    ev_score_opts opts = {0};
    const char *spec = "exact";
    int quiet = 0, c;

    while ((c = getopt_long(argc, argv, "hipqs:wV", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
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
        default:
            fprintf(stderr, "try 'ev-score --help'\n");
            return EV_EXIT_TROUBLE;
        }
    }
    ev_text_locale();

    jv err;
    ev_scoring *sc = ev_scoring_new(jv_string(spec), &opts, &err);
    if (sc == NULL) {
        jv m = jv_invalid_get_msg(err);
        ev_warn("bad scorer '%s': %s", spec, jv_string_value(m));
        jv_free(m);
        fprintf(stderr, "try 'ev-score --help'\n");
        return EV_EXIT_TROUBLE;
    }

    ev_output_setup();
    ev_reader r;
    ev_reader_init(&r, argv + optind, argc - optind, stdout);
    int status = EV_EXIT_OK;
    unsigned long n = 0, passed = 0;
    jv rec;
    int rc;
    while ((rc = ev_reader_next(&r, &rec)) != EV_READ_EOF) {
        if (rc == EV_READ_BAD) {
            ev_warn_jv(rec);
            status = EV_EXIT_TROUBLE;
            continue;
        }
        jv score = ev_scoring_run(sc, rec);
        if (!jv_is_valid(score)) {
            jv m = jv_invalid_get_msg(score);
            jv where = ev_reader_where(&r);
            ev_warn("%s: cannot score record: %s", jv_string_value(where), jv_string_value(m));
            jv_free(where);
            jv_free(m);
            jv_free(rec);
            status = EV_EXIT_TROUBLE;
            continue;
        }
        n++;
        jv pass = jv_object_get(jv_copy(score), jv_string("pass"));
        passed += jv_get_kind(pass) == JV_KIND_TRUE;
        jv_free(pass);
        int wrote =
            ev_write_merged(stdout, &r, rec, jv_object_set(jv_object(), jv_string("score"), score));
        if (wrote != 0)
            break;
    }
    ev_reader_free(&r);
    ev_scoring_free(sc);
    if (!quiet && n > 0)
        fprintf(stderr, "ev-score: %lu records, %lu passed (%.1f%%)\n", n, passed,
                100.0 * (double)passed / (double)n);
    if (ev_close_stdout() != EV_EXIT_OK)
        status = EV_EXIT_TROUBLE;
    return status;
}
