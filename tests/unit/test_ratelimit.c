/* Unit tests of lib/ratelimit: Go durations and RFC 3339 dates as servers send them,
 * retry-after, backoff, the client's pacer, the mirror of a server's quota and the
 * adaptive cap. */
#include <stdlib.h>

#include "ratelimit.h"
#include "unit.h"

static void
test_go_durations(void)
{
    static const struct {
        const char *in;
        double secs;
    } ok[] = {
        {"6m0s", 360},
        {"12ms", 0.012},
        {"1.5s", 1.5},
        {"4m12.172s", 252.172},
        {"23h18m29.144s", 83909.144},
        {"1s", 1},
        {"0s", 0},
        {"120ms", 0.12},
        {"2h", 7200},
        {"0", 0},
        {"2.5", 2.5},
        {"500us", 0.0005},
        {"1\xC2\xB5s", 1e-6},
        {"3ns", 3e-9},
        {".5s", 0.5},
        {"1m30s", 90},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        double d = -1;
        char name[96];
        snprintf(name, sizeof(name), "Go duration '%s' is %g s", ok[i].in, ok[i].secs);
        CHECK(ev_ratelimit_go_duration(ok[i].in, &d) && fabs(d - ok[i].secs) < 1e-9, name);
    }
    static const char *const bad[] = {"", "s", "-1s", "1x", "1.5", "1m-3s", "abc", "1 m", "ms"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        double d = 42;
        char name[96];
        snprintf(name, sizeof(name), "'%s' is not a duration", bad[i]);
        if (strcmp(bad[i], "1.5") == 0)
            continue; /* a bare number is read as seconds */
        CHECK(!ev_ratelimit_go_duration(bad[i], &d) && d == 42, name);
    }
    char huge[400];
    memset(huge, '9', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    double d = 42;
    CHECK(!ev_ratelimit_go_duration(huge, &d) && d == 42,
          "a bare number past a double's range fails");
}

static void
test_dates(void)
{
    double t;
    CHECK(ev_ratelimit_rfc3339("2025-08-21T12:40:59Z", &t) && t == 1755780059.0,
          "RFC 3339 UTC time as Anthropic sends it");
    CHECK(ev_ratelimit_rfc3339("2025-08-21T12:40:59.250Z", &t) && fabs(t - 1755780059.25) < 1e-6,
          "RFC 3339 with a fraction of a second");
    CHECK(ev_ratelimit_rfc3339("2025-08-21T14:40:59+02:00", &t) && t == 1755780059.0,
          "RFC 3339 with an offset");
    CHECK(!ev_ratelimit_rfc3339("2025-08-21 12:40", &t), "a truncated time is refused");
    CHECK(!ev_ratelimit_rfc3339("yesterday", &t), "words are refused");
}

static time_t
stub_date(const char *s)
{
    return strcmp(s, "Wed, 21 Oct 2015 07:28:00 GMT") == 0 ? 1445412480 : -1;
}

static void
test_retry_after(void)
{
    CHECK_NEAR(ev_ratelimit_retry_after("1500", "9", 0, NULL), 1.5, 1e-9, "retry-after-ms wins");
    CHECK_NEAR(ev_ratelimit_retry_after(NULL, "2", 0, NULL), 2, 1e-9, "retry-after in seconds");
    CHECK_NEAR(ev_ratelimit_retry_after(NULL, "0.5", 0, NULL), 0.5, 1e-9, "fractional seconds");
    CHECK_NEAR(
        ev_ratelimit_retry_after(NULL, "Wed, 21 Oct 2015 07:28:00 GMT", 1445412470, stub_date), 10,
        1e-9, "retry-after as an HTTP-date is a wait from now");
    CHECK_NEAR(ev_ratelimit_retry_after(NULL, NULL, 0, NULL), -1, 0, "no header: no wait named");
    CHECK_NEAR(ev_ratelimit_retry_after("soon", "later", 0, stub_date), -1, 0,
               "garbage names no wait");
    CHECK_NEAR(ev_ratelimit_retry_after("-5", "3", 0, NULL), 3, 1e-9, "a negative ms falls back");
    CHECK(ev_ratelimit_retry_after(NULL, "600", 0, NULL) > EV_RATELIMIT_MAX_RETRY_AFTER,
          "a wait of 600 s is over the retry limit");
}

static void
test_backoff(void)
{
    CHECK_NEAR(ev_ratelimit_backoff(0, 0), 0.5, 1e-12, "first retry waits 0.5 s at most");
    CHECK_NEAR(ev_ratelimit_backoff(0, 0.999999), 0.375, 1e-6,
               "jitter shortens by at most a quarter");
    CHECK_NEAR(ev_ratelimit_backoff(1, 0), 1.0, 1e-12, "second retry 1 s");
    CHECK_NEAR(ev_ratelimit_backoff(3, 0), 4.0, 1e-12, "fourth retry 4 s");
    CHECK_NEAR(ev_ratelimit_backoff(4, 0), 8.0, 1e-12, "fifth retry 8 s");
    CHECK_NEAR(ev_ratelimit_backoff(30, 0), 8.0, 1e-12, "capped at 8 s");
}

static void
test_pacer(void)
{
    ev_ratelimit_pacer p;
    ev_ratelimit_pacer_init(&p, 600, 1.0); /* 10 a second */
    CHECK_NEAR(ev_ratelimit_pacer_wait(&p, 100), 0, 0, "the first start is free");
    ev_ratelimit_pacer_take(&p, 100, 1);
    CHECK_NEAR(ev_ratelimit_pacer_wait(&p, 100), 0.1, 1e-9, "the next waits a tenth of a second");
    ev_ratelimit_pacer_take(&p, 100.1, 1);
    CHECK_NEAR(ev_ratelimit_pacer_wait(&p, 100.15), 0.05, 1e-9, "starts are evenly spaced");
    ev_ratelimit_pacer_take(&p, 105, 1);
    CHECK_NEAR(ev_ratelimit_pacer_wait(&p, 105), 0.1, 1e-9,
               "after idling there is no credit: no burst, the next waits a full interval");
    ev_ratelimit_pacer_take(&p, 105.13, 1);
    CHECK_NEAR(ev_ratelimit_pacer_wait(&p, 105.13), 0.07, 1e-9,
               "a start a little late keeps the schedule, catching up");
    int n = 0;
    ev_ratelimit_pacer_init(&p, 600, 0.98);
    for (double t = 0; t < 60; t += 0.001) {
        if (ev_ratelimit_pacer_wait(&p, t) == 0) {
            ev_ratelimit_pacer_take(&p, t, 1);
            n++;
        }
    }
    CHECK(n >= 585 && n <= 589, "600 a minute at a 0.98 margin starts 588 in a minute");
    ev_ratelimit_pacer_init(&p, 0, 0.98);
    CHECK_NEAR(ev_ratelimit_pacer_wait(&p, 1), 0, 0, "no limit never waits");
    ev_ratelimit_pacer_init(&p, 60000, 1.0); /* tokens: 1000 a second */
    ev_ratelimit_pacer_take(&p, 0, 500);
    CHECK_NEAR(ev_ratelimit_pacer_wait(&p, 0), 0.5, 1e-9,
               "a costly request delays the next in proportion");
}

static void
test_quota(void)
{
    ev_ratelimit_quota q = {0};
    CHECK_NEAR(ev_ratelimit_quota_wait(&q, 0, 1), 0, 0, "an unknown limit never waits");
    ev_ratelimit_quota_observe(&q, 10, 1, 5, 2, 2);
    CHECK(q.known && q.level == 3, "remaining less what started later is the level");
    ev_ratelimit_quota_take(&q, 10, 1);
    ev_ratelimit_quota_take(&q, 10, 1);
    ev_ratelimit_quota_take(&q, 10, 1);
    CHECK_NEAR(ev_ratelimit_quota_wait(&q, 10.5, 1), 1.5, 1e-9, "exhausted: wait for the reset");
    ev_ratelimit_quota_observe(&q, 10.6, 2, 9, 2, 0);
    CHECK(q.level == 0, "before the reset, a response cannot raise the level");
    ev_ratelimit_quota_observe(&q, 10.7, 3, 0, 1.3, 0);
    CHECK(q.level == 0, "but it may lower it");
    CHECK_NEAR(ev_ratelimit_quota_wait(&q, 12, 1), 0, 0, "after the reset a probe may go");
    ev_ratelimit_quota_take(&q, 12, 1);
    CHECK_NEAR(ev_ratelimit_quota_wait(&q, 12, 1), EV_RATELIMIT_PROBE_GAP, 1e-9,
               "one probe at a time until the server answers");
    ev_ratelimit_quota_observe(&q, 12.1, 5, 40, 1, 0);
    CHECK_NEAR(ev_ratelimit_quota_wait(&q, 12.1, 1), 0, 0,
               "the probe's answer, after the reset, opens room");
    CHECK(q.level == 40, "as much as it says");
    ev_ratelimit_quota_observe(&q, 12.2, 4, 0, 30, 0);
    CHECK(q.level == 40, "an answer to an older request is stale and ignored");
    ev_ratelimit_quota_observe(&q, 12.3, 6, -1, -1, 0);
    CHECK(!q.known, "a newer answer without the headers forgets the limit");
    ev_ratelimit_quota_observe(&q, 20, 7, 100, 60, 0);
    CHECK_NEAR(ev_ratelimit_quota_wait(&q, 20, 200), 60, 1e-9,
               "a request costing more than remains waits for the reset");

    ev_ratelimit_quota p = {0};
    ev_ratelimit_quota_observe(&p, 30, 1, 0, 0.05, 0);
    ev_ratelimit_quota_take(&p, 30.05, 1);
    ev_ratelimit_quota_observe(&p, 30.06, 2, -1, -1, 0);
    ev_ratelimit_quota_observe(&p, 30.2, 3, 0, 0.05, 0);
    CHECK_NEAR(ev_ratelimit_quota_wait(&p, 30.2, 1), 0.05, 1e-9,
               "a new limit waits for its own reset, not the gap of an earlier probe");
    ev_ratelimit_quota_take(&p, 30.25, 1);
    ev_ratelimit_quota_observe(&p, 30.3, 4, 3, 1, 0);
    ev_ratelimit_quota_take(&p, 30.3, 1);
    ev_ratelimit_quota_take(&p, 30.3, 1);
    ev_ratelimit_quota_take(&p, 30.3, 1);
    ev_ratelimit_quota_observe(&p, 30.4, 5, 0, 0.05, 0);
    CHECK_NEAR(ev_ratelimit_quota_wait(&p, 30.4, 1), 0.05, 1e-9,
               "nor after the server said there was room");
}

static void
test_aimd(void)
{
    ev_ratelimit_aimd a;
    ev_ratelimit_aimd_init(&a, 16);
    CHECK(a.cap == 16, "the cap starts at --jobs");
    CHECK(ev_ratelimit_aimd_overload(&a, 1.0, 2.0) && a.cap == 8, "an overload halves it");
    CHECK(!ev_ratelimit_aimd_overload(&a, 1.5, 2.1) && a.cap == 8,
          "requests started before the cut do not cut again");
    CHECK(ev_ratelimit_aimd_overload(&a, 2.2, 3.0) && a.cap == 4, "a later one does");
    for (int i = 0; i < 4; i++)
        ev_ratelimit_aimd_success(&a);
    CHECK(a.cap == 5, "cap successes in a row grow it by one");
    for (int i = 0; i < 1000; i++)
        ev_ratelimit_aimd_success(&a);
    CHECK(a.cap == 16, "it grows back to --jobs and no further");
    ev_ratelimit_aimd_init(&a, 1);
    ev_ratelimit_aimd_overload(&a, 0, 0);
    CHECK(a.cap == 1, "never below one");
}

int
main(void)
{
    test_go_durations();
    test_dates();
    test_retry_after();
    test_backoff();
    test_pacer();
    test_quota();
    test_aimd();
    UNIT_DONE();
}
