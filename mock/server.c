#include "server.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "alloc.h"
#include "answer.h"
#include "cli.h"
#include "clock.h"
#include "counts.h"
#include "dmi.h"
#include "example.h"
#include "fireworks.h"
#include "hash.h"
#include "rpm.h"
#include "together.h"
#include "wire.h"

/* Anthropic's documented request limit for standard endpoints; OpenAI's for
 * one file; Anthropic's for a message batch. */
#define MAX_BODY (32L * 1024 * 1024)
#define MAX_FILE_BODY (512L * 1024 * 1024)
#define MAX_BATCH_BODY (256L * 1024 * 1024)

struct evm_server {
    evm_server_config c; /* read-only once started */
    evm_model *model;    /* frozen */
    evm_jobs *jobs;      /* thread-safe on its own */
    evm_batches *batches;
    evm_together *together; /* Together's files and jobs */
    evm_dmi *dmi;           /* Together's deployments */
    evm_fireworks *fireworks;
    struct MHD_Daemon *daemon;
    long port;
    char base[64];       /* the root URL, for the batches' results_url */
    pthread_mutex_t mu;  /* guards everything below */
    pthread_cond_t wake; /* broadcast on stop, to end every nap */
    bool stopping;
    evm_counts *counts;
    evm_rpm *rpm; /* NULL: no rate limit */
    uint64_t serial;
};

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
    enum evm_counts_outcome outcome;
} reply;

/* A model request, as far as it got. */
typedef struct call {
    enum evm_wire pv;
    evm_answer_names names; /* who knows the endpoint's model names */
    evm_answer_chat chat;   /* valid once the body is */
    uint64_t body_hash;
    unsigned long attempt; /* 0 until the request reaches the model */
    long remaining;        /* requests left in the rpm window */
    long reset_ms;         /* until the oldest request leaves the window */
    bool answered;         /* the model answered */
    evm_answer_source src; /* what the answer came from, once it did */
} call;

static void
report(const evm_server *s, jv msg)
{
    s->c.report(s->c.ctx, msg);
}

/* nap sleeps 'ms' milliseconds, or less when the server stops. */
static void
nap(evm_server *s, long ms)
{
    if (ms <= 0)
        return;
    struct timespec until = ev_clock_mono_after(ms);
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
    r->body = memcpy(ev_alloc(len), text, len);
    r->len = len;
}

/* set_json sets the body to 'v' as compact JSON. */
static void
set_json(reply *r, unsigned status, jv v)
{
    jv s = jv_dump_string(v, 0);
    set_body(r, status, "application/json", jv_string_value(s), strlen(jv_string_value(s)));
    jv_free(s);
}

/* new_request_id writes a new request id into 'buf'. */
static const char *
new_request_id(evm_server *s, char buf[24])
{
    pthread_mutex_lock(&s->mu);
    uint64_t id = ev_hash_mix64(++s->serial ^ s->c.seed);
    pthread_mutex_unlock(&s->mu);
    snprintf(buf, 24, "req_%016" PRIx64, id);
    return buf;
}

static void
add_request_id(reply *r, enum evm_wire pv, const char *id)
{
    add_header(r, pv == EVM_WIRE_OPENAI ? "x-request-id" : "request-id", "%s", id);
}

/* request_id gives the reply the provider's request id header, and returns
 * the id in 'buf'. */
static const char *
request_id(evm_server *s, reply *r, enum evm_wire pv, char buf[24])
{
    add_request_id(r, pv, new_request_id(s, buf));
    return buf;
}

/* set_error sets the provider's error body for 'e', with 'message' in place
 * of the stock one when not NULL. */
static void
set_error(evm_server *s, reply *r, enum evm_wire pv, enum evm_wire_error e, const char *message)
{
    char id[24];
    request_id(s, r, pv, id);
    set_json(r, evm_wire_status(pv, e), evm_wire_error(pv, e, message, id));
}

/* set_reply sets the status and body of 'fr' and the outcome they mean.
 * A lost answer (the lost-id fault) drops the connection halfway. */
static void
set_reply(reply *r, evm_wire_reply fr)
{
    set_json(r, fr.status, fr.body);
    r->outcome = fr.lost                                ? EVM_COUNTS_LOST_ID
                 : fr.status == 200                     ? EVM_COUNTS_OK
                 : fr.status == 404                     ? EVM_COUNTS_NOT_FOUND
                 : fr.status == 401 || fr.status == 403 ? EVM_COUNTS_UNAUTHORIZED
                                                        : EVM_COUNTS_BAD_REQUEST;
    if (fr.lost)
        r->cut = r->len > 1 ? r->len / 2 : 1;
}

/* add_rate_headers adds the headers each provider sends of its request
 * limit 'limit': how many remain and when the window resets. */
