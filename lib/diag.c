#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev.h"

static void vwarn_prefixed(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static void
vwarn_prefixed(const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", program_invocation_short_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void
ev_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn_prefixed(fmt, ap);
    va_end(ap);
}

void
ev_warn_jv(jv msg)
{
    if (jv_get_kind(msg) == JV_KIND_INVALID)
        msg = jv_invalid_get_msg(msg);
    if (jv_get_kind(msg) == JV_KIND_STRING)
        ev_warn("%s", jv_string_value(msg));
    else
        ev_warn("unknown error");
    jv_free(msg);
}

_Noreturn void
ev_die(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn_prefixed(fmt, ap);
    va_end(ap);
    exit(status);
}

_Noreturn void
ev_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn_prefixed(fmt, ap);
    va_end(ap);
    fprintf(stderr, "try '%s --help'\n", program_invocation_short_name);
    exit(EV_EXIT_TROUBLE);
}

/* The input line being worked on, for ev_out_of_memory. */
static const char *where_name;
static unsigned long where_line;

void
ev_diag_position(const char *name, unsigned long line)
{
    where_name = name;
    where_line = line;
}

_Noreturn void
ev_out_of_memory(void)
{
    /* No allocation here: stderr is unbuffered, and the line number is
     * printed by hand, since printf may allocate. */
    char num[24], *p = num + sizeof(num);
    fputs(program_invocation_short_name, stderr);
    if (where_name != NULL) {
        unsigned long n = where_line;
        *--p = '\0';
        do
            *--p = (char)('0' + n % 10);
        while ((n /= 10) > 0);
        fputs(": ", stderr);
        fputs(where_name, stderr);
        fputs(":", stderr);
        fputs(p, stderr);
    }
    fputs(": out of memory\n", stderr);
    exit(EV_EXIT_TROUBLE);
}

_Noreturn void
ev_print_version(void)
{
    printf("%s (ev) %s\n", program_invocation_short_name, EV_VERSION);
    exit(ev_close_stdout());
}

int
ev_close_stdout(void)
{
    int bad = fflush(stdout) != 0 || ferror(stdout);
    int saved = errno;
    if (fclose(stdout) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        ev_warn("cannot write standard output: %s", strerror(saved ? saved : EIO));
        return EV_EXIT_TROUBLE;
    }
    return EV_EXIT_OK;
}
