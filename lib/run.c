#include "run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "diag.h"
#include "hash.h"
#include "json.h"
#include "jsonl.h"
#include "record.h"

static jv
number_or_invalid(jv rec, const char *path)
{
    jv v = ev_json_path(rec, path);
    if (jv_get_kind(v) == JV_KIND_NUMBER)
        return v;
    jv_free(v);
    return jv_invalid();
}

/* intern_text adds the text of 'v' (consumed) to 't' and returns its number. */
static uint32_t
intern_text(ev_intern *t, jv v)
{
    jv s = ev_record_text_of(v);
    uint32_t n =
        ev_intern_add(t, jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)), NULL);
    jv_free(s);
    return n;
}

static void
glist_push(ev_run *run, uint32_t x)
{
    if (run->nglist == run->capglist) {
        run->capglist = run->capglist ? 2 * run->capglist : 256;
        run->glist = ev_alloc_array(run->glist, run->capglist, sizeof(*run->glist));
    }
    run->glist[run->nglist++] = x;
}

/* set_groups records the case's values of --by as labels: each of its tags,
 * or the value of the field. */
static void
set_groups(ev_run *run, ev_run_case *c, jv rec, const char *by)
{
    if (run->nglist >= UINT32_MAX - 1)
        ev_diag_out_of_memory(); /* four billion group labels: beyond any eval set */
    c->groups = (uint32_t)run->nglist;
    glist_push(run, 0);
    if (strcmp(by, "tag") == 0 || strcmp(by, "tags") == 0) {
        jv t = ev_record_tags(rec);
        if (jv_array_length(jv_copy(t)) == 0)
            t = jv_array_append(t, jv_string("(untagged)"));
        jv_array_foreach(t, i, tag)
        {
            glist_push(run, intern_text(run->labels, tag));
            (void)i;
        }
        jv_free(t);
    } else {
        jv v = ev_json_path(rec, by);
        if (!jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL) {
            jv_free(v);
            v = jv_string("(none)");
        }
        glist_push(run, intern_text(run->labels, v));
    }
    run->glist[c->groups] = (uint32_t)(run->nglist - c->groups - 1);
}

/* case_for returns the case of 'id', made anew (all zero) when the run has
 * none yet. */
static ev_run_case *
case_for(ev_run *run, const char *id, size_t len)
{
    size_t before = ev_intern_count(run->ids);
    uint32_t i = ev_intern_add(run->ids, id, len, NULL);
    if (i < before)
        return &run->cases[i];
    if (run->n == run->cap) {
        run->cap = run->cap ? run->cap * 2 : 256;
        run->cases = ev_alloc_array(run->cases, run->cap, sizeof(*run->cases));
    }
    ev_run_case *c = &run->cases[run->n++];
    memset(c, 0, sizeof(*c));
    c->cluster = EV_INTERN_NONE;
    return c;
}

/* sample_key is the key of sample 's' of case 'i' in the run's 'seen' map:
 * a hash, so two pairs could share one with odds of about one in 2^64
 * (keymap.h), and the later would be taken for a duplicate. */
static uint64_t
sample_key(size_t i, double s)
{
    unsigned char b[sizeof(uint32_t) + sizeof(double)];
    uint32_t ci = (uint32_t)i;
    s = s == 0 ? 0 : s; /* -0 is 0 */
    memcpy(b, &ci, sizeof(ci));
    memcpy(b + sizeof(ci), &s, sizeof(s));
    return ev_hash_64(b, sizeof(b), 0x73616d706c65); /* "sample" */
}

static bool
seen_has(const ev_run *run, uint64_t key, size_t i)
{
    for (size_t e = ev_keymap_find(run->seen, key); e != EV_KEYMAP_END;
         e = ev_keymap_next(run->seen, e))
        if (ev_keymap_item(run->seen, e) == i)
            return true;
    return false;
}

/* new_sample says whether sample 's' of case 'i' is new, and remembers it
 * when so. A case keeps its first sample itself; only a case with several
 * records puts them in the 'seen' map. */
static bool
new_sample(ev_run *run, size_t i, double s)
{
    ev_run_case *c = &run->cases[i];
    bool small = s >= 0 && s < EV_RUN_SAMPLE_SEEN && s == floor(s);
    if (c->samples == 0) {
        if (small) {
            c->sample0 = (uint32_t)s;
            return true;
        }
        c->sample0 = EV_RUN_SAMPLE_SEEN;
        ev_keymap_add(run->seen, sample_key(i, s), (uint32_t)i);
        return true;
    }
    if (c->sample0 != EV_RUN_SAMPLE_SEEN) {
        if (small && (uint32_t)s == c->sample0)
            return false;
        ev_keymap_add(run->seen, sample_key(i, c->sample0), (uint32_t)i);
        c->sample0 = EV_RUN_SAMPLE_SEEN;
    } else if (seen_has(run, sample_key(i, s), i)) {
        return false;
    }
    ev_keymap_add(run->seen, sample_key(i, s), (uint32_t)i);
    return true;
}

/* add_record folds one scored record into its case. Returns a message when
 * the record cannot be used. */