static void
add_rate_headers(reply *r, enum evm_wire pv, long limit, long remaining, long reset_ms)
{
    char when[64];
    if (pv == EVM_WIRE_OPENAI) {
        evm_wire_duration(when, sizeof(when), reset_ms);
        add_header(r, "x-ratelimit-limit-requests", "%ld", limit);
        add_header(r, "x-ratelimit-remaining-requests", "%ld", remaining);
        add_header(r, "x-ratelimit-reset-requests", "%s", when);
    } else {
        evm_wire_time_in(when, sizeof(when), reset_ms);
        add_header(r, "anthropic-ratelimit-requests-limit", "%ld", limit);
        add_header(r, "anthropic-ratelimit-requests-remaining", "%ld", remaining);
        add_header(r, "anthropic-ratelimit-requests-reset", "%s", when);
    }
}

/* set_rate_limited answers 429 with the headers each provider sends: the
 * wait 'wait_ms', and that none of 'limit' requests remain. */
static void
set_rate_limited(evm_server *s, reply *r, enum evm_wire pv, long wait_ms, long limit)
{
    set_error(s, r, pv, EVM_WIRE_RATE_LIMIT, NULL);
    add_header(r, "retry-after", "%ld", (wait_ms + 999) / 1000);
    if (pv == EVM_WIRE_OPENAI)
        add_header(r, "retry-after-ms", "%ld", wait_ms);
    add_rate_headers(r, pv, limit, 0, wait_ms);
    if (pv == EVM_WIRE_OPENAI) {
        add_header(r, "x-ratelimit-limit-tokens", "150000");
        add_header(r, "x-ratelimit-remaining-tokens", "150000");
        add_header(r, "x-ratelimit-reset-tokens", "6m0s");
    }
}

/* Statistics. */

static jv
stats_json(evm_server *s)
{
    int64_t now = ev_clock_wall_ms();
    jv jobs = evm_jobs_stats(s->jobs, now), batches = evm_batches_stats(s->batches, now);
    jv together = jv_object_merge(evm_together_stats(s->together, now), evm_dmi_stats(s->dmi, now));
    jobs = jv_object_set(jobs, jv_string("together"), together);
    jobs = jv_object_set(jobs, jv_string("fireworks"), evm_fireworks_stats(s->fireworks, now));
    pthread_mutex_lock(&s->mu);
    jv o = evm_counts_json(s->counts, jobs, batches);
    pthread_mutex_unlock(&s->mu);
    return o;
}

/* reset_stats returns the server to its state at start: counts, attempts
 * and the rpm window. Requests in flight stay counted as in flight. */
static void
reset_stats(evm_server *s)
{
    pthread_mutex_lock(&s->mu);
    evm_counts_reset(s->counts);
    if (s->rpm != NULL)
        evm_rpm_reset(s->rpm);
    pthread_mutex_unlock(&s->mu);
    evm_batches_reset_stats(s->batches);
}

/* Keys. */

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
check_key(struct MHD_Connection *conn, enum evm_wire pv, const char *key, const char **given)
{
    const char *v;
    *given = NULL;
    if (pv == EVM_WIRE_OPENAI) {
        v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "authorization");
        if (v == NULL)
            return EVM_WIRE_NO_KEY;
        if (strncasecmp(v, "Bearer ", 7) != 0)
            return EVM_WIRE_BAD_KEY;
        v += 7;
    } else {
        v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-api-key");
        if (v == NULL)
            return EVM_WIRE_NO_KEY;
    }
    *given = v;
    return secret_equal(v, key) ? -1 : EVM_WIRE_BAD_KEY;
}

/* refused answers a request without the right key, when the server wants
 * one, and says whether it did. A wrong key is quoted whole, as a careless
 * proxy might: the tests prove clients redact it. */
static bool
refused(evm_server *s, struct MHD_Connection *conn, reply *r, enum evm_wire pv)
{
    const char *given;
    int e;
    if (s->c.key == NULL || (e = check_key(conn, pv, s->c.key, &given)) < 0)
        return false;
    jv msg = given != NULL ? jv_string_fmt("Incorrect API key provided: %s.", given) : jv_null();
    set_error(s, r, pv, (enum evm_wire_error)e, given != NULL ? jv_string_value(msg) : NULL);
    jv_free(msg);
    r->outcome = EVM_COUNTS_UNAUTHORIZED;
    return true;
}

/* no_version says whether an Anthropic request lacks the anthropic-version
 * header, which Anthropic requires; it then sets the 400. */
static bool
no_version(evm_server *s, struct MHD_Connection *conn, reply *r, enum evm_wire pv)
{
    if (pv != EVM_WIRE_ANTHROPIC ||
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "anthropic-version") != NULL)
        return false;
    set_error(s, r, pv, EVM_WIRE_BAD_REQUEST, "anthropic-version: header is required");
    r->outcome = EVM_COUNTS_BAD_REQUEST;
    return true;
}

/* The model endpoints. */

/* read_call reads the body of a model request into 'c' and resolves its
 * model. It returns true, or sets the error (a 400 or a 404) and false. */
