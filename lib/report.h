/*
 * report.h: the cells of the reports that ev-compare, ev-curve, ev-gaps,
 * ev-cost and ev-call's progress line print, formatted in one place so the
 * same figure reads the same in every tool.
 *
 * Each function writes into 'buf' (of 'n' bytes, cut to fit) and returns
 * it. A missing figure (NaN) is written "-".
 */
#ifndef EV_REPORT_H
#define EV_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "cli.h"

/* ev_report_pct writes a proportion as a percentage: 0.6123 is "61.2%". */
const char *ev_report_pct(double x, char *buf, size_t n);

/* ev_report_ci_pct writes an interval of proportions in percent:
 * "[50.1, 69.3]"; "-" when either end is missing. */
const char *ev_report_ci_pct(double lo, double hi, char *buf, size_t n);

/* ev_report_points writes a difference of proportions in signed
 * percentage points: -0.021 is "-2.1". */
const char *ev_report_points(double x, char *buf, size_t n);

/* ev_report_fixed writes 'x' with 'decimals' decimals. */
const char *ev_report_fixed(double x, int decimals, char *buf, size_t n);

/* ev_report_raw writes 'x' as it is, to 9 significant digits, for a
 * machine to read (TSV): 0.502003 is "0.502003"; a missing figure is an
 * empty cell, "". */
const char *ev_report_raw(double x, char *buf, size_t n);

/* ev_report_money writes an amount with 'decimals' places, or, with 0, as
 * it is to 1e-9 (ev_price_money) with trailing zeros cut: 0.0042, 12. */
const char *ev_report_money(double x, int decimals, char *buf, size_t n);

/* ev_report_count writes a count short: 950, 12.3k, 4.5M. */
const char *ev_report_count(double x, char *buf, size_t n);

/* ev_report_duration writes seconds as 42s, 3m07s or 2h05m. */
const char *ev_report_duration(double s, char *buf, size_t n);

/* ev_report_row writes the 'n' cells of one row of a report to 'f': for a
 * terminal, the first left-aligned in widths[0] columns and the rest
 * right-aligned in theirs; between pipes for markdown; between tabs for
 * TSV ('widths' may then be NULL). */
void ev_report_row(FILE *f, enum ev_cli_format fmt, const char *const *cells, int n,
                   const int *widths);

/* ev_report_header writes a header row as ev_report_row does, and under it,
 * for markdown, the line that makes it a table's header: the first column
 * aligned left, the others right. */
void ev_report_header(FILE *f, enum ev_cli_format fmt, const char *const *cells, int n,
                      const int *widths);

#endif
