#include "syncrun.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "ev.h"
#include "http.h"
#include "json.h"
#include "jsonl.h"
#include "progress.h"
#include "ratelimit.h"
#include "readahead.h"
#include "record.h"
#include "report.h"
#include "secret.h"

#define ESTIMATE_MAX_TOKENS 256 /* output tokens assumed when none are set */
#define GRACE_SECONDS 5.0       /* wait for calls in flight after an interrupt */
#define RATE_MARGIN 0.98        /* pace at this share of any rate limit */
#define CLAIM_POLL_MS 50        /* between looks at another run's claim */

/* One output record-to-be: a sample of a case. */
enum sample_state { S_PENDING, S_DONE, S_CANCELLED };

typedef struct sample {
    enum sample_state state;
    jv add; /* {output, call} or {error, call}, when done */
} sample;

/* A case in the reorder window. */
typedef struct slot {
    char *raw; /* the record's text, as read */
    size_t len;
    bool replace; /* it has output, call or error from an earlier run */
    int ndone;    /* samples finished */
    bool used;
    sample *s; /* [repeat] */
} slot;

/* A sample waiting for the answer to the same request as a call in flight. */
typedef struct follower {
    unsigned long seq;
    int sample;
} follower;

/* A sample on its way to an answer: from the cache, from a call in flight
 * for the same request, or from a call of its own. Its key is claimed
 * (ev_cache_claim) only when the engine has room to start the call, so
 * that another run sharing the cache takes the keys after it rather than
 * waiting for them; while another run holds the claim, it waits. */
typedef struct want {
    unsigned long seq;
    int sample;
    bool waited; /* it found another run's claim */
    bool warned; /* its bad cache entry was reported */
    char key[EV_CACHE_KEY_LEN + 1];
    jv rec, body, text; /* the case, the request and the request's text */
    const char *name;   /* where the case was read */
    unsigned long line;
} want;

typedef struct call_job {
    ev_http_job job; /* first, so the engine's job is the call's */
    unsigned long seq;
    int sample;
    char key[EV_CACHE_KEY_LEN + 1];
    int claim; /* of the key (ev_cache_claim), or -1 */
    ev_provider_reply reply;
    char label[96];
    char *envs[5];
    struct call_job *next_pending; /* in the run's table of calls in flight */
    follower *followers;           /* identical requests waiting for this one */
    size_t nfollowers;
} call_job;

typedef struct run {
    const ev_call_config *cfg;
    const ev_call_hooks *hooks;
    const ev_syncrun_show *show;
    FILE *out;
    ev_http *engine;
    ev_cache *cache;
    slot *win;
    size_t wcap;
    call_job **pending; /* calls in flight by cache key, to share one answer */
    size_t npending;    /* buckets, a power of two; 0 without the cache */
    want *ready;        /* samples for a call, in order: a ring of 'capready' */
    size_t readyhead, nready, capready;
    want *waiting; /* samples whose key another run has claimed */
    size_t nwaiting, capwaiting;
    unsigned long head, tail; /* the window holds cases [head, tail) */
    bool input_done, stopping, interrupted, fatal, max_errors_hit, out_broken, reader_gone;
    bool cache_failed, wait_noted;
    int status;
    unsigned long total_cases; /* for progress; 0 when unknown */
    unsigned long answered, cached, failed, finished_calls;
    double tokens_in, tokens_out;
    double spent; /* what the answers paid for cost, when the model has a price */
    double started, grace_until, last_draw, next_look;
    bool wrote;
} run;

/* estimate_tokens is what a request of 'body_len' bytes may spend, for
 * --tpm and the server's token limit: its prompt and the longest answer. */
static double
estimate_tokens(const ev_call_config *c, size_t body_len)
{
    double out = c->req.max_tokens >= 0 ? (double)c->req.max_tokens : ESTIMATE_MAX_TOKENS;
    return ev_price_estimate_text_tokens(body_len) + out;
}

static jv
round_ms(double ms)
{
    return jv_number(round(ms * 10.0) / 10.0);
}

static void
check_output(run *r)
{
    if (r->out_broken || !ferror(r->out))
        return;
    r->out_broken = true;
    r->reader_gone = errno == EPIPE;
    if (!r->reader_gone) /* a reader that went away is no news */
        ev_log_warn(&r->hooks->log, "cannot write standard output: %s",
                    strerror(errno ? errno : EIO));
    r->status = EV_EXIT_TROUBLE;
    if (!r->stopping) {
        r->stopping = true;
        r->grace_until = ev_clock_mono() + GRACE_SECONDS;
        if (r->engine != NULL)
            ev_http_stop(r->engine);
    }
}

static void
write_sample(run *r, const slot *s, jv add)
{
    if (r->out_broken) {
        jv_free(add);
        return;
    }
    ev_call_write(r->out, s->raw, s->len, s->replace, add);
    r->wrote = true;
    check_output(r);
}

static slot *
slot_of(run *r, unsigned long seq)
{
    return &r->win[seq % r->wcap];
}

static void
release(run *r, slot *s)
{
    for (long i = 0; i < r->cfg->repeat; i++) {
        jv_free(s->s[i].add);
        s->s[i].add = jv_invalid();
        s->s[i].state = S_PENDING;
    }
    free(s->raw);
    s->raw = NULL;
    s->used = false;
    s->ndone = 0;
}

/* flush_window writes the finished cases at the head of the window, in
 * order; with 'all', every finished sample of every case, skipping those
 * that never finished (at the end of an interrupted run). */