static bool
read_call(evm_server *s, struct MHD_Connection *conn, const request *rq, reply *r, call *c)
{
    char rid[24];
    jv err;
    if (no_version(s, conn, r, c->pv))
        return false;
    new_request_id(s, rid);
    unsigned st = evm_answer_read(&c->names, c->pv, rq->body ? rq->body : "", rq->len,
                                  ev_clock_wall_ms(), rid, &c->chat, &err);
    if (st != 0) {
        add_request_id(r, c->pv, rid);
        set_json(r, st, err);
        r->outcome = st == 404 ? EVM_COUNTS_NOT_FOUND : EVM_COUNTS_BAD_REQUEST;
        return false;
    }
    c->body_hash = ev_hash_64(rq->body, rq->len, 0);
    return true;
}

/* set_answer sets the model's answer to the call. */
static void
set_answer(evm_server *s, reply *r, call *c, bool usage)
{
    char id[40], rid[24];
    evm_answer_id(id, c->pv, c->body_hash, c->attempt);
    jv body = evm_answer_body(s->model, &c->chat, id, usage, &c->src);
    c->answered = true;
    pthread_mutex_lock(&s->mu);
    evm_counts_answer(s->counts, c->src.source);
    pthread_mutex_unlock(&s->mu);
    request_id(s, r, c->pv, rid);
    set_json(r, 200, body);
    if (s->c.rpm > 0)
        add_rate_headers(r, c->pv, s->c.rpm, c->remaining, c->reset_ms);
}

static const char html_502[] =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    "</body>\r\n</html>\r\n";

/* serve_fault answers with fault 'f', or with the model's answer. */
static void
serve_fault(evm_server *s, reply *r, call *c, enum evm_fault f)
{
    const evm_fault_plan *p = &s->c.faults;
    static const enum evm_wire_error as_error[] = {
        [EVM_FAULT_AUTH] = EVM_WIRE_BAD_KEY, [EVM_FAULT_QUOTA] = EVM_WIRE_QUOTA,
        [EVM_FAULT_529] = EVM_WIRE_529,      [EVM_FAULT_503] = EVM_WIRE_503,
        [EVM_FAULT_502] = EVM_WIRE_502,      [EVM_FAULT_500] = EVM_WIRE_500};
    r->outcome = f == EVM_FAULT_NONE ? EVM_COUNTS_OK : EVM_COUNTS_FAULT + f;
    switch (f) {
    case EVM_FAULT_AUTH:
    case EVM_FAULT_QUOTA:
    case EVM_FAULT_529:
    case EVM_FAULT_503:
    case EVM_FAULT_502:
    case EVM_FAULT_500:
        set_error(s, r, c->pv, as_error[f], NULL);
        return;
    case EVM_FAULT_429:
        set_rate_limited(s, r, c->pv, p->retry_after_ms, s->c.rpm > 0 ? s->c.rpm : 60);
        return;
    case EVM_FAULT_REDIRECT:
        /* to where the answer is: a client that followed it would be paid
         * an answer for a request it never meant to send */
        set_json(r, 307, jv_object());
        add_header(r, "location", "%s",
                   c->pv == EVM_WIRE_OPENAI ? "/v1/chat/completions" : "/v1/messages");
        return;
    case EVM_FAULT_FLAT:
        set_json(r, 500,
                 evm_wire_flat_error(500, "The server had an error while processing your request"));
        return;
    case EVM_FAULT_NONJSON:
        set_body(r, 502, "text/html", html_502, sizeof(html_502) - 1);
        return;
    case EVM_FAULT_SLOW:
        nap(s, p->slow_ms);
        set_answer(s, r, c, true);
        return;
    case EVM_FAULT_JUDGE_INVALID:
        c->chat.judge_invalid = true;
        /* fall through */
    case EVM_FAULT_TRUNCATED:
    case EVM_FAULT_NOUSAGE:
    case EVM_FAULT_RESET:
    case EVM_FAULT_NONE:
        nap(s, evm_fault_latency(p, c->body_hash, c->attempt));
        set_answer(s, r, c, f != EVM_FAULT_NOUSAGE);
        if (f == EVM_FAULT_TRUNCATED)
            r->len = r->len / 2;
        else if (f == EVM_FAULT_RESET)
            r->cut = r->len / 2;
        return;
    }
}

/* serve_model answers a model endpoint: the key, the body, the rpm limit,
 * then a fault or the answer. */
static void
serve_model(evm_server *s, struct MHD_Connection *conn, const request *rq, reply *r, call *c)
{
    long wait = 0;
    if (rq->too_big) {
        set_error(s, r, c->pv, EVM_WIRE_TOO_LARGE, NULL);
        r->outcome = EVM_COUNTS_BAD_REQUEST;
        return;
    }
    if (refused(s, conn, r, c->pv) || !read_call(s, conn, rq, r, c))
        return;
    pthread_mutex_lock(&s->mu);
    evm_counts_model(s->counts, jv_string_value(c->chat.req.model));
    if (s->rpm != NULL)
        wait = evm_rpm_admit(s->rpm, ev_clock_mono_ms(), &c->remaining, &c->reset_ms);
    if (wait == 0) {
        c->attempt = evm_counts_attempt(s->counts, c->body_hash);
        evm_counts_enter(s->counts);
    }
    pthread_mutex_unlock(&s->mu);
    if (wait > 0) {
        set_rate_limited(s, r, c->pv, wait, s->c.rpm);
        r->outcome = EVM_COUNTS_RATE_LIMITED;
        return;
    }
    serve_fault(s, r, c, evm_fault_pick(&s->c.faults, c->body_hash, c->attempt));
    pthread_mutex_lock(&s->mu);
    evm_counts_leave(s->counts);
    pthread_mutex_unlock(&s->mu);
}

