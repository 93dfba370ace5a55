/*
 * cli.h: range-checked numbers from the command line.
 *
 * Each parser accepts the whole string or nothing: "12x", "", " 1" and values
 * outside [lo, hi] fail. They return true and set '*out' on success, and leave
 * '*out' alone on failure. The caller reports the error.
 */
#ifndef EV_CLI_H
#define EV_CLI_H

#include <stdbool.h>

bool ev_parse_long(const char *s, long lo, long hi, long *out);
bool ev_parse_double(const char *s, double lo, double hi, double *out);

/* How a report is printed (DESIGN.md): a table on a terminal and one JSON
 * object otherwise, unless --format chooses. */
enum ev_format {
    EV_FORMAT_AUTO,
    EV_FORMAT_TABLE,
    EV_FORMAT_JSON,
    EV_FORMAT_MARKDOWN,
    EV_FORMAT_TSV,
};

/* ev_parse_format reads a --format value. Only the first 'n' of table, json,
 * markdown and tsv are accepted: 2 for a tool that prints table or json, 4
 * for one that prints all four. */
bool ev_parse_format(const char *s, int n, enum ev_format *out);

/* ev_format_resolve turns EV_FORMAT_AUTO into a table when standard output
 * is a terminal and JSON when it is not; any other format stays. */
enum ev_format ev_format_resolve(enum ev_format f);

#endif
