/*
 * ev-mock: a local model server, for testing eval pipelines offline and free.
 *
 * Serves the OpenAI Chat Completions and Anthropic Messages endpoints on a
 * loopback port. It answers from a set of cases, right at a chosen accuracy,
 * from the outputs of an earlier run, or with a deterministic stand-in; and it
 * injects faults (rate limits, server errors, broken and slow bodies) at
 * chosen rates, so a client's retries, timeouts and parsing can be tested.
 * Every choice is a hash of the seed and the request, never of timing, so a
 * run reproduces whatever the client's concurrency. GET /stats says what the
 * server saw.
 *
 * It also serves OpenAI's files and fine-tuning jobs endpoints, a
 * SIMULATION (lib/finetune.h): a job trains nothing, and the model it makes
 * answers with an accuracy per tag that grows with the examples of that tag
 * it was tuned on (lib/learner.h), so the whole tune-and-evaluate cycle can
 * be run and tested offline.
 *
 * And it serves OpenAI's Batch API and Anthropic's Message Batches API, a
 * SIMULATION too (lib/batchsim.h): each line is answered as the synchronous
 * endpoint answers it (lib/mockchat.h), and time or polling reveals the
 * answers; for batches this file only routes.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "alloc.h"
#include "batchsim.h"
#include "cli.h"
#include "clock.h"
#include "diag.h"
#include "ev.h"
#include "finetune.h"
#include "hash.h"
#include "jsonl.h"
#include "learner.h"
#include "mock.h"
#include "mockchat.h"
#include "mockwire.h"
#include "record.h"
#include "tune.h"

/* Anthropic's documented request limit for standard endpoints; OpenAI's for
 * one file; Anthropic's for a message batch. */
#define MAX_BODY (32L * 1024 * 1024)
#define MAX_FILE_BODY (512L * 1024 * 1024)
#define MAX_BATCH_BODY (256L * 1024 * 1024)

/* Faults, in the order they are tried on a request. The order follows a real
 * stack from the outside in: the key, the account's quota and rate limit,
 * then an overloaded or failing server, then a broken answer body, then a
 * slow one. */
enum fault {
    F_AUTH,
    F_QUOTA,
    F_429,
    F_529,
    F_503,
    F_502,
    F_500,
    F_REDIRECT,
    F_FLAT,
    F_NONJSON,
    F_TRUNCATED,
    F_NOUSAGE,
    F_RESET,
    F_SLOW,
    F_JUDGE_INVALID,
    NFAULTS,
    F_NONE = NFAULTS,
};

static const char *const fault_names[NFAULTS] = {
    "auth",       "quota",   "429",       "529",     "503",   "502",  "500",           "redirect",
    "flat-error", "nonjson", "truncated", "nousage", "reset", "slow", "judge-invalid",
};

/* What became of a request: 'ok', a fault, or a refusal. */
enum outcome {
    O_OK,
    O_FAULT, /* O_FAULT + enum fault */
    O_RATE_LIMITED = O_FAULT + NFAULTS,
    O_UNAUTHORIZED,
    O_BAD_REQUEST,
    O_NOT_FOUND,
    NOUTCOMES,
};

/* The fine-tuning paths count under the endpoint they belong to, with or
 * without /v1 and whatever follows: /v1/fine_tuning/jobs/ID/events counts
 * as /v1/fine_tuning/jobs. */
enum path {
    P_V1_CHAT,
    P_CHAT,
    P_V1_MESSAGES,
    P_MESSAGES,
    P_FILES,
    P_JOBS,
    P_BATCHES,
    P_MESSAGE_BATCHES,
    P_OTHER,
    NPATHS
};

static const char *const path_names[NPATHS] = {
    "/v1/chat/completions", "/chat/completions", "/v1/messages",         "/messages", "/v1/files",
    "/v1/fine_tuning/jobs", "/v1/batches",       "/v1/messages/batches", "other",
};

static const char *const source_names[] = {"replay", "right", "wrong", "unknown"};

typedef struct fault_rule {
    double rate; /* share of distinct bodies faulted; 0 is off */
    long times;  /* attempts faulted per body; 0 is every attempt */
} fault_rule;

/* The configuration: set by main before the server starts, read-only after. */
typedef struct config {
    ev_mock *mock;
    uint64_t seed;
    fault_rule faults[NFAULTS];
    long latency_mean, latency_sd; /* ms */
    bool lognormal;
    long slow_ms, retry_after_ms;
    long rpm, rpm_window_ms; /* 0 rpm: no limit */
    char *key;               /* NULL: no key is required */
    bool echo_key;           /* --echo-key: quote the request's key in headers */
    bool verbose;
    ev_ft *ft;         /* the files and fine-tuning jobs; thread-safe on its own */
    ev_bs *bs;         /* the batches; thread-safe on its own */
    const char *judge; /* --judge: the model that grades judge prompts */
} config;

typedef struct model_count {
    char *model;
    unsigned long n;
} model_count;

/* Attempts seen per distinct request body, keyed by the body's hash; a hash
 * of 0 marks an empty slot. */
typedef struct attempt_slot {
    uint64_t h;
    unsigned long n;
} attempt_slot;

typedef struct server {
    config c;
    pthread_mutex_t mu;  /* guards everything below */
    pthread_cond_t wake; /* broadcast on shutdown, to end every nap */
    bool stopping;
    unsigned long requests, by_path[NPATHS], by_outcome[NOUTCOMES], by_source[4];
    long in_flight, max_in_flight;
    model_count *models;
    size_t nmodels;
    attempt_slot *attempts;
    size_t attempts_cap, bodies;
    unsigned long max_attempts;
    int64_t *window; /* times (ms) of the requests admitted in the rpm window */
    size_t whead, wcount;
    uint64_t serial;
    unsigned long files_uploaded;
} server;

/* One HTTP request: its body, gathered across calls of the handler. */
typedef struct request {
    char *body; /* NUL-terminated, for jv_parse_sized */
    size_t len, cap, limit;
    bool too_big;
    int64_t start;
} request;

#define MAX_HEADERS 12

/* An answer to send. 'cut', when not 0, makes the connection drop after that
 * many bytes of a body whose announced length is 'len'. */
typedef struct reply {
    unsigned status;
    const char *type;
    char *body;
    size_t len, cut;
    int nhdr;
    struct {
        const char *name;
        char value[256];
    } hdr[MAX_HEADERS];
    enum outcome outcome;
} reply;

/* A model request, as far as it got. */
typedef struct call {
    enum ev_wire pv;
    ev_chat chat; /* valid once the body is */
    uint64_t body_hash;
    unsigned long attempt; /* 0 until the request reaches the model */
    long remaining;        /* requests left in the rpm window */
    long reset_ms;         /* until the oldest request leaves the window */
    const char *answer;    /* source of the answer, for the log */
    const char *case_id;
} call;

/* nap sleeps 'ms' milliseconds, or less when the server stops. */
static void
nap(server *s, long ms)
{
    if (ms <= 0)
        return;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->mu, &until) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&s->mu);
}

/* Replies. */

