/*
 * cost_report.h: ev-cost's reports, as a person reads them: the summary of
 * a ledger and an estimate, as a table for a terminal, markdown, or TSV.
 *
 * Ownership: json.h.
 */
#ifndef EV_COST_REPORT_H
#define EV_COST_REPORT_H

#include <stdio.h>

#include <jv.h>

#include "cli.h"
#include "cost.h"

/* ev_cost_report_summary writes the summary of 'l' to 'out' in 'fmt' (table,
 * markdown or tsv): a row per model and one for the total, then, but in
 * TSV, what the figures leave out. */
void ev_cost_report_summary(FILE *out, const ev_cost_ledger *l, enum ev_cli_format fmt);

/* ev_cost_report_estimate writes the estimate 'est' (ev_cost_estimate_report)
 * to 'out' in 'fmt' (table, markdown or tsv). */
void ev_cost_report_estimate(FILE *out, jv est /* borrowed */, enum ev_cli_format fmt);

/* ev_cost_report_hosting writes the hosting report 'j'
 * (ev_cost_hosting_report) to 'out' in 'fmt' (table, markdown or tsv). */
void ev_cost_report_hosting(FILE *out, jv j /* borrowed */, enum ev_cli_format fmt);

#endif
