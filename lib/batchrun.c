#include "batchrun.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "batch.h"
#include "clock.h"
#include "ev.h"
#include "json.h"
#include "jsonl.h"
#include "progress.h"
#include "ratelimit.h"
#include "record.h"
#include "report.h"
#include "rest.h"

#define STATE_POLL 1.0 /* seconds between looks at a claimed batch state */

typedef struct bcase {
    char *raw; /* the record's text, as read */
    size_t len;
    bool replace;
    char *keys; /* [repeat] cache keys, EV_CACHE_KEY_LEN + 1 bytes each */
} bcase;

typedef struct brun {
    const ev_call_config *cfg;
    const ev_call_hooks *hooks;
    FILE *out;
    ev_cache *cache;
    ev_rest *api;
    bcase *cases;
    size_t ncases, cap;
    jv todo;    /* cache key -> {body, sample, id}: the requests the cache lacks */
    jv state;   /* what is kept next to the cache */
    jv answers; /* cache key -> cache entry: answers fetched by this run */
    jv errors;  /* cache key -> error object: requests that failed */
    char name[EV_CACHE_KEY_LEN + 1];
    int status;
    bool interrupted, fatal;
    bool dead;         /* ended at once (die): nothing more is said */
    bool cache_failed; /* an answer fetched could not be cached */
    int claim;         /* of the state (ev_cache_state_claim), or -1 */
    double started;
    unsigned long answered, cached, failed;
    double tokens_in, tokens_out;
    jv last_note; /* the figures of the progress last shown */
    void (*progress)(void *ctx, const ev_batchrun_progress *p);
} brun;

static char *
bkey(const brun *b, size_t i, long k)
{
    return b->cases[i].keys + (size_t)k * (EV_CACHE_KEY_LEN + 1);
}

