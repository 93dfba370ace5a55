#include "http.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "alloc.h"
#include "clock.h"
#include "diag.h"
#include "secret.h"
#include "ratelimit.h"
#include "child.h"

/* The largest response body kept; a larger one fails the attempt. */
#define RESP_MAX (64L * 1024 * 1024)

struct ev_http {
    ev_http_config cfg;
    CURLM *multi;
    struct curl_slist *headers;
    CURL **pool; /* idle easy handles, options already set */
    size_t npool;
    ev_http_job *ready_head, *ready_tail; /* submitted, first attempt not started */
    ev_http_job *delayed;                 /* waiting for a retry */
    ev_http_job *ended_head, *ended_tail; /* finished, to hand back */
    ev_http_job **running;                /* in flight */
    size_t nrunning;
    size_t pending; /* submitted and not handed back */
    size_t queued;
    double in_flight_cost;
    double cost_started; /* the units of every attempt started */
    ev_ratelimit_aimd aimd;
    ev_ratelimit_pacer rpm, tpm;
    ev_ratelimit_quota q_req, q_tok;
    double pause_until;
    double held_until;       /* when the start last logged as held may go */
    double next_timer;       /* when something may next start, or HUGE_VAL */
    struct curl_waitfd *fds; /* for curl_multi_poll */
    size_t nfds;
    bool stopping;
    int delivered;
    unsigned long attempts, retries, rate_limited;
    uint64_t rng;
};