static void add_header(reply *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add_header(reply *r, const char *name, const char *fmt, ...)
{
    if (r->nhdr == MAX_HEADERS)
        return;
    va_list ap;
    va_start(ap, fmt);
    r->hdr[r->nhdr].name = name;
    vsnprintf(r->hdr[r->nhdr].value, sizeof(r->hdr[r->nhdr].value), fmt, ap);
    va_end(ap);
    r->nhdr++;
}

static void
set_body(reply *r, unsigned status, const char *type, const char *text, size_t len)
{
    free(r->body);
    r->status = status;
    r->type = type;
    r->body = memcpy(ev_alloc_resize(NULL, len), text, len);
    r->len = len;
}

/* set_json sets the body to 'v' (consumed) as compact JSON. */
static void
set_json(reply *r, unsigned status, jv v)
{
    jv s = jv_dump_string(v, 0);
    set_body(r, status, "application/json", jv_string_value(s), strlen(jv_string_value(s)));
    jv_free(s);
}

/* new_request_id writes a new request id into 'buf'. */
static const char *
new_request_id(server *s, char buf[24])
{
    pthread_mutex_lock(&s->mu);
    uint64_t id = ev_mix64(++s->serial ^ s->c.seed);
    pthread_mutex_unlock(&s->mu);
    snprintf(buf, 24, "req_%016" PRIx64, id);
    return buf;
}

static void
add_request_id(reply *r, enum ev_wire pv, const char *id)
{
    add_header(r, pv == EV_WIRE_OPENAI ? "x-request-id" : "request-id", "%s", id);
}

/* request_id gives the reply the provider's request id header, and returns
 * the id in 'buf'. */
static const char *
request_id(server *s, reply *r, enum ev_wire pv, char buf[24])
{
    add_request_id(r, pv, new_request_id(s, buf));
    return buf;
}

/* set_error sets the provider's error body for 'e', with 'message' in place
 * of the stock one when not NULL. */
static void
set_error(server *s, reply *r, enum ev_wire pv, enum ev_wire_error e, const char *message)
{
    char id[24];
    request_id(s, r, pv, id);
    set_json(r, ev_wire_status(pv, e), ev_wire_error(pv, e, message, id));
}

/* set_rate_limited answers 429 with the headers each provider sends: the wait
 * 'wait_ms', and how many of 'limit' requests remain. */
static void
set_rate_limited(server *s, reply *r, enum ev_wire pv, long wait_ms, long limit)
{
    char when[64];
    set_error(s, r, pv, EV_WIRE_RATE_LIMIT, NULL);
    add_header(r, "retry-after", "%ld", (wait_ms + 999) / 1000);
    if (pv == EV_WIRE_OPENAI) {
        ev_wire_duration(when, sizeof(when), wait_ms);
        add_header(r, "retry-after-ms", "%ld", wait_ms);
        add_header(r, "x-ratelimit-limit-requests", "%ld", limit);
        add_header(r, "x-ratelimit-remaining-requests", "0");
        add_header(r, "x-ratelimit-reset-requests", "%s", when);
        add_header(r, "x-ratelimit-limit-tokens", "150000");
        add_header(r, "x-ratelimit-remaining-tokens", "150000");
        add_header(r, "x-ratelimit-reset-tokens", "6m0s");
    } else {
        ev_wire_time_in(when, sizeof(when), wait_ms);
        add_header(r, "anthropic-ratelimit-requests-limit", "%ld", limit);
        add_header(r, "anthropic-ratelimit-requests-remaining", "0");
        add_header(r, "anthropic-ratelimit-requests-reset", "%s", when);
    }
}

/* Statistics, attempts and the rpm window. Callers hold s->mu. */

static void
count_model(server *s, const char *model)
{
    size_t i = 0;
    while (i < s->nmodels && strcmp(s->models[i].model, model) != 0)
        i++;
    if (i == s->nmodels) {
        /* Past a thousand names, a client is making them up; stop growing. */
        if (s->nmodels == 1000)
            return;
        s->models = ev_alloc_resize(s->models, (s->nmodels + 1) * sizeof(*s->models));
        s->models[i] = (model_count){ev_alloc_strdup(model), 0};
        s->nmodels++;
    }
    s->models[i].n++;
}

/* bump_attempts counts one more attempt of the body whose hash is 'h' and
 * returns how many there have been, this one included. */
static unsigned long
bump_attempts(server *s, uint64_t h)
{
    h = h ? h : 1;
    if (2 * (s->bodies + 1) > s->attempts_cap) {
        size_t cap = s->attempts_cap ? 2 * s->attempts_cap : 1024;
        attempt_slot *t = ev_alloc_resize(NULL, cap * sizeof(*t));
        memset(t, 0, cap * sizeof(*t));
        for (size_t i = 0; i < s->attempts_cap; i++) {
            if (s->attempts[i].h == 0)
                continue;
            size_t k = s->attempts[i].h & (cap - 1);
            while (t[k].h != 0)
                k = (k + 1) & (cap - 1);
            t[k] = s->attempts[i];
        }
        free(s->attempts);
        s->attempts = t;
        s->attempts_cap = cap;
    }
    size_t k = h & (s->attempts_cap - 1);
    while (s->attempts[k].h != 0 && s->attempts[k].h != h)
        k = (k + 1) & (s->attempts_cap - 1);
    if (s->attempts[k].h == 0) {
        s->attempts[k].h = h;
        s->bodies++;
    }
    unsigned long n = ++s->attempts[k].n;
    if (n > s->max_attempts)
        s->max_attempts = n;
    return n;
}

/* rpm_admit applies the sliding window: a request is admitted when fewer
 * than 'rpm' requests were admitted in the last window. It returns 0 and
 * records the request, or the milliseconds until the oldest request leaves
 * the window. 'c' gets the requests left in the window and the time until
 * the oldest leaves it. */
static long
rpm_admit(server *s, int64_t now, call *c)
{
    long rpm = s->c.rpm, w = s->c.rpm_window_ms;
    while (s->wcount > 0 && s->window[s->whead] + w <= now) {
        s->whead = (s->whead + 1) % (size_t)rpm;
        s->wcount--;
    }
    if (s->wcount == (size_t)rpm) {
        c->remaining = 0;
        c->reset_ms = (long)(s->window[s->whead] + w - now);
        return c->reset_ms;
    }
    s->window[(s->whead + s->wcount) % (size_t)rpm] = now;
    s->wcount++;
    c->remaining = rpm - (long)s->wcount;
    c->reset_ms = (long)(s->window[s->whead] + w - now);
    return 0;
}

/* reset_stats returns the server to its state at start: counts, attempts
 * and the rpm window. Requests in flight stay counted as in flight. */
static void
reset_stats(server *s)
{
    pthread_mutex_lock(&s->mu);
    s->requests = 0;
    memset(s->by_path, 0, sizeof(s->by_path));
    memset(s->by_outcome, 0, sizeof(s->by_outcome));
    memset(s->by_source, 0, sizeof(s->by_source));
    for (size_t i = 0; i < s->nmodels; i++)
        free(s->models[i].model);
    free(s->models);
    s->models = NULL;
    s->nmodels = 0;
    if (s->attempts != NULL)
        memset(s->attempts, 0, s->attempts_cap * sizeof(*s->attempts));
    s->bodies = 0;
    s->max_attempts = 0;
    s->whead = s->wcount = 0;
    s->max_in_flight = s->in_flight;
    s->files_uploaded = 0;
    pthread_mutex_unlock(&s->mu);
    if (s->c.bs != NULL)
        ev_bs_reset_stats(s->c.bs);
}

static const char *
outcome_name(enum outcome o)
{
    static const char *const rest[] = {"rate_limited", "unauthorized", "bad_request", "not_found"};
    if (o == O_OK)
        return "ok";
    if (o < O_RATE_LIMITED)
        return fault_names[o - O_FAULT];
    return rest[o - O_RATE_LIMITED];
}

static jv
stats_json(server *s)
{
    pthread_mutex_lock(&s->mu);
    jv paths = jv_object(), outcomes = jv_object(), sources = jv_object(), models = jv_object();
    for (int i = 0; i < NPATHS; i++)
        paths = jv_object_set(paths, jv_string(path_names[i]), jv_number((double)s->by_path[i]));
    for (int i = 0; i < NOUTCOMES; i++)
        outcomes = jv_object_set(outcomes, jv_string(outcome_name((enum outcome)i)),
                                 jv_number((double)s->by_outcome[i]));
    for (int i = 0; i < 4; i++)
        sources =
            jv_object_set(sources, jv_string(source_names[i]), jv_number((double)s->by_source[i]));
    for (size_t i = 0; i < s->nmodels; i++)
        models =
            jv_object_set(models, jv_string(s->models[i].model), jv_number((double)s->models[i].n));
    jv o = jv_object_set(jv_object(), jv_string("requests"), jv_number((double)s->requests));
    o = jv_object_set(o, jv_string("by_path"), paths);
    o = jv_object_set(o, jv_string("by_outcome"), outcomes);
    o = jv_object_set(o, jv_string("by_model"), models);
    o = jv_object_set(o, jv_string("answers"), sources);
    o = jv_object_set(o, jv_string("distinct_bodies"), jv_number((double)s->bodies));
    o = jv_object_set(o, jv_string("max_attempts"), jv_number((double)s->max_attempts));
    o = jv_object_set(o, jv_string("in_flight"), jv_number((double)s->in_flight));
    o = jv_object_set(o, jv_string("max_in_flight"), jv_number((double)s->max_in_flight));
    double uploaded = (double)s->files_uploaded;
    pthread_mutex_unlock(&s->mu);
    o = jv_object_set(o, jv_string("fine_tuning"), ev_ft_stats(s->c.ft, ev_clock_wall_ms()));
    jv b = ev_bs_stats(s->c.bs, ev_clock_wall_ms());
    jv oa = jv_object_get(jv_copy(b), jv_string("openai"));
    oa = jv_object_set(oa, jv_string("files_uploaded"), jv_number(uploaded));
    return jv_object_set(o, jv_string("batches"), jv_object_set(b, jv_string("openai"), oa));
}

/* Requests. */

/* under says whether 'url' is 'base' or below it, with or without /v1. */
static bool
under(const char *url, const char *base)
{
    if (strncmp(url, "/v1/", 4) == 0)
        url += 3;
    size_t n = strlen(base);
    return strncmp(url, base, n) == 0 && (url[n] == '\0' || url[n] == '/');
}

static enum path
path_of(const char *url)
{
    for (int i = 0; i < P_FILES; i++)
        if (strcmp(url, path_names[i]) == 0)
            return (enum path)i;
    if (under(url, "/files"))
        return P_FILES;
    if (under(url, "/fine_tuning/jobs"))
        return P_JOBS;
    if (under(url, "/batches"))
        return P_BATCHES;
    if (under(url, "/messages/batches"))
        return P_MESSAGE_BATCHES;
    return P_OTHER;
}

/* secret_equal compares in time independent of where the strings differ. */
static bool
secret_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t i = 0; i < la; i++)
        d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
    return d == 0;
}

/* check_key returns -1 when the request carries the key, else the error;
 * '*given' is the key the request carried, or NULL. */