/* bsleep waits 's' seconds, or less when a signal comes; false then. */
static bool
bsleep(const brun *b, double s)
{
    double until = ev_clock_mono() + s;
    while (!ev_call_stopped(b->hooks)) {
        double left = until - ev_clock_mono();
        if (left <= 0)
            return true;
        if (left > 0.1)
            left = 0.1;
        struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* rfc3339 reads the seconds of a time (consumed) such as
 * 2024-09-24T18:37:24.100Z; NAN when it is not one. */
static double
rfc3339(jv t)
{
    double s = NAN;
    if (jv_get_kind(t) != JV_KIND_STRING || !ev_ratelimit_rfc3339(jv_string_value(t), &s))
        s = NAN;
    jv_free(t);
    return s;
}

/* die reports 'err' (a message, or an invalid with one) and ends the run
 * at once with status 2, saying nothing more. */
static void
die(brun *b, jv err)
{
    ev_log_warn_jv(&b->hooks->log, err);
    b->fatal = b->dead = true;
    b->status = EV_EXIT_TROUBLE;
}

/* save_state keeps the state next to the cache; false, with the run ended,
 * when it cannot. */
static bool
save_state(brun *b)
{
    jv err;
    if (ev_cache_state_put(b->cache, b->name, jv_copy(b->state), &err))
        return true;
    /* Without it a killed run cannot find its batch again: stop now,
     * before anything more is paid for. */
    jv m = jv_invalid_get_msg(err);
    die(b, jv_string_fmt("%s; the batch's state must be kept to resume it", jv_string_value(m)));
    jv_free(m);
    return false;
}

/* api_try says whether a failed request is worth another try after a
 * wait, and waits; it reports the failure when not. */
static bool
api_try(brun *b, jv *out, const ev_rest_result *res, int *attempt)
{
    if (jv_is_valid(*out))
        return false;
    if (res->fail == EV_REST_INTERRUPTED || ev_call_stopped(b->hooks)) {
        b->interrupted = true;
        return false;
    }
    if (ev_rest_transient(res) && *attempt < b->cfg->retries) {
        double wait = 0.5 * (double)(1L << (*attempt < 6 ? *attempt : 6));
        (*attempt)++;
        if (b->cfg->verbose) {
            jv m = jv_invalid_get_msg(jv_copy(*out));
            ev_log_warn(&b->hooks->log, "%s; again in %.1f s", jv_string_value(m), wait);
            jv_free(m);
        }
        if (!bsleep(b, wait)) {
            b->interrupted = true;
            return false; /* '*out' is still the caller's to report or free */
        }
        jv_free(*out);
        return true;
    }
    return false;
}

/* api_fail reports a request that failed for good and stops the run. */
static void
api_fail(brun *b, jv out)
{
    if (!b->interrupted) {
        ev_log_warn_jv(&b->hooks->log, jv_invalid_get_msg(out));
        b->fatal = true;
        b->status = EV_EXIT_TROUBLE;
    } else {
        jv_free(out);
    }
}

static jv
bget(brun *b, const char *path, const char *what)
{
    ev_rest_result res;
    int attempt = 0;
    jv out;
    do
        out = ev_rest_get(b->api, path, what, &res);
    while (api_try(b, &out, &res, &attempt));
    return out;
}

/* in_cache says whether the cache has a good entry for 'key', and reports
 * a bad one. */
static bool
in_cache(brun *b, const char *key)
{
    jv entry = ev_cache_get(b->cache, key);
    bool yes = jv_is_valid(entry);
    jv msg = yes ? jv_null() : jv_invalid_get_msg(jv_copy(entry));
    if (jv_get_kind(msg) == JV_KIND_STRING)
        ev_log_warn_jv(&b->hooks->log, msg);
    else
        jv_free(msg);
    jv_free(entry);
    return yes;
}

static void
read_cases(brun *b, char **paths, int n)
{
    const ev_call_config *c = b->cfg;
    ev_jsonl_reader rd;
    jv rec;
    int rc;
    ev_jsonl_init(&rd, paths, n, NULL);
    while (!ev_call_stopped(b->hooks) && (rc = ev_jsonl_next(&rd, &rec)) != EV_JSONL_EOF) {
        if (rc == EV_JSONL_BAD) {
            ev_log_warn_jv(&b->hooks->log, rec);
            b->status = EV_EXIT_TROUBLE;
            continue;
        }
        jv msgs = ev_call_prompt(c, rec);
        jv body, text;
        char key[EV_CACHE_KEY_LEN + 1];
        if (!ev_call_request(c, msgs, 0, &body, &text, key)) {
            jv m = jv_invalid_get_msg(body), where = ev_jsonl_where(&rd);
            ev_log_warn(&b->hooks->log, "%s: %s", jv_string_value(where), jv_string_value(m));
            jv_free(where);
            jv_free(m);
            jv_free(msgs);
            jv_free(rec);
            b->status = EV_EXIT_TROUBLE;
            continue;
        }
        if (b->ncases == b->cap) {
            b->cap = b->cap ? 2 * b->cap : 256;
            b->cases = ev_alloc_resize(b->cases, b->cap * sizeof(*b->cases));
        }
        bcase *bc = &b->cases[b->ncases++];
        size_t len;
        const char *raw = ev_jsonl_raw(&rd, &len);
        bc->raw = ev_alloc_zero(len + 1, 1);
        memcpy(bc->raw, raw, len);
        bc->len = len;
        bc->replace = ev_call_replaces(rec);
        bc->keys = ev_alloc_zero((size_t)c->repeat, EV_CACHE_KEY_LEN + 1);
        jv id = ev_record_id(rec);
        for (int k = 0; k < c->repeat; k++) {
            if (k > 0)
                ev_call_request(c, msgs, k, &body, &text, key);
            memcpy(bkey(b, b->ncases - 1, k), key, sizeof(key));
            if ((c->refresh || !in_cache(b, key)) &&
                !jv_object_has(jv_copy(b->todo), jv_string(key))) {
                jv r = ev_json_set(jv_object(), "body", jv_copy(text));
                r = ev_json_set(r, "sample", jv_number(k));
                r = ev_json_set(r, "id", jv_copy(id));
                b->todo = jv_object_set(b->todo, jv_string(key), r);
            }
            jv_free(body);
            jv_free(text);
        }
        jv_free(id);
        jv_free(msgs);
        jv_free(rec);
    }
    ev_jsonl_free(&rd);
    if (ev_call_stopped(b->hooks))
        b->interrupted = true;
}

/* run_name names the run's state: a hash of every request of the run, in
 * order, whether the cache has its answer or not. */
static void
run_name(brun *b)
{
    const ev_call_config *c = b->cfg;
    size_t n = b->ncases * (size_t)c->repeat * EV_CACHE_KEY_LEN;
    char *all = ev_alloc_zero(n + 1, 1), *p = all;
    for (size_t i = 0; i < b->ncases; i++)
        for (long k = 0; k < c->repeat; k++, p += EV_CACHE_KEY_LEN)
            memcpy(p, bkey(b, i, k), EV_CACHE_KEY_LEN);
    char what[64];
    snprintf(what, sizeof(what), "batch %s", ev_provider_name(c->req.provider));
    ev_cache_key(what, c->base, 0, all, n, b->name);
    free(all);
}

/* claim_state claims the run's state, so that no other run submits its
 * batches too, waiting while another run of the same cases holds it; then
 * the requests that run has answered meanwhile are dropped. False when it
 * cannot be claimed, or when interrupted. */
static bool
claim_state(brun *b)
{
    bool waited = false;
    for (;;) {
        jv err;
        enum ev_cache_claim got = ev_cache_state_claim(b->cache, b->name, &b->claim, &err);
        if (got == EV_CACHE_CLAIMED)
            break;
        if (got == EV_CACHE_FAILED) {
            ev_log_warn_jv(&b->hooks->log, jv_invalid_get_msg(err));
            b->fatal = true;
            b->status = EV_EXIT_TROUBLE;
            return false;
        }
        if (!waited && !b->cfg->quiet)
            ev_log_warn(&b->hooks->log,
                        "another ev-call is running the batches of these cases (state %s/batches/"
                        "%s.json); waiting for it to finish",
                        ev_cache_dir(b->cache), b->name);
        waited = true;
        if (!bsleep(b, STATE_POLL)) {
            b->interrupted = true;
            return false;
        }
    }
    if (waited && !b->cfg->refresh) {
        jv keys = jv_keys(jv_copy(b->todo));
        jv_array_foreach(keys, i, key)
        {
            if (ev_cache_has(b->cache, jv_string_value(key)))
                b->todo = jv_object_delete(b->todo, key);
            else
                jv_free(key);
        }
        jv_free(keys);
    }
    return true;
}

/* sound_part says whether 'part' (borrowed), of a state read back, has the
 * shape this ev-call writes: 'ids' maps each custom_id to a cache key and a
 * sample number of this run, and 'errors' is an object. */
static bool
sound_part(jv part, long repeat)
{
    jv ids = ev_json_field(part, "ids"), errs = ev_json_field(part, "errors");
    bool ok = jv_get_kind(ids) == JV_KIND_OBJECT && jv_get_kind(errs) == JV_KIND_OBJECT;
    jv_free(errs);
    if (!ok) {
        jv_free(ids);
        return false;
    }
    jv_object_foreach(ids, cid, v)
    {
        bool good = jv_get_kind(v) == JV_KIND_ARRAY && jv_array_length(jv_copy(v)) == 2;
        if (good) {
            jv key = jv_array_get(jv_copy(v), 0), smp = jv_array_get(jv_copy(v), 1);
            double k = jv_get_kind(smp) == JV_KIND_NUMBER ? jv_number_value(smp) : -1;
            good = jv_get_kind(key) == JV_KIND_STRING &&
                   jv_string_length_bytes(jv_copy(key)) == EV_CACHE_KEY_LEN &&
                   strspn(jv_string_value(key), "0123456789abcdef") == EV_CACHE_KEY_LEN && k >= 0 &&
                   k < (double)repeat && k == floor(k);
            jv_free(key);
            jv_free(smp);
        }
        ok = ok && good;
        jv_free(cid);
        jv_free(v);
    }
    jv_free(ids);
    return ok;
}

static jv
new_part(void)
{
    jv p = ev_json_set(jv_object(), "ids", jv_object());
    p = ev_json_set(p, "file", jv_null());
    p = ev_json_set(p, "batch", jv_null());
    p = ev_json_set(p, "submitted", jv_null());
    p = ev_json_set(p, "done", jv_false());
    return ev_json_set(p, "errors", jv_object());
}

static bool
is_null(jv v)
{
    bool n = jv_get_kind(v) == JV_KIND_NULL || !jv_is_valid(v);
    jv_free(v);
    return n;
}

/* old_parts sets '*kept' to the parts of an earlier run's state that
 * reached the provider, and '*held' to the keys of their requests; false,
 * with the run ended, when the state cannot be read or is not one this
 * ev-call wrote: it may name batches already paid for. */
static bool
old_parts(brun *b, jv *kept, jv *held)
{
    jv old = ev_cache_state_get(b->cache, b->name);
    if (!jv_is_valid(old) && jv_invalid_has_msg(jv_copy(old))) {
        jv m = jv_invalid_get_msg(old);
        die(b, jv_string_fmt("%s; it may name batches already paid for, so nothing is sent",
                             jv_string_value(m)));
        jv_free(m);
        return false;
    }
    *kept = jv_array();
    *held = jv_object();
    jv oldparts = ev_json_field(old, "parts");
    jv_free(old);
    if (jv_get_kind(oldparts) != JV_KIND_ARRAY) {
        jv_free(oldparts);
        oldparts = jv_array();
    }
    int n = jv_array_length(jv_copy(oldparts));
    for (int i = 0; i < n; i++) {
        jv part = jv_array_get(jv_copy(oldparts), i);
        if (!sound_part(part, b->cfg->repeat)) {
            die(b, jv_string_fmt("%s/batches/%s.json: part %d is not a batch's state; it was not "
                                 "written by this ev-call (removing it submits the requests again)",
                                 ev_cache_dir(b->cache), b->name, i + 1));
            jv_free(part);
            jv_free(oldparts);
            return false;
        }
        if (is_null(ev_json_field(part, "file")) && is_null(ev_json_field(part, "batch")) &&
            is_null(ev_json_field(part, "submitted"))) {
            jv_free(part); /* nothing of it reached the provider */
            continue;
        }
        jv ids = ev_json_field(part, "ids");
        jv_object_foreach(ids, cid, v)
        {
            *held = jv_object_set(*held, jv_array_get(v, 0), jv_true());
            jv_free(cid);
        }
        jv_free(ids);
        *kept = jv_array_append(*kept, part);
    }
    jv_free(oldparts);
    return true;
}

/* plan_parts keeps the parts of an earlier run that reached the provider,
 * and puts every request no kept part holds into new parts, within the
 * provider's limits (or --batch-size). False, with the run ended, when the
 * earlier state cannot be trusted. */
static bool
plan_parts(brun *b)
{
    const ev_call_config *c = b->cfg;
    jv kept, held;
    if (!old_parts(b, &kept, &held))
        return false;
    size_t nkept = (size_t)jv_array_length(jv_copy(kept));
    if (nkept > 0 && !c->quiet)
        ev_log_warn(&b->hooks->log,
                    "found %zu batch%s of an earlier run of these cases; collecting %s", nkept,
                    nkept == 1 ? "" : "es", nkept == 1 ? "it" : "them");

    ev_batch_limits lim = ev_batch_limits_of(c->req.provider);
    if (c->batch_size > 0)
        lim.requests = (size_t)c->batch_size;
    jv part = jv_invalid(), ids = jv_object(), used = jv_object();
    size_t count = 0, bytes = 0;
    jv_object_foreach(b->todo, key, r)
    {
        if (jv_object_has(jv_copy(held), jv_copy(key))) {
            jv_free(key);
            jv_free(r);
            continue;
        }
        jv id = ev_json_field(r, "id"), smp = ev_json_field(r, "sample"),
           body = ev_json_field(r, "body");
        int k = (int)jv_number_value(smp);
        jv cid = ev_batch_custom_id(b->name, id, k, 0);
        for (int dup = 1; jv_object_has(jv_copy(used), jv_copy(cid)); dup++) {
            jv_free(cid);
            cid = ev_batch_custom_id(b->name, id, k, dup);
        }
        jv line = ev_batch_line(c->req.provider, jv_string_value(cid), jv_string_value(body));
        size_t len = (size_t)jv_string_length_bytes(jv_copy(line)) + 1;
        if (count > 0 && (count == lim.requests || bytes + len > lim.bytes)) {
            part = ev_json_set(new_part(), "ids", ids);
            kept = jv_array_append(kept, part);
            ids = jv_object();
            count = bytes = 0;
        }
        used = jv_object_set(used, jv_copy(cid), jv_true());
        ids = jv_object_set(ids, cid, jv_array_append(jv_array_append(jv_array(), key), smp));
        count++;
        bytes += len;
        jv_free(line);
        jv_free(body);
        jv_free(id);
        jv_free(r);
    }
    if (count > 0)
        kept = jv_array_append(kept, ev_json_set(new_part(), "ids", ids));
    else
        jv_free(ids);
    jv_free(used);
    jv_free(held);
    jv s = ev_json_set(jv_object(), "version", jv_number(1));
    s = ev_json_set(s, "provider", jv_string(ev_provider_name(c->req.provider)));
    s = ev_json_set(s, "base", jv_string(c->base));
    s = ev_json_set(s, "model", jv_string(c->req.model));
    b->state = ev_json_set(s, "parts", kept);
    return true;
}

static jv
part_get(brun *b, int i, const char *field)
{
    jv parts = ev_json_field(b->state, "parts");
    jv p = jv_array_get(parts, i);
    jv v = ev_json_field(p, field);
    jv_free(p);
    return v;
}

static void
part_set(brun *b, int i, const char *field, jv v)
{
    jv parts = ev_json_field(b->state, "parts");
    jv p = jv_array_get(jv_copy(parts), i);
    p = jv_object_set(p, jv_string(field), v);
    parts = jv_array_set(parts, i, p);
    b->state = ev_json_set(b->state, "parts", parts);
}

static int
nparts(const brun *b)
{
    jv parts = ev_json_field(b->state, "parts");
    int n = jv_get_kind(parts) == JV_KIND_ARRAY ? jv_array_length(jv_copy(parts)) : 0;
    jv_free(parts);
    return n;
}

/* part_text returns the requests of part 'i', one JSON line each. */
static jv
part_text(brun *b, int i, const char *sep)
{
    jv ids = part_get(b, i, "ids");
    jv text = jv_string("");
    bool first = true;
    jv_object_foreach(ids, cid, v)
    {
        jv key = jv_array_get(v, 0);
        jv r = jv_object_get(jv_copy(b->todo), key);
        if (!jv_is_valid(r)) { /* answered by another run since */
            jv_free(r);
            jv_free(cid);
            continue;
        }
        jv body = ev_json_field(r, "body");
        jv line = ev_batch_line(b->cfg->req.provider, jv_string_value(cid), jv_string_value(body));
        if (!first)
            text = jv_string_append_str(text, sep);
        text = jv_string_concat(text, line);
        first = false;
        jv_free(body);
        jv_free(r);
        jv_free(cid);
    }
    jv_free(ids);
    return text;
}

/* held says whether batch 'id' (borrowed) belongs to a part of the state. */
static bool
held(brun *b, jv id)
{
    bool h = false;
    for (int i = 0; i < nparts(b) && !h; i++)
        h = jv_equal(part_get(b, i, "batch"), jv_copy(id));
    return h;
}

/* newest_batches returns the list of batches at 'path': an array, empty
 * when the answer has none; or invalid, with the run stopped, when it
 * cannot be had. */
static jv
newest_batches(brun *b, const char *path)
{
    jv list = bget(b, path, "cannot list the batches");
    if (!jv_is_valid(list)) {
        api_fail(b, list);
        return jv_invalid();
    }
    jv data = ev_json_field(list, "data");
    jv_free(list);
    if (jv_get_kind(data) != JV_KIND_ARRAY) {
        jv_free(data);
        data = jv_array();
    }
    return data;
}

/* find_openai looks among the newest batches for one made from 'file'
 * (consumed): a run killed after it created the batch and before it kept
 * the id. A list that cannot be had stops the run: without it a batch could
 * be paid for twice. */
static jv
find_openai(brun *b, jv file)
{
    jv data = newest_batches(b, "/batches?limit=100");
    jv found = jv_null();
    if (!jv_is_valid(data)) {
        jv_free(file);
        return found;
    }
    jv_array_foreach(data, i, bt)
    {
        jv in = ev_json_field(bt, "input_file_id");
        if (jv_get_kind(found) == JV_KIND_NULL && jv_equal(in, jv_copy(file)))
            found = ev_json_field(bt, "id");
        jv_free(bt);
    }
    jv_free(data);
    jv_free(file);
    return found;
}

/* part_count is how many requests part 'i' sends: those of its requests no
 * other run has answered since it was planned. */
static int
part_count(brun *b, int i)
{
    jv ids = part_get(b, i, "ids");
    int n = 0;
    jv_object_foreach(ids, cid, v)
    {
        n += jv_object_has(jv_copy(b->todo), jv_array_get(v, 0));
        jv_free(cid);
    }
    jv_free(ids);
    return n;
}

/* find_anthropic looks among the newest message batches for the one part
 * 'i' made: as many requests, made since it was sent, and held by no other
 * part. Anthropic's batches carry nothing of ours to match, so two such
 * candidates stop the run rather than guess; a wrong guess could not join
 * anyway, since the custom_ids carry the run's tag. */
static jv
find_anthropic(brun *b, int i)
{
    double sent = rfc3339(part_get(b, i, "submitted"));
    jv count = part_get(b, i, "count");
    double n = jv_get_kind(count) == JV_KIND_NUMBER ? jv_number_value(count) : part_count(b, i);
    jv_free(count);
    jv data = newest_batches(b, "/messages/batches?limit=100");
    if (!jv_is_valid(data))
        return jv_null();
    jv found = jv_array();
    jv_array_foreach(data, j, bt)
    {
        ev_batch_status st;
        double at = rfc3339(ev_json_field(bt, "created_at"));
        if (ev_batch_status_read(EV_PROVIDER_ANTHROPIC, bt, &st)) {
            jv cancel = ev_json_field_kind(bt, "cancel_initiated_at", JV_KIND_STRING);
            if (st.total == n && at >= sent - 60 && jv_get_kind(cancel) == JV_KIND_NULL &&
                !held(b, st.id))
                found = jv_array_append(found, jv_copy(st.id));
            jv_free(cancel);
            ev_batch_status_free(&st);
        }
        jv_free(bt);
    }
    jv_free(data);
    int nfound = jv_array_length(jv_copy(found));
    if (nfound == 1)
        return jv_array_get(found, 0);
    if (nfound > 1) {
        jv names = jv_string("");
        jv_array_foreach(found, j, id)
        {
            names = jv_string_append_str(names, j ? ", " : "");
            names = jv_string_concat(names, id);
        }
        ev_log_warn(&b->hooks->log,
                    "batch %d: an earlier run sent it, and %d batches could be it (%s); cancel the "
                    "ones that are not yours, or remove %s/batches/%s.json to send it again",
                    i + 1, nfound, jv_string_value(names), ev_cache_dir(b->cache), b->name);
        jv_free(names);
        b->fatal = true;
        b->status = EV_EXIT_TROUBLE;
    }
    jv_free(found);
    return jv_null();
}

/* find_part looks for the batch of part 'i' that an earlier attempt may
 * have made. */
static jv
find_part(brun *b, int i)
{
    return b->cfg->req.provider == EV_PROVIDER_ANTHROPIC ? find_anthropic(b, i)
                                                         : find_openai(b, part_get(b, i, "file"));
}

/* submit_part starts the batch of part 'i', or finds the one an earlier
 * run started. False when it cannot. */
static bool
submit_part(brun *b, int i, int n)
{
    const ev_call_config *c = b->cfg;
    bool anth = c->req.provider == EV_PROVIDER_ANTHROPIC;
    if (!is_null(part_get(b, i, "batch")))
        return true;
    ev_rest_result res;
    int attempt = 0;
    jv out;
    if (!anth && is_null(part_get(b, i, "file"))) {
        jv text = part_text(b, i, "\n");
        text = jv_string_append_str(text, "\n");
        char fname[64];
        snprintf(fname, sizeof(fname), "ev-batch-%.12s-%d.jsonl", b->name, i + 1);
        do
            out = ev_rest_upload(b->api, "batch", fname, jv_string_value(text),
                                 (size_t)jv_string_length_bytes(jv_copy(text)), &res);
        while (api_try(b, &out, &res, &attempt));
        jv_free(text);
        jv fid = jv_is_valid(out) ? ev_json_field(out, "id") : jv_invalid();
        if (jv_get_kind(fid) != JV_KIND_STRING) {
            jv_free(fid);
            api_fail(b, jv_is_valid(out)
                            ? (jv_free(out),
                               jv_invalid_with_msg(jv_string("the upload's answer has no file id")))
                            : out);
            return false;
        }
        jv_free(out);
        part_set(b, i, "file", fid);
        if (!save_state(b))
            return false;
    }
    jv found = jv_null();
    if (!is_null(part_get(b, i, "submitted")))
        found = find_part(b, i);
    if (b->interrupted || b->fatal) {
        jv_free(found);
        return false;
    }
    if (jv_get_kind(found) == JV_KIND_STRING) {
        if (!c->quiet)
            ev_log_warn(&b->hooks->log,
                        "batch %s (%d of %d) was made by an earlier run; collecting it",
                        jv_string_value(found), i + 1, n);
        part_set(b, i, "batch", found);
        return save_state(b);
    }
    jv_free(found);
    part_set(b, i, "submitted", ev_call_now());
    part_set(b, i, "count", jv_number(part_count(b, i)));
    if (!save_state(b))
        return false;
    /* A create whose answer was lost may have made the batch: before each
     * new try, look for it, so that it is never made twice. */
    attempt = 0;
    jv body = jv_invalid();
    if (anth) {
        body = jv_string("{\"requests\":[");
        body = jv_string_concat(body, part_text(b, i, ","));
        body = jv_string_append_str(body, "]}");
    } else {
        jv req = ev_json_set(jv_object(), "input_file_id", part_get(b, i, "file"));
        req = ev_json_set(req, "endpoint", jv_string("/v1/chat/completions"));
        req = ev_json_set(req, "completion_window", jv_string("24h"));
        body = jv_dump_string(req, 0);
    }
    for (;;) {
        out = ev_rest_post_text(
            b->api, anth ? "/messages/batches" : "/batches", jv_string_value(body),
            (size_t)jv_string_length_bytes(jv_copy(body)), "cannot create the batch", &res);
        if (!api_try(b, &out, &res, &attempt))
            break;
        found = find_part(b, i);
        if (b->fatal || b->interrupted) { /* reported already */
            jv_free(found);
            jv_free(body);
            return false;
        }
        if (jv_get_kind(found) == JV_KIND_STRING) {
            out = ev_json_set(jv_object(), "id", found);
            break;
        }
        jv_free(found);
    }
    jv_free(body);
    jv bid = jv_is_valid(out) ? ev_json_field(out, "id") : jv_invalid();
    if (jv_get_kind(bid) != JV_KIND_STRING) {
        jv_free(bid);
        api_fail(b,
                 jv_is_valid(out)
                     ? (jv_free(out), jv_invalid_with_msg(jv_string("the answer has no batch id")))
                     : out);
        return false;
    }
    jv_free(out);
    jv ids = part_get(b, i, "ids");
    if (!c->quiet)
        ev_log_warn(&b->hooks->log, "submitted batch %s (%d of %d): %d request%s",
                    jv_string_value(bid), i + 1, n, jv_object_length(jv_copy(ids)),
                    jv_object_length(jv_copy(ids)) == 1 ? "" : "s");
    jv_free(ids);
    part_set(b, i, "batch", bid);
    return save_state(b);
}

static void
note_error(brun *b, int i, jv key, const char *kind, long status, jv message)
{
    jv err = ev_json_set(jv_object(), "kind", jv_string(kind));
    err = ev_json_set(err, "status", status > 0 ? jv_number(status) : jv_null());
    err = ev_json_set(err, "message", message);
    err = ev_json_set(err, "attempts", jv_number(1));
    jv errs = part_get(b, i, "errors");
    part_set(b, i, "errors", jv_object_set(errs, jv_copy(key), jv_copy(err)));
    b->errors = jv_object_set(b->errors, key, err);
}

/* read_results reads a downloaded results file of part 'i' (batch 'bid'),
 * caching each answer and noting each failure; 'seen' gains the custom ids
 * read. */
static void
read_results(brun *b, int i, jv bid, FILE *f, jv *seen)
{
    const ev_call_config *c = b->cfg;
    jv ids = part_get(b, i, "ids");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long lineno = 0;
    rewind(f);
    while ((len = getline(&line, &cap, f)) > 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        jv cid;
        long status;
        ev_provider_reply rep;
        ev_provider_reply_init(&rep);
        bool ok = ev_batch_result_read(c->req.provider, line, (size_t)len, &cid, &status, &rep);
        jv v = ok ? jv_object_get(jv_copy(ids), jv_copy(cid)) : jv_invalid();
        if (!jv_is_valid(v)) {
            ev_log_warn(&b->hooks->log, "batch %s: result line %lu: %s", jv_string_value(bid),
                        lineno,
                        ok ? "a custom_id this run did not send" : jv_string_value(rep.message));
            jv_free(v);
            jv_free(cid);
            ev_provider_reply_free(&rep);
            continue;
        }
        *seen = jv_object_set(*seen, cid, jv_true());
        jv key = jv_array_get(jv_copy(v), 0), smp = jv_array_get(v, 1);
        int k = (int)jv_number_value(smp);
        jv_free(smp);
        if (rep.outcome == EV_PROVIDER_ANSWERED) {
            jv call =
                ev_call_object(c, jv_null(), jv_copy(rep.input_tokens), jv_copy(rep.output_tokens),
                               jv_copy(rep.cached_tokens), jv_copy(rep.finish_reason), 1, false, k);
            call = ev_json_set(call, "batch", jv_copy(bid));
            jv entry = ev_call_cache_entry(call, jv_copy(rep.output), k);
            jv err;
            if (!ev_cache_put(b->cache, jv_string_value(key), jv_copy(entry), &err)) {
                if (!b->cache_failed)
                    ev_log_warn_jv(&b->hooks->log, jv_invalid_get_msg(err));
                else
                    jv_free(err);
                b->cache_failed = true;
            }
            b->answers = jv_object_set(b->answers, key, entry);
        } else {
            note_error(b, i, key, rep.kind, status,
                       jv_is_valid(rep.message) ? jv_copy(rep.message)
                                                : jv_string("the request failed"));
        }
        ev_provider_reply_free(&rep);
    }
    free(line);
    jv_free(ids);
}

/* download fetches 'path' into a temporary file and reads its results. */
static void
download(brun *b, int i, jv bid, const char *path, const char *what, jv *seen)
{
    FILE *f = tmpfile();
    if (f == NULL) {
        ev_log_warn(&b->hooks->log, "cannot make a temporary file: %s", strerror(errno));
        b->fatal = true;
        b->status = EV_EXIT_TROUBLE;
        return;
    }
    ev_rest_result res;
    int attempt = 0;
    jv out;
    do {
        if (ftruncate(fileno(f), 0) != 0 || fseek(f, 0, SEEK_SET) != 0) {
            out = jv_invalid_with_msg(jv_string_fmt("%s: %s", what, strerror(errno)));
            break;
        }
        out = ev_rest_download(b->api, path, f, what, &res);
    } while (api_try(b, &out, &res, &attempt));
    if (jv_is_valid(out) && fflush(f) == 0)
        read_results(b, i, bid, f, seen);
    else
        api_fail(b, jv_is_valid(out)
                        ? (jv_free(out),
                           jv_invalid_with_msg(jv_string_fmt("%s: %s", what, strerror(errno))))
                        : out);
    fclose(f);
}

/* collect fetches the results of part 'i', whose batch has ended as 'st'
 * says, and marks the part done. */
static void
collect(brun *b, int i, const ev_batch_status *st)
{
    jv bid = jv_copy(st->id), seen = jv_object();
    char path[512];
    if (st->failed) {
        /* refused as a whole: every request fails with the reason */
    } else if (b->cfg->req.provider == EV_PROVIDER_ANTHROPIC) {
        snprintf(path, sizeof(path), "/messages/batches/%s/results", jv_string_value(bid));
        download(b, i, bid, path, "cannot fetch the batch's results", &seen);
    } else {
        if (jv_get_kind(st->output) == JV_KIND_STRING) {
            snprintf(path, sizeof(path), "/files/%s/content", jv_string_value(st->output));
            download(b, i, bid, path, "cannot fetch the batch's output file", &seen);
        }
        if (jv_get_kind(st->errors) == JV_KIND_STRING && !b->fatal && !b->interrupted) {
            snprintf(path, sizeof(path), "/files/%s/content", jv_string_value(st->errors));
            download(b, i, bid, path, "cannot fetch the batch's error file", &seen);
        }
    }
    if (b->cache_failed && !b->fatal) {
        /* Marked done, the part would not be fetched again, and what the
         * cache lacks would be paid for again: stop, and fetch it next time. */
        ev_log_warn(&b->hooks->log,
                    "batch %s: its answers could not all be cached; run again once the cache can "
                    "be written, and they are downloaded again (not paid for again)",
                    jv_string_value(bid));
        b->fatal = true;
        b->status = EV_EXIT_TROUBLE;
    }
    if (b->fatal || b->interrupted) {
        jv_free(seen);
        jv_free(bid);
        return;
    }
    jv ids = part_get(b, i, "ids");
    const char *state = jv_string_value(st->state);
    bool expired = strcmp(state, "expired") == 0;
    jv_object_foreach(ids, cid, v)
    {
        jv key = jv_array_get(jv_copy(v), 0);
        /* a request another run has answered since was not sent */
        bool sent = jv_object_has(jv_copy(b->todo), key);
        bool answered = jv_object_has(jv_copy(seen), cid);
        if (sent && !answered) {
            jv msg = st->failed ? jv_string_fmt("the batch %s failed: %s", jv_string_value(bid),
                                                jv_string_value(st->message))
                                : jv_string_fmt("the batch %s ended (%s) without an answer for "
                                                "this request",
                                                jv_string_value(bid), state);
            note_error(b, i, jv_array_get(jv_copy(v), 0), expired ? "timeout" : "http", 0, msg);
        }
        jv_free(v);
    }
    jv_free(ids);
    jv_free(seen);
    jv_free(bid);
    part_set(b, i, "done", jv_true());
    save_state(b);
}

jv
ev_batchrun_progress_line(const ev_batchrun_progress *p, int width)
{
    char ended[64], done[64], failed[32], el[32];
    snprintf(ended, sizeof(ended), "batch%s %d/%d ended", p->batches == 1 ? "" : "es", p->ended,
             p->batches);
    snprintf(done, sizeof(done), "%.0f/%.0f requests done", p->done, p->total);
    snprintf(failed, sizeof(failed), "%.0f failed", p->failed);
    ev_report_duration(p->elapsed, el, sizeof(el));
    const ev_progress_field f[] = {
        {ended, 0, 0, ""},      {done, 1, 0, "; "}, {failed, 2, 0, ", "},
        {p->state, 4, 0, "; "}, {el, 3, 0, "; "},
    };
    return ev_progress_fit(f, sizeof(f) / sizeof(f[0]), width);
}

/* batch_progress hands the progress to the caller, saying whether
 * something other than the time changed since the last look. */
static void
batch_progress(brun *b, int ended, int n, double total, double done, double failed,
               const char *state)
{
    jv key = jv_string_fmt("%d %.0f %.0f %s", ended, done, failed, state);
    bool changed = !jv_equal(jv_copy(key), jv_copy(b->last_note));
    jv_free(b->last_note);
    b->last_note = key;
    if (b->progress == NULL)
        return;
    ev_batchrun_progress p = {.ended = ended,
                              .batches = n,
                              .total = total,
                              .done = done,
                              .failed = failed,
                              .state = state,
                              .elapsed = ev_clock_mono() - b->started,
                              .changed = changed};
    b->progress(b->hooks->log.ctx, &p);
}

static void
poll_parts(brun *b)
{
    const ev_call_config *c = b->cfg;
    int n = nparts(b);
    for (;;) {
        int ended = 0;
        double total = 0, done = 0, failed = 0;
        jv states = jv_string("");
        for (int i = 0; i < n && !b->fatal && !b->interrupted; i++) {
            jv ids = part_get(b, i, "ids");
            double size = jv_object_length(ids);
            jv isdone = part_get(b, i, "done");
            bool was_done = jv_get_kind(isdone) == JV_KIND_TRUE;
            jv_free(isdone);
            if (was_done) {
                ended++;
                total += size;
                done += size;
                continue;
            }
            jv bid = part_get(b, i, "batch");
            char path[512];
            snprintf(path, sizeof(path), "%s/%s",
                     c->req.provider == EV_PROVIDER_ANTHROPIC ? "/messages/batches" : "/batches",
                     jv_string_value(bid));
            jv_free(bid);
            jv out = bget(b, path, "cannot get the batch");
            ev_batch_status st;
            if (!jv_is_valid(out)) {
                api_fail(b, out);
                break;
            }
            if (!ev_batch_status_read(c->req.provider, out, &st)) {
                jv_free(out);
                api_fail(b,
                         jv_invalid_with_msg(jv_string_fmt("%s: the answer is not a batch", path)));
                break;
            }
            jv_free(out);
            total += st.total > 0 ? st.total : size;
            done += st.done;
            failed += st.failed_n;
            if (jv_string_length_bytes(jv_copy(states)) > 0)
                states = jv_string_append_str(states, ", ");
            states = jv_string_append_str(states, jv_string_value(st.state));
            if (st.ended) {
                collect(b, i, &st);
                ended += !b->fatal && !b->interrupted;
            }
            ev_batch_status_free(&st);
        }
        if (b->fatal || b->interrupted) {
            jv_free(states);
            break;
        }
        batch_progress(b, ended, n, total, done, failed,
                       ended == n ? "ended" : jv_string_value(states));
        jv_free(states);
        if (ended == n)
            break;
        if (!bsleep(b, c->poll_interval)) {
            b->interrupted = true;
            break;
        }
    }
    if (b->progress != NULL)
        b->progress(b->hooks->log.ctx, NULL);
}

static jv
batch_error(const ev_call_config *c, jv err, int sample_no, jv bid)
{
    jv call = ev_call_object(c, jv_null(), jv_null(), jv_null(), jv_null(), jv_null(), 1, false,
                             sample_no);
    if (jv_get_kind(bid) == JV_KIND_STRING)
        call = ev_json_set(call, "batch", bid);
    else
        jv_free(bid);
    jv add = ev_json_set(jv_object(), "error", err);
    return ev_json_set(add, "call", call);
}

/* write_cases writes every case, in input order, with its answers. False
 * when standard output failed. */
static bool
write_cases(brun *b)
{
    const ev_call_config *c = b->cfg;
    /* failures kept by the parts of an earlier run */
    int n = nparts(b);
    jv batch_of = jv_object();
    for (int i = 0; i < n; i++) {
        jv errs = part_get(b, i, "errors"), bid = part_get(b, i, "batch");
        jv_object_foreach(errs, key, err)
        {
            if (!jv_object_has(jv_copy(b->errors), jv_copy(key)))
                b->errors = jv_object_set(b->errors, jv_copy(key), err);
            else
                jv_free(err);
            batch_of = jv_object_set(batch_of, key, jv_copy(bid));
        }
        jv_free(errs);
        jv_free(bid);
    }
    for (size_t i = 0; i < b->ncases; i++) {
        bcase *bc = &b->cases[i];
        for (long k = 0; k < c->repeat; k++) {
            const char *key = bkey(b, i, k);
            jv fresh = ev_json_field(b->answers, key);
            jv err = ev_json_field(b->errors, key);
            jv add;
            if (jv_is_valid(fresh)) {
                jv_free(err);
                add = ev_call_from_cache(c, fresh, (int)k, false);
                b->answered++;
            } else if (jv_is_valid(err)) {
                add = batch_error(c, err, (int)k, jv_object_get(jv_copy(batch_of), jv_string(key)));
                b->failed++;
            } else {
                jv_free(err);
                jv entry = ev_cache_get(b->cache, key);
                if (jv_is_valid(entry)) {
                    add = ev_call_from_cache(c, entry, (int)k, true);
                    b->answered++;
                    b->cached++;
                } else {
                    jv_free(entry);
                    err = ev_json_set(jv_object(), "kind", jv_string("http"));
                    err = ev_json_set(err, "status", jv_null());
                    err = jv_object_set(err, jv_string("message"),
                                        jv_string("no answer: the batch's answer could not be "
                                                  "kept in the cache"));
                    err = ev_json_set(err, "attempts", jv_number(1));
                    add = batch_error(c, err, (int)k, jv_null());
                    b->failed++;
                }
            }
            jv call = ev_json_field(add, "call");
            ev_call_tokens(call, &b->tokens_in, &b->tokens_out);
            jv_free(call);
            ev_call_write(b->out, bc->raw, bc->len, bc->replace, add);
            if (ferror(b->out)) {
                jv_free(batch_of);
                return false;
            }
        }
    }
    jv_free(batch_of);
    return true;
}

/* open_api makes the client of the provider's batch API; false, with the
 * run ended, when it cannot. */
static bool
open_api(brun *b)
{
    const ev_call_config *c = b->cfg;
    jv err;
    b->api = ev_rest_new(c->base, c->key, b->hooks->stop, &err);
    if (b->api == NULL) {
        die(b, err);
        return false;
    }
    ev_rest_set_agent(b->api, "ev-call/" EV_VERSION);
    ev_rest_set_timeout(b->api, lround(c->timeout * 1000));
    if (c->cacert != NULL)
        ev_rest_set_cacert(b->api, c->cacert);
    if (c->req.provider == EV_PROVIDER_ANTHROPIC)
        ev_rest_set_anthropic(b->api);
    return true;
}

/* send_all plans the batches, submits them and polls them to their end. */
static void
send_all(brun *b)
{
    if (!open_api(b) || !plan_parts(b) || !save_state(b))
        return;
    int n = nparts(b);
    for (int i = 0; i < n && !b->fatal && !b->interrupted; i++)
        submit_part(b, i, n);
    if (!b->fatal && !b->interrupted)
        poll_parts(b);
}

/* finish writes the records of a run that was not stopped, removes its
 * state, and sums it up. */
static void
finish(brun *b, int todo, ev_call_end *end)
{
    const ev_call_config *c = b->cfg;
    end->out_broken = !write_cases(b);
    end->reader_gone = end->out_broken && errno == EPIPE;
    if (end->out_broken && !end->reader_gone)
        ev_log_warn(&b->hooks->log, "cannot write standard output: %s",
                    strerror(errno ? errno : EIO));
    if (todo > 0 && !end->out_broken)
        ev_cache_state_remove(b->cache, b->name);
    if (c->quiet)
        return;
    unsigned long calls = b->answered + b->failed;
    int n = todo > 0 ? nparts(b) : 0;
    ev_log_warn(&b->hooks->log,
                "%lu call%s: %lu answered (%lu from the cache), %lu failed, in %d batch%s; "
                "tokens %.0f in, %.0f out; %.1f s",
                calls, calls == 1 ? "" : "s", b->answered, b->cached, b->failed, n,
                n == 1 ? "" : "es", b->tokens_in, b->tokens_out, ev_clock_mono() - b->started);
}

/* free_brun frees what the run holds and gives back its claim. */
static void
free_brun(brun *b)
{
    ev_cache_state_unclaim(b->cache, b->name, b->claim);
    for (size_t i = 0; i < b->ncases; i++) {
        free(b->cases[i].raw);
        free(b->cases[i].keys);
    }
    free(b->cases);
    ev_rest_free(b->api);
    jv_free(b->todo);
    jv_free(b->state);
    jv_free(b->answers);
    jv_free(b->errors);
    jv_free(b->last_note);
}

int
ev_batchrun_run(const ev_call_config *c, ev_cache *cache, char **paths, int n, FILE *out,
                const ev_call_hooks *h, void (*progress)(void *ctx, const ev_batchrun_progress *p),
                ev_call_end *end)
{
    *end = (ev_call_end){0};
    if (cache == NULL) {
        ev_log_warn(&h->log, "--batch needs the cache, and it cannot be opened");
        return EV_EXIT_TROUBLE;
    }
    brun b = {.cfg = c,
              .hooks = h,
              .out = out,
              .cache = cache,
              .todo = jv_object(),
              .state = jv_null(),
              .answers = jv_object(),
              .errors = jv_object(),
              .last_note = jv_null(),
              .progress = progress,
              .claim = -1,
              .started = ev_clock_mono()};
    read_cases(&b, paths, n);
    int todo = jv_object_length(jv_copy(b.todo));
    if (!b.interrupted && b.ncases > 0)
        run_name(&b);
    if (!b.interrupted && todo > 0 && claim_state(&b))
        todo = jv_object_length(jv_copy(b.todo));
    if (!b.interrupted && !b.fatal && todo == 0 && b.ncases > 0) {
        /* Every answer is cached: a state left by an earlier run is stale.
         * One that a live run holds is that run's to remove. */
        jv err;
        if (b.claim < 0 && ev_cache_state_claim(cache, b.name, &b.claim, &err) == EV_CACHE_FAILED)
            jv_free(err);
        if (b.claim >= 0)
            ev_cache_state_remove(cache, b.name);
    }
    if (!b.interrupted && !b.fatal && todo > 0)
        send_all(&b);
    bool pending = b.fatal || b.interrupted;
    bool running = false;
    for (int i = 0; pending && i < (todo > 0 ? nparts(&b) : 0); i++)
        running = running || !is_null(part_get(&b, i, "batch"));
    if (running && !c->quiet && !b.dead)
        ev_log_warn(&h->log,
                    "%s: the batches keep running at the provider; run the same command again "
                    "to collect their answers (state: %s/batches/%s.json)",
                    b.interrupted ? "interrupted" : "stopped", ev_cache_dir(cache), b.name);
    if (!pending)
        finish(&b, todo, end);
    free_brun(&b);
    if (b.interrupted)
        return EV_EXIT_INTR;
    if (b.status != EV_EXIT_OK)
        return b.status;
    if (end->out_broken)
        return EV_EXIT_TROUBLE;
    return b.failed > 0 ? EV_EXIT_CALLS : EV_EXIT_OK;
}