/* The files, jobs and batches endpoints. */

/* on_form adds a part of a multipart body to the form 'cls'. */
static enum MHD_Result
on_form(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
        const char *content_type, const char *transfer_encoding, const char *data, uint64_t off,
        size_t size)
{
    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    (void)off;
    evm_wire_form_append(cls, key, filename, data, size);
    return MHD_YES;
}

/* read_form reads the multipart body of 'rq' into 'f'; false when it is
 * not one. */
static bool
read_form(struct MHD_Connection *conn, const request *rq, evm_wire_form *f)
{
    *f = (evm_wire_form){NULL, 0};
    struct MHD_PostProcessor *pp = MHD_create_post_processor(conn, 65536, on_form, f);
    bool ok = pp != NULL && MHD_post_process(pp, rq->body ? rq->body : "", rq->len) == MHD_YES;
    if (pp != NULL)
        MHD_destroy_post_processor(pp);
    return ok;
}

/* upload reads the multipart body of POST /v1/files and stores the file. */
static evm_wire_reply
upload(evm_server *s, struct MHD_Connection *conn, const request *rq)
{
    evm_wire_form fm;
    evm_wire_reply fr;
    if (!read_form(conn, rq, &fm)) {
        fr = evm_wire_openai_reply(400,
                                   jv_string("The body must be multipart/form-data with the "
                                             "fields 'purpose' and 'file'."),
                                   NULL, NULL);
    } else {
        const evm_wire_field *file = evm_wire_form_get(&fm, "file");
        const evm_wire_field *purpose = evm_wire_form_get(&fm, "purpose");
        const char *name = file && file->filename ? file->filename : file ? "file" : NULL;
        fr = evm_jobs_upload(s->jobs, name, purpose ? purpose->data : NULL,
                             file ? file->data : NULL, file ? file->len : 0, ev_clock_wall_ms());
    }
    if (fr.status == 200) {
        pthread_mutex_lock(&s->mu);
        evm_counts_upload(s->counts);
        pthread_mutex_unlock(&s->mu);
    }
    evm_wire_form_free(&fm);
    return fr;
}

