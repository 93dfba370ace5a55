#include "report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "price.h"

static const char *
missing(char *buf, size_t n)
{
    snprintf(buf, n, "-");
    return buf;
}

const char *
ev_report_pct(double x, char *buf, size_t n)
{
    if (isnan(x))
        return missing(buf, n);
    snprintf(buf, n, "%.1f%%", 100 * x);
    return buf;
}

const char *
ev_report_ci_pct(double lo, double hi, char *buf, size_t n)
{
    if (isnan(lo) || isnan(hi))
        return missing(buf, n);
    snprintf(buf, n, "[%.1f, %.1f]", 100 * lo, 100 * hi);
    return buf;
}

const char *
ev_report_points(double x, char *buf, size_t n)
{
    if (isnan(x))
        return missing(buf, n);
    snprintf(buf, n, "%+.1f", 100 * x);
    return buf;
}

const char *
ev_report_fixed(double x, int decimals, char *buf, size_t n)
{
    if (isnan(x))
        return missing(buf, n);
    snprintf(buf, n, "%.*f", decimals, x);
    return buf;
}

const char *
ev_report_raw(double x, char *buf, size_t n)
{
    if (isnan(x))
        snprintf(buf, n, "%s", "");
    else
        snprintf(buf, n, "%.9g", x);
    return buf;
}

const char *
ev_report_money(double x, int decimals, char *buf, size_t n)
{
    if (isnan(x))
        return missing(buf, n);
    if (decimals > 0) {
        snprintf(buf, n, "%.*f", decimals, x);
        return buf;
    }
    snprintf(buf, n, "%.9f", ev_price_money(x));
    char *dot = strchr(buf, '.');
    if (dot != NULL) {
        char *end = buf + strlen(buf);
        while (end > dot + 1 && end[-1] == '0')
            *--end = '\0';
        if (end == dot + 1)
            *dot = '\0';
    }
    if (strcmp(buf, "-0") == 0)
        snprintf(buf, n, "0");
    return buf;
}

const char *
ev_report_count(double x, char *buf, size_t n)
{
    if (isnan(x))
        return missing(buf, n);
    if (x >= 1e6)
        snprintf(buf, n, "%.1fM", x / 1e6);
    else if (x >= 1e4)
        snprintf(buf, n, "%.1fk", x / 1e3);
    else
        snprintf(buf, n, "%.0f", x);
    return buf;
}

const char *
ev_report_duration(double s, char *buf, size_t n)
{
    if (isnan(s))
        return missing(buf, n);
    long t = lround(s);
    if (t >= 3600)
        snprintf(buf, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60)
        snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, n, "%lds", t);
    return buf;
}

void
ev_report_row(FILE *f, enum ev_cli_format fmt, const char *const *cells, int n, const int *widths)
{
    for (int i = 0; i < n; i++) {
        if (fmt == EV_CLI_FORMAT_TSV)
            fprintf(f, "%s%s", i ? "\t" : "", cells[i]);
        else if (fmt == EV_CLI_FORMAT_MARKDOWN)
            fprintf(f, "| %s ", cells[i]);
        else if (i == 0)
            fprintf(f, "%-*s", widths[0], cells[i]);
        else
            fprintf(f, " %*s", widths[i], cells[i]);
    }
    fputs(fmt == EV_CLI_FORMAT_MARKDOWN ? "|\n" : "\n", f);
}

void
ev_report_header(FILE *f, enum ev_cli_format fmt, const char *const *cells, int n,
                 const int *widths)
{
    ev_report_row(f, fmt, cells, n, widths);
    if (fmt != EV_CLI_FORMAT_MARKDOWN)
        return;
    fputs("|---", f);
    for (int i = 1; i < n; i++)
        fputs("|--:", f);
    fputs("|\n", f);
}