static void
flush_window(run *r, bool all)
{
    long k = r->cfg->repeat;
    while (r->head < r->tail) {
        slot *s = slot_of(r, r->head);
        if (s->ndone < k && !all)
            break;
        for (long i = 0; i < k && !r->cfg->unordered; i++) {
            if (s->s[i].state == S_DONE) {
                write_sample(r, s, s->s[i].add);
                s->s[i].add = jv_invalid();
            }
        }
        release(r, s);
        r->head++;
    }
}

static const char *
xfer_kind(enum ev_http_xfer x)
{
    return x == EV_HTTP_XFER_TIMEOUT ? "timeout" : "network";
}

/* judge_http reads an attempt's response into the call's reply. */
static enum ev_http_verdict
judge_http(run *r, call_job *cj)
{
    ev_http_job *j = &cj->job;
    ev_provider_reply *rep = &cj->reply;
    const ev_call_config *c = r->cfg;
    if (j->xfer != EV_HTTP_XFER_OK) {
        ev_provider_reply_free(rep);
        rep->kind = xfer_kind(j->xfer);
        rep->message = ev_secret_redact(jv_string(j->xfer_msg), c->key);
        if (j->xfer == EV_HTTP_XFER_FATAL) {
            rep->outcome = EV_PROVIDER_STOP_MISSING;
            return EV_HTTP_VERDICT_STOP;
        }
        rep->outcome = EV_PROVIDER_RETRYABLE;
        return EV_HTTP_VERDICT_RETRY;
    }
    ev_provider_reply_parse(c->req.provider, j->status, j->resp, j->resp_len, rep);
    if (j->status >= 300 && j->status < 400) {
        /* Every call would be sent the same way: a wrong base URL. */
        jv_free(rep->message);
        rep->message = jv_string_fmt("HTTP %ld: the server redirects to '%s'; redirects are not "
                                     "followed, so that the key goes only where you send it; "
                                     "correct --base-url",
                                     j->status, j->xfer_msg[0] ? j->xfer_msg : "(nowhere)");
        rep->outcome = EV_PROVIDER_STOP_MISSING;
    }
    if (jv_is_valid(rep->message))
        rep->message = ev_secret_redact(rep->message, c->key);
    if (rep->outcome == EV_PROVIDER_RETRYABLE && j->should_retry == 0)
        rep->outcome = EV_PROVIDER_FAILED;
    else if (rep->outcome == EV_PROVIDER_FAILED && j->should_retry == 1)
        rep->outcome = EV_PROVIDER_RETRYABLE;
    switch (rep->outcome) {
    case EV_PROVIDER_ANSWERED:
    case EV_PROVIDER_FAILED:
        return EV_HTTP_VERDICT_DONE;
    case EV_PROVIDER_RETRYABLE:
        return EV_HTTP_VERDICT_RETRY;
    default:
        return EV_HTTP_VERDICT_STOP;
    }
}

/* judge_cmd reads a command's exit: 0 is an answer, 75 (EX_TEMPFAIL) is
 * worth a retry, anything else a failure. */
static enum ev_http_verdict
judge_cmd(run *r, call_job *cj)
{
    ev_http_job *j = &cj->job;
    ev_provider_reply *rep = &cj->reply;
    (void)r;
    ev_provider_reply_free(rep);
    if (j->xfer == EV_HTTP_XFER_FATAL) { /* /bin/sh cannot be started */
        rep->kind = "cmd";
        rep->message = jv_string(j->xfer_msg);
        rep->outcome = EV_PROVIDER_STOP_MISSING;
        return EV_HTTP_VERDICT_STOP;
    }
    if (j->xfer != EV_HTTP_XFER_OK && j->xfer != EV_HTTP_XFER_TIMEOUT) { /* too much output */
        rep->kind = "cmd";
        rep->message = jv_string(j->xfer_msg);
        return EV_HTTP_VERDICT_DONE;
    }
    if (j->xfer == EV_HTTP_XFER_TIMEOUT) {
        rep->kind = "timeout";
        rep->message = jv_string(j->xfer_msg);
        return EV_HTTP_VERDICT_DONE;
    }
    if (j->status != 0) {
        rep->kind = "cmd";
        rep->message = j->status > 128
                           ? jv_string_fmt("the command was killed by signal %ld", j->status - 128)
                           : jv_string_fmt("the command exited with status %ld", j->status);
        rep->outcome = j->status == 75 ? EV_PROVIDER_RETRYABLE : EV_PROVIDER_FAILED;
        return j->status == 75 ? EV_HTTP_VERDICT_RETRY : EV_HTTP_VERDICT_DONE;
    }
    size_t n = j->resp_len;
    while (n > 0 && (j->resp[n - 1] == '\n' || j->resp[n - 1] == '\r'))
        n--;
    rep->output = jv_string_sized(j->resp, (int)n);
    rep->outcome = EV_PROVIDER_ANSWERED;
    return EV_HTTP_VERDICT_DONE;
}

static enum ev_http_verdict
judge(void *ctx, ev_http_job *job)
{
    run *r = ctx;
    call_job *cj = (call_job *)job;
    enum ev_http_verdict v =
        r->cfg->req.provider == EV_PROVIDER_CMD ? judge_cmd(r, cj) : judge_http(r, cj);
    if (r->cfg->verbose && v != EV_HTTP_VERDICT_DONE)
        ev_log_warn(&r->hooks->log, "%s: attempt %d: %s%s%s", cj->label, job->attempts,
                    cj->reply.kind, jv_is_valid(cj->reply.message) ? ": " : "",
                    jv_is_valid(cj->reply.message) ? jv_string_value(cj->reply.message) : "");
    return v;
}

