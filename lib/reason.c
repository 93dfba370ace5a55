#include "reason.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *
ev_reason_clip_to(const char *s, size_t max, char *buf, size_t size)
{
    size_t n = strnlen(s, max + 1);
    const char *dots = "";
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        dots = "...";
    }
    size_t o = 0;
    for (size_t i = 0; i < n && o + 2 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
        if (esc != NULL) {
            buf[o++] = esc[0];
            buf[o++] = esc[1];
        } else {
            buf[o++] = c < 0x20 || c == 0x7F ? '?' : (char)c;
        }
    }
    snprintf(buf + o, size - o, "%s", dots);
    return buf;
}

const char *
ev_reason_clip(const char *s, char buf[EV_REASON_CLIP_SIZE])
{
    return ev_reason_clip_to(s, EV_REASON_QUOTE_MAX, buf, EV_REASON_CLIP_SIZE);
}

const char *
ev_reason_show(jv v, char buf[EV_REASON_SHOW_SIZE])
{
    char c[EV_REASON_CLIP_SIZE];
    if (jv_get_kind(v) == JV_KIND_STRING) {
        snprintf(buf, EV_REASON_SHOW_SIZE, "'%s'", ev_reason_clip(jv_string_value(v), c));
    } else {
        jv j = jv_dump_string(jv_copy(v), 0);
        snprintf(buf, EV_REASON_SHOW_SIZE, "%s", ev_reason_clip(jv_string_value(j), c));
        jv_free(j);
    }
    return buf;
}

jv
ev_reason_fmt(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return jv_string(buf);
}

const char *
ev_reason_plural(int n)
{
    return n == 1 ? "" : "s";
}

const char *
ev_reason_others(int others, char buf[EV_REASON_OTHERS_SIZE])
{
    if (others == 0)
        return "";
    snprintf(buf, EV_REASON_OTHERS_SIZE, " or %d other%s", others, ev_reason_plural(others));
    return buf;
}
