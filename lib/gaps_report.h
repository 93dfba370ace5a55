/*
 * gaps_report.h: the report of ev-gaps --summary, printed.
 *
 * The summary (ev_gaps_summary) as a table lined up for a terminal, as
 * Markdown, as TSV, or as one JSON object, with its cells from report.h;
 * and the sentence that says what a reviewer's labels changed.
 * Ownership: json.h.
 */
#ifndef EV_GAPS_REPORT_H
#define EV_GAPS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <jv.h>

#include "cli.h"

/* ev_gaps_report_print writes the summary 'rep' to 'out' as a table,
 * Markdown or TSV ('f', resolved), or as one JSON object; with
 * 'regressions', the tables have their column. When 'rep' has 'labels', a
 * table and Markdown end with the sentence of ev_gaps_report_labels.
 * Returns 0, or -1 when 'out' fails. */
int ev_gaps_report_print(FILE *out, jv rep, enum ev_cli_format f, bool regressions);

/* ev_gaps_report_labels says what the 'labels' (ev_gaps_labels's) changed,
 * in one sentence. */
jv ev_gaps_report_labels(jv labels);

#endif
