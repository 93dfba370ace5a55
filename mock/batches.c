#include "batches.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "json.h"
#include "answer.h"
#include "hash.h"
#include "keymap.h"
#include "record.h"

/* A batch's steps. S_HALF is a point in progress: half the lines done. */
enum step { S_VALIDATING, S_IN_PROGRESS, S_HALF, S_FINALIZING, S_DONE, NSTEPS };

/* What becomes of a line once it is done. */
enum fate { L_OK, L_ERROR, L_EXPIRED };

/* The problems of an input file listed in errors.data. */
#define LISTED_ERRORS 100

/* The only endpoint a batch serves, and OpenAI's wait for one. */
static const char chat_endpoint[] = "/v1/chat/completions";
#define WINDOW_S 86400

typedef struct bs_line {
    char *custom_id;
    char *text; /* the line of OpenAI's output or error file; Anthropic's result line */
    enum fate fate;
} bs_line;

typedef struct bs_batch {
    char *id;
    enum evm_wire w;
    char *input_file; /* OpenAI */
    char *metadata;   /* OpenAI: its JSON text, or NULL */
    char *errors;     /* OpenAI: the JSON text of errors.data when invalid, else NULL */
    bs_line *lines;
    size_t n;
    int64_t at[NSTEPS];           /* when each step was reached; -1 not yet known */
    int64_t cancel, cancelled;    /* when a cancel was asked and took; -1 never, not yet */
    bool settled;                 /* the files or results are made */
    char *output_file, *err_file; /* OpenAI, once settled; NULL when none */
    char *results;                /* Anthropic, once settled */
    size_t results_len;
} bs_batch;

struct evm_batches {
    evm_batches_config c;
    char *base;
    pthread_mutex_t mu; /* guards everything below */
    bs_batch **batches;
    size_t nbatches;
    uint64_t *keys; /* the key of every id handed out, for the duplicate count */
    size_t nkeys;
    unsigned long created[2], answered[2]; /* by enum evm_wire */
};

/* openai_bad returns an OpenAI 400 whose message is 'msg' (a string). */
static evm_wire_reply
openai_bad(jv msg, const char *param)
{
    return evm_wire_openai_reply(400, msg, param, NULL);
}

/* anthropic_bad returns Anthropic's 400 whose message is 'msg' (a string). */
static evm_wire_reply
anthropic_bad(jv msg, const char *request_id)
{
    return evm_wire_error_reply(EVM_WIRE_ANTHROPIC, EVM_WIRE_BAD_REQUEST, msg, request_id);
}

static evm_wire_reply
not_found(enum evm_wire w, const char *id, const char *request_id)
{
    if (w == EVM_WIRE_ANTHROPIC)
        return evm_wire_error_reply(EVM_WIRE_ANTHROPIC, EVM_WIRE_NOT_FOUND,
                                    jv_string_fmt("No batch with id '%s'.", id), request_id);
    return evm_wire_openai_reply(404, jv_string_fmt("No batch found with id '%s'.", id), NULL,
                                 "not_found");
}

evm_batches *
evm_batches_new(const evm_batches_config *c)
{
    evm_batches *b = ev_alloc_zero(1, sizeof(*b));
    b->c = *c;
    b->base = ev_alloc_strdup(c->base != NULL ? c->base : "");
    b->c.base = b->base;
    pthread_mutex_init(&b->mu, NULL);
    return b;
}

static void
batch_free(bs_batch *x)
{
    for (size_t i = 0; i < x->n; i++) {
        free(x->lines[i].custom_id);
        free(x->lines[i].text);
    }
    free(x->lines);
    free(x->id);
    free(x->input_file);
    free(x->metadata);
    free(x->errors);
    free(x->output_file);
    free(x->err_file);
    free(x->results);
    free(x);
}

void
evm_batches_free(evm_batches *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->nbatches; i++)
        batch_free(b->batches[i]);
    free(b->batches);
    free(b->keys);
    free(b->base);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

/* A batch's state at a time. */

/* seen is the time a batch is looked at: 'now', or the moment its cancel
 * was asked, after which it makes no progress. */
static int64_t
seen(const bs_batch *x, int64_t now)
{
    return x->cancel >= 0 && x->cancel < now ? x->cancel : now;
}

/* reached returns the last step reached at 'now'. */
static int
reached(const bs_batch *x, int64_t now)
{
    now = seen(x, now);
    int k = 0;
    while (k + 1 < NSTEPS && x->at[k + 1] >= 0 && x->at[k + 1] <= now)
        k++;
    return k;
}

/* progress returns how many lines, from the first, are done at 'now'. */
static size_t
progress(const bs_batch *x, int64_t now)
{
    int k = reached(x, now);
    if (x->errors != NULL || k < S_IN_PROGRESS)
        return 0;
    if (k >= S_FINALIZING)
        return x->n;
    if (x->at[S_FINALIZING] < 0) /* by poll */
        return k == S_HALF ? x->n / 2 : 0;
    double span = (double)(x->at[S_FINALIZING] - x->at[S_IN_PROGRESS]);
    double part = (double)(seen(x, now) - x->at[S_IN_PROGRESS]) / span;
    return (size_t)((double)x->n * (part < 1 ? part : 1));
}

/* done_at returns when an invalid batch fails, when a cancel takes or when
 * the batch completes; -1 when not yet known. */
static int64_t
done_at(const bs_batch *x)
{
    return x->cancel >= 0 ? x->cancelled : x->at[S_DONE];
}

static bool
ended(const bs_batch *x, int64_t now)
{
    int64_t t = done_at(x);
    return t >= 0 && t <= now;
}

