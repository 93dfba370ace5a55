#include "pattern.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "reason.h"

#define PATTERN_DEPTH 64 /* groups nested deeper are refused */

/* bracket_end returns the end of the bracket expression whose '[' is just
 * before 'p': past its ']', or at the NUL when it has none. */
static const char *
bracket_end(const char *p)
{
    if (*p == '^')
        p++;
    if (*p == ']')
        p++;
    while (*p != '\0' && *p != ']') {
        /* "[:alpha:]", "[.a.]" and "[=a=]" may hold a ']' */
        const char *q = NULL;
        if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
            const char end[] = {p[1], ']', '\0'};
            q = strstr(p + 2, end);
        }
        p = q != NULL ? q + 2 : p + 1;
    }
    return *p == ']' ? p + 1 : p;
}

double
ev_pattern_pieces(const char *p, bool *stacked, bool *backref)
{
    bool after_repetition = false;
    *stacked = false;
    *backref = false;
    /* Per open group: the pieces so far, and those of its last atom, which
     * a repetition multiplies. */
    double sum[PATTERN_DEPTH] = {0}, last[PATTERN_DEPTH] = {0};
    int d = 0;
    while (*p != '\0') {
        char c = *p++;
        double times = -1;
        if (c == '*' || c == '?') {
            times = 1;
        } else if (c == '+') {
            times = 2;
        } else if (c == '{' && (isdigit((unsigned char)*p) || *p == ',')) {
            /* glibc reads "{,n}" as "{0,n}" */
            char *end = (char *)p;
            double m = *p == ',' ? 0 : (double)strtoul(p, &end, 10), n = m;
            if (*end == ',') {
                end++;
                n = isdigit((unsigned char)*end) ? (double)strtoul(end, &end, 10) : m + 1;
            }
            if (*end == '}') {
                times = fmax(fmax(m, n), 1);
                p = end + 1;
            }
        }
        *stacked = *stacked || (times >= 0 && after_repetition);
        after_repetition = times >= 0;
        if (times >= 0) {
            sum[d] += last[d] * (times - 1) + 1;
            last[d] *= times;
        } else if (c == '(') {
            if (++d == PATTERN_DEPTH)
                return INFINITY;
            sum[d] = last[d] = 0;
        } else if (c == ')' && d > 0) {
            d--;
            last[d] = fmax(sum[d + 1], 1);
            sum[d] += last[d];
        } else if (c == '|') {
            last[d] = 0;
        } else {
            if (c == '\\' && *p >= '1' && *p <= '9')
                *backref = true;
            if (c == '\\' && *p != '\0')
                p++;
            else if (c == '[')
                p = bracket_end(p);
            sum[d] += 1;
            last[d] = 1;
        }
    }
    for (; d > 0; d--)
        sum[d - 1] += fmax(sum[d], 1);
    return sum[0];
}

ev_pattern *
ev_pattern_new(const char *text, jv *err)
{
    bool stacked, backref;
    char c1[EV_REASON_CLIP_SIZE];
    double pieces = ev_pattern_pieces(text, &stacked, &backref);
    if (pieces > EV_PATTERN_MAX_PIECES) {
        *err = jv_invalid_with_msg(
            ev_reason_fmt("bad regex '%s': too many repetitions, over %d pieces written out",
                          ev_reason_clip(text, c1), EV_PATTERN_MAX_PIECES));
        return NULL;
    }
    if (stacked) {
        *err = jv_invalid_with_msg(ev_reason_fmt(
            "bad regex '%s': a repetition ('*', '+', '?' or '{}') follows another; POSIX "
            "leaves that undefined (and has no lazy '*?'): group what is repeated, as in "
            "'(a*)?'",
            ev_reason_clip(text, c1)));
        return NULL;
    }
    if (backref) {
        *err = jv_invalid_with_msg(
            ev_reason_fmt("bad regex '%s': back-references ('\\1' to '\\9') are refused: "
                          "matching them can take time that grows exponentially with the output",
                          ev_reason_clip(text, c1)));
        return NULL;
    }
    ev_pattern *pat = ev_alloc(sizeof(*pat));
    pat->pieces = pieces;
    int rc = regcomp(&pat->re, text, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char why[256];
        regerror(rc, &pat->re, why, sizeof(why));
        why[0] = (char)tolower((unsigned char)why[0]);
        free(pat);
        *err =
            jv_invalid_with_msg(ev_reason_fmt("bad regex '%s': %s", ev_reason_clip(text, c1), why));
        return NULL;
    }
    return pat;
}

ev_pattern *
ev_pattern_cached(ev_memo *memo, const char *text, bool *own, jv *err)
{
    ev_pattern *pat = ev_memo_get(memo, text);
    *own = false;
    if (pat != NULL)
        return pat;
    if ((pat = ev_pattern_new(text, err)) != NULL)
        *own = !ev_memo_put(memo, text, pat);
    return pat;
}

bool
ev_pattern_match(const ev_pattern *p, const char *text)
{
    return regexec(&p->re, text, 0, NULL, 0) == 0;
}

double
ev_pattern_cost(const ev_pattern *p, size_t len)
{
    double n = (double)len;
    return n * n * (p->pieces + 1);
}

void
ev_pattern_free(void *p)
{
    ev_pattern *pat = p;
    if (pat == NULL)
        return;
    regfree(&pat->re);
    free(pat);
}
