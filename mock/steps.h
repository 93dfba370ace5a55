/*
 * steps.h: the clock of ev-mock's simulated objects. A fine-tuning job or a
 * deployment moves through a fixed number of steps, by time or one step
 * for each poll, and may be stopped (cancelled, deleted) before its last.
 *
 * Times are milliseconds since the epoch, passed in, so tests drive the
 * clock. Not thread-safe: the store that owns the steps holds its lock.
 */
#ifndef EVM_STEPS_H
#define EVM_STEPS_H

#include <stdbool.h>
#include <stdint.h>

/* The most steps an object has. */
#define EVM_STEPS_MAX 12

typedef struct evm_steps {
    int n;                     /* how many steps; the first is reached at the start */
    int64_t at[EVM_STEPS_MAX]; /* when each step is reached; -1: not yet known */
    int64_t stopped;           /* when it was stopped; -1: never */
} evm_steps;

/* evm_steps_start begins 'n' steps (2 to EVM_STEPS_MAX) at 'now'. By time,
 * step k (from 1) is reached 'ms' * parts[k - 1] / parts[n - 2]
 * milliseconds after 'now', and at least k milliseconds after it, so each
 * step is seen; 'parts' are n - 1 rising counts, or NULL for even steps.
 * With 'by_poll' no later step is reached until evm_steps_poll reaches it. */
void evm_steps_start(evm_steps *s, int n, int64_t now, long ms, bool by_poll, const int *parts);

/* evm_steps_reached returns the last step reached at 'now' (0 to n - 1). */
int evm_steps_reached(const evm_steps *s, int64_t now);

/* evm_steps_done says whether the last step is reached at 'now';
 * evm_steps_stopped whether the steps were stopped by then; and
 * evm_steps_ended whether either is so. */
bool evm_steps_done(const evm_steps *s, int64_t now);
bool evm_steps_stopped(const evm_steps *s, int64_t now);
bool evm_steps_ended(const evm_steps *s, int64_t now);

/* evm_steps_poll reaches the next step at 'now', unless the steps have
 * ended, and returns it; -1 when they had ended. */
int evm_steps_poll(evm_steps *s, int64_t now);

/* evm_steps_stop stops the steps at 'now'. */
void evm_steps_stop(evm_steps *s, int64_t now);

/* evm_steps_seen says whether something at 'at' has happened by 'now' and
 * not after the steps were stopped: a step, or an event between two. */
bool evm_steps_seen(const evm_steps *s, int64_t at, int64_t now);

#endif