static int
check_key(struct MHD_Connection *conn, enum ev_wire pv, const char *key, const char **given)
{
    const char *v;
    *given = NULL;
    if (pv == EV_WIRE_OPENAI) {
        v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "authorization");
        if (v == NULL)
            return EV_WIRE_NO_KEY;
        if (strncasecmp(v, "Bearer ", 7) != 0)
            return EV_WIRE_BAD_KEY;
        v += 7;
    } else {
        v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-api-key");
        if (v == NULL)
            return EV_WIRE_NO_KEY;
    }
    *given = v;
    return secret_equal(v, key) ? -1 : EV_WIRE_BAD_KEY;
}

/* refuse_key answers a request without the right key. A wrong key is quoted
 * whole, as a careless proxy might: the tests prove clients redact it. */
static void
refuse_key(server *s, reply *r, enum ev_wire pv, int e, const char *given)
{
    jv msg = given != NULL ? jv_string_fmt("Incorrect API key provided: %s.", given) : jv_null();
    set_error(s, r, pv, (enum ev_wire_error)e, given != NULL ? jv_string_value(msg) : NULL);
    jv_free(msg);
    r->outcome = O_UNAUTHORIZED;
}

/* echo_key quotes the key the request carried, if any, in the reply's
 * headers, as a careless server might: in a redirect, a cookie and a header
 * of its own. The tests prove clients redact it wherever it comes back. */
static void
echo_key(struct MHD_Connection *conn, reply *r)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "authorization");
    if (v != NULL && strncasecmp(v, "Bearer ", 7) == 0)
        v += 7;
    else
        v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-api-key");
    if (v == NULL)
        return;
    add_header(r, "Location", "/v1/echo?key=%s", v);
    add_header(r, "Set-Cookie", "session=%s; Path=/; HttpOnly", v);
    add_header(r, "X-Echo-Key", "%s", v);
}

/* no_version says whether an Anthropic request lacks the anthropic-version
 * header, which Anthropic requires. */
static bool
no_version(struct MHD_Connection *conn, enum ev_wire pv)
{
    return pv == EV_WIRE_ANTHROPIC &&
           MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "anthropic-version") == NULL;
}

/* read_call reads the body of a model request into 'c' and resolves its
 * model. It returns true, or sets the error (a 400 or a 404) and false. */
static bool
read_call(server *s, struct MHD_Connection *conn, const request *rq, reply *r, call *c)
{
    char rid[24];
    jv err;
    if (no_version(conn, c->pv)) {
        set_error(s, r, c->pv, EV_WIRE_BAD_REQUEST, "anthropic-version: header is required");
        r->outcome = O_BAD_REQUEST;
        return false;
    }
    new_request_id(s, rid);
    unsigned st = ev_chat_read(s->c.ft, c->pv, rq->body ? rq->body : "", rq->len,
                               ev_clock_wall_ms(), rid, &c->chat, &err);
    if (st != 0) {
        add_request_id(r, c->pv, rid);
        set_json(r, st, err);
        r->outcome = st == 404 ? O_NOT_FOUND : O_BAD_REQUEST;
        return false;
    }
    c->body_hash = ev_hash64(rq->body, rq->len, 0);
    return true;
}

/* pick_fault decides the fault of attempt 'attempt' of the body whose hash
 * is 'h'. A kind selects a body when a hash of (seed, kind, body) falls under
 * its rate, and then faults its next TIMES attempts; kinds that select the
 * same body take their turns in the fixed order, after which it succeeds. */
static enum fault
pick_fault(const config *cf, uint64_t h, unsigned long attempt)
{
    unsigned long n = attempt;
    for (int k = 0; k < NFAULTS; k++) {
        const fault_rule *f = &cf->faults[k];
        if (f->rate <= 0)
            continue;
        const char *name = fault_names[k];
        if (ev_unit(ev_hash64(name, strlen(name), h ^ ev_mix64(cf->seed))) >= f->rate)
            continue;
        if (f->times == 0 || n <= (unsigned long)f->times)
            return (enum fault)k;
        n -= (unsigned long)f->times;
    }
    return F_NONE;
}

/* latency draws the delay of one attempt of a body: fixed, or normal
 * (clamped at 0) or lognormal with the given mean and standard deviation. */
static long
latency(const config *cf, uint64_t h, unsigned long attempt)
{
    if (cf->latency_sd == 0)
        return cf->latency_mean;
    uint64_t r = ev_hash64(&attempt, sizeof(attempt), h ^ ev_mix64(cf->seed + 1));
    double u1 = ev_unit(r), u2 = ev_unit(ev_mix64(r));
    double z = sqrt(-2.0 * log1p(-u1)) * cos(2.0 * M_PI * u2);
    double mean = (double)cf->latency_mean, sd = (double)cf->latency_sd, ms;
    if (!cf->lognormal) {
        ms = mean + sd * z;
    } else if (mean <= 0) {
        ms = 0;
    } else {
        double s2 = log1p(sd * sd / (mean * mean));
        ms = exp(log(mean) - s2 / 2 + sqrt(s2) * z);
    }
    return ms <= 0 ? 0 : ms >= 3600000 ? 3600000 : lround(ms);
}

/* set_answer sets the model's answer to the call. */
static void
set_answer(server *s, reply *r, call *c, bool usage)
{
    const config *cf = &s->c;
    char id[40], rid[24];
    uint64_t idh = ev_mix64(c->body_hash ^ c->attempt);
    snprintf(id, sizeof(id), c->pv == EV_WIRE_OPENAI ? "chatcmpl-%016" PRIx64 : "msg_%016" PRIx64,
             idh);
    ev_chat_source src;
    jv body = ev_chat_answer(cf->mock, &c->chat, id, usage, &src);
    c->answer = source_names[src.source];
    c->case_id = src.case_id;
    pthread_mutex_lock(&s->mu);
    s->by_source[src.source]++;
    pthread_mutex_unlock(&s->mu);
    request_id(s, r, c->pv, rid);
    set_json(r, 200, body);
    if (cf->rpm > 0) {
        char when[64];
        if (c->pv == EV_WIRE_OPENAI) {
            ev_wire_duration(when, sizeof(when), c->reset_ms);
            add_header(r, "x-ratelimit-limit-requests", "%ld", cf->rpm);
            add_header(r, "x-ratelimit-remaining-requests", "%ld", c->remaining);
            add_header(r, "x-ratelimit-reset-requests", "%s", when);
        } else {
            ev_wire_time_in(when, sizeof(when), c->reset_ms);
            add_header(r, "anthropic-ratelimit-requests-limit", "%ld", cf->rpm);
            add_header(r, "anthropic-ratelimit-requests-remaining", "%ld", c->remaining);
            add_header(r, "anthropic-ratelimit-requests-reset", "%s", when);
        }
    }
}

static const char html_502[] =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    "</body>\r\n</html>\r\n";

/* serve_fault answers with fault 'f', or with the model's answer. */
static void
serve_fault(server *s, reply *r, call *c, enum fault f)
{
    const config *cf = &s->c;
    static const enum ev_wire_error as_error[] = {
        [F_AUTH] = EV_WIRE_BAD_KEY, [F_QUOTA] = EV_WIRE_QUOTA, [F_529] = EV_WIRE_529,
        [F_503] = EV_WIRE_503,      [F_502] = EV_WIRE_502,     [F_500] = EV_WIRE_500};
    r->outcome = f == F_NONE ? O_OK : O_FAULT + f;
    switch (f) {
    case F_AUTH:
    case F_QUOTA:
    case F_529:
    case F_503:
    case F_502:
    case F_500:
        set_error(s, r, c->pv, as_error[f], NULL);
        return;
    case F_429:
        set_rate_limited(s, r, c->pv, cf->retry_after_ms, cf->rpm > 0 ? cf->rpm : 60);
        return;
    case F_REDIRECT:
        /* to where the answer is: a client that followed it would be paid
         * an answer for a request it never meant to send */
        set_json(r, 307, jv_object());
        add_header(r, "location", "%s",
                   c->pv == EV_WIRE_OPENAI ? "/v1/chat/completions" : "/v1/messages");
        return;
    case F_FLAT:
        set_json(r, 500,
                 ev_wire_flat_error(500, "The server had an error while processing your request"));
        return;
    case F_NONJSON:
        set_body(r, 502, "text/html", html_502, sizeof(html_502) - 1);
        return;
    case F_SLOW:
        nap(s, cf->slow_ms);
        set_answer(s, r, c, true);
        return;
    case F_JUDGE_INVALID:
        c->chat.judge_invalid = true;
        /* fall through */
    case F_TRUNCATED:
    case F_NOUSAGE:
    case F_RESET:
    case F_NONE:
        nap(s, latency(cf, c->body_hash, c->attempt));
        set_answer(s, r, c, f != F_NOUSAGE);
        if (f == F_TRUNCATED)
            r->len = r->len / 2;
        else if (f == F_RESET)
            r->cut = r->len / 2;
        return;
    }
}

/* serve_model answers a model endpoint: the key, the body, the rpm limit,
 * then a fault or the answer. */