/* uniform returns a number in [0, 1) from xorshift64*. */
static double
uniform(ev_http *h)
{
    h->rng ^= h->rng >> 12;
    h->rng ^= h->rng << 25;
    h->rng ^= h->rng >> 27;
    return (double)((h->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* The longest log line shown; the rest is cut, after the key is. */
#define LOG_MAX 512

static void logf_(ev_http *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* logf_ logs a line with the key cut out of it, wherever it is. */
static void
logf_(ev_http *h, const char *fmt, ...)
{
    if (!h->cfg.verbose || h->cfg.log == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    jv line = ev_secret_redact(jv_string_vfmt(fmt, ap), h->cfg.secret);
    va_end(ap);
    char *cut = ev_alloc_strndup(jv_string_value(line), LOG_MAX);
    h->cfg.log(h->cfg.ctx, cut);
    free(cut);
    jv_free(line);
}

bool
ev_http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

void
ev_http_global_cleanup(void)
{
    curl_global_cleanup();
}

/* Logging headers, with secrets masked. */

bool
ev_http_secret_header(const char *line, size_t len)
{
    static const char *const names[] = {"authorization", "proxy-authorization", "x-api-key",
                                        "api-key", "cookie"};
    const char *colon = memchr(line, ':', len);
    if (colon == NULL)
        return false;
    size_t n = (size_t)(colon - line);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == n && strncasecmp(line, names[i], n) == 0)
            return true;
    return false;
}

static void
log_header_lines(ev_http *h, const char *label, char dir, const char *data, size_t size)
{
    while (size > 0) {
        const char *nl = memchr(data, '\n', size);
        size_t n = nl ? (size_t)(nl - data) : size;
        size_t shown = n;
        while (shown > 0 && (data[shown - 1] == '\r' || data[shown - 1] == '\n'))
            shown--;
        if (shown > 0) {
            if (ev_http_secret_header(data, shown)) {
                const char *colon = memchr(data, ':', shown);
                logf_(h, "%s%c %.*s: [redacted]", label, dir, (int)(colon - data), data);
            } else {
                logf_(h, "%s%c %.*s", label, dir, (int)shown, data);
            }
        }
        if (nl == NULL)
            break;
        size -= n + 1;
        data = nl + 1;
    }
}

static int
on_debug(CURL *e, curl_infotype type, char *data, size_t size, void *ud)
{
    ev_http *h = ud;
    ev_http_job *job = NULL;
    char label[160] = "";
    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&job);
    if (job != NULL && job->label != NULL)
        snprintf(label, sizeof(label), "%s ", job->label);
    switch (type) {
    case CURLINFO_TEXT:
        log_header_lines(h, label, '*', data, size);
        break;
    case CURLINFO_HEADER_OUT:
        log_header_lines(h, label, '>', data, size);
        break;
    case CURLINFO_HEADER_IN:
        log_header_lines(h, label, '<', data, size);
        break;
    default:
        break; /* bodies and TLS data are never logged */
    }
    return 0;
}

/* Easy handles. */

static size_t
on_write(char *data, size_t size, size_t n, void *ud)
{
    ev_http_job *job = ud;
    size_t len = size * n;
    if (job->resp_len + len > (size_t)RESP_MAX) {
        job->too_big = true;
        return 0; /* fails the transfer with CURLE_WRITE_ERROR */
    }
    if (job->resp_len + len + 1 > job->resp_cap) {
        size_t cap = job->resp_cap ? job->resp_cap : 4096;
        while (cap < job->resp_len + len + 1)
            cap *= 2;
        job->resp = ev_alloc_resize(job->resp, cap);
        job->resp_cap = cap;
    }
    memcpy(job->resp + job->resp_len, data, len);
    job->resp_len += len;
    job->resp[job->resp_len] = '\0';
    return len;
}

static CURL *
new_easy(ev_http *h)
{
    CURL *e = curl_easy_init();
    if (e == NULL)
        ev_diag_out_of_memory();
    curl_easy_setopt(e, CURLOPT_URL, h->cfg.url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, h->cfg.timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->cfg.connect_timeout_ms);
    if (strncasecmp(h->cfg.url, "https:", 6) == 0) {
        /* Wait for the first connection's ALPN answer rather than open one
         * connection per request: with HTTP/2 they share it. */
        curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    } else {
        /* Plain http has no multiplexing to wait for: waiting would make
         * every new request queue behind the first, slow, answer. */
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    }
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->cfg.cainfo != NULL)
        curl_easy_setopt(e, CURLOPT_CAINFO, h->cfg.cainfo);
    if (ev_secret_may_proxy(h->cfg.url))
        curl_easy_setopt(e, CURLOPT_HTTPPROXYTUNNEL, 1L);
    else
        curl_easy_setopt(e, CURLOPT_PROXY, ""); /* none, whatever the environment says */
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 60L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 30L);
    if (h->cfg.user_agent != NULL)
        curl_easy_setopt(e, CURLOPT_USERAGENT, h->cfg.user_agent);
    if (h->cfg.verbose) {
        curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
        curl_easy_setopt(e, CURLOPT_DEBUGDATA, h);
        curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
    }
    return e;
}

static CURL *
pool_get(ev_http *h)
{
    if (h->npool > 0)
        return h->pool[--h->npool];
    return new_easy(h);
}

static void
pool_put(ev_http *h, CURL *e)
{
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(e, CURLOPT_PRIVATE, NULL);
    h->pool = ev_alloc_resize(h->pool, (h->npool + 1) * sizeof(*h->pool));
    h->pool[h->npool++] = e;
}

/* Queues. */

static void
running_add(ev_http *h, ev_http_job *job)
{
    h->running = ev_alloc_resize(h->running, (h->nrunning + 1) * sizeof(*h->running));
    job->slot = h->nrunning;
    h->running[h->nrunning++] = job;
    h->in_flight_cost += job->cost;
}

static void
running_remove(ev_http *h, ev_http_job *job)
{
    size_t i = job->slot;
    h->running[i] = h->running[--h->nrunning];
    h->running[i]->slot = i;
    h->in_flight_cost -= job->cost;
    if (h->nrunning == 0)
        h->in_flight_cost = 0;
}

/* deliver queues 'job' to be handed back: before the next requests start,
 * so that an answer is cached before the request that replaces it is sent,
 * and a kill -9 loses at most the calls in flight. */
static void
deliver(ev_http *h, ev_http_job *job, enum ev_http_end end)
{
    free(job->resp);
    job->resp = NULL;
    job->resp_len = job->resp_cap = 0;
    job->handle = NULL;
    job->due = (double)end; /* the end, kept until handed back */
    job->next = NULL;
    if (h->ended_tail != NULL)
        h->ended_tail->next = job;
    else
        h->ended_head = job;
    h->ended_tail = job;
}

/* hand_back calls the done callback for every job that has ended. */
static void
hand_back(ev_http *h)
{
    while (h->ended_head != NULL) {
        ev_http_job *job = h->ended_head;
        h->ended_head = job->next;
        if (h->ended_head == NULL)
            h->ended_tail = NULL;
        job->next = NULL;
        h->pending--;
        h->delivered++;
        h->cfg.done(h->cfg.ctx, job, (enum ev_http_end)job->due);
    }
}

void
ev_http_submit(ev_http *h, ev_http_job *job)
{
    job->attempts = 0;
    job->resp = NULL;
    job->resp_len = job->resp_cap = 0;
    job->handle = NULL;
    job->next = NULL;
    if (h->ready_tail != NULL)
        h->ready_tail->next = job;
    else
        h->ready_head = job;
    h->ready_tail = job;
    h->pending++;
    h->queued++;
}

/* Attempts. */

static void
reset_attempt(ev_http_job *job)
{
    job->too_big = false;
    job->xfer = EV_HTTP_XFER_OK;
    job->untrusted = false;
    job->xfer_msg[0] = '\0';
    job->status = 0;
    job->resp_len = 0;
    if (job->resp != NULL)
        job->resp[0] = '\0';
    job->latency_ms = 0;
    job->retry_after = -1;
    job->should_retry = -1;
}

static void finish_attempt(ev_http *h, ev_http_job *job);

static void
start(ev_http *h, ev_http_job *job, double now)
{
    reset_attempt(job);
    job->attempts++;
    job->started = now;
    h->attempts++;
    job->seq = (double)h->attempts;
    h->cost_started += job->cost;
    job->cost_mark = h->cost_started;
    if (job->attempts > 1)
        h->retries++;
    running_add(h, job);
    if (h->cfg.url == NULL) {
        jv err;
        ev_child *c =
            ev_child_start(h->cfg.command, job->body, job->len, job->env, h->cfg.pass_env, &err);
        if (c == NULL) {
            jv m = jv_invalid_get_msg(err);
            job->xfer = EV_HTTP_XFER_FATAL;
            snprintf(job->xfer_msg, sizeof(job->xfer_msg), "%s", jv_string_value(m));
            jv_free(m);
            finish_attempt(h, job);
            return;
        }
        job->handle = c;
        return;
    }
    CURL *e = pool_get(h);
    curl_easy_setopt(e, CURLOPT_PRIVATE, job);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, job);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, job->xfer_msg);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, job->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)job->len);
    job->handle = e;
    curl_multi_add_handle(h->multi, e);
}