static bool
any_expired(const bs_batch *x)
{
    for (size_t i = 0; i < x->n; i++)
        if (x->lines[i].fate == L_EXPIRED)
            return true;
    return false;
}

static const char *
openai_status(const bs_batch *x, int64_t now)
{
    static const char *const names[NSTEPS] = {"validating", "in_progress", "in_progress",
                                              "finalizing", "completed"};
    if (x->cancel >= 0)
        return ended(x, now) ? "cancelled" : "cancelling";
    if (x->errors != NULL)
        return ended(x, now) ? "failed" : "validating";
    int k = reached(x, now);
    return k == S_DONE && any_expired(x) ? "expired" : names[k];
}

/* The lines of a batch by what became of them at a time. */
typedef struct counts {
    size_t ok, errored, expired, canceled, processing;
} counts;

static counts
count(const bs_batch *x, int64_t now)
{
    counts c = {0, 0, 0, 0, 0};
    size_t done = progress(x, now);
    bool end = ended(x, now);
    for (size_t i = 0; i < x->n; i++) {
        enum fate f = x->lines[i].fate;
        if (i < done && f == L_OK)
            c.ok++;
        else if (i < done && f == L_ERROR)
            c.errored++;
        else if (end && x->cancel >= 0)
            c.canceled++;
        else if (end)
            c.expired++;
        else
            c.processing++;
    }
    return c;
}

/* Results, made once a batch ends. */

typedef struct buf {
    char *p;
    size_t len;
} buf;

static void
put_line(buf *b, const char *line)
{
    size_t n = strlen(line);
    b->p = ev_alloc_resize(b->p, b->len + n + 2);
    memcpy(b->p + b->len, line, n);
    b->len += n;
    b->p[b->len++] = '\n';
    b->p[b->len] = '\0';
}

/* result_file stores 'b' (freed) as an output file of batch 'x'; NULL when
 * it is empty. */
static char *
result_file(evm_batches *bs, const bs_batch *x, buf *b, const char *kind, int64_t at)
{
    char *id = NULL;
    if (b->len > 0) {
        jv name = jv_string_fmt("%s_%s.jsonl", x->id, kind);
        id = evm_jobs_add(bs->c.jobs, jv_string_value(name), "batch_output", b->p, b->len, at);
        jv_free(name);
    }
    free(b->p);
    return id;
}

static void
canceled_line(buf *b, const char *custom_id)
{
    jv r = jv_object_set(jv_object(), jv_string("type"), jv_string("canceled"));
    jv o = jv_object_set(jv_object(), jv_string("custom_id"), jv_string(custom_id));
    jv s = jv_dump_string(jv_object_set(o, jv_string("result"), r), 0);
    put_line(b, jv_string_value(s));
    jv_free(s);
}

/* settle makes the files or results of a batch that has ended, once, and
 * counts its answered lines. The caller holds the lock. */
static void
settle(evm_batches *bs, bs_batch *x, int64_t now)
{
    if (x->settled || !ended(x, now))
        return;
    x->settled = true;
    size_t done = progress(x, now);
    bool cancelled = x->cancel >= 0;
    buf out = {NULL, 0}, err = {NULL, 0};
    for (size_t i = 0; i < x->n; i++) {
        const bs_line *l = &x->lines[i];
        bool run = i < done && l->fate != L_EXPIRED;
        if (run)
            bs->answered[x->w]++;
        if (x->w == EVM_WIRE_ANTHROPIC) {
            if (run || (!cancelled && l->fate == L_EXPIRED))
                put_line(&out, l->text);
            else
                canceled_line(&out, l->custom_id);
        } else if (run || (!cancelled && l->fate == L_EXPIRED)) {
            put_line(l->fate == L_OK ? &out : &err, l->text);
        }
    }
    if (x->w == EVM_WIRE_ANTHROPIC) {
        x->results = out.p;
        x->results_len = out.len;
        return;
    }
    x->output_file = result_file(bs, x, &out, "output", done_at(x));
    x->err_file = result_file(bs, x, &err, "error", done_at(x));
}

/* The batch objects. */

static jv
num_or_null(bool set, int64_t ms)
{
    return set ? jv_number((double)(ms / 1000)) : jv_null();
}