static const char *
query(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

/* query_limit reads the query's 'limit' into '*n', which keeps its default
 * when there is none; false when it is not an integer from 1 to 'max'. */
static bool
query_limit(struct MHD_Connection *conn, long max, long *n)
{
    const char *v = query(conn, "limit");
    return v == NULL || ev_cli_parse_long(v, 1, max, n);
}

/* bad_limit is OpenAI's 400 for a 'limit' that is not from 1 to 100. */
static evm_wire_reply
bad_limit(void)
{
    return evm_wire_openai_reply(400, jv_string("'limit' must be an integer from 1 to 100."),
                                 "limit", NULL);
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
    return ev_alloc_strndup(id, slash != NULL ? (size_t)(slash - id) : strlen(id));
}

static evm_wire_reply
not_found(enum evm_wire pv, const char *rid)
{
    return (evm_wire_reply){404, evm_wire_error(pv, EVM_WIRE_NOT_FOUND, NULL, rid), false};
}

/* route_jobs answers a request under /v1/files or /v1/fine_tuning/jobs
 * ('p', without /v1) from the job store, or with 404 for a path or method
 * it does not serve. */
static evm_wire_reply
route_jobs(evm_server *s, struct MHD_Connection *conn, const char *p, bool post, const request *rq)
{
    const char *rest, *body = rq->body ? rq->body : "";
    int64_t now = ev_clock_wall_ms();
    long n = 20;
    if (strcmp(p, "/files") == 0 && post)
        return upload(s, conn, rq);
    if (strcmp(p, "/fine_tuning/jobs") == 0 && post)
        return evm_jobs_create(s->jobs, body, rq->len, now);
    if (strcmp(p, "/fine_tuning/jobs") == 0 && !post)
        return evm_jobs_list(s->jobs, now);
    char *file = id_after(p, "/files", &rest), *job = id_after(p, "/fine_tuning/jobs", &rest);
    evm_wire_reply fr = {0, jv_invalid(), false};
    if (file != NULL && *rest == '\0' && !post)
        fr = evm_jobs_file(s->jobs, file);
    else if (job != NULL && *rest == '\0' && !post)
        fr = evm_jobs_job(s->jobs, job, now);
    else if (job != NULL && strcmp(rest, "/events") == 0 && !post)
        fr = query_limit(conn, 100, &n)
                 ? evm_jobs_events(s->jobs, job, n, query(conn, "after"), now)
                 : bad_limit();
    else if (job != NULL && strcmp(rest, "/cancel") == 0 && post)
        fr = evm_jobs_cancel(s->jobs, job, now);
    free(file);
    free(job);
    return fr.status != 0 ? fr : not_found(EVM_WIRE_OPENAI, "");
}

/* route_batches answers a request under /v1/batches ('p', without /v1)
 * from the batch store, or with 404 for a path or method it does not
 * serve. */
static evm_wire_reply
route_batches(evm_server *s, struct MHD_Connection *conn, const char *p, bool post,
              const request *rq)
{
    const char *rest;
    int64_t now = ev_clock_wall_ms();
    long n = 20;
    if (strcmp(p, "/batches") == 0 && post)
        return evm_batches_create(s->batches, rq->body ? rq->body : "", rq->len, now);
    if (strcmp(p, "/batches") == 0)
        return query_limit(conn, 100, &n)
                   ? evm_batches_list(s->batches, n, query(conn, "after"), now)
                   : bad_limit();
    char *id = id_after(p, "/batches", &rest);
    evm_wire_reply fr = {0, jv_invalid(), false};
    if (id != NULL && *rest == '\0' && !post)
        fr = evm_batches_get(s->batches, id, now);
    else if (id != NULL && strcmp(rest, "/cancel") == 0 && post)
        fr = evm_batches_cancel(s->batches, id, now);
    free(id);
    return fr.status != 0 ? fr : not_found(EVM_WIRE_OPENAI, "");
}

/* serve_content answers GET /v1/files/{id}/content ('p', without /v1) with
 * the file's bytes, when 'p' is that path; returns false when it is not. */
static bool
serve_content(evm_server *s, const char *p, reply *r)
{
    const char *rest;
    char *id = id_after(p, "/files", &rest), *data;
    size_t len;
    if (id == NULL || strcmp(rest, "/content") != 0) {
        free(id);
        return false;
    }
    if (evm_jobs_content(s->jobs, id, NULL, &data, &len)) {
        set_body(r, 200, "application/octet-stream", data, len);
        free(data);
        r->outcome = EVM_COUNTS_OK;
    } else {
        set_reply(r, evm_wire_openai_reply(404, jv_string_fmt("No such File object: %s", id), "id",
                                           "not_found"));
    }
    free(id);
    return true;
}

typedef evm_wire_reply (*router)(evm_server *s, struct MHD_Connection *conn, const char *p,
                                 bool post, const request *rq);

/* serve_store answers the files, fine-tuning and batch endpoints of OpenAI
 * by 'route': the key, the body's size, then the store. The model faults,
 * --rpm and --latency do not apply here. */
static void
serve_store(evm_server *s, struct MHD_Connection *conn, const char *url, const char *method,
            const request *rq, reply *r, router route)
{
    char id[24];
    const char *p = strncmp(url, "/v1/", 4) == 0 ? url + 3 : url;
    if (refused(s, conn, r, EVM_WIRE_OPENAI))
        return;
    if (rq->too_big) {
        set_error(s, r, EVM_WIRE_OPENAI, EVM_WIRE_TOO_LARGE,
                  rq->limit == (size_t)MAX_FILE_BODY ? "The file is larger than 512 MB." : NULL);
        r->outcome = EVM_COUNTS_BAD_REQUEST;
        return;
    }
    bool post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0;
    request_id(s, r, EVM_WIRE_OPENAI, id);
    if (get && serve_content(s, p, r))
        return;
    set_reply(r, post || get ? route(s, conn, p, post, rq) : not_found(EVM_WIRE_OPENAI, ""));
}

/* query_of is evm_wire_http's query: a query parameter of the connection
 * 'ctx'. */
static const char *
query_of(void *ctx, const char *name)
{
    return query(ctx, name);
}

/* provider_refused answers a request to Together's or Fireworks' paths
 * without the right key, when the server wants one, as refused does: in
 * Together's error shape (OpenAI's), or Fireworks' (UNAUTHENTICATED). */
static bool
provider_refused(evm_server *s, struct MHD_Connection *conn, reply *r, bool fireworks)
{
    const char *given;
    int e;
    if (!fireworks)
        return refused(s, conn, r, EVM_WIRE_OPENAI);
    if (s->c.key == NULL || (e = check_key(conn, EVM_WIRE_OPENAI, s->c.key, &given)) < 0)
        return false;
    set_reply(r, evm_wire_grpc_reply(EVM_WIRE_GRPC_UNAUTHENTICATED,
                                     given != NULL ? jv_string_fmt("invalid API key: %s", given)
                                                   : jv_string("missing API key: send it as "
                                                               "'Authorization: Bearer KEY'")));
    return true;
}

/* serve_provider answers the REST endpoints of Together (under /together)
 * and Fireworks (under /fireworks) from their stores: the key, the body's
 * size, a multipart body read as a form, then the store. */
static void
serve_provider(evm_server *s, struct MHD_Connection *conn, const char *url, const char *method,
               const request *rq, reply *r)
{
    char id[24];
    bool fireworks = strncmp(url, "/fireworks/", 11) == 0;
    const char *path = url + (fireworks ? 10 : 9);
    if (provider_refused(s, conn, r, fireworks))
        return;
    request_id(s, r, EVM_WIRE_OPENAI, id);
    if (rq->too_big) {
        jv msg = jv_string("The request body is too large.");
        set_reply(r, fireworks ? evm_wire_grpc_reply(EVM_WIRE_GRPC_INVALID_ARGUMENT, msg)
                               : evm_wire_openai_reply(413, msg, NULL, NULL));
        return;
    }
    const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "content-type");
    evm_wire_form form = {NULL, 0};
    bool multipart = type != NULL && strncasecmp(type, "multipart/form-data", 19) == 0 &&
                     read_form(conn, rq, &form);
    evm_wire_http h = {method,   path, rq->body ? rq->body : "", rq->len, multipart ? &form : NULL,
                       query_of, conn, ev_clock_wall_ms()};
    bool dmi = strncmp(path, "/v2/", 4) == 0 || strcmp(path, "/v1/whoami") == 0 ||
               strcmp(path, "/v1/endpoints") == 0;
    set_reply(r, fireworks ? evm_fireworks_serve(s->fireworks, &h)
                 : dmi     ? evm_dmi_serve(s->dmi, &h)
                           : evm_together_serve(s->together, &h));
    evm_wire_form_free(&form);
}

