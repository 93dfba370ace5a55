/*
 * http.h: the request engine. It runs jobs, HTTP POSTs over one libcurl
 * multi handle or local commands (lib/child), many at once, with retries,
 * backoff and rate limits, in one thread and one poll loop.
 *
 * Ownership: json.h. A job belongs to the engine from ev_http_submit until the engine hands it back
 * through the 'done' callback.
 *
 * What the engine decides, so that callers do not have to:
 *   - How many jobs run at once: at most 'jobs', cut in half by an overload
 *     answer (429, 503, 529) and grown back by one per 'cap' successes.
 *   - When a job may start: after any global pause (a 429 pauses every new
 *     start for the wait it names, not only its own retry), when the client's
 *     own --rpm and --tpm pacers allow it, and when the server's own limits,
 *     mirrored from its x-ratelimit-* or anthropic-ratelimit-* headers,
 *     have room (lib/ratelimit.h).
 *   - When to retry: the caller's 'judge' says whether an attempt is worth
 *     retrying; the engine retries at most 'retries' times, after the wait
 *     the server named in retry-after-ms or retry-after (seconds or an
 *     HTTP-date) when it is between 0 and 120 seconds, or else after
 *     exponential backoff with jitter (lib/ratelimit.h: ev_ratelimit_backoff). A wait
 *     over 120 seconds is not retried. Retries due go before new jobs.
 *   - Timeouts: each attempt has 'timeout_ms' in all and 'connect_timeout_ms'
 *     to connect; there is no low-speed limit, because a model sends nothing
 *     until it has finished. A command past its timeout is killed.
 *
 * What the engine never does: follow redirects, skip TLS verification, speak
 * anything but http and https, go through a proxy other than by a tunnel
 * over https (lib/secret.h: ev_secret_may_proxy), show a header value named
 * authorization, x-api-key, api-key, proxy-authorization or cookie in its
 * log, or show 'secret' anywhere in it: every log line, whatever header or
 * direction, goes through ev_secret_redact. Request and response bodies are
 * never logged.
 */
#ifndef EV_HTTP_H
#define EV_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

/* How an attempt's transfer went. */
enum ev_http_xfer {
    EV_HTTP_XFER_OK,      /* a complete response arrived (any status) */
    EV_HTTP_XFER_TIMEOUT, /* the attempt ran out of time */
    EV_HTTP_XFER_CONNECT, /* the server could not be reached: refused, no such host */
    EV_HTTP_XFER_NETWORK, /* the connection broke: reset, a cut body... */
    EV_HTTP_XFER_FATAL,   /* no attempt can work: a bad URL, a TLS certificate
                        that does not verify, a command that cannot start */
};

/* What the judge makes of an attempt. */
enum ev_http_verdict {
    EV_HTTP_VERDICT_DONE,  /* finished: an answer, or a failure not worth retrying */
    EV_HTTP_VERDICT_RETRY, /* try again, if retries remain */
    EV_HTTP_VERDICT_STOP,  /* finished, and no job of this run can succeed: stop */
};

/* How a job ended, as the done callback is told. */
enum ev_http_end {
    EV_HTTP_END_DONE,      /* the judge's last verdict was DONE */
    EV_HTTP_END_GAVE_UP,   /* it was RETRY, but no retry remains or the wait asked
                         for is over 120 s ('retry_after' says which) */
    EV_HTTP_END_STOP,      /* the judge said STOP */
    EV_HTTP_END_CANCELLED, /* never finished: the run was stopped or aborted */
};

typedef struct ev_http_job {
    /* Set by the caller before ev_http_submit. */
    char *body; /* the request body, or the command's standard input */
    size_t len;
    double cost;       /* estimated tokens, for --tpm and token limits */
    char **env;        /* commands: "NAME=value" strings added to their environment
                          (lib/child.h: ev_child_env), NULL-terminated */
    const char *label; /* names the job in log lines, e.g. "'q1'" */
    void *user;

    /* The last attempt, for the judge and the done callback. */
    int attempts;
    enum ev_http_xfer xfer;
    char xfer_msg[256]; /* what went wrong with the transfer; after a
                           redirect (3xx), where it pointed */
    long status;        /* HTTP status, or the command's exit status (128 + signal);
                           0 when there was no response */
    char *resp;         /* the response body or the command's output, NUL-terminated */
    size_t resp_len;
    double latency_ms;  /* of the last attempt */
    double retry_after; /* seconds the server asked to wait, or -1 */
    int should_retry;   /* the x-should-retry header: 1 true, 0 false, -1 absent */
    bool untrusted;     /* the server's TLS certificate did not verify */

    /* The engine's own. */
    void *handle; /* CURL * or ev_child * while in flight */
    bool too_big; /* the response passed the size limit */
    size_t resp_cap;
    size_t slot;      /* index among the jobs in flight */
    double started;   /* monotonic seconds */
    double seq;       /* the attempt's place in start order */
    double cost_mark; /* units started up to and including it */
    double due;       /* when a retry may start */
    struct ev_http_job *next;
} ev_http_job;