static jv
openai_json(const bs_batch *x, int64_t now)
{
    const char *st = openai_status(x, now);
    int k = reached(x, now);
    bool end = ended(x, now), valid = x->errors == NULL;
    counts c = count(x, now);
    jv o = jv_object_set(jv_object(), jv_string("id"), jv_string(x->id));
    o = jv_object_set(o, jv_string("object"), jv_string("batch"));
    o = jv_object_set(o, jv_string("endpoint"), jv_string(chat_endpoint));
    jv errors = jv_null();
    if (!valid) {
        errors = jv_object_set(jv_object(), jv_string("object"), jv_string("list"));
        errors = jv_object_set(errors, jv_string("data"), jv_parse(x->errors));
    }
    o = jv_object_set(o, jv_string("errors"), errors);
    o = jv_object_set(o, jv_string("input_file_id"), jv_string(x->input_file));
    o = jv_object_set(o, jv_string("completion_window"), jv_string("24h"));
    o = jv_object_set(o, jv_string("status"), jv_string(st));
    o = jv_object_set(o, jv_string("output_file_id"), evm_wire_nullable(x->output_file));
    o = jv_object_set(o, jv_string("error_file_id"), evm_wire_nullable(x->err_file));
    o = jv_object_set(o, jv_string("created_at"), num_or_null(true, x->at[S_VALIDATING]));
    o = jv_object_set(o, jv_string("in_progress_at"),
                      num_or_null(valid && k >= S_IN_PROGRESS, x->at[S_IN_PROGRESS]));
    o = jv_object_set(o, jv_string("expires_at"),
                      jv_number((double)(x->at[S_VALIDATING] / 1000 + WINDOW_S)));
    o = jv_object_set(o, jv_string("finalizing_at"),
                      num_or_null(valid && k >= S_FINALIZING, x->at[S_FINALIZING]));
    o = jv_object_set(o, jv_string("completed_at"),
                      num_or_null(strcmp(st, "completed") == 0, x->at[S_DONE]));
    o = jv_object_set(o, jv_string("failed_at"),
                      num_or_null(strcmp(st, "failed") == 0, x->at[S_DONE]));
    o = jv_object_set(o, jv_string("expired_at"),
                      num_or_null(strcmp(st, "expired") == 0, x->at[S_DONE]));
    o = jv_object_set(o, jv_string("cancelling_at"), num_or_null(x->cancel >= 0, x->cancel));
    o = jv_object_set(o, jv_string("cancelled_at"),
                      num_or_null(x->cancel >= 0 && end, x->cancelled));
    jv rc = jv_object_set(jv_object(), jv_string("total"), jv_number((double)x->n));
    rc = jv_object_set(rc, jv_string("completed"), jv_number((double)c.ok));
    rc = jv_object_set(rc, jv_string("failed"), jv_number((double)(c.errored + c.expired)));
    o = jv_object_set(o, jv_string("request_counts"), rc);
    return jv_object_set(o, jv_string("metadata"),
                         x->metadata != NULL ? jv_parse(x->metadata) : jv_null());
}

/* rfc3339 returns the time 'ms' milliseconds after the epoch as Anthropic
 * writes it. */
static jv
rfc3339(int64_t ms)
{
    char s[32];
    evm_wire_rfc3339(s, sizeof(s), ms);
    return jv_string(s);
}

static jv
anthropic_json(const evm_batches *bs, const bs_batch *x, int64_t now)
{
    bool end = ended(x, now);
    counts c = count(x, now);
    const char *st = end ? "ended" : x->cancel >= 0 ? "canceling" : "in_progress";
    jv o = jv_object_set(jv_object(), jv_string("id"), jv_string(x->id));
    o = jv_object_set(o, jv_string("type"), jv_string("message_batch"));
    o = jv_object_set(o, jv_string("processing_status"), jv_string(st));
    jv rc = jv_object_set(jv_object(), jv_string("processing"), jv_number((double)c.processing));
    rc = jv_object_set(rc, jv_string("succeeded"), jv_number((double)c.ok));
    rc = jv_object_set(rc, jv_string("errored"), jv_number((double)c.errored));
    rc = jv_object_set(rc, jv_string("canceled"), jv_number((double)c.canceled));
    rc = jv_object_set(rc, jv_string("expired"), jv_number((double)c.expired));
    o = jv_object_set(o, jv_string("request_counts"), rc);
    o = jv_object_set(o, jv_string("ended_at"), end ? rfc3339(done_at(x)) : jv_null());
    o = jv_object_set(o, jv_string("created_at"), rfc3339(x->at[S_VALIDATING]));
    o = jv_object_set(o, jv_string("expires_at"),
                      rfc3339(x->at[S_VALIDATING] + (int64_t)WINDOW_S * 1000));
    o = jv_object_set(o, jv_string("archived_at"), jv_null());
    o = jv_object_set(o, jv_string("cancel_initiated_at"),
                      x->cancel >= 0 ? rfc3339(x->cancel) : jv_null());
    return jv_object_set(o, jv_string("results_url"),
                         end ? jv_string_fmt("%s/v1/messages/batches/%s/results", bs->base, x->id)
                             : jv_null());
}

static jv
batch_json(const evm_batches *bs, const bs_batch *x, int64_t now)
{
    return x->w == EVM_WIRE_OPENAI ? openai_json(x, now) : anthropic_json(bs, x, now);
}

/* Lookups and steps; callers hold the lock. */

static bs_batch *
find(const evm_batches *bs, enum evm_wire w, const char *id)
{
    for (size_t i = 0; i < bs->nbatches; i++)
        if (bs->batches[i]->w == w && strcmp(bs->batches[i]->id, id) == 0)
            return bs->batches[i];
    return NULL;
}

/* step_ms returns when a batch reaches step 'k', in milliseconds after its
 * creation; at least a millisecond a step, so a new batch is always seen
 * validating first. */
static int64_t
step_ms(long batch_ms, int k)
{
    static const int fifths[NSTEPS] = {0, 1, 0, 4, 5};
    int64_t at = k == S_HALF ? (int64_t)batch_ms / 2 : (int64_t)batch_ms * fifths[k] / 5;
    return at > k ? at : k;
}

/* advance moves a batch one step, by poll. */
static void
advance(bs_batch *x, int64_t now)
{
    if (ended(x, now))
        return;
    if (x->cancel >= 0)
        x->cancelled = now;
    else if (x->errors != NULL)
        x->at[S_DONE] = now;
    else
        x->at[reached(x, now) + 1] = now;
}

/* A set of custom_ids, to find duplicates. */
typedef struct idset {
    ev_keymap *index; /* a hash of each id to its number */
    const char **ids; /* borrowed */
    size_t *where;
    size_t n;
} idset;

static idset
idset_new(void)
{
    return (idset){ev_keymap_new(), NULL, NULL, 0};
}

/* idset_add adds 'id' (borrowed, kept) seen at 'where'; when it is there
 * already, it returns false and sets '*first' to where it was first seen. */
