#include "steps.h"

#include <stddef.h>

void
evm_steps_start(evm_steps *s, int n, int64_t now, long ms, bool by_poll, const int *parts)
{
    s->n = n < 2 ? 2 : n > EVM_STEPS_MAX ? EVM_STEPS_MAX : n;
    s->stopped = -1;
    s->at[0] = now;
    for (int k = 1; k < s->n; k++) {
        int64_t part = parts != NULL ? parts[k - 1] : k,
                whole = parts != NULL ? parts[s->n - 2] : s->n - 1;
        int64_t after = (int64_t)ms * part / (whole > 0 ? whole : 1);
        s->at[k] = by_poll ? -1 : now + (after > k ? after : k);
    }
}

int
evm_steps_reached(const evm_steps *s, int64_t now)
{
    int k = 0;
    while (k + 1 < s->n && s->at[k + 1] >= 0 && s->at[k + 1] <= now)
        k++;
    return k;
}

bool
evm_steps_done(const evm_steps *s, int64_t now)
{
    return evm_steps_reached(s, now) == s->n - 1;
}

bool
evm_steps_stopped(const evm_steps *s, int64_t now)
{
    return s->stopped >= 0 && s->stopped <= now;
}

bool
evm_steps_ended(const evm_steps *s, int64_t now)
{
    return evm_steps_stopped(s, now) || evm_steps_done(s, now);
}

int
evm_steps_poll(evm_steps *s, int64_t now)
{
    if (evm_steps_ended(s, now))
        return -1;
    int k = evm_steps_reached(s, now) + 1;
    s->at[k] = now;
    return k;
}

void
evm_steps_stop(evm_steps *s, int64_t now)
{
    s->stopped = now;
}

bool
evm_steps_seen(const evm_steps *s, int64_t at, int64_t now)
{
    return at >= 0 && at <= now && (s->stopped < 0 || at <= s->stopped);
}
