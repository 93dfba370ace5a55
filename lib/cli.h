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

#endif