/* route_message_batches answers a request under /v1/messages/batches ('p',
 * without /v1); a 200 of results sets the body of 'r' and gives a null
 * body. */
static evm_wire_reply
route_message_batches(evm_server *s, struct MHD_Connection *conn, const char *p, bool post,
                      const request *rq, const char *rid, reply *r)
{
    const char *rest;
    int64_t now = ev_clock_wall_ms();
    long n = 20;
    if (strcmp(p, "/messages/batches") == 0 && post)
        return evm_batches_msg_create(s->batches, rq->body ? rq->body : "", rq->len, now, rid);
    if (strcmp(p, "/messages/batches") == 0 && !query_limit(conn, 1000, &n))
        return evm_wire_error_reply(EVM_WIRE_ANTHROPIC, EVM_WIRE_BAD_REQUEST,
                                    jv_string("limit: must be an integer from 1 to 1000"), rid);
    if (strcmp(p, "/messages/batches") == 0)
        return evm_batches_msg_list(s->batches, n, query(conn, "after_id"),
                                    query(conn, "before_id"), now);
    char *id = id_after(p, "/messages/batches", &rest), *text;
    size_t len;
    evm_wire_reply fr = {0, jv_invalid(), false};
    if (id != NULL && *rest == '\0' && !post) {
        fr = evm_batches_msg_get(s->batches, id, now, rid);
    } else if (id != NULL && strcmp(rest, "/cancel") == 0 && post) {
        fr = evm_batches_msg_cancel(s->batches, id, now, rid);
    } else if (id != NULL && strcmp(rest, "/results") == 0 && !post) {
        fr = evm_batches_msg_results(s->batches, id, now, rid, &text, &len);
        if (fr.status == 200) {
            set_body(r, 200, "application/x-jsonl", text, len);
            free(text);
        }
    }
    free(id);
    return fr.status != 0 ? fr : not_found(EVM_WIRE_ANTHROPIC, rid);
}

/* serve_message_batches answers Anthropic's message batches endpoints: the
 * key, the anthropic-version header, the body's size, then the store. */
static void
serve_message_batches(evm_server *s, struct MHD_Connection *conn, const char *url,
                      const char *method, const request *rq, reply *r)
{
    char rid[24];
    const char *p = strncmp(url, "/v1/", 4) == 0 ? url + 3 : url;
    if (refused(s, conn, r, EVM_WIRE_ANTHROPIC) || no_version(s, conn, r, EVM_WIRE_ANTHROPIC))
        return;
    if (rq->too_big) {
        set_error(s, r, EVM_WIRE_ANTHROPIC, EVM_WIRE_TOO_LARGE, NULL);
        r->outcome = EVM_COUNTS_BAD_REQUEST;
        return;
    }
    bool post = strcmp(method, "POST") == 0;
    request_id(s, r, EVM_WIRE_ANTHROPIC, rid);
    evm_wire_reply fr = post || strcmp(method, "GET") == 0
                            ? route_message_batches(s, conn, p, post, rq, rid, r)
                            : not_found(EVM_WIRE_ANTHROPIC, rid);
    if (fr.status == 200 && jv_get_kind(fr.body) == JV_KIND_NULL) {
        jv_free(fr.body);
        r->outcome = EVM_COUNTS_OK;
    } else {
        set_reply(r, fr);
    }
}

