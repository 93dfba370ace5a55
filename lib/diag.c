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

_Noreturn void
ev_out_of_memory(void)
{
    /* No allocation here: stderr is unbuffered. */
    fputs(program_invocation_short_name, stderr);
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