/* header copies the value of response header 'name' into 'buf', or returns
 * NULL when there is none. */
static const char *
header(CURL *e, const char *name, char *buf, size_t size)
{
    struct curl_header *hd;
    if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK || hd->value == NULL)
        return NULL;
    snprintf(buf, size, "%s", hd->value);
    return buf;
}

static double
header_number(CURL *e, const char *name)
{
    char buf[64];
    const char *v = header(e, name, buf, sizeof(buf));
    char *end;
    if (v == NULL)
        return -1;
    double d = strtod(v, &end);
    return end == v || !isfinite(d) ? -1 : d;
}

/* header_reset reads a reset header: a Go duration (OpenAI) or an RFC 3339
 * time (Anthropic), as seconds from now; -1 when there is none. */
static double
header_reset(CURL *e, const char *name, double now_epoch)
{
    char buf[64];
    const char *v = header(e, name, buf, sizeof(buf));
    double d;
    if (v == NULL)
        return -1;
    if (ev_ratelimit_go_duration(v, &d))
        return d;
    if (ev_ratelimit_rfc3339(v, &d))
        return d - now_epoch > 0 ? d - now_epoch : 0;
    return -1;
}

static time_t
http_date(const char *s)
{
    return curl_getdate(s, NULL);
}

/* observe_limits mirrors the server's limits from the headers of the
 * response to 'job' (lib/ratelimit.h: ev_ratelimit_quota). */
