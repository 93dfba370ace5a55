/*
 * rpm.h: ev-mock's request rate limit (--rpm), a sliding window: a request
 * is admitted when fewer than 'rpm' requests were admitted in the last
 * 'window_ms' milliseconds.
 *
 * Times are milliseconds on a clock of the caller's choice (the server's is
 * monotonic), so tests can drive it. Not thread-safe: the server holds its
 * lock around every call.
 */
#ifndef EVM_RPM_H
#define EVM_RPM_H

#include <stdint.h>

typedef struct evm_rpm evm_rpm;

/* evm_rpm_new returns an empty window that admits 'rpm' (at least 1)
 * requests every 'window_ms' (at least 1) milliseconds. */
evm_rpm *evm_rpm_new(long rpm, long window_ms);

/* evm_rpm_admit decides on a request at 'now'. It returns 0 and keeps the
 * request when it is admitted, else the milliseconds until the oldest
 * request in the window leaves it. Either way '*remaining' gets how many
 * more requests the window admits now, and '*reset_ms' the milliseconds
 * until its oldest request leaves it. */
long evm_rpm_admit(evm_rpm *r, int64_t now, long *remaining, long *reset_ms);

/* evm_rpm_reset empties the window. */
void evm_rpm_reset(evm_rpm *r);

void evm_rpm_free(evm_rpm *r);

#endif