static void
free_call(call_job *cj)
{
    free(cj->followers);
    ev_provider_reply_free(&cj->reply);
    free(cj->job.body);
    for (int i = 0; cj->envs[i] != NULL; i++)
        free(cj->envs[i]);
    free(cj);
}

static bool
over_max_errors(const run *r)
{
    const ev_call_config *c = r->cfg;
    if (!c->has_max_errors)
        return false;
    if (!c->max_errors_pct)
        return (double)r->failed > c->max_errors;
    return r->finished_calls >= 20 &&
           (double)r->failed > c->max_errors / 100.0 * (double)r->finished_calls;
}

static void
stop_run(run *r)
{
    if (r->stopping)
        return;
    r->stopping = true;
    r->grace_until = ev_clock_mono() + GRACE_SECONDS;
    ev_http_stop(r->engine);
}

/* cache_trouble stops the run, once, when the cache cannot keep answers
 * ('err', consumed, says why): every answer it lost would be paid for again
 * by the next run. The answers already received are still written, and
 * the exit status is 2. */
static void
cache_trouble(run *r, jv err)
{
    if (r->cache_failed) {
        jv_free(err);
        return;
    }
    r->cache_failed = true;
    ev_log_warn_jv(&r->hooks->log, jv_invalid_get_msg(err));
    ev_log_warn(
        &r->hooks->log,
        "stopping: the cache '%s' cannot keep answers, and the next run would pay again for "
        "each one it lost; free space there or make it writable, choose another cache with "
        "--cache-dir, or run with --no-cache",
        ev_cache_dir(r->cache));
    r->status = EV_EXIT_TROUBLE;
    stop_run(r);
}

static void
cache_answer(run *r, call_job *cj, jv call, jv output)
{
    if (r->cache == NULL) {
        jv_free(call);
        jv_free(output);
        return;
    }
    jv err;
    if (!ev_cache_put(r->cache, cj->key, ev_call_cache_entry(call, output, cj->sample), &err))
        cache_trouble(r, err);
}

/* note_fatal reports, once, why the run stops: no request can succeed. */
static void
note_fatal(run *r, call_job *cj)
{
    if (r->fatal)
        return;
    r->fatal = true;
    r->status = EV_EXIT_TROUBLE;
    const ev_provider_reply *rep = &cj->reply;
    const ev_http_job *j = &cj->job;
    const char *msg = jv_is_valid(rep->message) ? jv_string_value(rep->message) : "";
    char no_key[256];
    snprintf(no_key, sizeof(no_key),
             "the server wants an API key, and none was sent: set %s, or use --api-key-env or "
             "--api-key-file",
             r->cfg->key_name ? r->cfg->key_name : "the provider's variable");
    const char *what;
    if (r->cfg->req.provider == EV_PROVIDER_CMD)
        what = "cannot run the command";
    else if (j->xfer == EV_HTTP_XFER_CONNECT)
        what = "cannot reach the server";
    else if (j->untrusted)
        what = r->cfg->cacert ? "the server's TLS certificate is not signed by the --cacert CAs"
                              : "the server's TLS certificate is not trusted (if you trust it, "
                                "name the CA that signed it with --cacert FILE)";
    else if (j->xfer != EV_HTTP_XFER_OK)
        what = "cannot call the model";
    else if (rep->outcome == EV_PROVIDER_STOP_AUTH && r->cfg->key == NULL)
        what = no_key;
    else if (rep->outcome == EV_PROVIDER_STOP_AUTH)
        what = "the API key was refused";
    else if (rep->outcome == EV_PROVIDER_STOP_QUOTA)
        what = "out of quota or over a spend limit";
    else if (j->status >= 300 && j->status < 400)
        what = "the base URL is not the API's";
    else
        what = "the endpoint or the model does not exist";
    if (j->xfer == EV_HTTP_XFER_OK && r->cfg->req.provider != EV_PROVIDER_CMD)
        ev_log_warn(&r->hooks->log, "stopping: %s (%s HTTP %ld): %s", what,
                    ev_provider_name(r->cfg->req.provider), j->status, msg);
    else
        ev_log_warn(&r->hooks->log, "stopping: %s: %s", what, msg);
    stop_run(r);
}

static jv
failure(const run *r, call_job *cj, enum ev_http_end end)
{
    const ev_http_job *j = &cj->job;
    const ev_provider_reply *rep = &cj->reply;
    jv msg = jv_is_valid(rep->message) ? jv_copy(rep->message) : jv_string("the call failed");
    if (end == EV_HTTP_END_GAVE_UP && j->retry_after > EV_RATELIMIT_MAX_RETRY_AFTER)
        msg = jv_string_concat(msg, jv_string_fmt(" (the server asked to wait %.0f s; a wait "
                                                  "over %.0f s is not retried)",
                                                  j->retry_after, EV_RATELIMIT_MAX_RETRY_AFTER));
    bool has_status = strcmp(rep->kind, "http") == 0 || strcmp(rep->kind, "parse") == 0 ||
                      strcmp(rep->kind, "cmd") == 0;
    jv err = ev_json_set(jv_object(), "kind", jv_string(rep->kind));
    err = jv_object_set(err, jv_string("status"),
                        has_status && j->status > 0 ? jv_number((double)j->status) : jv_null());
    err = ev_json_set(err, "message", msg);
    err = ev_json_set(err, "attempts", jv_number(j->attempts));
    jv call = ev_call_object(r->cfg, round_ms(j->latency_ms), jv_null(), jv_null(), jv_null(),
                             jv_null(), j->attempts, false, cj->sample);
    jv add = ev_json_set(jv_object(), "error", err);
    return ev_json_set(add, "call", call);
}

