#include "ratelimit.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* number reads a decimal number with an optional fraction ("12", "1.5",
 * ".5", "3.") at '*s' and advances past it. */
static bool
number(const char **s, double *out)
{
    const char *p = *s;
    double v = 0, scale = 1;
    bool digits = false;

    while (isdigit((unsigned char)*p)) {
        v = v * 10 + (*p++ - '0');
        digits = true;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            scale /= 10;
            v += (*p++ - '0') * scale;
            digits = true;
        }
    }
    if (!digits)
        return false;
    *s = p;
    *out = v;
    return true;
}

bool
ev_ratelimit_go_duration(const char *s, double *secs)
{
    static const struct {
        const char *name;
        double secs;
    } units[] = {
        /* Longest first, so "ms" is not read as "m". */
        {"ns", 1e-9}, {"us", 1e-6}, {"\xC2\xB5s", 1e-6}, {"\xCE\xBCs", 1e-6},
        {"ms", 1e-3}, {"s", 1},     {"m", 60},           {"h", 3600},
    };
    const char *p = s;
    double total = 0, v;

    if (s == NULL)
        return false;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '+')
        p++;
    if (!number(&p, &v))
        return false;
    const char *end = p;
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end == '\0') {
        /* A bare number: seconds (Go itself accepts only "0"). */
        if (!isfinite(v))
            return false;
        *secs = v;
        return true;
    }
    for (;;) {
        size_t k = 0, n = sizeof(units) / sizeof(units[0]);
        while (k < n && strncmp(p, units[k].name, strlen(units[k].name)) != 0)
            k++;
        if (k == n)
            return false;
        total += v * units[k].secs;
        p += strlen(units[k].name);
        if (*p == '\0' || *p == ' ' || *p == '\t')
            break;
        if (!number(&p, &v))
            return false;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '\0' || !isfinite(total))
        return false;
    *secs = total;
    return true;
}

/* digits reads exactly 'n' digits at '*s'. */
static bool
digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*s)[i]))
            return false;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return true;
}

bool
ev_ratelimit_rfc3339(const char *s, double *epoch)
{
    struct tm tm = {0};
    int y, mo, d, h, mi, sec, oh = 0, om = 0;
    double frac = 0;
    const char *p = s;

    if (s == NULL)
        return false;
    while (*p == ' ')
        p++;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d))
        return false;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return false;
    p++;
    if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) || *p++ != ':' ||
        !digits(&p, 2, &sec))
        return false;
    if (*p == '.') {
        double scale = 1;
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p)) {
            scale /= 10;
            frac += (*p++ - '0') * scale;
        }
    }
    int sign = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '+' ? 1 : -1;
        if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om))
            return false;
    } else {
        return false;
    }
    while (*p == ' ')
        p++;
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
        oh > 23 || om > 59)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return false;
    *epoch = (double)t + frac - sign * (oh * 3600.0 + om * 60.0);
    return true;
}

/* plain_number reads a whole header value as a finite number. */
static bool
plain_number(const char *s, double *out)
{
    char *end;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '\0')
        return false;
    errno = 0;
    double v = strtod(s, &end);
    while (*end == ' ' || *end == '\t')
        end++;
    if (errno != 0 || *end != '\0' || !isfinite(v))
        return false;
    *out = v;
    return true;
}

double
ev_ratelimit_retry_after(const char *ms, const char *secs, double now,
                         ev_ratelimit_date_parser date)
{
    double v;
    if (ms != NULL && plain_number(ms, &v) && v >= 0)
        return v / 1000.0;
    if (secs == NULL)
        return -1;
    if (plain_number(secs, &v))
        return v < 0 ? -1 : v;
    if (date != NULL) {
        time_t t = date(secs);
        if (t != (time_t)-1)
            return (double)t - now;
    }
    return -1;
}

double
ev_ratelimit_backoff(int n, double u)
{
    double d = n >= 5 ? 8.0 : 0.5 * (double)(1 << n);
    if (d > 8.0)
        d = 8.0;
    return d * (1.0 - 0.25 * u);
}

void
ev_ratelimit_pacer_init(ev_ratelimit_pacer *p, double per_minute, double margin)
{
    p->rate = per_minute > 0 ? per_minute * margin / 60.0 : 0;
    p->next = -1e300;
    /* Catch up by at most a twentieth of a second or one start's worth. */
    p->slack = p->rate > 0 ? fmin(0.05, 1.0 / p->rate) : 0;
}

double
ev_ratelimit_pacer_wait(const ev_ratelimit_pacer *p, double now)
{
    if (p->rate <= 0 || now >= p->next)
        return 0;
    return p->next - now;
}

void
ev_ratelimit_pacer_take(ev_ratelimit_pacer *p, double now, double units)
{
    if (p->rate <= 0)
        return;
    /* On time or a little late: keep the schedule. Later than the slack
     * (idle): start a new schedule from now, with no credit for the gap. */
    double from = now - p->next <= p->slack ? p->next : now;
    p->next = from + units / p->rate;
}

void
ev_ratelimit_quota_observe(ev_ratelimit_quota *q, double now, double seq, double remaining,
                           double reset, double started_after)
{
    if (q->known && seq < q->seq)
        return; /* older news than what is applied */
    if (remaining < 0) {
        q->known = false; /* the server no longer describes this limit */
        q->seq = seq;
        q->probe_at = 0; /* nor is a probe still waiting for news */
        return;
    }
    double level = remaining - started_after;
    /* Requests on parallel connections reach the server in no fixed order,
     * so a later one may report more room than is left. Room comes back at
     * the reset time the server named: until then the level only falls. */
    if (q->known && level > q->level && now < q->reset_at)
        level = q->level;
    else
        q->reset_at = now + (reset > 0 ? reset : 0);
    q->known = true;
    q->seq = seq;
    q->level = level;
    if (level > 0)
        q->probe_at = 0; /* room: the probing is over */
}

double
ev_ratelimit_quota_wait(const ev_ratelimit_quota *q, double now, double units)
{
    if (!q->known || q->level >= units)
        return 0;
    double at = q->reset_at > q->probe_at ? q->reset_at : q->probe_at;
    return now >= at ? 0 : at - now;
}

void
ev_ratelimit_quota_take(ev_ratelimit_quota *q, double now, double units)
{
    if (!q->known)
        return;
    if (q->level >= units) {
        q->level -= units;
        return;
    }
    /* A probe: no room was reported, but the reset time has passed. The
     * next start waits for its answer, or for the probe gap. */
    q->level = 0;
    q->probe_at = now + EV_RATELIMIT_PROBE_GAP;
}

void
ev_ratelimit_aimd_init(ev_ratelimit_aimd *a, int max)
{
    a->max = max < 1 ? 1 : max;
    a->cap = a->max;
    a->ok = 0;
    a->last_cut = -1e300;
}

void
ev_ratelimit_aimd_success(ev_ratelimit_aimd *a)
{
    if (a->cap >= a->max)
        return;
    if (++a->ok >= a->cap) {
        a->cap++;
        a->ok = 0;
    }
}

bool
ev_ratelimit_aimd_overload(ev_ratelimit_aimd *a, double started, double now)
{
    a->ok = 0;
    if (started < a->last_cut)
        return false;
    a->cap = a->cap / 2 < 1 ? 1 : a->cap / 2;
    a->last_cut = now;
    return true;
}