static jv
add_record(ev_run *run, jv rec, const ev_run_opts *o)
{
    jv id = ev_record_id(rec);
    if (!jv_is_valid(id))
        return jv_invalid_get_msg(id);
    jv problem = ev_record_score_problem(rec);
    if (jv_is_valid(problem)) {
        jv_free(id);
        return problem;
    }
    jv_free(problem);
    jv score = ev_json_field(rec, "score");
    jv err = ev_json_field(rec, "error");
    bool failed = jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL;
    jv_free(err);
    if (jv_get_kind(score) != JV_KIND_OBJECT && !failed) {
        jv_free(score);
        jv_free(id);
        return jv_string("record has no 'score': run it through ev-score first");
    }
    jv sample = number_or_invalid(rec, "call.sample");
    double s = jv_is_valid(sample) ? jv_number_value(sample) : 0;
    jv_free(sample);
    ev_run_case *c =
        case_for(run, jv_string_value(id), (size_t)jv_string_length_bytes(jv_copy(id)));
    size_t i = (size_t)(c - run->cases);
    if (!new_sample(run, i, s)) {
        jv msg = jv_string_fmt("duplicate record for id '%s'%s; the first is kept",
                               jv_string_value(id), s != 0 ? " and sample" : "");
        jv_free(id);
        jv_free(score);
        return msg;
    }
    jv_free(id);

    bool pass = false;
    double value = 0;
    if (jv_get_kind(score) == JV_KIND_OBJECT) {
        jv p = jv_object_get(jv_copy(score), jv_string("pass"));
        pass = jv_get_kind(p) == JV_KIND_TRUE;
        jv_free(p);
        jv v = jv_object_get(jv_copy(score), jv_string("value"));
        value = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : (pass ? 1 : 0);
        jv_free(v);
    }
    jv_free(score);
    if (c->samples == 0) {
        if (o->by != NULL)
            set_groups(run, c, rec, o->by);
        if (o->cluster != NULL) {
            jv cl = ev_json_path(rec, o->cluster);
            if (!jv_is_valid(cl) || jv_get_kind(cl) == JV_KIND_NULL) {
                jv_free(cl);
                cl = jv_string("(none)");
            }
            c->cluster = intern_text(run->labels, cl);
        }
    }
    c->samples++;
    c->passes += pass;
    c->value += value;
    c->errors += failed;

    jv lat = number_or_invalid(rec, "call.latency_ms");
    if (jv_is_valid(lat)) {
        c->latency += jv_number_value(lat);
        c->nlatency++;
    }
    jv_free(lat);
    jv cost = number_or_invalid(rec, "cost.total");
    if (jv_is_valid(cost)) {
        c->cost += jv_number_value(cost);
        c->ncost++;
    }
    jv_free(cost);
    jv tin = number_or_invalid(rec, "call.input_tokens");
    jv tout = number_or_invalid(rec, "call.output_tokens");
    if (jv_is_valid(tin) && jv_is_valid(tout)) {
        c->tokens_in += jv_number_value(tin);
        c->tokens_out += jv_number_value(tout);
    }
    jv_free(tin);
    jv_free(tout);
    return jv_invalid();
}

int
ev_run_load(ev_run *run, const char *path, const ev_run_opts *o, ev_run_problem report, void *ctx)
{
    memset(run, 0, sizeof(*run));
    run->path = ev_alloc_strdup(path);
    run->ids = ev_intern_new();
    run->labels = ev_intern_new();
    run->seen = ev_keymap_new();
    char *paths[] = {(char *)path};
    ev_jsonl_reader r;
    ev_jsonl_init(&r, paths, 1, NULL);
    int problems = 0, rc;
    jv rec;
    while ((rc = ev_jsonl_next(&r, &rec)) != EV_JSONL_EOF) {
        if (rc == EV_JSONL_BAD) {
            jv msg = jv_invalid_get_msg(rec);
            bool fatal = r.fp == NULL && r.line == 0;
            report(msg, ctx);
            problems++;
            if (fatal) {
                ev_jsonl_free(&r);
                ev_run_free(run);
                return -1;
            }
            continue;
        }
        jv msg = add_record(run, rec, o);
        jv_free(rec);
        if (jv_is_valid(msg)) {
            jv where = ev_jsonl_where(&r);
            report(jv_string_fmt("%s: %s", jv_string_value(where), jv_string_value(msg)), ctx);
            jv_free(where);
            jv_free(msg);
            problems++;
        }
    }
    ev_jsonl_free(&r);
    return problems;
}

const char *
ev_run_id(const ev_run *run, size_t i, size_t *len)
{
    return ev_intern_get(run->ids, (uint32_t)i, len);
}

long
ev_run_find(const ev_run *run, const char *id, size_t len)
{
    uint32_t i = ev_intern_find(run->ids, id, len);
    return i == EV_INTERN_NONE ? -1 : (long)i;
}

const uint32_t *
ev_run_case_groups(const ev_run *run, const ev_run_case *c, size_t *n)
{
    if (run->glist == NULL) {
        *n = 0;
        return NULL;
    }
    *n = run->glist[c->groups];
    return &run->glist[c->groups + 1];
}

jv
ev_run_label(const ev_run *run, uint32_t label)
{
    size_t len;
    const char *s = ev_intern_get(run->labels, label, &len);
    return jv_string_sized(s, (int)len);
}

double
ev_run_case_score(const ev_run_case *c)
{
    return c->samples ? (double)c->passes / c->samples : 0;
}

void
ev_run_free(ev_run *run)
{
    free(run->cases);
    free(run->path);
    free(run->glist);
    ev_intern_free(run->ids);
    ev_intern_free(run->labels);
    ev_keymap_free(run->seen);
    memset(run, 0, sizeof(*run));
}
