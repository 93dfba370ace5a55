#include "runs.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "jsonl.h"
#include "record.h"

jv
ev_field_path(jv rec, const char *path)
{
    jv v = jv_copy(rec);
    const char *p = path;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (jv_get_kind(v) == JV_KIND_ARRAY && len > 0 && strspn(p, "0123456789") >= len) {
            v = jv_array_get(v, (int)strtol(p, NULL, 10));
        } else if (jv_get_kind(v) == JV_KIND_OBJECT) {
            v = jv_object_get(v, jv_string_sized(p, (int)len));
        } else {
            jv_free(v);
            return jv_invalid();
        }
        if (!jv_is_valid(v))
            return v;
        p += len + (dot != NULL);
    }
    return v;
}

static jv
number_or_invalid(jv rec, const char *path)
{
    jv v = ev_field_path(rec, path);
    if (jv_get_kind(v) == JV_KIND_NUMBER)
        return v;
    jv_free(v);
    return jv_invalid();
}

/* group_values returns the case's values of --by as an array of strings. */
static jv
group_values(jv rec, const char *by)
{
    if (by == NULL)
        return jv_array();
    if (strcmp(by, "tag") == 0 || strcmp(by, "tags") == 0) {
        jv t = ev_rec_tags(rec);
        if (jv_array_length(jv_copy(t)) == 0) {
            jv_free(t);
            return jv_array_append(jv_array(), jv_string("(untagged)"));
        }
        return t;
    }
    jv v = ev_field_path(rec, by);
    if (!jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL) {
        jv_free(v);
        return jv_array_append(jv_array(), jv_string("(none)"));
    }
    return jv_array_append(jv_array(), ev_text_of(v));
}

static ev_case *
case_for(ev_run *run, jv id)
{
    jv pos = jv_object_get(jv_copy(run->index), jv_copy(id));
    if (jv_is_valid(pos)) {
        size_t i = (size_t)jv_number_value(pos);
        jv_free(pos);
        jv_free(id);
        return &run->cases[i];
    }
    if (run->n == run->cap) {
        size_t cap = run->cap ? run->cap * 2 : 256;
        run->cases = ev_alloc_resize(run->cases, cap * sizeof(*run->cases));
        run->cap = cap;
    }
    ev_case *c = &run->cases[run->n];
    memset(c, 0, sizeof(*c));
    c->id = jv_copy(id);
    c->groups = jv_null();
    c->cluster = jv_null();
    run->index = jv_object_set(run->index, id, jv_number((double)run->n));
    run->n++;
    return c;
}

/* add_record folds one scored record into its case. Returns a message when
 * the record cannot be used. */
static jv
add_record(ev_run *run, jv rec, const ev_run_opts *o)
{
    jv id = ev_rec_id(rec);
    if (!jv_is_valid(id))
        return jv_invalid_get_msg(id);
    jv problem = ev_score_problem(rec);
    if (jv_is_valid(problem)) {
        jv_free(id);
        return problem;
    }
    jv_free(problem);
    jv score = ev_get(rec, "score");
    jv err = ev_get(rec, "error");
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
    jv key = jv_string_fmt("%s\x1f%.17g", jv_string_value(id), s);
    if (jv_object_has(jv_copy(run->samples_seen), jv_copy(key))) {
        jv msg = jv_string_fmt("duplicate record for id '%s'%s; the first is kept",
                               jv_string_value(id), s != 0 ? " and sample" : "");
        jv_free(key);
        jv_free(id);
        jv_free(score);
        return msg;
    }
    run->samples_seen = jv_object_set(run->samples_seen, key, jv_true());

    ev_case *c = case_for(run, id);
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
        jv_free(c->groups);
        c->groups = group_values(rec, o->by);
        if (o->cluster != NULL) {
            jv cl = ev_field_path(rec, o->cluster);
            jv_free(c->cluster);
            if (jv_is_valid(cl) && jv_get_kind(cl) != JV_KIND_NULL) {
                c->cluster = ev_text_of(cl);
            } else {
                jv_free(cl);
                c->cluster = jv_string("(none)");
            }
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
    run->index = jv_object();
    run->samples_seen = jv_object();
    char *paths[] = {(char *)path};
    ev_reader r;
    ev_reader_init(&r, paths, 1, NULL);
    int problems = 0, rc;
    jv rec;
    while ((rc = ev_reader_next(&r, &rec)) != EV_READ_EOF) {
        if (rc == EV_READ_BAD) {
            jv msg = jv_invalid_get_msg(rec);
            bool fatal = r.fp == NULL && r.line == 0;
            report(msg, ctx);
            problems++;
            if (fatal) {
                ev_reader_free(&r);
                return -1;
            }
            continue;
        }
        jv msg = add_record(run, rec, o);
        jv_free(rec);
        if (jv_is_valid(msg)) {
            jv where = ev_reader_where(&r);
            report(jv_string_fmt("%s: %s", jv_string_value(where), jv_string_value(msg)), ctx);
            jv_free(where);
            jv_free(msg);
            problems++;
        }
    }
    ev_reader_free(&r);
    return problems;
}

long
ev_run_find(const ev_run *run, jv id)
{
    jv pos = jv_object_get(jv_copy(run->index), jv_copy(id));
    long i = jv_is_valid(pos) ? (long)jv_number_value(pos) : -1;
    jv_free(pos);
    return i;
}

double
ev_case_score(const ev_case *c)
{
    return c->samples ? (double)c->passes / c->samples : 0;
}

void
ev_run_free(ev_run *run)
{
    for (size_t i = 0; i < run->n; i++) {
        jv_free(run->cases[i].id);
        jv_free(run->cases[i].groups);
        jv_free(run->cases[i].cluster);
    }
    free(run->cases);
    free(run->path);
    jv_free(run->index);
    jv_free(run->samples_seen);
    memset(run, 0, sizeof(*run));
}
