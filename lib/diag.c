#include "diag.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "ev.h"

static void vwarn_prefixed(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static void
vwarn_prefixed(const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", program_invocation_short_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

/* Kinds of messages about lines, beyond which each message is printed. */
#define KINDS_MAX 64

/* A kind of message about lines, and how many of it were not printed. */
typedef struct kind {
    char *key;
    unsigned long shown, hidden;
    char *last; /* the position of the last one printed */
} kind;

static kind kinds[KINDS_MAX];
static int nkinds;
static pthread_mutex_t kinds_lock =
    PTHREAD_MUTEX_INITIALIZER; /* ev_diag_warn may come from any thread */

/* position_len returns the length of the position that starts 'm',
 * "file:line: " with its colon and blank, or 0 when it has none. */
static size_t
position_len(const char *m)
{
    for (const char *c = strchr(m, ':'); c != NULL; c = strchr(c + 1, ':')) {
        const char *d = c + 1;
        while (*d >= '0' && *d <= '9')
            d++;
        if (d > c + 1 && d[0] == ':' && d[1] == ' ')
            return (size_t)(d + 2 - m);
    }
    return 0;
}

/* key_of returns what makes messages alike: 'm' without its quoted texts,
 * and with each run of digits as '#'. */
static char *
key_of(const char *m)
{
    char *k = ev_alloc(strlen(m) + 1), *o = k;
    bool quoted = false;
    for (; *m != '\0'; m++) {
        if (*m == '\'') {
            quoted = !quoted;
            *o++ = '\'';
        } else if (quoted) {
            continue;
        } else if (*m >= '0' && *m <= '9') {
            *o++ = '#';
            while (m[1] >= '0' && m[1] <= '9')
                m++;
        } else {
            *o++ = *m;
        }
    }
    *o = '\0';
    return k;
}

/* shown_or_counted says whether the message 'm' is to be printed, and
 * counts it when it is not. */
static bool
shown_or_counted(const char *m)
{
    size_t pos = position_len(m);
    if (pos == 0)
        return true;
    char *key = key_of(m + pos);
    kind *k = NULL;
    for (int i = 0; i < nkinds && k == NULL; i++)
        if (strcmp(kinds[i].key, key) == 0)
            k = &kinds[i];
    if (k == NULL && nkinds == KINDS_MAX) {
        free(key);
        return true;
    }
    if (k == NULL) {
        if (nkinds == 0)
            atexit(ev_diag_flush);
        k = &kinds[nkinds++];
        k->key = key;
    } else {
        free(key);
    }
    if (k->shown == EV_DIAG_SHOWN) {
        k->hidden++;
        return false;
    }
    k->shown++;
    free(k->last);
    k->last = ev_alloc_strndup(m, pos - 2);
    return true;
}

void
ev_diag_warn(const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *m = ev_alloc(n > 0 ? (size_t)n + 1 : 1);
    vsnprintf(m, n > 0 ? (size_t)n + 1 : 1, fmt, again);
    va_end(again);
    pthread_mutex_lock(&kinds_lock);
    if (shown_or_counted(m))
        fprintf(stderr, "%s: %s\n", program_invocation_short_name, m);
    pthread_mutex_unlock(&kinds_lock);
    free(m);
}

const char *
ev_diag_count(unsigned long n, char *buf, size_t size)
{
    char digits[24];
    int len = snprintf(digits, sizeof(digits), "%lu", n);
    size_t o = 0;
    for (int i = 0; i < len && o + 1 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0 && o + 2 < size)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

void
ev_diag_flush(void)
{
    pthread_mutex_lock(&kinds_lock);
    for (int i = 0; i < nkinds; i++) {
        kind *k = &kinds[i];
        if (k->hidden == 0)
            continue;
        char count[32];
        fprintf(stderr, "%s: and %s more line%s like %s\n", program_invocation_short_name,
                ev_diag_count(k->hidden, count, sizeof(count)), k->hidden == 1 ? "" : "s", k->last);
        k->hidden = 0;
    }
    pthread_mutex_unlock(&kinds_lock);
}

void
ev_diag_warn_jv(jv msg)
{
    if (jv_get_kind(msg) == JV_KIND_INVALID)
        msg = jv_invalid_get_msg(msg);
    if (jv_get_kind(msg) == JV_KIND_STRING)
        ev_diag_warn("%s", jv_string_value(msg));
    else
        ev_diag_warn("unknown error");
    jv_free(msg);
}

_Noreturn void
ev_diag_die(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn_prefixed(fmt, ap);
    va_end(ap);
    exit(status);
}

_Noreturn void
ev_diag_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn_prefixed(fmt, ap);
    va_end(ap);
    fprintf(stderr, "try '%s --help'\n", program_invocation_short_name);
    exit(EV_EXIT_TROUBLE);
}

/* The input line being worked on, for ev_diag_out_of_memory. */
static const char *where_name;
static unsigned long where_line;

void
ev_diag_position(const char *name, unsigned long line)
{
    where_name = name;
    where_line = line;
}

_Noreturn void
ev_diag_out_of_memory(void)
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
ev_diag_version(void)
{
    printf("%s (ev) %s\n", program_invocation_short_name, EV_VERSION);
    exit(ev_diag_close_stdout());
}

int
ev_diag_close_stdout(void)
{
    int bad = fflush(stdout) != 0 || ferror(stdout);
    int saved = errno;
    if (fclose(stdout) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        ev_diag_warn("cannot write standard output: %s", strerror(saved ? saved : EIO));
        return EV_EXIT_TROUBLE;
    }
    return EV_EXIT_OK;
}