static bool
idset_add(idset *s, const char *id, size_t where, size_t *first)
{
    uint64_t h = ev_hash_64(id, strlen(id), 0);
    for (size_t e = ev_keymap_find(s->index, h); e != EV_KEYMAP_END;
         e = ev_keymap_next(s->index, e)) {
        uint32_t i = ev_keymap_item(s->index, e);
        if (strcmp(s->ids[i], id) == 0) {
            *first = s->where[i];
            return false;
        }
    }
    s->ids = ev_alloc_array(s->ids, s->n + 1, sizeof(*s->ids));
    s->where = ev_alloc_array(s->where, s->n + 1, sizeof(*s->where));
    s->ids[s->n] = id;
    s->where[s->n] = where;
    ev_keymap_add(s->index, h, (uint32_t)s->n++);
    return true;
}

static void
idset_free(idset *s)
{
    ev_keymap_free(s->index);
    free(s->ids);
    free(s->where);
}

/* reserve_id hands out the id of a new batch (evm_wire_id), counting the
 * earlier batches with the same key. */
static char *
reserve_id(evm_batches *bs, const char *prefix, uint64_t key)
{
    pthread_mutex_lock(&bs->mu);
    size_t dup = 0;
    for (size_t i = 0; i < bs->nkeys; i++)
        dup += bs->keys[i] == key;
    bs->keys = ev_alloc_array(bs->keys, bs->nkeys + 1, sizeof(*bs->keys));
    bs->keys[bs->nkeys++] = key;
    pthread_mutex_unlock(&bs->mu);
    return evm_wire_id(prefix, key, dup);
}

/* answer answers line 'i' of batch 'x' whose request body is 'body'
 * (consumed) and sets its fate; it returns the status and the reply body
 * (an answer, or an error in the provider's shape), or, for a line the
 * batch-expire fault picks, 0 and jv_null(). '*rid' gets the request id. */
static unsigned
answer(const evm_batches *bs, const bs_batch *x, size_t i, jv body, int64_t now, char rid[24],
       jv *out)
{
    bs_line *l = &x->lines[i];
    uint64_t h = ev_hash_64(x->id, strlen(x->id), (uint64_t)i);
    snprintf(rid, 24, "req_%016" PRIx64, ev_hash_mix64(h));
    enum evm_fault_fate fate =
        bs->c.faults != NULL ? evm_fault_batch_line(bs->c.faults, l->custom_id) : EVM_FAULT_RUN;
    if (fate == EVM_FAULT_EXPIRE) {
        jv_free(body);
        l->fate = L_EXPIRED;
        *out = jv_null();
        return 0;
    }
    if (fate == EVM_FAULT_FAIL) {
        jv_free(body);
        l->fate = L_ERROR;
        *out = evm_wire_error(x->w, EVM_WIRE_500,
                              "The server had an error processing this request (simulated by "
                              "ev-mock's batch-fail fault).",
                              rid);
        return evm_wire_status(x->w, EVM_WIRE_500);
    }
    jv text = jv_dump_string(body, 0);
    const char *t = jv_string_value(text);
    size_t len = strlen(t);
    char id[40];
    evm_answer_id(id, x->w, ev_hash_64(t, len, 0), 1);
    unsigned status;
    evm_answer_names names = evm_answer_openai(bs->c.jobs);
    *out = evm_answer_reply(&names, bs->c.model, x->w, t, len, id, now, rid, &status, NULL);
    jv_free(text);
    l->fate = status == 200 ? L_OK : L_ERROR;
    return status;
}

/* openai_line sets the line of OpenAI's output or error file of line 'i'. */
static void
openai_line(const evm_batches *bs, const bs_batch *x, size_t i, jv body, int64_t now)
{
    bs_line *l = &x->lines[i];
    char rid[24], id[48];
    jv reply_body;
    unsigned status = answer(bs, x, i, body, now, rid, &reply_body);
    snprintf(id, sizeof(id), "batch_req_%016" PRIx64,
             ev_hash_64(l->custom_id, strlen(l->custom_id), ev_hash_64(x->id, strlen(x->id), 0)));
    jv o = jv_object_set(jv_object(), jv_string("id"), jv_string(id));
    o = jv_object_set(o, jv_string("custom_id"), jv_string(l->custom_id));
    if (status == 0) {
        jv_free(reply_body);
        jv e = jv_object_set(jv_object(), jv_string("code"), jv_string("batch_expired"));
        e = jv_object_set(e, jv_string("message"),
                          jv_string("This request could not be executed before the completion "
                                    "window expired."));
        o = jv_object_set(o, jv_string("response"), jv_null());
        o = jv_object_set(o, jv_string("error"), e);
    } else {
        jv r = jv_object_set(jv_object(), jv_string("status_code"), jv_number(status));
        r = jv_object_set(r, jv_string("request_id"), jv_string(rid));
        r = jv_object_set(r, jv_string("body"), reply_body);
        o = jv_object_set(o, jv_string("response"), r);
        o = jv_object_set(o, jv_string("error"), jv_null());
    }
    jv s = jv_dump_string(o, 0);
    l->text = ev_alloc_strdup(jv_string_value(s));
    jv_free(s);
}