static call_job **
pending_bucket(run *r, const char *key)
{
    char head[17];
    memcpy(head, key, 16);
    head[16] = '\0';
    return &r->pending[strtoull(head, NULL, 16) & (r->npending - 1)];
}

static call_job *
pending_find(run *r, const char *key)
{
    if (r->npending == 0)
        return NULL;
    call_job *cj = *pending_bucket(r, key);
    while (cj != NULL && strcmp(cj->key, key) != 0)
        cj = cj->next_pending;
    return cj;
}

static void
pending_add(run *r, call_job *cj)
{
    if (r->npending == 0)
        return;
    call_job **b = pending_bucket(r, cj->key);
    cj->next_pending = *b;
    *b = cj;
}

static void
pending_remove(run *r, call_job *cj)
{
    if (r->npending == 0)
        return;
    for (call_job **p = pending_bucket(r, cj->key); *p != NULL; p = &(*p)->next_pending) {
        if (*p == cj) {
            *p = cj->next_pending;
            return;
        }
    }
}

static void
follow(call_job *lead, unsigned long seq, int sample_no)
{
    lead->followers = ev_alloc_resize(lead->followers, (lead->nfollowers + 1) * sizeof(follower));
    lead->followers[lead->nfollowers++] = (follower){seq, sample_no};
}

/* finish_sample counts a sample as finished, writing it now when unordered. */
static void
finish_sample(run *r, slot *s, sample *smp)
{
    s->ndone++;
    if (r->cfg->unordered && smp->state == S_DONE) {
        write_sample(r, s, smp->add);
        smp->add = jv_invalid();
    }
}

/* settle_followers gives the samples that waited on 'cj' its result
 * 'lead' (borrowed): an answer, marked as not paid for again, or the same
 * failure; nothing when the call never finished. */
static void
settle_followers(run *r, call_job *cj, const sample *lead)
{
    for (size_t i = 0; i < cj->nfollowers; i++) {
        slot *s = slot_of(r, cj->followers[i].seq);
        sample *smp = &s->s[cj->followers[i].sample];
        smp->state = lead->state;
        if (lead->state == S_DONE) {
            jv add = jv_copy(lead->add);
            if (jv_object_has(jv_copy(add), jv_string("output"))) {
                jv call = jv_object_set(ev_json_field(add, "call"), jv_string("cached"), jv_true());
                add = ev_json_set(add, "call", call);
                r->answered++;
                r->cached++;
            } else {
                r->failed++;
            }
            smp->add = add;
        }
        finish_sample(r, s, smp);
    }
}

/* note_spent adds what the answer of 'call' (borrowed) cost to the money
 * spent, when the model has a price and the call its token counts. */
static void
note_spent(run *r, jv call)
{
    if (r->show->price == NULL)
        return;
    ev_price_usage u;
    ev_price_charge cost;
    jv err;
    if (ev_price_usage_from_call(call, &u, &err) != 0 ||
        ev_price_cost(r->show->price, &u, false, 1, &cost, &err) != 0) {
        jv_free(err);
        return;
    }
    if (!isnan(cost.total))
        r->spent += cost.total;
}

static void
done(void *ctx, ev_http_job *job, enum ev_http_end end)
{
    run *r = ctx;
    call_job *cj = (call_job *)job;
    slot *s = slot_of(r, cj->seq);
    sample *smp = &s->s[cj->sample];
    ev_provider_reply *rep = &cj->reply;

    smp->state = S_CANCELLED;
    if (end == EV_HTTP_END_STOP) {
        note_fatal(r, cj);
    } else if (end == EV_HTTP_END_CANCELLED) {
        /* Not finished: not written, and called again by the next run. */
    } else if (rep->outcome == EV_PROVIDER_ANSWERED) {
        jv call = ev_call_object(r->cfg, round_ms(job->latency_ms), jv_copy(rep->input_tokens),
                                 jv_copy(rep->output_tokens), jv_copy(rep->cached_tokens),
                                 jv_copy(rep->finish_reason), job->attempts, false, cj->sample);
        ev_call_tokens(call, &r->tokens_in, &r->tokens_out);
        note_spent(r, call);
        cache_answer(r, cj, jv_copy(call), jv_copy(rep->output));
        jv add = ev_json_set(jv_object(), "output", jv_copy(rep->output));
        smp->add = ev_json_set(add, "call", call);
        smp->state = S_DONE;
        r->answered++;
        r->finished_calls++;
    } else if (end == EV_HTTP_END_GAVE_UP && job->xfer == EV_HTTP_XFER_CONNECT &&
               r->answered == 0) {
        /* Not one answer yet, and the server cannot be reached even after
         * the retries: it is down or the URL is wrong, for every case. */
        note_fatal(r, cj);
    } else {
        smp->add = failure(r, cj, end);
        smp->state = S_DONE;
        r->failed++;
        r->finished_calls++;
        if (!r->max_errors_hit && over_max_errors(r)) {
            r->max_errors_hit = true;
            ev_log_warn(&r->hooks->log,
                        "stopping: %lu of %lu calls failed, more than --max-errors allows",
                        r->failed, r->finished_calls);
            stop_run(r);
        }
    }
    if (cj->claim >= 0) /* the answer is stored, or the call failed */
        ev_cache_unclaim(r->cache, cj->key, cj->claim);
    pending_remove(r, cj);
    settle_followers(r, cj, smp);
    finish_sample(r, s, smp);
    free_call(cj);
}