static void
serve_model(server *s, struct MHD_Connection *conn, const request *rq, reply *r, call *c)
{
    const config *cf = &s->c;
    int e;
    long wait = 0;
    const char *given;
    if (rq->too_big) {
        set_error(s, r, c->pv, EV_WIRE_TOO_LARGE, NULL);
        r->outcome = O_BAD_REQUEST;
        return;
    }
    if (cf->key != NULL && (e = check_key(conn, c->pv, cf->key, &given)) >= 0) {
        refuse_key(s, r, c->pv, e, given);
        return;
    }
    if (!read_call(s, conn, rq, r, c))
        return;
    pthread_mutex_lock(&s->mu);
    count_model(s, jv_string_value(c->chat.req.model));
    if (cf->rpm > 0)
        wait = rpm_admit(s, ev_clock_mono_ms(), c);
    if (wait == 0) {
        c->attempt = bump_attempts(s, c->body_hash);
        if (++s->in_flight > s->max_in_flight)
            s->max_in_flight = s->in_flight;
    }
    pthread_mutex_unlock(&s->mu);
    if (wait > 0) {
        set_rate_limited(s, r, c->pv, wait, cf->rpm);
        r->outcome = O_RATE_LIMITED;
        return;
    }
    serve_fault(s, r, c, pick_fault(cf, c->body_hash, c->attempt));
    pthread_mutex_lock(&s->mu);
    s->in_flight--;
    pthread_mutex_unlock(&s->mu);
}

/* The fine-tuning endpoints. */

/* The multipart form of POST /v1/files, as the post processor reads it. */
typedef struct form {
    char *purpose, *filename, *data;
    size_t purpose_len, len;
    bool has_file;
} form;

static void
grow(char **buf, size_t *len, const char *data, size_t n)
{
    *buf = ev_alloc_resize(*buf, *len + n + 1);
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
}

static enum MHD_Result
on_form(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
        const char *content_type, const char *transfer_encoding, const char *data, uint64_t off,
        size_t size)
{
    form *fm = cls;
    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    (void)off;
    if (strcmp(key, "file") == 0) {
        if (!fm->has_file) {
            fm->has_file = true;
            fm->filename = ev_alloc_strdup(filename != NULL ? filename : "file");
            grow(&fm->data, &fm->len, "", 0);
        }
        grow(&fm->data, &fm->len, data, size);
    } else if (strcmp(key, "purpose") == 0) {
        grow(&fm->purpose, &fm->purpose_len, data, size);
    }
    return MHD_YES;
}

/* upload reads the multipart body of POST /v1/files and stores the file. */
static ev_ft_reply
upload(server *s, struct MHD_Connection *conn, const request *rq)
{
    form fm = {0};
    ev_ft_reply fr;
    struct MHD_PostProcessor *pp = MHD_create_post_processor(conn, 65536, on_form, &fm);
    if (pp == NULL || MHD_post_process(pp, rq->body ? rq->body : "", rq->len) != MHD_YES) {
        fr.status = 400;
        fr.body = ev_ft_openai_error("The body must be multipart/form-data with the fields "
                                     "'purpose' and 'file'.",
                                     NULL, NULL);
    } else {
        fr = ev_ft_upload(s->c.ft, fm.filename, fm.purpose, fm.data, fm.len, ev_clock_wall_ms());
    }
    if (fr.status == 200) {
        pthread_mutex_lock(&s->mu);
        s->files_uploaded++;
        pthread_mutex_unlock(&s->mu);
    }
    if (pp != NULL)
        MHD_destroy_post_processor(pp);
    free(fm.purpose);
    free(fm.filename);
    free(fm.data);
    return fr;
}

/* events lists a job's events, with the query's 'limit' and 'after'. */
static ev_ft_reply
events(server *s, struct MHD_Connection *conn, const char *id)
{
    const char *limit = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
    const char *after = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "after");
    long n = 20;
    if (limit != NULL && !ev_parse_long(limit, 1, 100, &n))
        return (ev_ft_reply){
            400, ev_ft_openai_error("'limit' must be an integer from 1 to 100.", "limit", NULL)};
    return ev_ft_events(s->c.ft, id, n, after, ev_clock_wall_ms());
}

/* route_finetune answers a request under /v1/files or /v1/fine_tuning/jobs
 * from the store, or with 404 for a path or method it does not serve. */
static ev_ft_reply
route_finetune(server *s, struct MHD_Connection *conn, const char *url, bool post,
               const request *rq)
{
    const char *p = strncmp(url, "/v1/", 4) == 0 ? url + 3 : url;
    bool get = !post;
    static const char jobs[] = "/fine_tuning/jobs";
    if (strcmp(p, "/files") == 0 && post)
        return upload(s, conn, rq);
    if (strncmp(p, "/files/", 7) == 0 && p[7] != '\0' && strchr(p + 7, '/') == NULL && get)
        return ev_ft_file(s->c.ft, p + 7);
    if (strcmp(p, jobs) == 0 && post)
        return ev_ft_create(s->c.ft, rq->body ? rq->body : "", rq->len, ev_clock_wall_ms());
    if (strcmp(p, jobs) == 0 && get)
        return ev_ft_list(s->c.ft, ev_clock_wall_ms());
    if (strncmp(p, jobs, sizeof(jobs) - 1) == 0 && p[sizeof(jobs) - 1] == '/') {
        const char *id = p + sizeof(jobs), *slash = strchr(id, '/');
        char *job = ev_alloc_strndup(id, slash ? (size_t)(slash - id) : strlen(id));
        ev_ft_reply fr = {0, jv_invalid()};
        if (*job != '\0' && slash == NULL && get)
            fr = ev_ft_job(s->c.ft, job, ev_clock_wall_ms());
        else if (*job != '\0' && slash != NULL && strcmp(slash, "/events") == 0 && get)
            fr = events(s, conn, job);
        else if (*job != '\0' && slash != NULL && strcmp(slash, "/cancel") == 0 && post)
            fr = ev_ft_cancel(s->c.ft, job, ev_clock_wall_ms());
        free(job);
        if (fr.status != 0)
            return fr;
    }
    return (ev_ft_reply){404, ev_wire_error(EV_WIRE_OPENAI, EV_WIRE_NOT_FOUND, NULL, "")};
}

/* id_after returns the id that follows 'base' and a '/' in the path 'p', up
 * to the next '/', and sets '*rest' to what follows it ("" or "/cancel",
 * say); NULL when 'p' has no such id. The caller frees it. */
static char *
id_after(const char *p, const char *base, const char **rest)
{
    size_t n = strlen(base);
    if (strncmp(p, base, n) != 0 || p[n] != '/' || p[n + 1] == '\0' || p[n + 1] == '/')
        return NULL;
    const char *id = p + n + 1, *slash = strchr(id, '/');
    *rest = slash != NULL ? slash : "";
    char *out = ev_alloc_strndup(id, slash != NULL ? (size_t)(slash - id) : strlen(id));
    return out;
}

/* query_limit reads the query's 'limit' into '*n', which keeps its default
 * when there is none; false when it is not an integer from 1 to 'max'. */
static bool
query_limit(struct MHD_Connection *conn, long max, long *n)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
    return v == NULL || ev_parse_long(v, 1, max, n);
}