/* anthropic_line sets the result line of request 'i'. */
static void
anthropic_line(const evm_batches *bs, const bs_batch *x, size_t i, jv params, int64_t now)
{
    bs_line *l = &x->lines[i];
    char rid[24];
    jv body;
    unsigned status = answer(bs, x, i, params, now, rid, &body);
    jv r;
    if (status == 0) {
        jv_free(body);
        r = jv_object_set(jv_object(), jv_string("type"), jv_string("expired"));
    } else if (status == 200) {
        r = jv_object_set(jv_object(), jv_string("type"), jv_string("succeeded"));
        r = jv_object_set(r, jv_string("message"), body);
    } else {
        /* a result's error has no request_id of its own */
        r = jv_object_set(jv_object(), jv_string("type"), jv_string("errored"));
        r = jv_object_set(r, jv_string("error"), jv_object_delete(body, jv_string("request_id")));
    }
    jv o = jv_object_set(jv_object(), jv_string("custom_id"), jv_string(l->custom_id));
    jv s = jv_dump_string(jv_object_set(o, jv_string("result"), r), 0);
    l->text = ev_alloc_strdup(jv_string_value(s));
    jv_free(s);
}

/* add keeps a new batch and returns its object; the lock is not held. */
static jv
add(evm_batches *bs, bs_batch *x, int64_t now)
{
    x->at[S_VALIDATING] = now;
    for (int k = 1; k < NSTEPS; k++)
        x->at[k] = bs->c.by_poll || (x->errors != NULL && k != S_DONE)
                       ? -1
                       : now + step_ms(bs->c.batch_ms, x->errors != NULL ? 1 : k);
    x->cancel = x->cancelled = -1;
    pthread_mutex_lock(&bs->mu);
    bs->batches = ev_alloc_resize(bs->batches, (bs->nbatches + 1) * sizeof(*bs->batches));
    bs->batches[bs->nbatches++] = x;
    bs->created[x->w]++;
    jv o = batch_json(bs, x, now);
    pthread_mutex_unlock(&bs->mu);
    return o;
}

static bs_batch *
new_batch(enum evm_wire w)
{
    bs_batch *x = ev_alloc_zero(1, sizeof(*x));
    x->w = w;
    return x;
}

/* OpenAI: the input file. */

/* An input file, read: its problems, and its good lines' ids and bodies. */
typedef struct input {
    jv errors;      /* the first LISTED_ERRORS problems {code, message, param, line} */
    jv ids, bodies; /* arrays */
    size_t lines;
} input;

static void
problem(input *in, const char *code, jv message, const char *param, long line)
{
    if (jv_array_length(jv_copy(in->errors)) >= LISTED_ERRORS) {
        jv_free(message);
        return;
    }
    jv e = jv_object_set(jv_object(), jv_string("code"), jv_string(code));
    e = jv_object_set(e, jv_string("message"), message);
    e = jv_object_set(e, jv_string("param"), evm_wire_nullable(param));
    e = jv_object_set(e, jv_string("line"), line > 0 ? jv_number((double)line) : jv_null());
    in->errors = jv_array_append(in->errors, e);
}

/* check_line checks line 'lineno' ('text', 'len' bytes) against the
 * batch's endpoint and the custom_ids before it. */
static void
check_line(input *in, idset *seen_ids, char *text, size_t len, long lineno)
{
    jv rec = jv_parse_sized(text, (int)len);
    if (jv_get_kind(rec) != JV_KIND_OBJECT) {
        jv_free(rec);
        problem(in, "invalid_json_line", jv_string_fmt("Line %ld is not a JSON object.", lineno),
                NULL, lineno);
        return;
    }
    jv id = ev_json_field(rec, "custom_id"), method = ev_json_field(rec, "method"),
       url = ev_json_field(rec, "url");
    jv body = ev_json_field(rec, "body");
    jv_free(rec);
    size_t first;
    if (jv_get_kind(id) != JV_KIND_STRING || jv_string_length_bytes(jv_copy(id)) == 0) {
        problem(in, "missing_required_parameter",
                jv_string_fmt("Line %ld has no 'custom_id' string.", lineno), "custom_id", lineno);
    } else if (jv_get_kind(method) != JV_KIND_STRING ||
               strcmp(jv_string_value(method), "POST") != 0) {
        problem(in, "invalid_method", jv_string_fmt("Line %ld: 'method' must be 'POST'.", lineno),
                "method", lineno);
    } else if (jv_get_kind(url) != JV_KIND_STRING ||
               strcmp(jv_string_value(url), chat_endpoint) != 0) {
        problem(in, "mismatched_url",
                jv_string_fmt("Line %ld: 'url' must be the batch's endpoint '%s'.", lineno,
                              chat_endpoint),
                "url", lineno);
    } else if (jv_get_kind(body) != JV_KIND_OBJECT) {
        problem(in, "missing_required_parameter",
                jv_string_fmt("Line %ld has no 'body' object.", lineno), "body", lineno);
    } else {
        /* the set borrows the id's text: the array keeps the string alive */
        in->ids = jv_array_append(in->ids, jv_copy(id));
        jv kept = jv_array_get(jv_copy(in->ids), jv_array_length(jv_copy(in->ids)) - 1);
        const char *s = jv_string_value(kept);
        if (!idset_add(seen_ids, s, (size_t)lineno, &first)) {
            problem(
                in, "duplicate_custom_id",
                jv_string_fmt("Line %ld: custom_id '%s' is also on line %zu.", lineno, s, first),
                "custom_id", lineno);
        }
        jv_free(kept);
        in->bodies = jv_array_append(in->bodies, jv_copy(body));
    }
    jv_free(id);
    jv_free(method);
    jv_free(url);
    jv_free(body);
}

