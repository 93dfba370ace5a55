/*
 * ratelimit.h: how fast to send, and how long to wait, from the client's own
 * limits and from what a server's headers say.
 *
 * Nothing here takes a jv, reads a clock or sleeps: times are seconds passed
 * in by the caller (a monotonic clock for durations, the epoch for dates), so
 * every function is deterministic and unit-tested (tests/unit/test_ratelimit.c).
 *
 * The pieces, as lib/http.c combines them before starting a request:
 *   - ev_ratelimit_pacer: a client-side limit (--rpm, --tpm) that spaces starts evenly;
 *   - ev_ratelimit_quota: a mirror of a server's own limit, rebuilt from each
 *     response's remaining/reset headers, so the client stops before the
 *     server starts answering 429;
 *   - ev_ratelimit_aimd: the in-flight cap, halved on overload and grown back slowly;
 *   - ev_ratelimit_backoff and ev_ratelimit_retry_after: the wait before a retry.
 */
#ifndef EV_RATELIMIT_H
#define EV_RATELIMIT_H

#include <stdbool.h>
#include <time.h>

/* ev_ratelimit_go_duration parses a Go time.Duration as OpenAI's x-ratelimit-reset-*
 * headers give it ("6m0s", "12ms", "1.5s", "4m12.172s", "23h18m29.144s";
 * units h, m, s, ms, us, µs, ns, each with an optional fraction) into
 * seconds. A bare non-negative number is read as seconds. Negative values
 * and anything else fail. Returns true and sets '*secs' on success. */
bool ev_ratelimit_go_duration(const char *s, double *secs);

/* ev_ratelimit_rfc3339 parses an RFC 3339 time ("2025-08-21T12:40:59Z", with an
 * optional fraction of a second and a 'Z' or +hh:mm offset), as Anthropic's
 * anthropic-ratelimit-*-reset headers give it, into seconds since the epoch. */
bool ev_ratelimit_rfc3339(const char *s, double *epoch);

/* ev_ratelimit_date_parser turns an HTTP-date into seconds since the epoch, or -1.
 * lib/http.c passes curl_getdate; unit tests pass a stub. */
typedef time_t (*ev_ratelimit_date_parser)(const char *s);

/* ev_ratelimit_retry_after reads the wait a server asked for, as openai-python does:
 * 'ms' (the retry-after-ms header, milliseconds) first, then 'secs' (the
 * retry-after header) as a number of seconds, then as an HTTP-date read by
 * 'date' (may be NULL) relative to 'now' (seconds since the epoch). Either
 * header may be NULL. Returns the wait in seconds, which may be 0 or
 * negative for a date in the past, or -1 when neither header gives one. */
double ev_ratelimit_retry_after(const char *ms, const char *secs, double now,
                                ev_ratelimit_date_parser date);

/* The longest server-requested wait a request is retried after; a longer
 * one fails the request (openai-python's MAX_RETRY_AFTER_DELAY). */
#define EV_RATELIMIT_MAX_RETRY_AFTER 120.0

/* ev_ratelimit_backoff is the wait before retry number 'n' (0 for the first retry)
 * when the server named none: min(0.5 * 2^n, 8) * (1 - 0.25 * u), with 'u'
 * uniform in [0, 1), as openai-python computes it. */
double ev_ratelimit_backoff(int n, double u);

/* ev_ratelimit_pacer spaces starts so that no more than 'rate' units a second are
 * spent: a request costing c units may start when the previous starts have
 * been paid for, and then moves the next start c / rate later. A start that
 * comes late may catch up by at most 'slack' seconds, so jitter in waking
 * up costs no throughput, yet no burst can build up while idle. */
typedef struct ev_ratelimit_pacer {
    double rate; /* units a second; 0 means no limit */
    double next; /* earliest time of the next start */
    double slack;
} ev_ratelimit_pacer;

/* ev_ratelimit_pacer_init sets a limit of 'per_minute' units a minute, paced at
 * 'margin' (e.g. 0.98) of it; 0 per minute means no limit. */
void ev_ratelimit_pacer_init(ev_ratelimit_pacer *p, double per_minute, double margin);

/* ev_ratelimit_pacer_wait returns how many seconds from 'now' a start must wait. */
double ev_ratelimit_pacer_wait(const ev_ratelimit_pacer *p, double now);

/* ev_ratelimit_pacer_take charges a start of 'units' at 'now'. */
void ev_ratelimit_pacer_take(ev_ratelimit_pacer *p, double now, double units);

/* ev_ratelimit_quota mirrors one of a server's limits (requests or tokens) from what
 * its responses say: how many units remain and when the limit resets.
 * A response's 'remaining' counts every request the server admitted before
 * it, so the level is that, less what the requests started after it will
 * spend. A response about an older request than the last one applied is
 * stale and ignored, and since requests on parallel connections reach the
 * server in no fixed order, a response may lower the level at any time but
 * raise it only once the reset time named before has passed. When the
 * level runs out, starts wait for the reset time the server named; then
 * one request at a time goes as a probe (at most one a second) until a
 * response says how much room there is. This is right whether 'reset'
 * means "whole again" (OpenAI, Anthropic: a token bucket) or "the next slot
 * frees" (a sliding window): either way no start goes out that the server
 * has not said it has room for. */
typedef struct ev_ratelimit_quota {
    bool known;      /* a response has described the limit */
    double level;    /* units free for requests not yet started */
    double reset_at; /* when the server said room comes back */
    double probe_at; /* the earliest time of the next probe */
    double seq;      /* start order of the response applied last */
} ev_ratelimit_quota;

/* EV_RATELIMIT_PROBE_GAP is the least time between two probes. */
#define EV_RATELIMIT_PROBE_GAP 1.0

/* ev_ratelimit_quota_observe applies a response at 'now' to the request that was the
 * 'seq'th started: 'remaining' units left (negative when the response did
 * not say, which forgets the limit), 'reset' seconds until room comes back
 * (negative when not said) and 'started_after', the units of the requests
 * started after it. */
void ev_ratelimit_quota_observe(ev_ratelimit_quota *q, double now, double seq, double remaining,
                                double reset, double started_after);

/* ev_ratelimit_quota_wait returns how many seconds from 'now' a request costing
 * 'units' must wait for the quota; 0 when it may start. */
double ev_ratelimit_quota_wait(const ev_ratelimit_quota *q, double now, double units);

/* ev_ratelimit_quota_take spends 'units' at 'now' for a request that starts. */
void ev_ratelimit_quota_take(ev_ratelimit_quota *q, double now, double units);

/* ev_ratelimit_aimd is the adaptive in-flight cap: it starts at 'max', halves on
 * overload (a 429, 503 or 529), at most once for the requests that started
 * before the previous cut, and grows by one after 'cap' successes in a row,
 * back toward 'max'. */
typedef struct ev_ratelimit_aimd {
    int max, cap, ok;
    double last_cut;
} ev_ratelimit_aimd;

void ev_ratelimit_aimd_init(ev_ratelimit_aimd *a, int max);
void ev_ratelimit_aimd_success(ev_ratelimit_aimd *a);

/* ev_ratelimit_aimd_overload cuts the cap for an overload answer to a request that
 * started at 'started'; 'now' is the time of the answer. Returns true when
 * the cap was cut. */
bool ev_ratelimit_aimd_overload(ev_ratelimit_aimd *a, double started, double now);

#endif