/* make_label names a case in log lines: its id, or its position. */
static void
make_label(char *buf, size_t size, jv rec, const char *name, unsigned long line, int sample_no)
{
    jv id = ev_json_field(rec, "id");
    int n;
    if (jv_get_kind(id) == JV_KIND_STRING)
        n = snprintf(buf, size, "'%.60s'", jv_string_value(id));
    else if (jv_get_kind(id) == JV_KIND_NUMBER)
        n = snprintf(buf, size, "'%.17g'", jv_number_value(id));
    else
        n = snprintf(buf, size, "%.60s:%lu", name, line);
    jv_free(id);
    if (sample_no > 0 && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, " sample %d", sample_no);
}

static void
set_cmd_env(call_job *cj, const ev_call_config *c, jv rec)
{
    int n = 0;
    jv id = ev_record_id(rec);
    if (jv_is_valid(id))
        cj->envs[n++] = ev_alloc_printf("%s=%s", "EV_ID", jv_string_value(id));
    jv_free(id);
    char num[24];
    snprintf(num, sizeof(num), "%d", cj->sample);
    cj->envs[n++] = ev_alloc_printf("%s=%s", "EV_SAMPLE", num);
    if (c->req.model != NULL)
        cj->envs[n++] = ev_alloc_printf("%s=%s", "EV_MODEL", c->req.model);
    if (c->system != NULL)
        cj->envs[n++] = ev_alloc_printf("%s=%s", "EV_SYSTEM", c->system);
    cj->envs[n] = NULL;
    cj->job.env = cj->envs;
}

static void
submit_call(run *r, const want *w, int claim)
{
    const ev_call_config *c = r->cfg;
    call_job *cj = ev_alloc_zero(1, sizeof(*cj));
    const char *text = jv_string_value(w->text);
    size_t len = strlen(text);
    cj->seq = w->seq;
    cj->sample = w->sample;
    cj->claim = claim;
    memcpy(cj->key, w->key, sizeof(cj->key));
    ev_provider_reply_init(&cj->reply);
    make_label(cj->label, sizeof(cj->label), w->rec, w->name, w->line, w->sample);
    cj->job.label = cj->label;
    cj->job.user = cj;
    if (c->req.provider == EV_PROVIDER_CMD) {
        cj->job.body = ev_call_stdin(w->body, &cj->job.len);
        set_cmd_env(cj, c, w->rec);
    } else {
        cj->job.body = ev_alloc(len + 1);
        memcpy(cj->job.body, text, len + 1);
        cj->job.len = len;
    }
    cj->job.cost = estimate_tokens(c, len);
    pending_add(r, cj);
    ev_http_submit(r->engine, &cj->job);
}

static void
free_want(want *w)
{
    jv_free(w->rec);
    jv_free(w->body);
    jv_free(w->text);
}

/* answer_cached answers sample 'w' from the cache when it has a good entry,
 * and reports a bad one, once. */
static bool
answer_cached(run *r, want *w)
{
    jv entry = ev_cache_get(r->cache, w->key);
    if (!jv_is_valid(entry)) {
        jv msg = jv_invalid_get_msg(entry);
        if (jv_get_kind(msg) == JV_KIND_STRING && !w->warned) {
            w->warned = true;
            ev_log_warn_jv(&r->hooks->log, msg);
        } else {
            jv_free(msg);
        }
        return false;
    }
    slot *s = slot_of(r, w->seq);
    sample *smp = &s->s[w->sample];
    smp->add = ev_call_from_cache(r->cfg, entry, w->sample, true);
    smp->state = S_DONE;
    r->cached++;
    r->answered++;
    finish_sample(r, s, smp);
    return true;
}

/* note_wait says, once, that another run is fetching answers this one
 * needs; with -v, for each sample. */
static void
note_wait(run *r, want *w)
{
    const ev_call_config *c = r->cfg;
    if (w->waited)
        return;
    w->waited = true;
    if (c->verbose) {
        char label[96];
        make_label(label, sizeof(label), w->rec, w->name, w->line, w->sample);
        ev_log_warn(&r->hooks->log, "%s: another ev-call is fetching this answer; waiting for it",
                    label);
    } else if (!c->quiet && !r->wait_noted) {
        ev_log_warn(
            &r->hooks->log,
            "another ev-call is fetching some of these answers into the cache '%s'; waiting "
            "for them rather than paying twice",
            ev_cache_dir(r->cache));
    }
    r->wait_noted = true;
}

/* How take_sample left a sample. */
enum take {
    TAKEN,   /* answered from the cache, joined to a call, or sent */
    BUSY,    /* another run holds its claim: it waits for that run */
    NO_ROOM, /* the engine has no room to start its call yet */
};

/* room says whether the engine can start another call now. */
static bool
room(const run *r)
{
    ev_http_stats st;
    ev_http_get_stats(r->engine, &st);
    return (size_t)st.in_flight + st.fresh < (size_t)st.cap;
}

/* take_sample sets sample 'w' on its way: answered from the cache, joined
 * to a call in flight for the same request, or sent, once the engine has
 * room and its key is claimed. With --refresh the cache is not read, except
 * for an answer another run fetched while this one waited. */