/* read_input reads the input file 'data' ('len' bytes). */
static input
read_input(char *data, size_t len)
{
    input in = {jv_array(), jv_array(), jv_array(), 0};
    if (len > (size_t)EVM_BATCHES_OPENAI_MAX_BYTES) {
        problem(&in, "file_too_large",
                jv_string_fmt("The input file has %zu bytes; the limit is 200 MB.", len), NULL, 0);
        return in;
    }
    idset ids = idset_new();
    long lineno = 0;
    for (size_t at = 0; at < len;) {
        char *end = memchr(data + at, '\n', len - at);
        size_t n = end ? (size_t)(end - (data + at)) : len - at;
        char *line = data + at;
        at += n + (end != NULL);
        lineno++;
        line[n] = '\0';
        if (strspn(line, " \t\r") == n)
            continue;
        if (++in.lines > EVM_BATCHES_OPENAI_MAX_LINES) {
            problem(
                &in, "too_many_requests",
                jv_string_fmt("Line %ld is past the limit of 50,000 requests in a batch.", lineno),
                NULL, lineno);
            break;
        }
        check_line(&in, &ids, line, n, lineno);
    }
    idset_free(&ids);
    return in;
}

/* read_create reads the request of POST /v1/batches into 'x', or returns
 * false and sets the error. */
static bool
read_create(evm_batches *bs, const char *body, size_t len, bs_batch *x, evm_wire_reply *r)
{
    (void)bs;
    jv req = len > 0 && len < INT32_MAX ? jv_parse_sized(body, (int)len) : jv_invalid();
    if (jv_get_kind(req) != JV_KIND_OBJECT) {
        jv_free(req);
        *r = openai_bad(jv_string("We could not parse the JSON body of your request."), NULL);
        return false;
    }
    jv file = ev_json_field(req, "input_file_id"), endpoint = ev_json_field(req, "endpoint");
    jv window = ev_json_field(req, "completion_window"), meta = ev_json_field(req, "metadata");
    bool ok = false;
    if (jv_get_kind(file) != JV_KIND_STRING)
        *r = openai_bad(jv_string("Missing required parameter: 'input_file_id'."), "input_file_id");
    else if (jv_get_kind(endpoint) != JV_KIND_STRING ||
             strcmp(jv_string_value(endpoint), chat_endpoint) != 0)
        *r = openai_bad(jv_string("Invalid value for 'endpoint': ev-mock serves batches of "
                                  "'/v1/chat/completions' only."),
                        "endpoint");
    else if (jv_get_kind(window) != JV_KIND_STRING || strcmp(jv_string_value(window), "24h") != 0)
        *r = openai_bad(jv_string("Invalid value for 'completion_window': only '24h' is "
                                  "supported."),
                        "completion_window");
    else if (jv_is_valid(meta) && jv_get_kind(meta) != JV_KIND_NULL &&
             jv_get_kind(meta) != JV_KIND_OBJECT)
        *r = openai_bad(jv_string("Invalid type for 'metadata': expected an object."), "metadata");
    else
        ok = true;
    if (ok) {
        x->input_file = ev_alloc_strdup(jv_string_value(file));
        if (jv_get_kind(meta) == JV_KIND_OBJECT) {
            jv s = jv_dump_string(jv_copy(meta), 0);
            x->metadata = ev_alloc_strdup(jv_string_value(s));
            jv_free(s);
        }
    }
    jv_free(req);
    jv_free(file);
    jv_free(endpoint);
    jv_free(window);
    jv_free(meta);
    return ok;
}

evm_wire_reply
evm_batches_create(evm_batches *bs, const char *body, size_t len, int64_t now)
{
    evm_wire_reply r;
    bs_batch *x = new_batch(EVM_WIRE_OPENAI);
    if (!read_create(bs, body, len, x, &r)) {
        batch_free(x);
        return r;
    }
    char *purpose, *data;
    size_t n;
    if (!evm_jobs_content(bs->c.jobs, x->input_file, &purpose, &data, &n)) {
        r = evm_wire_openai_reply(404, jv_string_fmt("No such File object: %s", x->input_file),
                                  "input_file_id", "not_found");
        batch_free(x);
        return r;
    }
    if (strcmp(purpose, "batch") != 0) {
        r = openai_bad(
            jv_string_fmt("File '%s' has purpose '%s', not 'batch'.", x->input_file, purpose),
            "input_file_id");
        free(purpose);
        free(data);
        batch_free(x);
        return r;
    }
    free(purpose);
    uint64_t key = ev_hash_64(x->input_file, strlen(x->input_file) + 1,
                              ev_hash_mix64(bs->c.seed ^ 0x6261746368ULL));
    x->id = reserve_id(bs, "batch_", key);
    input in = read_input(data, n);
    free(data);
    if (jv_array_length(jv_copy(in.errors)) > 0) {
        jv s = jv_dump_string(jv_copy(in.errors), 0);
        x->errors = ev_alloc_strdup(jv_string_value(s));
        jv_free(s);
    } else {
        x->n = (size_t)jv_array_length(jv_copy(in.ids));
        x->lines = ev_alloc(x->n * sizeof(*x->lines));
        for (size_t i = 0; i < x->n; i++) {
            jv id = jv_array_get(jv_copy(in.ids), (int)i);
            x->lines[i].custom_id = ev_alloc_strdup(jv_string_value(id));
            jv_free(id);
            openai_line(bs, x, i, jv_array_get(jv_copy(in.bodies), (int)i), now);
        }
    }
    jv_free(in.errors);
    jv_free(in.ids);
    jv_free(in.bodies);
    return evm_wire_ok(add(bs, x, now));
}

/* Anthropic: the requests. */