static void
observe_limits(ev_http *h, CURL *e, const ev_http_job *job, double now)
{
    /* [requests, tokens][OpenAI, Anthropic][remaining, reset] */
    static const char *const names[2][2][2] = {
        {{"x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"},
         {"anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset"}},
        {{"x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"},
         {"anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset"}},
    };
    double now_epoch = -1;
    for (int kind = 0; kind < 2; kind++) {
        ev_ratelimit_quota *q = kind == 0 ? &h->q_req : &h->q_tok;
        double after =
            kind == 0 ? (double)h->attempts - job->seq : h->cost_started - job->cost_mark;
        double remaining = -1, reset = -1;
        for (int who = 0; who < 2 && remaining < 0; who++) {
            remaining = header_number(e, names[kind][who][0]);
            if (remaining < 0)
                continue;
            if (now_epoch < 0)
                now_epoch = ev_clock_wall();
            reset = header_reset(e, names[kind][who][1], now_epoch);
        }
        bool was = q->known && q->level > 0;
        ev_ratelimit_quota_observe(q, now, job->seq, remaining, reset, after);
        if (was && q->known && q->level <= 0)
            logf_(h, "the server's %s limit is reached: %g left, room again in %.3g s",
                  kind == 0 ? "request" : "token", remaining, reset);
    }
}

enum ev_http_xfer
ev_http_classify(int curl_code)
{
    switch ((CURLcode)curl_code) {
    case CURLE_OPERATION_TIMEDOUT:
        return EV_HTTP_XFER_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return EV_HTTP_XFER_CONNECT;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_OUT_OF_MEMORY:
        return EV_HTTP_XFER_FATAL;
    default:
        return EV_HTTP_XFER_NETWORK;
    }
}

static void
finish_transfer(ev_http *h, CURL *e, CURLcode rc)
{
    ev_http_job *job = NULL;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&job);
    curl_off_t us = 0;
    curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &us);
    job->latency_ms = (double)us / 1000.0;
    if (rc == CURLE_OK) {
        long status = 0;
        char a[64], b[64], c[16];
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        job->status = status;
        job->xfer = EV_HTTP_XFER_OK;
        const char *ms = header(e, "retry-after-ms", a, sizeof(a));
        const char *secs = header(e, "retry-after", b, sizeof(b));
        job->retry_after = ev_ratelimit_retry_after(ms, secs, ev_clock_wall(), http_date);
        const char *sr = header(e, "x-should-retry", c, sizeof(c));
        job->should_retry = sr == NULL                     ? -1
                            : strcasecmp(sr, "true") == 0  ? 1
                            : strcasecmp(sr, "false") == 0 ? 0
                                                           : -1;
        observe_limits(h, e, job, ev_clock_mono());
        char *to = NULL;
        if (status >= 300 && status < 400 &&
            curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &to) == CURLE_OK && to != NULL)
            snprintf(job->xfer_msg, sizeof(job->xfer_msg), "%s", to);
    } else {
        job->xfer = ev_http_classify((int)rc);
        job->untrusted = rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_ISSUER_ERROR;
        if (rc == CURLE_WRITE_ERROR && job->too_big)
            snprintf(job->xfer_msg, sizeof(job->xfer_msg), "the response is larger than %ld MB",
                     RESP_MAX / (1024 * 1024));
        else if (job->xfer_msg[0] == '\0')
            snprintf(job->xfer_msg, sizeof(job->xfer_msg), "%s", curl_easy_strerror(rc));
    }
    if (job->resp == NULL) {
        job->resp = ev_alloc_resize(NULL, 1);
        job->resp_cap = 1;
    }
    job->resp[job->resp_len] = '\0';
    job->handle = NULL;
    curl_multi_remove_handle(h->multi, e);
    pool_put(h, e);
    finish_attempt(h, job);
}

static void
finish_child(ev_http *h, ev_http_job *job, bool timed_out)
{
    ev_child *c = job->handle;
    job->latency_ms = (ev_clock_mono() - job->started) * 1000.0;
    if (timed_out) {
        job->xfer = EV_HTTP_XFER_TIMEOUT;
        snprintf(job->xfer_msg, sizeof(job->xfer_msg), "the command ran past %.3g s and was killed",
                 (double)h->cfg.timeout_ms / 1000.0);
    } else if (ev_child_overflowed(c)) {
        job->xfer = EV_HTTP_XFER_NETWORK;
        snprintf(job->xfer_msg, sizeof(job->xfer_msg),
                 "the command wrote more than %ld MB and was killed",
                 EV_CHILD_MAX_OUTPUT / (1024 * 1024));
    } else {
        size_t len;
        const char *out = ev_child_output(c, &len);
        job->status = ev_child_status(c);
        job->xfer = EV_HTTP_XFER_OK;
        job->resp = ev_alloc_resize(job->resp, len + 1);
        job->resp_cap = len + 1;
        memcpy(job->resp, out, len + 1);
        job->resp_len = len;
    }
    ev_child_free(c);
    job->handle = NULL;
    finish_attempt(h, job);
}