static enum take
take_sample(run *r, want *w)
{
    call_job *lead = pending_find(r, w->key);
    if (lead != NULL) {
        follow(lead, w->seq, w->sample);
        return TAKEN;
    }
    bool look = r->cache != NULL && (!r->cfg->refresh || w->waited);
    if (look && answer_cached(r, w))
        return TAKEN;
    if (!room(r))
        return NO_ROOM;
    int claim = -1;
    if (r->cache != NULL) {
        jv err;
        switch (ev_cache_claim(r->cache, w->key, &claim, &err)) {
        case EV_CACHE_BUSY:
            note_wait(r, w);
            return BUSY;
        case EV_CACHE_FAILED:
            cache_trouble(r, err); /* not sent: its answer could not be kept */
            return TAKEN;
        case EV_CACHE_CLAIMED:
            break;
        }
        /* Another run may have stored it and let go of its claim between
         * the look and the claim. */
        if (look && answer_cached(r, w)) {
            ev_cache_unclaim(r->cache, w->key, claim);
            return TAKEN;
        }
    }
    submit_call(r, w, claim);
    return TAKEN;
}

static void
add_waiting(run *r, const want *w)
{
    if (r->nwaiting == r->capwaiting) {
        r->capwaiting = r->capwaiting ? 2 * r->capwaiting : 16;
        r->waiting = ev_alloc_resize(r->waiting, r->capwaiting * sizeof(*r->waiting));
    }
    r->waiting[r->nwaiting++] = *w;
}

/* start_calls takes the samples of the ready queue, in order, while the
 * engine has room for their calls. */
static void
start_calls(run *r)
{
    while (r->nready > 0 && !r->stopping) {
        want *w = &r->ready[r->readyhead];
        enum take t = take_sample(r, w);
        if (t == NO_ROOM)
            break;
        if (t == BUSY)
            add_waiting(r, w);
        else
            free_want(w);
        r->readyhead = (r->readyhead + 1) % r->capready;
        r->nready--;
    }
}

/* look_again takes again the samples that wait for another run. */
static void
look_again(run *r)
{
    size_t i = 0;
    while (i < r->nwaiting && !r->stopping) {
        if (take_sample(r, &r->waiting[i]) != TAKEN) {
            i++;
            continue;
        }
        free_want(&r->waiting[i]);
        r->waiting[i] = r->waiting[--r->nwaiting];
    }
}

/* stop_waiting drops the samples not yet sent, when the run stops: like
 * cases not yet tried, they are not written, and the next run asks for
 * them. */
static void
stop_waiting(run *r)
{
    for (size_t i = 0; i < r->nwaiting; i++)
        free_want(&r->waiting[i]);
    r->nwaiting = 0;
    for (; r->nready > 0; r->nready--) {
        free_want(&r->ready[r->readyhead]);
        r->readyhead = (r->readyhead + 1) % r->capready;
    }
}

/* process_record puts a case in the window, and its samples in the ready
 * queue. A record that cannot make a prompt is reported. */
static void
process_record(run *r, ev_readahead_item *it)
{
    const ev_call_config *c = r->cfg;
    jv rec = it->rec;
    jv msgs = ev_call_prompt(c, rec);
    jv body, text;
    char key[EV_CACHE_KEY_LEN + 1];
    if (!ev_call_request(c, msgs, 0, &body, &text, key)) {
        jv m = jv_invalid_get_msg(body);
        ev_log_warn(&r->hooks->log, "%s:%lu: %s", it->name, it->line, jv_string_value(m));
        jv_free(m);
        jv_free(msgs);
        jv_free(rec);
        free(it->raw);
        r->status = EV_EXIT_TROUBLE;
        return;
    }
    unsigned long seq = r->tail++;
    slot *s = slot_of(r, seq);
    s->raw = it->raw;
    s->len = it->len;
    s->replace = ev_call_replaces(rec);
    s->used = true;
    s->ndone = 0;
    for (int k = 0; k < c->repeat; k++) {
        if (k > 0)
            ev_call_request(c, msgs, k, &body, &text, key);
        want *w = &r->ready[(r->readyhead + r->nready++) % r->capready];
        *w = (want){.seq = seq, .sample = k, .name = it->name, .line = it->line};
        w->body = body;
        w->text = text;
        w->rec = jv_copy(rec);
        memcpy(w->key, key, sizeof(key));
    }
    jv_free(msgs);
    jv_free(rec);
}

