#include "leak.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "jsonl.h"
#include "minhash.h"
#include "near.h"
#include "record.h"
#include "split.h"

/* What the check holds: the training set, indexed. */
typedef struct checker {
    ev_near *ix;
    char *ids; /* the training cases' ids, each ended by NUL, one after another */
    size_t nids, capids;
    size_t *idoff;
    size_t n, cap;
    ev_near_match *m;
    size_t capm;
} checker;

static void
add_id(checker *ck, jv id)
{
    size_t len = (size_t)jv_string_length_bytes(jv_copy(id));
    if (ck->nids + len + 1 > ck->capids) {
        while (ck->nids + len + 1 > ck->capids)
            ck->capids = ck->capids ? 2 * ck->capids : 4096;
        ck->ids = ev_alloc_resize(ck->ids, ck->capids);
    }
    memcpy(ck->ids + ck->nids, jv_string_value(id), len + 1);
    if (ck->n == ck->cap) {
        ck->cap = ck->cap ? 2 * ck->cap : 256;
        ck->idoff = ev_alloc_array(ck->idoff, ck->cap, sizeof(*ck->idoff));
    }
    ck->idoff[ck->n++] = ck->nids;
    ck->nids += len + 1;
    jv_free(id);
}

/* load indexes every case of the training set. */
static unsigned long
load(checker *ck, const ev_leak_opts *o, ev_leak_result *res)
{
    char *train[1] = {(char *)o->train};
    ev_jsonl_reader r;
    unsigned long problems = 0;
    jv rec, id;

    ev_jsonl_init(&r, train, 1, NULL);
    while (ev_jsonl_next_case(&r, &rec, &id, NULL, o->log, &problems)) {
        if (ck->n >= EV_MINHASH_MAX) {
            ev_log_warn(o->log, "too many training cases");
            jv_free(rec);
            jv_free(id);
            problems++;
            break;
        }
        add_id(ck, id);
        jv text = ev_record_prompt_text(rec);
        res->train_inputs += !ev_near_empty(ck->ix, jv_string_value(text));
        ev_near_add(ck->ix, jv_string_value(text));
        jv_free(text);
        jv_free(rec);
        res->train++;
    }
    ev_jsonl_free(&r);
    return problems;
}

static void
write_pair(FILE *out, jv eval_id /* borrowed */, const char *train_id, const ev_near_match *m)
{
    jv p = jv_object();
    p = jv_object_set(p, jv_string("eval_id"), jv_copy(eval_id));
    p = jv_object_set(p, jv_string("train_id"), jv_string(train_id));
    p = jv_object_set(p, jv_string("kind"), jv_string(m->same ? "exact" : "near"));
    p = jv_object_set(p, jv_string("similarity"), jv_number(round(m->similarity * 1e4) / 1e4));
    ev_jsonl_write(out, p);
}

/* check_case writes the pairs of the eval case 'rec' (consumed, like its
 * 'id') with the training cases it leaks into. */
static void
check_case(checker *ck, const ev_leak_opts *o, jv rec, jv id, ev_leak_result *res)
{
    jv text = ev_record_prompt_text(rec);
    res->eval_inputs += !ev_near_empty(ck->ix, jv_string_value(text));
    size_t n = ev_near_find(ck->ix, jv_string_value(text), &ck->m, &ck->capm);
    for (size_t i = 0; i < n; i++)
        write_pair(o->out, id, ck->ids + ck->idoff[ck->m[i].item], &ck->m[i]);
    if (n > 0 && ck->m[0].same)
        res->exact++;
    else if (n > 0)
        res->near++;
    jv_free(text);
    jv_free(rec);
    jv_free(id);
}

unsigned long
ev_leak_check(const ev_leak_opts *o, char **eval, int neval, ev_leak_result *res)
{
    checker ck = {.ix = ev_near_new(o->threshold)};
    ev_jsonl_reader r;
    jv rec, id;

    *res = (ev_leak_result){0};
    unsigned long problems = load(&ck, o, res);
    ev_jsonl_init(&r, eval, neval, o->out);
    while (ev_jsonl_next_case(&r, &rec, &id, NULL, o->log, &problems)) {
        res->eval++;
        check_case(&ck, o, rec, id, res);
        if (ferror(o->out))
            break;
    }
    ev_jsonl_free(&r);
    ev_near_free(ck.ix);
    free(ck.ids);
    free(ck.idoff);
    free(ck.m);
    return problems;
}

const char *
ev_leak_no_verdict(const ev_leak_result *res)
{
    if (res->eval_inputs == 0)
        return res->eval == 0 ? "the eval set has no case" : "no eval case has an input";
    if (res->train_inputs == 0)
        return res->train == 0 ? "the training set has no case" : "no training case has an input";
    return NULL;
}
