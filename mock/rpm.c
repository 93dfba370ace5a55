#include "rpm.h"

#include <stddef.h>
#include <stdlib.h>

#include "alloc.h"

struct evm_rpm {
    long rpm, window_ms;
    int64_t *at; /* a ring of the times of the requests in the window */
    size_t head, count;
};

evm_rpm *
evm_rpm_new(long rpm, long window_ms)
{
    evm_rpm *r = ev_alloc_zero(1, sizeof(*r));
    r->rpm = rpm;
    r->window_ms = window_ms;
    r->at = ev_alloc_array(NULL, (size_t)rpm, sizeof(*r->at));
    return r;
}

long
evm_rpm_admit(evm_rpm *r, int64_t now, long *remaining, long *reset_ms)
{
    size_t cap = (size_t)r->rpm;
    while (r->count > 0 && r->at[r->head] + r->window_ms <= now) {
        r->head = (r->head + 1) % cap;
        r->count--;
    }
    if (r->count == cap) {
        *remaining = 0;
        *reset_ms = (long)(r->at[r->head] + r->window_ms - now);
        return *reset_ms;
    }
    r->at[(r->head + r->count) % cap] = now;
    r->count++;
    *remaining = r->rpm - (long)r->count;
    *reset_ms = (long)(r->at[r->head] + r->window_ms - now);
    return 0;
}

void
evm_rpm_reset(evm_rpm *r)
{
    r->head = r->count = 0;
}

void
evm_rpm_free(evm_rpm *r)
{
    if (r == NULL)
        return;
    free(r->at);
    free(r);
}
