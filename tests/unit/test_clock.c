/* Unit tests of lib/clock: the monotonic clock never goes back, its seconds
 * and milliseconds are one clock, deadlines are later than now, and a nap
 * is skipped when told to stop and cut short by a signal. No check depends
 * on how long anything takes: readings are compared in the order they were
 * taken, and a nap is ended by signals sent until it has ended. */
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

#include "clock.h"
#include "unit.h"

static void
test_monotonic(void)
{
    int back = 0;
    double s = ev_clock_mono();
    int64_t ms = ev_clock_mono_ms();
    for (int i = 0; i < 100000; i++) {
        double s2 = ev_clock_mono();
        int64_t ms2 = ev_clock_mono_ms();
        back += s2 < s || ms2 < ms;
        s = s2;
        ms = ms2;
    }
    CHECK(back == 0, "100000 readings of the monotonic clock never go back");
}

/* agree checks that a reading in milliseconds taken between two readings in
 * seconds lies between them (truncated to the millisecond; one more for the
 * rounding of a double). */
static int
agree(double before, int64_t ms, double after)
{
    return (double)ms >= before * 1000.0 - 1.0 && (double)ms <= after * 1000.0 + 1.0;
}

static void
test_units_agree(void)
{
    double a = ev_clock_mono();
    int64_t ms = ev_clock_mono_ms();
    double b = ev_clock_mono();
    CHECK(agree(a, ms, b), "monotonic milliseconds lie between the seconds read before and after");
    a = ev_clock_wall();
    ms = ev_clock_wall_ms();
    b = ev_clock_wall();
    CHECK(agree(a, ms, b), "wall milliseconds lie between the seconds read before and after");
    CHECK(a > 1577836800.0, "the wall clock counts seconds since the epoch (after 2020)");
}

static int64_t
ts_ms(struct timespec ts)
{
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_after(void)
{
    static const long spans[] = {0, 1, 999, 1000, 1001, 1500, 86400000};
    int later = 0, bounded = 0, normal = 0;
    for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
        int64_t before = ev_clock_mono_ms();
        struct timespec ts = ev_clock_mono_after(spans[i]);
        int64_t after = ev_clock_mono_ms();
        later += ts_ms(ts) >= before + spans[i];
        bounded += ts_ms(ts) <= after + spans[i];
        normal += ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L;
    }
    CHECK(later == 7, "a deadline is at least 'ms' after the reading before it");
    CHECK(bounded == 7, "and at most 'ms' after the reading after it");
    CHECK(normal == 7, "its nanoseconds stay below one second");
}

static void
test_nap_stop(void)
{
    volatile sig_atomic_t stop = 1;
    double before = ev_clock_mono();
    ev_clock_nap(3600000, &stop); /* an hour: a failure shows as a hang */
    CHECK(ev_clock_mono() - before < 3600.0, "a nap told to stop does not sleep");
    int64_t start = ev_clock_mono_ms();
    stop = 0;
    ev_clock_nap(20, &stop);
    CHECK(ev_clock_mono_ms() - start >= 20, "a nap not told to stop sleeps at least 'ms'");
    start = ev_clock_mono_ms();
    ev_clock_nap(20, NULL);
    CHECK(ev_clock_mono_ms() - start >= 20, "as does one with no stop");
}

static void
on_usr1(int sig)
{
    (void)sig;
}

/* A child naps an hour; SIGUSR1 is sent until it has exited, so that a
 * signal that comes before the nap begins only means another is sent. */
static void
test_nap_signal(void)
{
    struct sigaction sa = {.sa_handler = on_usr1};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        ev_clock_nap(3600000, NULL);
        _exit(0);
    }
    int status = -1;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGUSR1);
        ev_clock_nap(10, NULL);
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a signal cuts a nap short");
    signal(SIGUSR1, SIG_DFL);
}

int
main(void)
{
    test_monotonic();
    test_units_agree();
    test_after();
    test_nap_stop();
    test_nap_signal();
    UNIT_DONE();
}