jv
ev_syncrun_progress_line(const ev_syncrun_progress *p, int width)
{
    double rate = p->elapsed > 0 ? (double)p->done / p->elapsed : 0;
    char count[64], speed[32], eta[48] = "", flight[32], retries[32], failed[32], cached[32];
    char tokens[64], spent[48] = "", paused[48] = "", a[16], b[16];
    if (p->total >= p->done && p->total > 0) {
        snprintf(count, sizeof(count), "%lu/%lu (%.0f%%)", p->done, p->total,
                 100.0 * (double)p->done / (double)p->total);
        if (rate > 0 && p->done > 0) {
            char d[32];
            ev_report_duration((double)(p->total - p->done) / rate, d, sizeof(d));
            snprintf(eta, sizeof(eta), "ETA %s", d);
        }
    } else {
        snprintf(count, sizeof(count), "%lu done", p->done);
    }
    snprintf(speed, sizeof(speed), "%.1f/s", rate);
    snprintf(flight, sizeof(flight), "%d in flight", p->in_flight);
    snprintf(retries, sizeof(retries), "%lu retries", p->retries);
    snprintf(failed, sizeof(failed), "%lu failed", p->failed);
    snprintf(cached, sizeof(cached), "%lu cached", p->cached);
    snprintf(tokens, sizeof(tokens), "tokens %s in %s out",
             ev_report_count(p->tokens_in, a, sizeof(a)),
             ev_report_count(p->tokens_out, b, sizeof(b)));
    if (!isnan(p->spent) && p->currency != NULL && strcmp(p->currency, "USD") == 0)
        snprintf(spent, sizeof(spent), "$%.4f", p->spent);
    else if (!isnan(p->spent) && p->currency != NULL)
        snprintf(spent, sizeof(spent), "%.4f %s", p->spent, p->currency);
    if (p->paused > 0)
        snprintf(paused, sizeof(paused), "rate limited %.0fs", ceil(p->paused));
    const ev_progress_field all[] = {
        {count, 0, 0, " "},    {speed, 5, 0, " "},   {eta, 1, 0, " "},     {flight, 6, 1, ", "},
        {retries, 8, 1, ", "}, {failed, 2, 1, ", "}, {cached, 7, 1, ", "}, {tokens, 4, 2, ""},
        {spent, 3, 3, ""},     {paused, 3, 4, ""},
    };
    ev_progress_field f[sizeof(all) / sizeof(all[0])];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (all[i].text[0] != '\0')
            f[n++] = all[i];
    return ev_progress_fit(f, n, width);
}

/* show_progress hands the progress to the caller, at most four times a
 * second. */
static void
show_progress(run *r)
{
    if (r->show->progress == NULL)
        return;
    double now = ev_clock_mono();
    if (now - r->last_draw < 0.25)
        return;
    r->last_draw = now;
    ev_http_stats st;
    ev_http_get_stats(r->engine, &st);
    ev_syncrun_progress p = {
        .done = r->answered + r->failed,
        .total = r->total_cases * (unsigned long)r->cfg->repeat,
        .elapsed = now - r->started,
        .in_flight = st.in_flight,
        .retries = st.retries,
        .failed = r->failed,
        .cached = r->cached,
        .tokens_in = r->tokens_in,
        .tokens_out = r->tokens_out,
        .spent = r->show->price != NULL ? r->spent : NAN,
        .currency = r->show->currency,
        .paused = st.paused,
    };
    r->show->progress(r->hooks->log.ctx, &p);
}

static void
summary(run *r)
{
    ev_http_stats st;
    ev_http_get_stats(r->engine, &st);
    unsigned long calls = r->answered + r->failed;
    ev_log_warn(&r->hooks->log,
                "%lu call%s: %lu answered (%lu from the cache), %lu failed; %lu request%s, %lu "
                "retr%s, %lu rate limited; tokens %.0f in, %.0f out; %.1f s",
                calls, calls == 1 ? "" : "s", r->answered, r->cached, r->failed, st.attempts,
                st.attempts == 1 ? "" : "s", st.retries, st.retries == 1 ? "y" : "ies",
                st.rate_limited, r->tokens_in, r->tokens_out, ev_clock_mono() - r->started);
    if (r->interrupted)
        ev_log_warn(&r->hooks->log,
                    "interrupted: the answers received are cached; run again to finish");
}

/* count_lines counts the lines of the operands when all are regular files,
 * for the progress total; 0 when unknown. */
