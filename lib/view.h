/*
 * view.h: the review page of ev-view: scored runs side by side in one
 * self-contained HTML file, for a person to read and label.
 *
 * Ownership: json.h.
 *
 * The page's data is one JSON object (ev-view(1) describes it):
 *   summary  what 'ev-compare [--goal G] BASELINE RUN...' reports in JSON
 *            (or 'ev-compare RUN...' without a baseline), from the same
 *            library code (compare.h), without its lists of regressed and
 *            fixed ids, which the cases carry;
 *   cells    the runs' rows as ev-compare's table prints them, and each
 *            comparison in its table's words: its heading and a line per
 *            figure, written by compare_report.h;
 *   tags     per candidate run, cases, failures, failure kinds and
 *            regressions per tag, counted as 'ev-gaps --summary' counts
 *            them (gaps.h: per record, a record without tags under
 *            "(untagged)");
 *   curve    an ev-curve JSON report reduced to what its chart shows
 *            (curvefile.h), or null;
 *   cases    every case once, in the order the runs first name it: its
 *            input, expected answer and tags, what each run (and the
 *            baseline) answered, and against the baseline whether it
 *            regressed, was fixed, or passes or fails in both;
 *   key      a hash of every line of every run, which keys the reviewer's
 *            labels in the browser's storage.
 * The page itself is lib/view.html with lib/view.css and lib/view.js, made
 * into the array ev_view_page by scripts/embed-page at build time.
 */
#ifndef EV_VIEW_H
#define EV_VIEW_H

#include <stddef.h>
#include <stdio.h>

#include <jv.h>

#include "compare.h"
#include "run.h"

/* The page, with the marker EV_VIEW_MARKER where its data goes. */
extern const unsigned char ev_view_page[];
extern const size_t ev_view_page_len;
#define EV_VIEW_MARKER "@EV_DATA@"

typedef struct ev_view_opts {
    const char *baseline;      /* a scored run, or NULL */
    const char *curve;         /* an ev-curve JSON report, or NULL */
    enum ev_compare_goal goal; /* the verdict the summary gives, as ev-compare --goal */
    double margin;             /* for EV_COMPARE_GOAL_MATCH */
} ev_view_opts;

/* ev_view_data reads the 'n' scored runs at 'paths' (borrowed; "-" is
 * standard input, for one run at most, the baseline included) and returns
 * the page's data. Each problem, a bad line or record as ev_run_load finds
 * it or an unreadable curve report, goes to 'report' and adds one to
 * '*problems'; the page leaves that record, or the chart, out. Returns
 * invalid, with nothing more to report, when a run cannot be read at all
 * or the input was interrupted. */
jv ev_view_data(char **paths, int n, const ev_view_opts *o, ev_run_problem report, void *ctx,
                int *problems);

/* ev_view_write writes the page with 'data' (consumed) to 'out'. Returns 0,
 * or -1 when 'out' has an error. */
int ev_view_write(FILE *out, jv data);

#endif