/* good_custom_id says whether 's' matches ^[a-zA-Z0-9_-]{1,64}$. */
static bool
good_custom_id(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 64 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* check_requests returns NULL when 'reqs' (borrowed) is a good list of
 * requests, else the message of the 400. */
static jv
check_requests(jv reqs)
{
    if (jv_get_kind(reqs) != JV_KIND_ARRAY)
        return jv_string("requests: Field required");
    int n = jv_array_length(jv_copy(reqs));
    if (n < 1 || n > EVM_BATCHES_ANTHROPIC_MAX_REQUESTS)
        return jv_string_fmt("requests: a batch has from 1 to 100000 requests, not %d", n);
    idset ids = idset_new();
    jv bad = jv_invalid();
    for (int i = 0; i < n && !jv_is_valid(bad); i++) {
        jv q = jv_array_get(jv_copy(reqs), i);
        jv id = jv_get_kind(q) == JV_KIND_OBJECT ? ev_json_field(q, "custom_id") : jv_invalid();
        jv params = jv_get_kind(q) == JV_KIND_OBJECT ? ev_json_field(q, "params") : jv_invalid();
        size_t first;
        if (jv_get_kind(id) != JV_KIND_STRING || !good_custom_id(jv_string_value(id)))
            bad = jv_string_fmt("requests.%d.custom_id: String should match pattern "
                                "'^[a-zA-Z0-9_-]{1,64}$'",
                                i);
        else if (jv_get_kind(params) != JV_KIND_OBJECT)
            bad = jv_string_fmt("requests.%d.params: Input should be an object", i);
        /* 'reqs' keeps the id's text alive while the set borrows it */
        else if (!idset_add(&ids, jv_string_value(id), (size_t)i, &first))
            bad = jv_string_fmt("requests.%d.custom_id: '%s' is also the custom_id of "
                                "requests.%zu; custom_ids must be unique within a batch",
                                i, jv_string_value(id), first);
        jv_free(q);
        jv_free(id);
        jv_free(params);
    }
    idset_free(&ids);
    return bad;
}

evm_wire_reply
evm_batches_msg_create(evm_batches *bs, const char *body, size_t len, int64_t now,
                       const char *request_id)
{
    jv req = len > 0 && len < INT32_MAX ? jv_parse_sized(body, (int)len) : jv_invalid();
    if (jv_get_kind(req) != JV_KIND_OBJECT) {
        jv_free(req);
        return anthropic_bad(jv_string("The body is not a JSON object."), request_id);
    }
    jv reqs = ev_json_field(req, "requests");
    jv_free(req);
    jv bad = check_requests(reqs);
    if (jv_is_valid(bad)) {
        jv_free(reqs);
        return anthropic_bad(bad, request_id);
    }
    jv_free(bad);
    bs_batch *x = new_batch(EVM_WIRE_ANTHROPIC);
    x->id =
        reserve_id(bs, "msgbatch_", ev_hash_64(body, len, ev_hash_mix64(bs->c.seed ^ 0x6d7367ULL)));
    x->n = (size_t)jv_array_length(jv_copy(reqs));
    x->lines = ev_alloc(x->n * sizeof(*x->lines));
    for (size_t i = 0; i < x->n; i++) {
        jv q = jv_array_get(jv_copy(reqs), (int)i);
        jv id = ev_json_field(q, "custom_id");
        x->lines[i].custom_id = ev_alloc_strdup(jv_string_value(id));
        jv_free(id);
        anthropic_line(bs, x, i, ev_json_field(q, "params"), now);
        jv_free(q);
    }
    jv_free(reqs);
    return evm_wire_ok(add(bs, x, now));
}

/* Reading, listing and cancelling. */

/* look returns the object of batch 'id' of provider 'w', moved one step
 * first when 'step' and by poll, and settled when it has ended. */
static evm_wire_reply
look(evm_batches *bs, enum evm_wire w, const char *id, bool step, int64_t now,
     const char *request_id)
{
    pthread_mutex_lock(&bs->mu);
    bs_batch *x = find(bs, w, id);
    evm_wire_reply r;
    if (x == NULL) {
        r = not_found(w, id, request_id);
    } else {
        if (step && bs->c.by_poll)
            advance(x, now);
        settle(bs, x, now);
        r = evm_wire_ok(batch_json(bs, x, now));
    }
    pthread_mutex_unlock(&bs->mu);
    return r;
}

evm_wire_reply
evm_batches_get(evm_batches *bs, const char *id, int64_t now)
{
    return look(bs, EVM_WIRE_OPENAI, id, true, now, NULL);
}

evm_wire_reply
evm_batches_msg_get(evm_batches *bs, const char *id, int64_t now, const char *request_id)
{
    return look(bs, EVM_WIRE_ANTHROPIC, id, true, now, request_id);
}

static evm_wire_reply
cancel(evm_batches *bs, enum evm_wire w, const char *id, int64_t now, const char *request_id)
{
    pthread_mutex_lock(&bs->mu);
    bs_batch *x = find(bs, w, id);
    evm_wire_reply r;
    if (x == NULL) {
        r = not_found(w, id, request_id);
    } else if (ended(x, now) || x->cancel >= 0) {
        settle(bs, x, now);
        jv msg = jv_string_fmt("Batch %s cannot be cancelled: it has %s.", x->id,
                               x->cancel >= 0 && !ended(x, now) ? "a cancel pending" : "ended");
        r = w == EVM_WIRE_OPENAI ? openai_bad(msg, NULL) : anthropic_bad(msg, request_id);
    } else {
        x->cancel = now;
        x->cancelled =
            bs->c.by_poll ? -1 : now + (bs->c.batch_ms / 10 > 1 ? bs->c.batch_ms / 10 : 1);
        r = evm_wire_ok(batch_json(bs, x, now));
    }
    pthread_mutex_unlock(&bs->mu);
    return r;
}

evm_wire_reply
evm_batches_cancel(evm_batches *bs, const char *id, int64_t now)
{
    return cancel(bs, EVM_WIRE_OPENAI, id, now, NULL);
}

evm_wire_reply
evm_batches_msg_cancel(evm_batches *bs, const char *id, int64_t now, const char *request_id)
{
    return cancel(bs, EVM_WIRE_ANTHROPIC, id, now, request_id);
}

/* page returns the objects of the batches of provider 'w', newest first:
 * at most 'limit' of them, just after the batch 'after' or just before
 * 'before' (NULL: from the newest). '*more' says whether more lie beyond
 * the page in its direction. A cursor that names no batch gives an empty
 * page. */
static jv
page(evm_batches *bs, enum evm_wire w, long limit, const char *after, const char *before,
     int64_t now, bool *more)
{
    pthread_mutex_lock(&bs->mu);
    bs_batch **all = ev_alloc((bs->nbatches + 1) * sizeof(*all));
    size_t n = 0, from = 0, to;
    for (size_t i = bs->nbatches; i-- > 0;)
        if (bs->batches[i]->w == w)
            all[n++] = bs->batches[i];
    const char *cursor = after != NULL ? after : before;
    size_t at = 0;
    while (cursor != NULL && at < n && strcmp(all[at]->id, cursor) != 0)
        at++;
    if (cursor != NULL && at == n) {
        to = from = 0;
    } else if (before != NULL && after == NULL) {
        to = at;
        from = to > (size_t)limit ? to - (size_t)limit : 0;
    } else {
        from = after != NULL ? at + 1 : 0;
        to = n - from > (size_t)limit ? from + (size_t)limit : n;
    }
    *more = before != NULL && after == NULL ? from > 0 : to < n;
    jv data = jv_array();
    for (size_t i = from; i < to; i++) {
        settle(bs, all[i], now);
        data = jv_array_append(data, batch_json(bs, all[i], now));
    }
    pthread_mutex_unlock(&bs->mu);
    free(all);
    return data;
}

/* list wraps a page with first_id, last_id and has_more. */
static jv
list(jv data, bool more)
{
    int n = jv_array_length(jv_copy(data));
    jv first = n > 0 ? jv_array_get(jv_copy(data), 0) : jv_null();
    jv last = n > 0 ? jv_array_get(jv_copy(data), n - 1) : jv_null();
    jv o = jv_object_set(jv_object(), jv_string("data"), data);
    o = jv_object_set(o, jv_string("first_id"), n > 0 ? ev_json_field(first, "id") : jv_null());
    o = jv_object_set(o, jv_string("last_id"), n > 0 ? ev_json_field(last, "id") : jv_null());
    jv_free(first);
    jv_free(last);
    return jv_object_set(o, jv_string("has_more"), jv_bool(more));
}

evm_wire_reply
evm_batches_list(evm_batches *bs, long limit, const char *after, int64_t now)
{
    bool more;
    jv data = page(bs, EVM_WIRE_OPENAI, limit, after, NULL, now, &more);
    jv o = list(data, more);
    return evm_wire_ok(jv_object_set(o, jv_string("object"), jv_string("list")));
}

evm_wire_reply
evm_batches_msg_list(evm_batches *bs, long limit, const char *after, const char *before,
                     int64_t now)
{
    bool more;
    jv data = page(bs, EVM_WIRE_ANTHROPIC, limit, after, before, now, &more);
    return evm_wire_ok(list(data, more));
}

evm_wire_reply
evm_batches_msg_results(evm_batches *bs, const char *id, int64_t now, const char *request_id,
                        char **text, size_t *len)
{
    pthread_mutex_lock(&bs->mu);
    bs_batch *x = find(bs, EVM_WIRE_ANTHROPIC, id);
    evm_wire_reply r;
    *text = NULL;
    *len = 0;
    if (x == NULL) {
        r = not_found(EVM_WIRE_ANTHROPIC, id, request_id);
    } else {
        settle(bs, x, now);
        if (!x->settled) {
            r = anthropic_bad(jv_string_fmt("Batch %s is still processing; its results are "
                                            "available once it has ended.",
                                            x->id),
                              request_id);
        } else {
            *text = memcpy(ev_alloc(x->results_len + 1), x->results ? x->results : "",
                           x->results_len + 1);
            *len = x->results_len;
            r = evm_wire_ok(jv_null());
        }
    }
    pthread_mutex_unlock(&bs->mu);
    return r;
}

/* Statistics. */

jv
evm_batches_stats(evm_batches *bs, int64_t now)
{
    static const char *const names[] = {
        [EVM_WIRE_OPENAI] = "openai", [EVM_WIRE_ANTHROPIC] = "anthropic"};
    jv o = jv_object_set(jv_object(), jv_string("simulated"), jv_true());
    pthread_mutex_lock(&bs->mu);
    for (size_t i = 0; i < bs->nbatches; i++)
        settle(bs, bs->batches[i], now);
    for (int w = 0; w < 2; w++) {
        jv p = jv_object_set(jv_object(), jv_string("batches_created"),
                             jv_number((double)bs->created[w]));
        p = jv_object_set(p, jv_string("requests_answered"), jv_number((double)bs->answered[w]));
        o = jv_object_set(o, jv_string(names[w]), p);
    }
    pthread_mutex_unlock(&bs->mu);
    return o;
}

void
evm_batches_reset_stats(evm_batches *bs)
{
    pthread_mutex_lock(&bs->mu);
    memset(bs->created, 0, sizeof(bs->created));
    memset(bs->answered, 0, sizeof(bs->answered));
    pthread_mutex_unlock(&bs->mu);
}