typedef struct ev_http_config {
    const char *url;            /* POST here; NULL when jobs are commands */
    const char *const *headers; /* "Name: value" lines, NULL-terminated (borrowed) */
    const char *command;        /* /bin/sh -c command, when url is NULL */
    char *const *pass_env;      /* patterns of our variables the command also gets
                                   (lib/child.h: ev_child_env); may be NULL */
    const char *user_agent;
    const char *cainfo; /* PEM file of the CAs to trust, or NULL for the system's */
    const char *secret; /* the API key, cut out of every log line; may be NULL */
    int jobs;           /* the most jobs at once, at least 1 */
    int retries;        /* retries after the first attempt */
    long timeout_ms, connect_timeout_ms;
    double rpm, tpm;    /* client-side limits a minute, 0 for none */
    double rate_margin; /* pace at this share of a limit, e.g. 0.98 */
    int wake_fd;        /* also wake up when this fd is readable, or -1 */
    bool verbose;       /* log headers (keys masked), retries and waits */
    long seed;          /* of the retry jitter */
    enum ev_http_verdict (*judge)(void *ctx, ev_http_job *job);
    void (*done)(void *ctx, ev_http_job *job, enum ev_http_end end);
    void (*log)(void *ctx, const char *line); /* verbose log lines, no newline */
    void *ctx;
} ev_http_config;

typedef struct ev_http_stats {
    int in_flight;              /* attempts running now */
    int cap;                    /* the adaptive cap on them */
    size_t queued;              /* submitted, not yet started or waiting to retry */
    size_t fresh;               /* of which submitted, first attempt not yet started */
    unsigned long attempts;     /* attempts started */
    unsigned long retries;      /* of which were retries */
    unsigned long rate_limited; /* 429 answers */
    double paused;              /* seconds until new starts resume, or 0 */
} ev_http_stats;

typedef struct ev_http ev_http;

/* ev_http_global_init and ev_http_global_cleanup bracket every use of the
 * engine in a program: call the first before any thread starts. */
bool ev_http_global_init(void);
void ev_http_global_cleanup(void);

/* ev_http_new returns an engine for 'cfg' (borrowed; its strings must
 * outlive the engine), or NULL with '*err' set. */
ev_http *ev_http_new(const ev_http_config *cfg, jv *err);

/* ev_http_submit queues 'job'; it starts as soon as the limits allow. */
void ev_http_submit(ev_http *h, ev_http_job *job);

/* ev_http_run does what is due: collects finished attempts (calling the
 * judge, and the done callback for jobs that end), starts what may start,
 * and, when nothing ended, waits up to 'wait_ms' for something to happen
 * (an attempt finishing, a timer, 'wake_fd', ev_http_wakeup). Returns the
 * number of jobs handed back, or -1 when the poll itself failed. */
int ev_http_run(ev_http *h, long wait_ms);

/* ev_http_stop makes the engine start nothing more: queued jobs, and jobs
 * waiting for a retry, are handed back as EV_HTTP_END_CANCELLED by the next
 * ev_http_run; jobs in flight run to their end. */
void ev_http_stop(ev_http *h);

/* ev_http_abort also ends the jobs in flight, handing them back as
 * EV_HTTP_END_CANCELLED now. */
void ev_http_abort(ev_http *h);

/* ev_http_wakeup makes a waiting ev_http_run return. Safe from any thread. */
void ev_http_wakeup(ev_http *h);

/* ev_http_pending is the number of jobs submitted and not handed back. */
size_t ev_http_pending(const ev_http *h);

void ev_http_get_stats(const ev_http *h, ev_http_stats *s);

/* ev_http_classify says how a transfer that libcurl ended with the code
 * 'curl_code' (a CURLcode other than CURLE_OK) went: out of time, the
 * server not reached, a failure no attempt can mend (a bad URL, a TLS
 * certificate that does not verify), or else a broken connection. */
enum ev_http_xfer ev_http_classify(int curl_code);

/* ev_http_secret_header says whether the header line of 'len' bytes at
 * 'line' has a value the log must never show: Authorization,
 * Proxy-Authorization, X-API-Key, API-Key or Cookie, in any case. */
bool ev_http_secret_header(const char *line, size_t len);

/* ev_http_free aborts what is left and frees the engine. NULL is allowed. */
void ev_http_free(ev_http *h);

#endif