static unsigned long
count_lines(char **paths, int n)
{
    unsigned long lines = 0;
    static char buf[1 << 16];
    for (int i = 0; i < (n > 0 ? n : 1); i++) {
        const char *p = n > 0 ? paths[i] : "-";
        int fd = strcmp(p, "-") == 0 ? STDIN_FILENO : open(p, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
            continue;
        bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
        off_t off = 0;
        ssize_t got;
        char last = '\n';
        while (regular && (got = pread(fd, buf, sizeof(buf), off)) > 0) {
            for (char *q = buf; (q = memchr(q, '\n', (size_t)(buf + got - q))) != NULL; q++)
                lines++;
            last = buf[got - 1];
            off += got;
        }
        lines += last != '\n';
        if (fd != STDIN_FILENO)
            close(fd);
        if (!regular)
            return 0;
    }
    return lines;
}

static void
log_line(void *ctx, const char *line)
{
    run *r = ctx;
    ev_log_progress(&r->hooks->log, "%s", line);
}

static void
wake(void *ctx)
{
    ev_http_wakeup(ctx);
}

/* drain_wake empties the hooks' wake_fd, which a signal made readable. */
static void
drain_wake(run *r)
{
    char buf[64];
    if (r->hooks->wake_fd >= 0)
        while (read(r->hooks->wake_fd, buf, sizeof(buf)) > 0)
            ;
}

static void
call_all(run *r, ev_readahead *rd)
{
    for (;;) {
        while (!r->stopping && !r->input_done && r->tail - r->head < r->wcap) {
            ev_readahead_item it;
            if (!ev_readahead_next(rd, &it))
                break;
            if (it.rc == EV_JSONL_EOF) {
                r->input_done = true;
            } else if (it.rc == EV_JSONL_BAD) {
                ev_log_warn_jv(&r->hooks->log, it.rec);
                r->status = EV_EXIT_TROUBLE;
            } else {
                process_record(r, &it);
            }
        }
        start_calls(r);
        double now = ev_clock_mono();
        if (r->nwaiting > 0 && !r->stopping && now >= r->next_look) {
            look_again(r);
            r->next_look = now + CLAIM_POLL_MS / 1000.0;
        }
        flush_window(r, false);
        if (ev_call_stopped(r->hooks) && !r->interrupted) {
            r->interrupted = true;
            stop_run(r);
        }
        if (r->stopping)
            stop_waiting(r);
        if ((r->input_done || r->stopping) && ev_http_pending(r->engine) == 0 &&
            r->nready + r->nwaiting == 0)
            break;
        if (r->stopping && now >= r->grace_until) {
            ev_http_abort(r->engine);
            continue;
        }
        long wait = r->show->progress != NULL ? 250 : 1000;
        if (!r->stopping && !r->input_done && r->tail - r->head < r->wcap &&
            ev_readahead_waiting(rd))
            wait = 0; /* the window has room again for what is already read */
        if (r->stopping && (r->grace_until - now) * 1000 < wait)
            wait = (long)ceil((r->grace_until - now) * 1000);
        if (r->nwaiting > 0 && wait > CLAIM_POLL_MS)
            wait = CLAIM_POLL_MS;
        if (r->wrote && !r->out_broken) {
            fflush(r->out);
            check_output(r);
            r->wrote = false;
        }
        if (ev_http_run(r->engine, wait) < 0) {
            ev_log_warn(&r->hooks->log, "cannot wait for the network: %s", strerror(errno));
            r->status = EV_EXIT_TROUBLE;
            ev_http_abort(r->engine);
        }
        drain_wake(r);
        show_progress(r);
    }
    flush_window(r, true);
}

static int
exit_status(const run *r)
{
    if (r->interrupted)
        return EV_EXIT_INTR;
    if (r->status != EV_EXIT_OK)
        return r->status;
    if (r->failed > 0 || r->max_errors_hit)
        return EV_EXIT_CALLS;
    return EV_EXIT_OK;
}

/* new_engine makes the run's request engine. */
static ev_http *
new_engine(run *r, jv *err)
{
    const ev_call_config *c = r->cfg;
    bool cmd = c->req.provider == EV_PROVIDER_CMD;
    ev_http_config hc = {
        .url = cmd ? NULL : c->url,
        .headers = cmd ? NULL : c->headers,
        .command = c->req.command,
        .pass_env = c->pass_env,
        .user_agent = "ev-call/" EV_VERSION,
        .cainfo = c->cacert,
        .secret = c->key,
        .jobs = (int)c->jobs,
        .retries = (int)c->retries,
        .timeout_ms = lround(c->timeout * 1000),
        .connect_timeout_ms = lround(c->connect_timeout * 1000),
        .rpm = c->rpm,
        .tpm = c->tpm,
        .rate_margin = RATE_MARGIN,
        .wake_fd = r->hooks->wake_fd,
        .verbose = c->verbose,
        .seed = (long)getpid() ^ (long)time(NULL),
        .judge = judge,
        .done = done,
        .log = log_line,
        .ctx = r,
    };
    return ev_http_new(&hc, err);
}

/* free_run frees the window and the queues of 'r'. */
static void
free_run(run *r)
{
    for (size_t i = 0; i < r->wcap; i++) {
        if (r->win[i].used)
            release(r, &r->win[i]);
        free(r->win[i].s);
    }
    free(r->win);
    free(r->pending);
    free(r->ready);
    free(r->waiting);
}

int
ev_syncrun_run(const ev_call_config *c, ev_cache *cache, char **paths, int n, FILE *out,
               const ev_call_hooks *h, const ev_syncrun_show *show, ev_call_end *end)
{
    run r = {
        .cfg = c, .hooks = h, .show = show, .out = out, .cache = cache, .started = ev_clock_mono()};
    long window = 4 * c->jobs + 64;
    r.wcap = (size_t)(window / c->repeat > 2 ? window / c->repeat : 2);
    r.win = ev_alloc_zero(r.wcap, sizeof(*r.win));
    r.capready = r.wcap * (size_t)c->repeat;
    r.ready = ev_alloc_zero(r.capready, sizeof(*r.ready));
    for (size_t i = 0; i < r.wcap; i++) {
        r.win[i].s = ev_alloc_zero((size_t)c->repeat, sizeof(sample));
        for (long k = 0; k < c->repeat; k++)
            r.win[i].s[k].add = jv_invalid();
    }
    if (cache != NULL) {
        r.npending = 64;
        while (r.npending < 2 * r.wcap * (size_t)c->repeat)
            r.npending *= 2;
        r.pending = ev_alloc_zero(r.npending, sizeof(*r.pending));
    }
    if (show->count_total)
        r.total_cases = count_lines(paths, n);

    jv err;
    ev_readahead *rd = NULL;
    r.engine = new_engine(&r, &err);
    if (r.engine != NULL)
        rd = ev_readahead_start(paths, n, wake, r.engine, &err);
    if (rd == NULL) {
        ev_log_warn_jv(&h->log, err);
        ev_http_free(r.engine);
        free_run(&r);
        *end = (ev_call_end){0};
        return EV_EXIT_TROUBLE;
    }
    call_all(&r, rd);
    ev_readahead_stop(rd);
    if (show->progress != NULL)
        show->progress(h->log.ctx, NULL);
    if (!c->quiet)
        summary(&r);
    ev_http_free(r.engine);
    free_run(&r);
    *end = (ev_call_end){.out_broken = r.out_broken, .reader_gone = r.reader_gone};
    return exit_status(&r);
}