static bool
overload(long status)
{
    return status == 429 || status == 503 || status == 529;
}

static void
finish_attempt(ev_http *h, ev_http_job *job)
{
    running_remove(h, job);
    if (job->resp == NULL) {
        job->resp = ev_alloc_resize(NULL, 1);
        job->resp_cap = 1;
        job->resp[0] = '\0';
    }
    enum ev_http_verdict v = h->cfg.judge(h->cfg.ctx, job);
    double now = ev_clock_mono();
    bool http = h->cfg.url != NULL, answered = job->xfer == EV_HTTP_XFER_OK;
    if (http && answered && job->status == 429)
        h->rate_limited++;
    if (http && answered && overload(job->status) && v == EV_HTTP_VERDICT_RETRY) {
        if (ev_ratelimit_aimd_overload(&h->aimd, job->started, now))
            logf_(h, "overloaded (HTTP %ld): at most %d requests in flight now", job->status,
                  h->aimd.cap);
    } else if (answered && v == EV_HTTP_VERDICT_DONE) {
        ev_ratelimit_aimd_success(&h->aimd);
    }
    switch (v) {
    case EV_HTTP_VERDICT_DONE:
        deliver(h, job, EV_HTTP_END_DONE);
        return;
    case EV_HTTP_VERDICT_STOP:
        h->stopping = true;
        deliver(h, job, EV_HTTP_END_STOP);
        return;
    case EV_HTTP_VERDICT_RETRY:
        break;
    }
    if (h->stopping) {
        deliver(h, job, EV_HTTP_END_CANCELLED);
        return;
    }
    double ra = job->retry_after;
    if (job->attempts > h->cfg.retries || ra > EV_RATELIMIT_MAX_RETRY_AFTER) {
        deliver(h, job, EV_HTTP_END_GAVE_UP);
        return;
    }
    double delay = ra > 0 ? ra : ev_ratelimit_backoff(job->attempts - 1, uniform(h));
    if (http && answered && job->status == 429 && now + delay > h->pause_until) {
        h->pause_until = now + delay;
        logf_(h, "rate limited: no new request for %.3g s", delay);
    }
    logf_(h, "%s%sretry %d of %d in %.3g s", job->label ? job->label : "", job->label ? ": " : "",
          job->attempts, h->cfg.retries, delay);
    job->due = now + delay;
    job->next = h->delayed;
    h->delayed = job;
    h->queued++;
}

/* Starting. */

/* gate returns how long a job costing 'cost' must wait to start, and sets
 * '*why' to what holds it longest. */
static double
gate(ev_http *h, double now, double cost, const char **why)
{
    const struct {
        double wait;
        const char *why;
    } holds[] = {
        {h->pause_until - now, "rate limited"},
        {ev_ratelimit_pacer_wait(&h->rpm, now), "--rpm"},
        {ev_ratelimit_pacer_wait(&h->tpm, now), "--tpm"},
        {ev_ratelimit_quota_wait(&h->q_req, now, 1), "the server's request limit"},
        {ev_ratelimit_quota_wait(&h->q_tok, now, cost), "the server's token limit"},
    };
    double w = 0;
    *why = "";
    for (size_t i = 0; i < sizeof(holds) / sizeof(holds[0]); i++) {
        if (holds[i].wait > w) {
            w = holds[i].wait;
            *why = holds[i].why;
        }
    }
    return w;
}

/* log_hold logs, once for each time a start is held until, how long the
 * next request waits and why. */
static void
log_hold(ev_http *h, double now, double wait, const char *why)
{
    if (fabs(now + wait - h->held_until) < 1e-3)
        return;
    h->held_until = now + wait;
    logf_(h, "next request in %.3g s: %s", wait, why);
}

