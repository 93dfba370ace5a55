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
 * EV_FORMAT_AUTO). */
void ev_compare_report_write(FILE *f, jv rep /* borrowed */, enum ev_format fmt);

#endif
