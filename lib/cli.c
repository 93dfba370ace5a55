#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool
ev_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;

    if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
        return false;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool
ev_parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
        return false;
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v) || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool
ev_parse_format(const char *s, int n, enum ev_format *out)
{
    static const char *const names[] = {"table", "json", "markdown", "tsv"};
    for (int i = 0; i < n && i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum ev_format)(EV_FORMAT_TABLE + i);
            return true;
        }
    }
    return false;
}

enum ev_format
ev_format_resolve(enum ev_format f)
{
    if (f != EV_FORMAT_AUTO)
        return f;
    return isatty(STDOUT_FILENO) ? EV_FORMAT_TABLE : EV_FORMAT_JSON;
}