static int
start_ready(ev_http *h)
{
    int started = 0;
    h->next_timer = HUGE_VAL;
    if (h->stopping)
        return 0;
    double now = ev_clock_mono();
    for (;;) {
        ev_http_job **best = NULL;
        for (ev_http_job **p = &h->delayed; *p != NULL; p = &(*p)->next) {
            if ((*p)->due <= now) {
                if (best == NULL || (*p)->due < (*best)->due)
                    best = p;
            } else if ((*p)->due < h->next_timer) {
                h->next_timer = (*p)->due;
            }
        }
        ev_http_job *job = best ? *best : h->ready_head;
        if (job == NULL || (int)h->nrunning >= h->aimd.cap)
            break;
        const char *why;
        double w = gate(h, now, job->cost, &why);
        if (w > 0) {
            if (now + w < h->next_timer)
                h->next_timer = now + w;
            log_hold(h, now, w, why);
            break;
        }
        if (best != NULL) {
            *best = job->next;
        } else {
            h->ready_head = job->next;
            if (h->ready_head == NULL)
                h->ready_tail = NULL;
        }
        job->next = NULL;
        h->queued--;
        ev_ratelimit_pacer_take(&h->rpm, now, 1);
        ev_ratelimit_pacer_take(&h->tpm, now, job->cost);
        ev_ratelimit_quota_take(&h->q_req, now, 1);
        ev_ratelimit_quota_take(&h->q_tok, now, job->cost);
        start(h, job, now);
        started++;
    }
    return started;
}

/* cancel_queued hands back every job not in flight. */
static void
cancel_queued(ev_http *h)
{
    while (h->ready_head != NULL) {
        ev_http_job *job = h->ready_head;
        h->ready_head = job->next;
        h->queued--;
        deliver(h, job, EV_HTTP_END_CANCELLED);
    }
    h->ready_tail = NULL;
    while (h->delayed != NULL) {
        ev_http_job *job = h->delayed;
        h->delayed = job->next;
        h->queued--;
        deliver(h, job, EV_HTTP_END_CANCELLED);
    }
}

/* collect finishes what has finished: transfers and commands. */
static void
collect(ev_http *h)
{
    int running, left;
    CURLMsg *msg;
    if (h->cfg.url != NULL) {
        curl_multi_perform(h->multi, &running);
        while ((msg = curl_multi_info_read(h->multi, &left)) != NULL)
            if (msg->msg == CURLMSG_DONE)
                finish_transfer(h, msg->easy_handle, msg->data.result);
        return;
    }
    double now = ev_clock_mono(), limit = (double)h->cfg.timeout_ms / 1000.0;
    for (size_t i = 0; i < h->nrunning;) {
        ev_http_job *job = h->running[i];
        if (job->handle == NULL) {
            i++;
            continue;
        }
        if (ev_child_step(job->handle)) {
            finish_child(h, job, false);
        } else if (now - job->started >= limit) {
            finish_child(h, job, true);
        } else {
            i++;
            continue;
        }
        /* finish_* moved another job into slot i; look at it next. */
    }
}

static void
progress(ev_http *h)
{
    collect(h);
    if (h->stopping)
        cancel_queued(h);
    hand_back(h);
    if (start_ready(h) > 0 && h->cfg.url != NULL) {
        int running;
        curl_multi_perform(h->multi, &running);
    }
    hand_back(h); /* a command that could not be started */
}

int
ev_http_run(ev_http *h, long wait_ms)
{
    h->delivered = 0;
    progress(h);
    if (h->delivered > 0 || wait_ms <= 0)
        return h->delivered;
    double now = ev_clock_mono();
    long timeout = wait_ms;
    if (h->next_timer < HUGE_VAL) {
        double ms = ceil((h->next_timer - now) * 1000.0);
        if (ms < timeout)
            timeout = ms < 0 ? 0 : (long)ms;
    }
    size_t cap = 1 + 2 * h->nrunning, n = 0;
    if (cap > h->nfds) {
        h->fds = ev_alloc_resize(h->fds, cap * sizeof(*h->fds));
        h->nfds = cap;
    }
    struct curl_waitfd *fds = h->fds;
    if (h->cfg.wake_fd >= 0)
        fds[n++] = (struct curl_waitfd){h->cfg.wake_fd, CURL_WAIT_POLLIN, 0};
    if (h->cfg.url == NULL) {
        double limit = (double)h->cfg.timeout_ms / 1000.0;
        for (size_t i = 0; i < h->nrunning; i++) {
            ev_http_job *job = h->running[i];
            struct pollfd pf[2];
            int k = job->handle ? ev_child_pollfds(job->handle, pf) : 0;
            if (k == 0 && timeout > 5)
                timeout = 5; /* output ended; the exit is collected by polling */
            for (int j = 0; j < k; j++)
                fds[n++] = (struct curl_waitfd){
                    pf[j].fd, (short)(pf[j].events & POLLIN ? CURL_WAIT_POLLIN : CURL_WAIT_POLLOUT),
                    0};
            double left = ceil((job->started + limit - now) * 1000.0);
            if (left < timeout)
                timeout = left < 0 ? 0 : (long)left;
        }
    }
    CURLMcode mc = curl_multi_poll(h->multi, fds, (unsigned)n, (int)timeout, NULL);
    if (mc != CURLM_OK)
        return -1;
    progress(h);
    return h->delivered;
}

