/*
 * cli.h: the command line: option tables, and range-checked numbers.
 *
 * Each parser accepts the whole string or nothing: "12x", "", " 1" and values
 * outside [lo, hi] fail. They return true and set '*out' on success, and leave
 * '*out' alone on failure. The caller reports the error.
 */
#ifndef EV_CLI_H
#define EV_CLI_H

#include <stdbool.h>

bool ev_cli_parse_long(const char *s, long lo, long hi, long *out);
bool ev_cli_parse_double(const char *s, double lo, double hi, double *out);

/* How a report is printed (DESIGN.md): a table on a terminal and one JSON
 * object otherwise, unless --format chooses. */
enum ev_cli_format {
    EV_CLI_FORMAT_AUTO,
    EV_CLI_FORMAT_TABLE,
    EV_CLI_FORMAT_JSON,
    EV_CLI_FORMAT_MARKDOWN,
    EV_CLI_FORMAT_TSV,
};

/* ev_cli_parse_format reads a --format value. Only the first 'n' of table, json,
 * markdown and tsv are accepted: 2 for a tool that prints table or json, 4
 * for one that prints all four. */
bool ev_cli_parse_format(const char *s, int n, enum ev_cli_format *out);

/* ev_cli_format_resolve turns EV_CLI_FORMAT_AUTO into a table when standard output
 * is a terminal and JSON when it is not; any other format stays. */
enum ev_cli_format ev_cli_format_resolve(enum ev_cli_format f);

/* --- the option table ---------------------------------------------------
 *
 * A command lists its options as data, sorted by long name, and reads them
 * with ev_cli_next, which parses and range-checks every number, and ends the
 * program with a usage error (status 2, with the hint "try 'prog --help'")
 * for an unknown option, a missing value or a number out of range. An
 * unknown option gets the nearest known one as a suggestion, as git does.
 */

/* What an option takes. */
enum ev_cli_arg {
    EV_CLI_ARG_NONE, /* a flag */
    EV_CLI_ARG_TEXT, /* any text: ev_cli.text */
    EV_CLI_ARG_INT,  /* a whole number in [lo, hi]: ev_cli.integer */
    EV_CLI_ARG_REAL, /* a number in [lo, hi], or (lo, hi] when 'above': ev_cli.real */
};

typedef struct ev_cli_opt {
    const char *name; /* the long name, without "--" */
    int key;          /* the short option's letter, or a code of 256 and above */
    enum ev_cli_arg arg;
    double lo, hi; /* the range of a number, both ends included */
    bool above;    /* the range excludes 'lo': a number above it */
} ev_cli_opt;

/* The state of a walk over the command line, and the value of the option
 * last returned. */
typedef struct ev_cli {
    const ev_cli_opt *opts;
    int nopts;
    int argc;
    char **argv;
    void *longopts;   /* struct option[], built from 'opts' */
    char *shortopts;  /* the getopt string, built from 'opts' */
    const char *text; /* the option's value as written, or NULL for a flag */
    long integer;     /* EV_CLI_ARG_INT's value */
    double real;      /* EV_CLI_ARG_REAL's value (and EV_CLI_ARG_INT's, as a double) */
} ev_cli;

/* ev_cli_init prepares to read 'argv' against the 'nopts' options of 'opts'
 * (borrowed; they must outlive the walk). */
void ev_cli_init(ev_cli *c, const ev_cli_opt *opts, int nopts, int argc, char **argv);

/* ev_cli_next returns the key of the next option, with its value in 'c', or
 * -1 when the options end; the operands then start at 'optind'. A bad
 * option is a usage error and does not return. */
int ev_cli_next(ev_cli *c);

/* ev_cli_free releases what ev_cli_init built. */
void ev_cli_free(ev_cli *c);

#endif
