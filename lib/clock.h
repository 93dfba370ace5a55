/*
 * clock.h: the one clock of ev.
 *
 * Durations are measured on the monotonic clock, which no change of the
 * system's time moves; times that are kept or shown (in the cache, in a
 * fine-tuning job) are wall-clock times since the epoch.
 */
#ifndef EV_CLOCK_H
#define EV_CLOCK_H

#include <signal.h>
#include <stdint.h>
#include <time.h>

/* ev_clock_mono returns seconds on the monotonic clock. */
double ev_clock_mono(void);

/* ev_clock_mono_ms returns milliseconds on the monotonic clock. */
int64_t ev_clock_mono_ms(void);

/* ev_clock_mono_after returns the time on the monotonic clock 'ms'
 * milliseconds from now, to the nanosecond, as a deadline for
 * clock_nanosleep or a timed wait on that clock. */
struct timespec ev_clock_mono_after(long ms);

/* ev_clock_nap sleeps 'ms' milliseconds between two looks at something
 * being waited for: not at all when '*stop' is set (NULL: never), and less
 * when a signal comes. */
void ev_clock_nap(long ms, const volatile sig_atomic_t *stop);

/* ev_clock_wall returns seconds since the epoch. */
double ev_clock_wall(void);

/* ev_clock_wall_ms returns milliseconds since the epoch. */
int64_t ev_clock_wall_ms(void);

#endif