ev_http *
ev_http_new(const ev_http_config *cfg, jv *err)
{
    ev_http *h = ev_alloc_zero(1, sizeof(*h));
    h->cfg = *cfg;
    if (h->cfg.rate_margin <= 0 || h->cfg.rate_margin > 1)
        h->cfg.rate_margin = 1;
    h->multi = curl_multi_init();
    if (h->multi == NULL) {
        free(h);
        *err = jv_invalid_with_msg(jv_string("cannot start libcurl"));
        return NULL;
    }
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)(cfg->jobs + 8));
    for (const char *const *p = cfg->headers; p != NULL && *p != NULL; p++) {
        struct curl_slist *l = curl_slist_append(h->headers, *p);
        if (l == NULL)
            ev_diag_out_of_memory();
        h->headers = l;
    }
    ev_ratelimit_aimd_init(&h->aimd, cfg->jobs);
    ev_ratelimit_pacer_init(&h->rpm, cfg->rpm, h->cfg.rate_margin);
    ev_ratelimit_pacer_init(&h->tpm, cfg->tpm, h->cfg.rate_margin);
    h->pause_until = -HUGE_VAL;
    h->next_timer = HUGE_VAL;
    h->rng = ((uint64_t)cfg->seed * 0x9E3779B97F4A7C15ULL) ^ 0xD1B54A32D192ED03ULL;
    if (h->rng == 0)
        h->rng = 1;
    return h;
}

void
ev_http_stop(ev_http *h)
{
    h->stopping = true;
}

void
ev_http_abort(ev_http *h)
{
    h->stopping = true;
    h->delivered = 0;
    cancel_queued(h);
    while (h->nrunning > 0) {
        ev_http_job *job = h->running[h->nrunning - 1];
        running_remove(h, job);
        if (h->cfg.url != NULL) {
            curl_multi_remove_handle(h->multi, job->handle);
            pool_put(h, job->handle);
        } else if (job->handle != NULL) {
            ev_child_free(job->handle);
        }
        job->handle = NULL;
        deliver(h, job, EV_HTTP_END_CANCELLED);
    }
    hand_back(h);
}

void
ev_http_wakeup(ev_http *h)
{
    curl_multi_wakeup(h->multi);
}

size_t
ev_http_pending(const ev_http *h)
{
    return h->pending;
}

void
ev_http_get_stats(const ev_http *h, ev_http_stats *s)
{
    double now = ev_clock_mono();
    s->in_flight = (int)h->nrunning;
    s->cap = h->aimd.cap;
    s->queued = h->queued;
    s->fresh = 0;
    for (const ev_http_job *j = h->ready_head; j != NULL; j = j->next)
        s->fresh++;
    s->attempts = h->attempts;
    s->retries = h->retries;
    s->rate_limited = h->rate_limited;
    s->paused = h->pause_until > now ? h->pause_until - now : 0;
}

void
ev_http_free(ev_http *h)
{
    if (h == NULL)
        return;
    ev_http_abort(h);
    for (size_t i = 0; i < h->npool; i++)
        curl_easy_cleanup(h->pool[i]);
    free(h->pool);
    free(h->running);
    free(h->fds);
    for (struct curl_slist *l = h->headers; l != NULL; l = l->next)
        explicit_bzero(l->data, strlen(l->data));
    curl_slist_free_all(h->headers);
    curl_multi_cleanup(h->multi);
    free(h);
}
