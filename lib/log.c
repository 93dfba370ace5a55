#include "log.h"

#include <stdarg.h>
#include <stddef.h>

typedef void (*callback)(void *ctx, const char *line);

static void say(const ev_log *l, callback fn, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
say(const ev_log *l, callback fn, const char *fmt, va_list ap)
{
    if (fn == NULL)
        return;
    jv line = jv_string_vfmt(fmt, ap);
    fn(l->ctx, jv_string_value(line));
    jv_free(line);
}

void
ev_log_warn(const ev_log *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(l, l ? l->warn : NULL, fmt, ap);
    va_end(ap);
}

void
ev_log_progress(const ev_log *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(l, l ? l->progress : NULL, fmt, ap);
    va_end(ap);
}

static void
say_jv(const ev_log *l, callback fn, jv msg)
{
    if (jv_get_kind(msg) == JV_KIND_INVALID)
        msg = jv_invalid_get_msg(msg);
    if (fn != NULL)
        fn(l->ctx, jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "unknown error");
    jv_free(msg);
}

void
ev_log_warn_jv(const ev_log *l, jv msg)
{
    say_jv(l, l ? l->warn : NULL, msg);
}

void
ev_log_progress_jv(const ev_log *l, jv msg)
{
    say_jv(l, l ? l->progress : NULL, msg);
}