/* Sending. */

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
        cut_body *b = ev_alloc(sizeof(*b));
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
log_request(const evm_server *s, const request *rq, const char *method, const char *url,
            const reply *r, const call *c)
{
    const char *case_id = c->src.case_id;
    jv what = c->attempt > 0 && c->answered
                  ? jv_string_fmt(" attempt %lu answer %s%s%s%s", c->attempt,
                                  evm_counts_source_name(c->src.source), case_id ? " case '" : "",
                                  case_id ? case_id : "", case_id ? "'" : "")
              : c->attempt > 0 ? jv_string_fmt(" attempt %lu", c->attempt)
                               : jv_string("");
    bool named = jv_is_valid(c->chat.req.model);
    report(s, jv_string_fmt("%s %s %u %s%s%s%s%s %ldms", method, url, r->status,
                            evm_counts_outcome_name(r->outcome), named ? " model '" : "",
                            named ? jv_string_value(c->chat.req.model) : "", named ? "'" : "",
                            jv_string_value(what), (long)(ev_clock_mono_ms() - rq->start)));
    jv_free(what);
}

/* The request handler. */

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

/* route answers a request whose body is whole. */
static void
route(evm_server *s, struct MHD_Connection *conn, const char *url, const char *method,
      const request *rq, enum evm_counts_path p, reply *r, call *c)
{
    bool post = strcmp(method, "POST") == 0;
    if (evm_counts_is_model(p) && post) {
        serve_model(s, conn, rq, r, c);
    } else if (strncmp(url, "/together/", 10) == 0 || strncmp(url, "/fireworks/", 11) == 0) {
        serve_provider(s, conn, url, method, rq, r);
    } else if (p == EVM_COUNTS_FILES || p == EVM_COUNTS_JOBS) {
        serve_store(s, conn, url, method, rq, r, route_jobs);
    } else if (p == EVM_COUNTS_BATCHES) {
        serve_store(s, conn, url, method, rq, r, route_batches);
    } else if (p == EVM_COUNTS_MESSAGE_BATCHES) {
        serve_message_batches(s, conn, url, method, rq, r);
    } else {
        char msg[160];
        snprintf(msg, sizeof(msg), "Unknown request URL: %.16s %.100s", method, url);
        if (strncmp(url, "/v1/messages", 12) == 0 || strncmp(url, "/messages", 9) == 0)
            c->pv = EVM_WIRE_ANTHROPIC;
        set_error(s, r, c->pv, EVM_WIRE_NOT_FOUND, c->pv == EVM_WIRE_OPENAI ? msg : NULL);
        r->outcome = EVM_COUNTS_NOT_FOUND;
    }
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

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_size, void **ctx)
{
    evm_server *s = cls;
    request *rq = *ctx;
    (void)version;
    if (rq == NULL) {
        /* libmicrohttpd's threads are not ours: give each jq's handler. */
        ev_alloc_thread_init();
        enum evm_counts_path p = evm_counts_path_of(url);
        rq = ev_alloc_zero(1, sizeof(*rq));
        bool files = p == EVM_COUNTS_FILES || p == EVM_COUNTS_TOGETHER_FILES ||
                     p == EVM_COUNTS_FIREWORKS_DATASETS;
        rq->limit = files                             ? MAX_FILE_BODY
                    : p == EVM_COUNTS_MESSAGE_BATCHES ? MAX_BATCH_BODY
                                                      : MAX_BODY;
        rq->start = ev_clock_mono_ms();
        *ctx = rq;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        append_body(rq, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    reply r = {0};
    if (strcmp(url, "/stats") == 0 && strcmp(method, "GET") == 0) {
        set_json(&r, 200, stats_json(s));
        return send_reply(conn, &r);
    }
    if (strcmp(url, "/stats/reset") == 0 && strcmp(method, "POST") == 0) {
        reset_stats(s);
        set_json(&r, 200, stats_json(s));
        return send_reply(conn, &r);
    }
    enum evm_counts_path p = evm_counts_path_of(url);
    call c = {.pv = p == EVM_COUNTS_MESSAGES_V1 || p == EVM_COUNTS_MESSAGES ? EVM_WIRE_ANTHROPIC
                                                                            : EVM_WIRE_OPENAI,
              .names = p == EVM_COUNTS_TOGETHER_CHAT    ? evm_dmi_names(s->dmi)
                       : p == EVM_COUNTS_FIREWORKS_CHAT ? evm_fireworks_names(s->fireworks)
                                                        : evm_answer_openai(s->jobs),
              .chat = {.req = {jv_invalid(), jv_invalid(), jv_invalid(), -1}}};
    route(s, conn, url, method, rq, p, &r, &c);
    pthread_mutex_lock(&s->mu);
    evm_counts_request(s->counts, p, r.outcome);
    pthread_mutex_unlock(&s->mu);
    if (s->c.verbose)
        log_request(s, rq, method, url, &r, &c);
    if (s->c.echo_key)
        echo_key(conn, &r);
    evm_answer_free(&c.chat);
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
    vsnprintf(buf, sizeof(buf), fmt, ap);
    buf[strcspn(buf, "\n")] = '\0';
    report(cls, jv_string_fmt("http: %s", buf));
}

/* Starting and stopping. */

evm_server_config
evm_server_defaults(void)
{
    return (evm_server_config){
        .faults = evm_fault_defaults(),
        .rpm_window_ms = 60000,
        .fireworks_account = "ev-mock",
        .jobs = {.job_ms = 300,
                 .deploy_ms = 300,
                 .params = evm_learner_defaults(),
                 .max_tokens = EV_EXAMPLE_MAX_TOKENS},
        .batches = {.batch_ms = 300},
    };
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

/* build_model makes the model from the cases, replays and rules of 'c', or
 * returns NULL when a record was bad. */
static evm_model *
build_model(const evm_server_config *c)
{
    evm_model *m = evm_model_new(c->seed);
    for (size_t i = 0; i < c->naccuracy; i++) {
        const evm_server_accuracy *a = &c->accuracy[i];
        if (a->model)
            evm_model_set_model_accuracy(m, a->name, a->p);
        else
            evm_model_set_accuracy(m, a->name, a->p);
    }
    bool ok = evm_model_load(m, c->cases, c->ncases, false, c->report, c->ctx);
    ok = evm_model_load(m, c->replays, c->nreplays, true, c->report, c->ctx) && ok;
    if (!ok) {
        evm_model_free(m);
        return NULL;
    }
    evm_model_set_judge(m, c->judge);
    evm_model_freeze(m);
    return m;
}

/* serve starts libmicrohttpd on the listening socket 'fd'. */
static bool
serve(evm_server *s, int fd)
{
    const evm_server_config *c = &s->c;
    bool tls = c->tls_cert != NULL;
    /* Without TLS the two HTTPS options end the list early. */
    s->daemon =
        MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD |
                             (c->verbose ? MHD_USE_ERROR_LOG : 0) | (tls ? MHD_USE_TLS : 0),
                         0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, s,
                         MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
                         NULL, MHD_OPTION_CONNECTION_LIMIT, 1000U, MHD_OPTION_CONNECTION_TIMEOUT,
                         300U, tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, c->tls_cert,
                         MHD_OPTION_HTTPS_MEM_KEY, c->tls_key, MHD_OPTION_END);
    return s->daemon != NULL;
}

evm_server *
evm_server_start(const evm_server_config *c)
{
    evm_server *s = ev_alloc_zero(1, sizeof(*s));
    s->c = *c;
    s->c.faults.seed = c->seed;
    s->counts = evm_counts_new();
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->mu, NULL);
    if ((s->model = build_model(c)) == NULL) {
        evm_server_free(s);
        return NULL;
    }
    evm_jobs_config jc = c->jobs;
    jc.seed = c->seed;
    jc.params.seed = c->seed;
    jc.faults = &s->c.faults;
    jc.model = s->model;
    s->jobs = evm_jobs_new(&jc);
    s->together = evm_together_new(&jc);
    s->dmi = evm_dmi_new(&jc, s->together);
    s->fireworks = evm_fireworks_new(&jc, c->fireworks_account);
    jv err;
    if (c->state != NULL && evm_jobs_journal(s->jobs, c->state, &err) != 0) {
        report(s, jv_invalid_get_msg(err));
        evm_server_free(s);
        return NULL;
    }
    if (c->rpm > 0)
        s->rpm = evm_rpm_new(c->rpm, c->rpm_window_ms);
    int fd = listen_loopback(c->port, &s->port);
    if (fd < 0) {
        report(s, jv_string_fmt("cannot listen on 127.0.0.1:%ld: %s", c->port, strerror(errno)));
        evm_server_free(s);
        return NULL;
    }
    snprintf(s->base, sizeof(s->base), "%s://127.0.0.1:%ld", c->tls_cert ? "https" : "http",
             s->port);
    evm_batches_config bc = c->batches;
    bc.seed = c->seed;
    bc.faults = &s->c.faults;
    bc.base = s->base;
    bc.model = s->model;
    bc.jobs = s->jobs;
    s->batches = evm_batches_new(&bc);
    if (!serve(s, fd)) {
        close(fd);
        report(s, jv_string_fmt("cannot start the server on 127.0.0.1:%ld", s->port));
        evm_server_free(s);
        return NULL;
    }
    return s;
}

long
evm_server_port(const evm_server *s)
{
    return s->port;
}

const evm_model *
evm_server_model(const evm_server *s)
{
    return s->model;
}

void
evm_server_stop(evm_server *s)
{
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->mu);
    if (s->daemon != NULL)
        MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
}

jv
evm_server_summary(evm_server *s)
{
    pthread_mutex_lock(&s->mu);
    jv line = evm_counts_summary(s->counts);
    pthread_mutex_unlock(&s->mu);
    return line;
}

void
evm_server_free(evm_server *s)
{
    if (s == NULL)
        return;
    evm_server_stop(s);
    evm_batches_free(s->batches);
    evm_fireworks_free(s->fireworks);
    evm_dmi_free(s->dmi);
    evm_together_free(s->together);
    evm_jobs_free(s->jobs);
    evm_model_free(s->model);
    evm_rpm_free(s->rpm);
    evm_counts_free(s->counts);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->wake);
    free(s);
}
