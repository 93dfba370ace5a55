/*
 * compare_report.h: ev-compare's report, as a person reads it.
 *
 * Ownership: json.h.
 *
 * The report is the JSON of ev_compare_runs (compare.h). It is written as
 * one line of JSON, as a table for a terminal, as markdown for notes and
 * pull requests, or as TSV; each format says the same things, and a figure
 * the report lacks reads "-" (an empty cell in TSV).
 */
#ifndef EV_COMPARE_REPORT_H
#define EV_COMPARE_REPORT_H

#include <stdio.h>

#include <jv.h>

#include "cli.h"

/* ev_compare_report_write writes 'rep' to 'f' in format 'fmt' (not
 * EV_CLI_FORMAT_AUTO). */
void ev_compare_report_write(FILE *f, jv rep /* borrowed */, enum ev_cli_format fmt);

/* ev_compare_report_pair writes one comparison of a report, 'c', as the
 * table (EV_CLI_FORMAT_TABLE) or markdown writes it: a blank line, the line
 * that names the runs and counts the paired cases, then a line for each
 * figure. A page that shows the report, such as ev-view's, says it in
 * ev-compare's words. */
void ev_compare_report_pair(FILE *f, jv c /* borrowed */, enum ev_cli_format fmt);

#endif