static const char *
query(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

/* route_batches answers a request under /v1/batches from the batch store,
 * or with 404 for a path or method it does not serve. */
static ev_ft_reply
route_batches(server *s, struct MHD_Connection *conn, const char *url, bool post, const request *rq)
{
    const char *p = strncmp(url, "/v1/", 4) == 0 ? url + 3 : url, *rest;
    ev_bs *bs = s->c.bs;
    long n = 20;
    if (strcmp(p, "/batches") == 0 && post)
        return ev_bs_create(bs, rq->body ? rq->body : "", rq->len, ev_clock_wall_ms());
    if (strcmp(p, "/batches") == 0 && !query_limit(conn, 100, &n))
        return (ev_ft_reply){
            400, ev_ft_openai_error("'limit' must be an integer from 1 to 100.", "limit", NULL)};
    if (strcmp(p, "/batches") == 0)
        return ev_bs_list(bs, n, query(conn, "after"), ev_clock_wall_ms());
    char *id = id_after(p, "/batches", &rest);
    ev_ft_reply fr = {0, jv_invalid()};
    if (id != NULL && *rest == '\0' && !post)
        fr = ev_bs_get(bs, id, ev_clock_wall_ms());
    else if (id != NULL && strcmp(rest, "/cancel") == 0 && post)
        fr = ev_bs_cancel(bs, id, ev_clock_wall_ms());
    free(id);
    if (fr.status != 0)
        return fr;
    return (ev_ft_reply){404, ev_wire_error(EV_WIRE_OPENAI, EV_WIRE_NOT_FOUND, NULL, "")};
}

/* serve_content answers GET /v1/files/{id}/content with the file's bytes,
 * when 'url' is that path; returns false when it is not. */
static bool
serve_content(server *s, const char *url, reply *r)
{
    const char *p = strncmp(url, "/v1/", 4) == 0 ? url + 3 : url, *rest;
    char *id = id_after(p, "/files", &rest), *data;
    size_t len;
    if (id == NULL || strcmp(rest, "/content") != 0) {
        free(id);
        return false;
    }
    if (ev_ft_content(s->c.ft, id, NULL, &data, &len)) {
        set_body(r, 200, "application/octet-stream", data, len);
        free(data);
        r->outcome = O_OK;
    } else {
        jv msg = jv_string_fmt("No such File object: %s", id);
        set_json(r, 404, ev_ft_openai_error(jv_string_value(msg), "id", "not_found"));
        jv_free(msg);
        r->outcome = O_NOT_FOUND;
    }
    free(id);
    return true;
}

typedef ev_ft_reply (*router)(server *s, struct MHD_Connection *conn, const char *url, bool post,
                              const request *rq);

/* serve_store answers the files, fine-tuning and batch endpoints of OpenAI
 * by 'route': the key, the body's size, then the store. The model faults,
 * --rpm and --latency do not apply here. */
static void
serve_store(server *s, struct MHD_Connection *conn, const char *url, const char *method,
            const request *rq, reply *r, router route)
{
    char id[24];
    int e;
    const char *given;
    if (s->c.key != NULL && (e = check_key(conn, EV_WIRE_OPENAI, s->c.key, &given)) >= 0) {
        refuse_key(s, r, EV_WIRE_OPENAI, e, given);
        return;
    }
    if (rq->too_big) {
        set_error(s, r, EV_WIRE_OPENAI, EV_WIRE_TOO_LARGE,
                  rq->limit == (size_t)MAX_FILE_BODY ? "The file is larger than 512 MB." : NULL);
        r->outcome = O_BAD_REQUEST;
        return;
    }
    bool post = strcmp(method, "POST") == 0;
    request_id(s, r, EV_WIRE_OPENAI, id);
    if (!post && strcmp(method, "GET") == 0 && serve_content(s, url, r))
        return;
    ev_ft_reply fr =
        post || strcmp(method, "GET") == 0
            ? route(s, conn, url, post, rq)
            : (ev_ft_reply){404, ev_wire_error(EV_WIRE_OPENAI, EV_WIRE_NOT_FOUND, NULL, "")};
    set_json(r, fr.status, fr.body);
    r->outcome = fr.status == 200 ? O_OK : fr.status == 404 ? O_NOT_FOUND : O_BAD_REQUEST;
}

/* route_message_batches answers a request under /v1/messages/batches; a
 * 200 of results sets the body of 'r' and gives a null body. */
static ev_ft_reply
route_message_batches(server *s, struct MHD_Connection *conn, const char *url, bool post,
                      const request *rq, const char *rid, reply *r)
{
    const char *p = strncmp(url, "/v1/", 4) == 0 ? url + 3 : url, *rest;
    ev_bs *bs = s->c.bs;
    long n = 20;
    if (strcmp(p, "/messages/batches") == 0 && post)
        return ev_bs_msg_create(bs, rq->body ? rq->body : "", rq->len, ev_clock_wall_ms(), rid);
    if (strcmp(p, "/messages/batches") == 0 && !query_limit(conn, 1000, &n))
        return (ev_ft_reply){400, ev_wire_error(EV_WIRE_ANTHROPIC, EV_WIRE_BAD_REQUEST,
                                                "limit: must be an integer from 1 to 1000", rid)};
    if (strcmp(p, "/messages/batches") == 0)
        return ev_bs_msg_list(bs, n, query(conn, "after_id"), query(conn, "before_id"),
                              ev_clock_wall_ms());
    char *id = id_after(p, "/messages/batches", &rest), *text;
    size_t len;
    ev_ft_reply fr = {0, jv_invalid()};
    if (id != NULL && *rest == '\0' && !post) {
        fr = ev_bs_msg_get(bs, id, ev_clock_wall_ms(), rid);
    } else if (id != NULL && strcmp(rest, "/cancel") == 0 && post) {
        fr = ev_bs_msg_cancel(bs, id, ev_clock_wall_ms(), rid);
    } else if (id != NULL && strcmp(rest, "/results") == 0 && !post) {
        fr = ev_bs_msg_results(bs, id, ev_clock_wall_ms(), rid, &text, &len);
        if (fr.status == 200) {
            set_body(r, 200, "application/x-jsonl", text, len);
            free(text);
        }
    }
    free(id);
    if (fr.status != 0)
        return fr;
    return (ev_ft_reply){404, ev_wire_error(EV_WIRE_ANTHROPIC, EV_WIRE_NOT_FOUND, NULL, rid)};
}

/* serve_message_batches answers Anthropic's message batches endpoints: the
 * key, the anthropic-version header, the body's size, then the store. */
static void
serve_message_batches(server *s, struct MHD_Connection *conn, const char *url, const char *method,
                      const request *rq, reply *r)
{
    char rid[24];
    int e;
    const char *given;
    if (s->c.key != NULL && (e = check_key(conn, EV_WIRE_ANTHROPIC, s->c.key, &given)) >= 0) {
        refuse_key(s, r, EV_WIRE_ANTHROPIC, e, given);
        return;
    }
    r->outcome = O_BAD_REQUEST;
    if (no_version(conn, EV_WIRE_ANTHROPIC)) {
        set_error(s, r, EV_WIRE_ANTHROPIC, EV_WIRE_BAD_REQUEST,
                  "anthropic-version: header is required");
        return;
    }
    if (rq->too_big) {
        set_error(s, r, EV_WIRE_ANTHROPIC, EV_WIRE_TOO_LARGE, NULL);
        return;
    }
    bool post = strcmp(method, "POST") == 0;
    request_id(s, r, EV_WIRE_ANTHROPIC, rid);
    ev_ft_reply fr =
        post || strcmp(method, "GET") == 0
            ? route_message_batches(s, conn, url, post, rq, rid, r)
            : (ev_ft_reply){404, ev_wire_error(EV_WIRE_ANTHROPIC, EV_WIRE_NOT_FOUND, NULL, rid)};
    if (fr.status != 200 || jv_get_kind(fr.body) != JV_KIND_NULL)
        set_json(r, fr.status, fr.body);
    else
        jv_free(fr.body);
    r->outcome = fr.status == 200 ? O_OK : fr.status == 404 ? O_NOT_FOUND : O_BAD_REQUEST;
}

/* The reader of a 'reset' reply: the first 'cut' bytes, then an error, which
 * makes the server drop the connection short of the announced length. */
typedef struct cut_body {
    char *body;
    size_t cut;
} cut_body;

static ssize_t
read_cut(void *cls, uint64_t pos, char *buf, size_t max)
{
    cut_body *b = cls;
    if (pos >= b->cut)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = b->cut - (size_t)pos < max ? b->cut - (size_t)pos : max;
    memcpy(buf, b->body + pos, n);
    return (ssize_t)n;
}

static void
free_cut(void *cls)
{
    cut_body *b = cls;
    free(b->body);
    free(b);
}

static enum MHD_Result
send_reply(struct MHD_Connection *conn, reply *r)
{
    struct MHD_Response *resp;
    if (r->cut > 0) {
        cut_body *b = ev_alloc_resize(NULL, sizeof(*b));
        *b = (cut_body){r->body, r->cut};
        resp = MHD_create_response_from_callback(r->len, 4096, read_cut, b, free_cut);
        if (resp == NULL)
            free_cut(b);
    } else {
        resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
        if (resp == NULL)
            free(r->body);
    }
    r->body = NULL;
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type);
    for (int i = 0; i < r->nhdr; i++)
        MHD_add_response_header(resp, r->hdr[i].name, r->hdr[i].value);
    enum MHD_Result ok = MHD_queue_response(conn, r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static void
log_request(const request *rq, const char *method, const char *url, const reply *r, const call *c)
{
    char what[160] = "";
    if (c->attempt > 0 && c->answer != NULL)
        snprintf(what, sizeof(what), " attempt %lu answer %s%s%s%s", c->attempt, c->answer,
                 c->case_id ? " case '" : "", c->case_id ? c->case_id : "", c->case_id ? "'" : "");
    else if (c->attempt > 0)
        snprintf(what, sizeof(what), " attempt %lu", c->attempt);
    bool named = jv_is_valid(c->chat.req.model);
    /* One line per request, whole, even when requests end at once. */
    flockfile(stderr);
    ev_warn("%s %s %u %s%s%s%s%s %ldms", method, url, r->status, outcome_name(r->outcome),
            named ? " model '" : "", named ? jv_string_value(c->chat.req.model) : "",
            named ? "'" : "", what, (long)(ev_clock_mono_ms() - rq->start));
    funlockfile(stderr);
}

static void
append_body(request *rq, const char *data, size_t n)
{
    if (rq->too_big || rq->len + n > rq->limit) {
        rq->too_big = true;
        return;
    }
    if (rq->len + n + 1 > rq->cap) {
        rq->cap = rq->cap ? rq->cap : 4096;
        while (rq->len + n + 1 > rq->cap)
            rq->cap *= 2;
        rq->body = ev_alloc_resize(rq->body, rq->cap);
    }
    memcpy(rq->body + rq->len, data, n);
    rq->len += n;
    rq->body[rq->len] = '\0';
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload, size_t *upload_size, void **ctx)
{
    server *s = cls;
    request *rq = *ctx;
    (void)version;
    if (rq == NULL) {
        rq = ev_alloc_resize(NULL, sizeof(*rq));
        enum path p = path_of(url);
        *rq = (request){
            NULL,
            0,
            0,
            p == P_FILES ? MAX_FILE_BODY : p == P_MESSAGE_BATCHES ? MAX_BATCH_BODY : MAX_BODY,
            false,
            ev_clock_mono_ms()};
        *ctx = rq;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        append_body(rq, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    bool post = strcmp(method, "POST") == 0;
    reply r = {0};
    if (strcmp(url, "/stats") == 0 && strcmp(method, "GET") == 0) {
        set_json(&r, 200, stats_json(s));
        return send_reply(conn, &r);
    }
    if (strcmp(url, "/stats/reset") == 0 && post) {
        reset_stats(s);
        set_json(&r, 200, stats_json(s));
        return send_reply(conn, &r);
    }
    enum path p = path_of(url);
    call c = {.pv = p == P_V1_MESSAGES || p == P_MESSAGES ? EV_WIRE_ANTHROPIC : EV_WIRE_OPENAI,
              .chat = {.req = {jv_invalid(), jv_invalid(), jv_invalid(), -1}}};
    if (p == P_FILES || p == P_JOBS) {
        serve_store(s, conn, url, method, rq, &r, route_finetune);
    } else if (p == P_BATCHES) {
        serve_store(s, conn, url, method, rq, &r, route_batches);
    } else if (p == P_MESSAGE_BATCHES) {
        serve_message_batches(s, conn, url, method, rq, &r);
    } else if (p != P_OTHER && post) {
        serve_model(s, conn, rq, &r, &c);
    } else {
        char msg[160];
        snprintf(msg, sizeof(msg), "Unknown request URL: %.16s %.100s", method, url);
        if (strncmp(url, "/v1/messages", 12) == 0 || strncmp(url, "/messages", 9) == 0)
            c.pv = EV_WIRE_ANTHROPIC;
        set_error(s, &r, c.pv, EV_WIRE_NOT_FOUND, c.pv == EV_WIRE_OPENAI ? msg : NULL);
        r.outcome = O_NOT_FOUND;
    }
    pthread_mutex_lock(&s->mu);
    s->requests++;
    s->by_path[p]++;
    s->by_outcome[r.outcome]++;
    pthread_mutex_unlock(&s->mu);
    if (s->c.verbose)
        log_request(rq, method, url, &r, &c);
    if (s->c.echo_key)
        echo_key(conn, &r);
    ev_chat_free(&c.chat);
    return send_reply(conn, &r);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **ctx,
             enum MHD_RequestTerminationCode toe)
{
    request *rq = *ctx;
    (void)cls;
    (void)conn;
    (void)toe;
    if (rq != NULL) {
        free(rq->body);
        free(rq);
        *ctx = NULL;
    }
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
on_mhd_error(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    (void)cls;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    buf[strcspn(buf, "\n")] = '\0';
    ev_warn("http: %s", buf);
}

static void
on_signal(int sig)
{
    (void)sig;
}

/* Options. */

/* read_pem returns the text of a PEM file named by option 'opt'. */
static jv
read_pem(const char *opt, const char *path)
{
    jv text = jv_load_file(path, 1);
    if (!jv_is_valid(text)) {
        jv msg = jv_invalid_get_msg(text);
        ev_usage_error("%s: %s", opt,
                       jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : path);
    }
    if (strstr(jv_string_value(text), "-----BEGIN ") == NULL)
        ev_usage_error("%s: '%s' is not a PEM file", opt, path);
    return text;
}

static void
usage(FILE *f)
{
    fputs("usage: ev-mock [-qv] [-p PORT] [-c CASES] [-r RUN] [-a [TAG=]P] [-f KIND=RATE[:TIMES]]\n"
          "               [-l MS | -l MEAN:SD] [-s SEED] [--model-accuracy MODEL=P]\n"
          "               [--latency-dist normal|lognormal] [--require-key-env NAME]\n"
          "               [--retry-after-ms MS] [--rpm N] [--rpm-window MS] [--slow-ms MS]\n"
          "               [--learner BASE] [--learner-floor P] [--learner-gain G]\n"
          "               [--learner-ceiling P] [--learner-scale N] [--learner-noise P]\n"
          "               [--job-ms MS] [--job-advance time|poll]\n"
          "               [--batch-ms MS] [--batch-advance time|poll] [--state FILE]\n"
          "               [--tls-cert FILE --tls-key FILE] [--judge MODEL] [--echo-key]\n"
          "\n"
          "Serve the OpenAI and Anthropic chat endpoints, OpenAI's files and fine-tuning\n"
          "jobs endpoints, and both providers' batch APIs (SIMULATIONS), on 127.0.0.1\n"
          "for offline tests.\n"
          "The first line of standard output is the port.\n"
          "\n"
          "  -p, --port N              port to listen on (default 0: any free port)\n"
          "  -c, --cases FILE          answer from these cases (JSONL: input, expected, tags)\n"
          "  -r, --replay FILE         answer with the outputs of an earlier ev-call run\n"
          "  -a, --accuracy [TAG=]P    share of cases answered right, for all or for one tag\n"
          "                            (default 1)\n"
          "      --model-accuracy MODEL=P\n"
          "                            multiply the accuracy of one model by P\n"
          "  -s, --seed N              seed of every choice (default 0)\n"
          "  -l, --latency MS|MEAN:SD  delay of each answer in milliseconds (default 0)\n"
          "      --latency-dist D      normal (default) or lognormal, for MEAN:SD\n"
          "  -f, --fault KIND=RATE[:TIMES]\n"
          "                            fault RATE of distinct requests on their first TIMES\n"
          "                            attempts (default 1; 'all': every attempt). KIND is\n"
          "                            auth quota 429 529 503 502 500 redirect flat-error\n"
          "                            nonjson truncated nousage reset slow judge-invalid;\n"
          "                            or job-fail=RATE: fail RATE of fine-tuning jobs;\n"
          "                            batch-fail=RATE: fail RATE of batch lines;\n"
          "                            batch-expire=RATE: never run RATE of batch lines\n"
          "      --judge MODEL         MODEL grades ev-score's judge prompts: the output\n"
          "                            against the expected answer (see ev-mock(1))\n"
          "      --slow-ms MS          delay of a 'slow' fault (default 30000)\n"
          "      --retry-after-ms MS   wait a '429' fault asks for (default 1000)\n"
          "      --rpm N               answer 429 past N requests a minute\n"
          "      --rpm-window MS       length of the --rpm window (default 60000)\n"
          "      --require-key-env NAME\n"
          "                            require the key in $NAME (Bearer or x-api-key)\n"
          "      --echo-key            quote each request's key in the Location, Set-Cookie\n"
          "                            and X-Echo-Key headers of its answer\n"
          "      --tls-cert FILE       serve HTTPS with this PEM certificate (chain)\n"
          "      --tls-key FILE        and this PEM private key\n"
          "\n",
          f);
    fputs("Fine-tuning, a SIMULATION: a tuned model of the learner's base answers a tag\n"
          "right with p = min(CEILING, FLOOR + GAIN * log2(1 + n / SCALE)) + noise, where\n"
          "n counts the training examples of the tag; the base model answers at FLOOR.\n"
          "      --learner BASE        simulate BASE as a small model that learns\n"
          "      --learner-floor P     accuracy of the base model (default 0.25)\n"
          "      --learner-gain G      accuracy gained per doubling of n / SCALE (0.072)\n"
          "      --learner-ceiling P   the most a tag can reach (default 0.9)\n"
          "      --learner-scale N     examples of a tag that make the first doubling (5)\n"
          "      --learner-noise P     fixed noise per job and tag, within +-P (0.02)\n"
          "      --job-ms MS           how long a fine-tuning job takes (default 300)\n"
          "      --job-advance HOW     'time' (default), or 'poll': each GET of a job\n"
          "                            moves it one step\n"
          "\n"
          "Batches, a SIMULATION: lines are answered as the chat endpoints answer them.\n"
          "      --batch-ms MS         how long a batch takes (default 300)\n"
          "      --batch-advance HOW   'time' (default), or 'poll': each GET of a batch\n"
          "                            moves it one step\n"
          "      --state FILE          keep files and jobs (not batches) in FILE across\n"
          "                            restarts\n"
          "\n"
          "  -v, --verbose             log each request on standard error\n"
          "  -q, --quiet               no summary on standard error at exit\n"
          "  -h, --help                show this help\n"
          "  -V, --version             show the version\n"
          "\n"
          "GET /stats counts what the server saw; POST /stats/reset starts the counts over.\n"
          "SIGINT or SIGTERM stops the server. Exit status: 0 stopped, 2 trouble.\n"
          "See ev-mock(1) and ev(7).\n",
          f);
}

enum {
    OPT_BATCH_ADVANCE = 256,
    OPT_BATCH_MS,
    OPT_ECHO_KEY,
    OPT_JOB_ADVANCE,
    OPT_JOB_MS,
    OPT_JUDGE,
    OPT_LATENCY_DIST,
    OPT_LEARNER,
    OPT_LEARNER_CEILING,
    OPT_LEARNER_FLOOR,
    OPT_LEARNER_GAIN,
    OPT_LEARNER_NOISE,
    OPT_LEARNER_SCALE,
    OPT_MODEL_ACCURACY,
    OPT_REQUIRE_KEY_ENV,
    OPT_RETRY_AFTER_MS,
    OPT_RPM,
    OPT_RPM_WINDOW,
    OPT_SLOW_MS,
    OPT_STATE,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
};

/* An --accuracy or --model-accuracy rule, applied once the seed is known. */
typedef struct acc_rule {
    const char *opt;
    bool model;
} acc_rule;

static long
parse_ms(const char *opt, const char *s)
{
    long v;
    if (!ev_parse_long(s, 0, 3600000, &v))
        ev_usage_error("%s must be milliseconds from 0 to 3600000, not '%s'", opt, s);
    return v;
}

/* by_poll reads an --*-advance option: 'time' or 'poll'. */
static bool
by_poll(const char *opt, const char *s)
{
    if (strcmp(s, "time") != 0 && strcmp(s, "poll") != 0)
        ev_usage_error("%s must be 'time' or 'poll', not '%s'", opt, s);
    return strcmp(s, "poll") == 0;
}

static double
parse_share(const char *opt, const char *s)
{
    double v;
    if (!ev_parse_double(s, 0, 1, &v))
        ev_usage_error("%s must be a number from 0 to 1, not '%s'", opt, s);
    return v;
}

/* A fault that takes a share of jobs or batch lines, KIND=RATE, and no
 * TIMES. */
typedef struct share_fault {
    const char *name;
    double *rate;
} share_fault;

/* parse_fault reads --fault KIND=RATE[:TIMES], or one of the 'nshares'
 * KIND=RATE of 'shares'. */
static void
parse_fault(config *cf, const char *arg, const share_fault *shares, size_t nshares)
{
    const char *eq = strchr(arg, '=');
    for (size_t i = 0; eq != NULL && i < nshares; i++) {
        const char *name = shares[i].name;
        if (strlen(name) != (size_t)(eq - arg) || strncmp(arg, name, (size_t)(eq - arg)) != 0)
            continue;
        if (!ev_parse_double(eq + 1, 0, 1, shares[i].rate))
            ev_usage_error("bad fault '%s': want %s=RATE, RATE a number from 0 to 1", arg, name);
        return;
    }
    int k = 0;
    while (k < NFAULTS && (eq == NULL || strlen(fault_names[k]) != (size_t)(eq - arg) ||
                           strncmp(arg, fault_names[k], (size_t)(eq - arg)) != 0))
        k++;
    if (eq == NULL || k == NFAULTS)
        ev_usage_error("bad fault '%s': want KIND=RATE[:TIMES] with a KIND from --help", arg);
    char rate[64];
    const char *colon = strchr(eq + 1, ':');
    size_t n = colon ? (size_t)(colon - eq - 1) : strlen(eq + 1);
    snprintf(rate, sizeof(rate), "%.*s", (int)(n < sizeof(rate) ? n : sizeof(rate) - 1), eq + 1);
    fault_rule f = {0, 1};
    if (n >= sizeof(rate) || !ev_parse_double(rate, 0, 1, &f.rate))
        ev_usage_error("bad fault '%s': RATE must be a number from 0 to 1", arg);
    if (colon != NULL && strcmp(colon + 1, "all") == 0)
        f.times = 0;
    else if (colon != NULL && !ev_parse_long(colon + 1, 1, INT_MAX, &f.times))
        ev_usage_error("bad fault '%s': TIMES must be a positive integer or 'all'", arg);
    cf->faults[k] = f;
}

static void
parse_latency(config *cf, const char *arg)
{
    const char *colon = strchr(arg, ':');
    if (colon == NULL) {
        cf->latency_mean = parse_ms("--latency", arg);
        cf->latency_sd = 0;
        return;
    }
    char mean[32];
    size_t n = (size_t)(colon - arg);
    if (n >= sizeof(mean))
        ev_usage_error("bad latency '%s': want MS or MEAN:SD", arg);
    snprintf(mean, sizeof(mean), "%.*s", (int)n, arg);
    cf->latency_mean = parse_ms("--latency MEAN", mean);
    cf->latency_sd = parse_ms("--latency SD", colon + 1);
}

/* apply_accuracy splits "NAME=P" at its last '=' (names may hold one) and
 * sets the rule; a bare P sets the default. */
static void
apply_accuracy(ev_mock *m, const acc_rule *a)
{
    const char *opt = a->model ? "--model-accuracy" : "--accuracy";
    const char *eq = strrchr(a->opt, '=');
    if (eq == NULL && !a->model) {
        ev_mock_set_accuracy(m, NULL, parse_share(opt, a->opt));
        return;
    }
    if (eq == NULL || eq == a->opt)
        ev_usage_error("bad %s '%s': want %s=P", opt, a->opt, a->model ? "MODEL" : "TAG");
    char *name = ev_alloc_strndup(a->opt, (size_t)(eq - a->opt));
    double p = parse_share(opt, eq + 1);
    if (a->model)
        ev_mock_set_model_accuracy(m, name, p);
    else
        ev_mock_set_accuracy(m, name, p);
    free(name);
}

/* load reads the records of 'paths' into the mock, as cases or as a replay.
 * Every bad record is reported; returns false when there was one. */
static bool
load(ev_mock *m, char **paths, int n, bool replay)
{
    ev_reader r;
    jv rec, err;
    int rc;
    bool ok = true;
    if (n == 0)
        return true;
    ev_reader_init(&r, paths, n, NULL);
    while ((rc = ev_reader_next(&r, &rec)) != EV_READ_EOF) {
        if (rc == EV_READ_BAD) {
            ev_warn_jv(rec);
            ok = false;
            continue;
        }
        bool added = replay ? ev_mock_add_replay(m, rec, &err) : ev_mock_add_case(m, rec, &err);
        if (!added) {
            jv where = ev_reader_where(&r);
            ev_warn("%s: %s", jv_string_value(where), jv_string_value(err));
            jv_free(where);
            jv_free(err);
            ok = false;
        }
        jv_free(rec);
    }
    ev_reader_free(&r);
    return ok;
}

/* listen_loopback returns a socket listening on 127.0.0.1:'port' and sets
 * '*bound' to the port it got, or returns -1 with errno set. */
static int
listen_loopback(long port, long *bound)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    *bound = ntohs(sa.sin_port);
    return fd;
}

static void
summary(server *s)
{
    unsigned long faulted = 0;
    for (int k = 0; k < NFAULTS; k++)
        faulted += s->by_outcome[O_FAULT + k];
    ev_warn("%lu requests: %lu ok, %lu faulted, %lu rate limited, %lu unauthorized, %lu bad, "
            "%lu not found",
            s->requests, s->by_outcome[O_OK], faulted, s->by_outcome[O_RATE_LIMITED],
            s->by_outcome[O_UNAUTHORIZED], s->by_outcome[O_BAD_REQUEST],
            s->by_outcome[O_NOT_FOUND]);
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"accuracy", required_argument, NULL, 'a'},
        {"batch-advance", required_argument, NULL, OPT_BATCH_ADVANCE},
        {"batch-ms", required_argument, NULL, OPT_BATCH_MS},
        {"cases", required_argument, NULL, 'c'},
        {"echo-key", no_argument, NULL, OPT_ECHO_KEY},
        {"fault", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {"job-advance", required_argument, NULL, OPT_JOB_ADVANCE},
        {"job-ms", required_argument, NULL, OPT_JOB_MS},
        {"judge", required_argument, NULL, OPT_JUDGE},
        {"latency", required_argument, NULL, 'l'},
        {"latency-dist", required_argument, NULL, OPT_LATENCY_DIST},
        {"learner", required_argument, NULL, OPT_LEARNER},
        {"learner-ceiling", required_argument, NULL, OPT_LEARNER_CEILING},
        {"learner-floor", required_argument, NULL, OPT_LEARNER_FLOOR},
        {"learner-gain", required_argument, NULL, OPT_LEARNER_GAIN},
        {"learner-noise", required_argument, NULL, OPT_LEARNER_NOISE},
        {"learner-scale", required_argument, NULL, OPT_LEARNER_SCALE},
        {"model-accuracy", required_argument, NULL, OPT_MODEL_ACCURACY},
        {"port", required_argument, NULL, 'p'},
        {"quiet", no_argument, NULL, 'q'},
        {"replay", required_argument, NULL, 'r'},
        {"require-key-env", required_argument, NULL, OPT_REQUIRE_KEY_ENV},
        {"retry-after-ms", required_argument, NULL, OPT_RETRY_AFTER_MS},
        {"rpm", required_argument, NULL, OPT_RPM},
        {"rpm-window", required_argument, NULL, OPT_RPM_WINDOW},
        {"seed", required_argument, NULL, 's'},
        {"slow-ms", required_argument, NULL, OPT_SLOW_MS},
        {"state", required_argument, NULL, OPT_STATE},
        {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
        {"tls-key", required_argument, NULL, OPT_TLS_KEY},
        {"verbose", no_argument, NULL, 'v'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    static server srv;
    server *s = &srv;
    config *cf = &s->c;
    acc_rule *rules = ev_alloc_resize(NULL, (size_t)argc * sizeof(*rules));
    char **cases = ev_alloc_resize(NULL, (size_t)argc * sizeof(*cases));
    char **replays = ev_alloc_resize(NULL, (size_t)argc * sizeof(*replays));
    int nrules = 0, ncases = 0, nreplays = 0, quiet = 0, c;
    long port = 0, seed = 0;
    const char *key_env = NULL, *state = NULL, *tls_cert = NULL, *tls_key = NULL;
    ev_ft_config ftc = {
        .job_ms = 300, .params = ev_learner_defaults(), .max_tokens = EV_TUNE_MAX_TOKENS};
    ev_bs_config bsc = {.batch_ms = 300};
    const share_fault shares[] = {
        {"batch-expire", &bsc.expire_rate},
        {"batch-fail", &bsc.fail_rate},
        {"job-fail", &ftc.fail_rate},
    };

    cf->slow_ms = 30000;
    cf->retry_after_ms = 1000;
    cf->rpm_window_ms = 60000;
    while ((c = getopt_long(argc, argv, "a:c:f:hl:p:qr:s:vV", longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            rules[nrules++] = (acc_rule){optarg, false};
            break;
        case 'c':
            cases[ncases++] = optarg;
            break;
        case 'f':
            parse_fault(cf, optarg, shares, sizeof(shares) / sizeof(shares[0]));
            break;
        case 'h':
            /* exit, not return: what main holds is still in reach, not leaked */
            usage(stdout);
            exit(ev_close_stdout());
        case 'l':
            parse_latency(cf, optarg);
            break;
        case OPT_BATCH_ADVANCE:
            bsc.by_poll = by_poll("--batch-advance", optarg);
            break;
        case OPT_BATCH_MS:
            bsc.batch_ms = parse_ms("--batch-ms", optarg);
            break;
        case OPT_JOB_ADVANCE:
            ftc.by_poll = by_poll("--job-advance", optarg);
            break;
        case OPT_JOB_MS:
            ftc.job_ms = parse_ms("--job-ms", optarg);
            break;
        case OPT_JUDGE:
            if (*optarg == '\0')
                ev_usage_error("--judge needs a model name");
            cf->judge = optarg;
            break;
        case OPT_LEARNER:
            if (*optarg == '\0')
                ev_usage_error("--learner needs a model name");
            ftc.learner = optarg;
            break;
        case OPT_LEARNER_CEILING:
            ftc.params.ceiling = parse_share("--learner-ceiling", optarg);
            break;
        case OPT_LEARNER_FLOOR:
            ftc.params.floor = parse_share("--learner-floor", optarg);
            break;
        case OPT_LEARNER_GAIN:
            ftc.params.gain = parse_share("--learner-gain", optarg);
            break;
        case OPT_LEARNER_NOISE:
            ftc.params.noise = parse_share("--learner-noise", optarg);
            break;
        case OPT_LEARNER_SCALE:
            if (!ev_parse_double(optarg, 1e-6, 1e9, &ftc.params.scale))
                ev_usage_error("--learner-scale must be a number of examples above 0, not '%s'",
                               optarg);
            break;
        case OPT_LATENCY_DIST:
            if (strcmp(optarg, "normal") != 0 && strcmp(optarg, "lognormal") != 0)
                ev_usage_error("--latency-dist must be 'normal' or 'lognormal', not '%s'", optarg);
            cf->lognormal = strcmp(optarg, "lognormal") == 0;
            break;
        case OPT_MODEL_ACCURACY:
            rules[nrules++] = (acc_rule){optarg, true};
            break;
        case 'p':
            if (!ev_parse_long(optarg, 0, 65535, &port))
                ev_usage_error("--port must be from 0 to 65535, not '%s'", optarg);
            break;
        case 'q':
            quiet = 1;
            break;
        case 'r':
            replays[nreplays++] = optarg;
            break;
        case OPT_REQUIRE_KEY_ENV:
            key_env = optarg;
            break;
        case OPT_ECHO_KEY:
            cf->echo_key = true;
            break;
        case OPT_RETRY_AFTER_MS:
            cf->retry_after_ms = parse_ms("--retry-after-ms", optarg);
            break;
        case OPT_RPM:
            if (!ev_parse_long(optarg, 1, 1000000, &cf->rpm))
                ev_usage_error("--rpm must be from 1 to 1000000, not '%s'", optarg);
            break;
        case OPT_RPM_WINDOW:
            cf->rpm_window_ms = parse_ms("--rpm-window", optarg);
            if (cf->rpm_window_ms == 0)
                ev_usage_error("--rpm-window must be at least 1 ms");
            break;
        case 's':
            if (!ev_parse_long(optarg, 0, LONG_MAX, &seed))
                ev_usage_error("--seed must be a non-negative integer, not '%s'", optarg);
            break;
        case OPT_SLOW_MS:
            cf->slow_ms = parse_ms("--slow-ms", optarg);
            break;
        case OPT_STATE:
            state = optarg;
            break;
        case OPT_TLS_CERT:
            tls_cert = optarg;
            break;
        case OPT_TLS_KEY:
            tls_key = optarg;
            break;
        case 'v':
            cf->verbose = true;
            break;
        case 'V':
            ev_print_version();
        default:
            fprintf(stderr, "try 'ev-mock --help'\n");
            exit(EV_EXIT_TROUBLE);
        }
    }
    if (optind < argc)
        ev_usage_error("unexpected operand '%s'", argv[optind]);
    if (ftc.params.ceiling < ftc.params.floor)
        ev_usage_error("--learner-ceiling %g is below --learner-floor %g", ftc.params.ceiling,
                       ftc.params.floor);
    if ((tls_cert == NULL) != (tls_key == NULL))
        ev_usage_error("--tls-cert and --tls-key go together");
    jv cert = tls_cert ? read_pem("--tls-cert", tls_cert) : jv_null();
    jv tkey = tls_key ? read_pem("--tls-key", tls_key) : jv_null();
    if (key_env != NULL) {
        const char *k = getenv(key_env);
        if (k == NULL || *k == '\0')
            ev_usage_error("--require-key-env: environment variable '%s' is not set", key_env);
        cf->key = ev_alloc_strdup(k);
    }
    cf->seed = (uint64_t)seed;
    cf->mock = ev_mock_new(cf->seed);
    for (int i = 0; i < nrules; i++)
        apply_accuracy(cf->mock, &rules[i]);
    bool loaded = load(cf->mock, cases, ncases, false);
    loaded = load(cf->mock, replays, nreplays, true) && loaded;
    free(rules);
    free(cases);
    free(replays);
    if (!loaded) {
        ev_mock_free(cf->mock);
        free(cf->key);
        jv_free(cert);
        jv_free(tkey);
        return EV_EXIT_TROUBLE;
    }
    ev_mock_set_judge(cf->mock, cf->judge);
    ev_mock_freeze(cf->mock);
    ftc.seed = cf->seed;
    ftc.params.seed = cf->seed;
    ftc.mock = cf->mock;
    cf->ft = ev_ft_new(&ftc);
    jv err;
    if (state != NULL && ev_ft_journal(cf->ft, state, &err) != 0) {
        ev_warn_jv(err);
        ev_ft_free(cf->ft);
        ev_mock_free(cf->mock);
        free(cf->key);
        jv_free(cert);
        jv_free(tkey);
        return EV_EXIT_TROUBLE;
    }
    if (cf->rpm > 0)
        s->window = ev_alloc_resize(NULL, (size_t)cf->rpm * sizeof(*s->window));

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->mu, NULL);

    /* The server's threads inherit this mask, so the signals reach only the
     * sigwait below; a reader that closes stdout must not kill the server. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* A shell starts background jobs with SIGINT ignored, and an ignored
     * signal never reaches sigwait; a handler, never run, undoes that. */
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    int status = EV_EXIT_OK, sig;
    long bound = 0;
    struct MHD_Daemon *d = NULL;
    int fd = listen_loopback(port, &bound);
    if (fd < 0) {
        ev_warn("cannot listen on 127.0.0.1:%ld: %s", port, strerror(errno));
        status = EV_EXIT_TROUBLE;
        goto out;
    }
    /* Without TLS the two HTTPS options end the list early. */
    bool tls = jv_get_kind(cert) == JV_KIND_STRING;
    char base[64];
    snprintf(base, sizeof(base), "%s://127.0.0.1:%ld", tls ? "https" : "http", bound);
    bsc.seed = cf->seed;
    bsc.base = base;
    bsc.mock = cf->mock;
    bsc.ft = cf->ft;
    cf->bs = ev_bs_new(&bsc);
    d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD |
            (cf->verbose ? MHD_USE_ERROR_LOG : 0) | (tls ? MHD_USE_TLS : 0),
        0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, NULL,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_CONNECTION_LIMIT, 1000U, MHD_OPTION_CONNECTION_TIMEOUT, 300U,
        tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, tls ? jv_string_value(cert) : NULL,
        MHD_OPTION_HTTPS_MEM_KEY, tls ? jv_string_value(tkey) : NULL, MHD_OPTION_END);
    if (d == NULL) {
        close(fd);
        ev_warn("cannot start the server on 127.0.0.1:%ld", bound);
        status = EV_EXIT_TROUBLE;
        goto out;
    }
    printf("%ld\n", bound);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ev_warn("cannot write standard output: %s", strerror(errno));
        status = EV_EXIT_TROUBLE;
    } else {
        if (cf->verbose)
            ev_warn("listening on 127.0.0.1:%ld with %zu cases and %zu replayed answers", bound,
                    ev_mock_count_cases(cf->mock), ev_mock_count_replay(cf->mock));
        sigwait(&stop, &sig);
    }
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->mu);
    MHD_stop_daemon(d);
    if (!quiet)
        summary(s);
out:
    jv_free(cert);
    jv_free(tkey);
    reset_stats(s);
    free(s->attempts);
    free(s->window);
    free(cf->key);
    ev_bs_free(cf->bs);
    ev_ft_free(cf->ft);
    ev_mock_free(cf->mock);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->wake);
    fclose(stdout);
    return status;
}
