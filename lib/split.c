#include "split.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "diag.h"
#include "hash.h"
#include "interrupt.h"
#include "json.h"
#include "near.h"
#include "record.h"
#include "spill.h"
#include "take.h"

uint64_t
ev_split_key(const char *id, size_t len, uint64_t seed)
{
    return ev_hash_64(id, len, seed);
}

bool
ev_split_in(uint64_t key, double ratio)
{
    return ev_hash_unit(key) < ratio;
}

long
ev_split_shard(uint64_t key, long n)
{
    long s = (long)(ev_hash_unit(ev_hash_mix64(key ^ 0x5368617264ULL)) * (double)n); /* "Shard" */
    return (s < n ? s : n - 1) + 1;
}

long
ev_split_quota(double ratio, long n, uint64_t stratum_key)
{
    double x = ratio * (double)n;
    long q = (long)floor(x);
    if (ev_hash_unit(stratum_key) < x - (double)q)
        q++;
    return q < 0 ? 0 : q > n ? n : q;
}

/* A run of ev_split_run. */
typedef struct run {
    const ev_split_opts *o;
    ev_jsonl_reader r;
    ev_split_result *res;
    unsigned long problems;
    ev_near *ix;      /* the inputs of the cases kept so far (near.h) */
    ev_near_match *m; /* the near duplicates of the case at hand among them */
    size_t nm, capm;
} run;

static void
stop(run *rn, jv msg)
{
    ev_log_warn_jv(rn->o->log, msg);
    rn->problems++;
}

/* next_case reads the next case to split. With an index, it finds the
 * case's near duplicates among the cases before it and indexes it, or,
 * under --dedupe, drops it when it has any. */
static bool
next_case(run *rn, jv *rec, jv *id)
{
    while (ev_jsonl_next_case(&rn->r, rec, id, NULL, rn->o->log, &rn->problems)) {
        if (rn->ix != NULL) {
            jv text = ev_record_prompt_text(*rec);
            rn->nm = ev_near_find(rn->ix, jv_string_value(text), &rn->m, &rn->capm);
            bool drop = rn->o->dedupe && rn->nm > 0;
            bool full = !drop && ev_near_add(rn->ix, jv_string_value(text)) == UINT32_MAX;
            jv_free(text);
            if (full) {
                stop(rn, jv_string("too many cases: ev-split holds at most 4294967294"));
                jv_free(*rec);
                jv_free(*id);
                return false;
            }
            if (drop) {
                rn->res->dropped++;
                jv_free(*rec);
                jv_free(*id);
                continue;
            }
        }
        rn->res->cases++;
        return true;
    }
    return false;
}

static uint64_t
key_of(const run *rn, jv id /* borrowed */)
{
    return ev_split_key(jv_string_value(id), (size_t)jv_string_length_bytes(jv_copy(id)),
                        rn->o->seed);
}

/* emit writes the case 'rec' with id 'id' to 'f': its line 'raw' unchanged
 * when it has its own id, else with the derived id added, as DESIGN.md
 * asks, so the case has the same id everywhere downstream. */
static void
emit(FILE *f, jv rec, jv id, const char *raw, size_t len)
{
    jv old = ev_json_field(rec, "id");
    jv_kind k = jv_get_kind(old);
    jv_free(old);
    if (k == JV_KIND_STRING || k == JV_KIND_NUMBER) {
        jv_free(rec);
        jv_free(id);
        fwrite(raw, 1, len, f);
        putc('\n', f);
    } else if (k == JV_KIND_INVALID) {
        jv_free(rec);
        ev_jsonl_write_extended(f, raw, len, jv_object_set(jv_object(), jv_string("id"), id));
    } else {
        ev_jsonl_write(f, jv_object_set(rec, jv_string("id"), id));
    }
}

static void
emit_read(run *rn, FILE *f, jv rec, jv id)
{
    size_t len;
    const char *raw = ev_jsonl_raw(&rn->r, &len);
    emit(f, rec, id, raw, len);
}

static bool
write_failed(const run *rn)
{
    return ferror(rn->o->out) || (rn->o->rest != NULL && ferror(rn->o->rest));
}

/* run_stream writes every case as it comes: --dedupe alone. */
static void
run_stream(run *rn)
{
    jv rec, id;

    while (next_case(rn, &rec, &id)) {
        rn->res->out++;
        emit_read(rn, rn->o->out, rec, id);
        if (write_failed(rn))
            break;
    }
}

/* A case's output line, without its newline, kept by --take. */
struct line {
    size_t len;
    char text[];
};

/* line_of returns the line that emit would write for the case. */
static struct line *
line_of(run *rn, jv rec, jv id)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    if (m == NULL)
        ev_diag_out_of_memory();
    emit_read(rn, m, rec, id);
    if (fclose(m) != 0)
        ev_diag_out_of_memory();
    size_t len = n > 0 ? n - 1 : 0;
    struct line *l = ev_alloc(sizeof(*l) + len);
    l->len = len;
    memcpy(l->text, buf, len);
    free(buf);
    return l;
}

/* run_take writes the first N cases in key order, in input order. It keeps
 * only those N. */
static void
run_take(run *rn)
{
    ev_take t;
    uint64_t seq = 0;
    jv rec, id;

    ev_take_init(&t, (size_t)rn->o->take);
    while (next_case(rn, &rec, &id)) {
        uint64_t key = key_of(rn, id);
        if (!ev_take_wants(&t, key, seq)) {
            jv_free(rec);
            jv_free(id);
        } else {
            free(ev_take_offer(&t, key, seq, line_of(rn, rec, id)));
        }
        seq++;
    }
    /* Interrupted, the cases kept are not the first of the whole input:
     * none is written. */
    bool whole = !ev_interrupt_pending();
    size_t n;
    ev_take_slot *kept = ev_take_sorted(&t, &n);
    for (size_t i = 0; i < n; i++) {
        struct line *l = kept[i].data;
        if (whole) {
            fwrite(l->text, 1, l->len, rn->o->out);
            putc('\n', rn->o->out);
        }
        free(l);
    }
    rn->res->out = whole ? n : 0;
    ev_take_free(&t);
}

/* write_back writes the lines waiting in 'tmp' to the side 'out' marks. */
static void
write_back(run *rn, FILE *tmp, const bool *out, size_t n)
{
    const ev_split_opts *o = rn->o;
    char *buf = NULL;
    size_t cap = 0;
    if (fflush(tmp) != 0 || ferror(tmp) || fseek(tmp, 0, SEEK_SET) != 0) {
        stop(rn, jv_string_fmt("cannot write a temporary file: %s", strerror(errno)));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        ssize_t len = getline(&buf, &cap, tmp);
        if (len <= 0) {
            stop(rn, jv_string("cannot read back a temporary file"));
            break;
        }
        FILE *to = out[i] ? o->out : o->rest;
        rn->res->out += out[i];
        if (to != NULL)
            fwrite(buf, 1, (size_t)len, to);
        if (write_failed(rn))
            break;
    }
    free(buf);
}

/* The groups of near duplicates: a union-find forest over the cases, by
 * number, whose roots are the groups' first cases. */
typedef struct groups {
    uint32_t *parent;
    uint64_t *key; /* each case's key */
    size_t n, cap;
} groups;

static uint32_t
lead(groups *g, uint32_t i)
{
    uint32_t root = i;
    while (g->parent[root] != root)
        root = g->parent[root];
    while (g->parent[i] != root) {
        uint32_t next = g->parent[i];
        g->parent[i] = root;
        i = next;
    }
    return root;
}

/* join puts the new case, with 'key', in one group with its near duplicates
 * 'm' (the earlier cases it is near): the group of the first of them. */
static void
join(groups *g, uint64_t key, const ev_near_match *m, size_t nm)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 1024;
        g->parent = ev_alloc_array(g->parent, g->cap, sizeof(*g->parent));
        g->key = ev_alloc_array(g->key, g->cap, sizeof(*g->key));
    }
    uint32_t me = (uint32_t)g->n++;
    g->parent[me] = me;
    g->key[me] = key;
    for (size_t i = 0; i < nm; i++) {
        uint32_t a = lead(g, me), b = lead(g, m[i].item);
        g->parent[a > b ? a : b] = a < b ? a : b;
    }
}

/* decide marks in 'out' the cases that go to standard output: each group
 * goes where its first case's key sends it. */
static void
decide(run *rn, groups *g, ev_strata *st, bool *out)
{
    const ev_split_opts *o = rn->o;
    uint32_t *leads = ev_alloc_array(NULL, g->n ? g->n : 1, sizeof(*leads));
    bool *led = ev_alloc_zero(g->n ? g->n : 1, sizeof(*led));
    for (size_t i = 0; i < g->n; i++) {
        leads[i] = lead(g, (uint32_t)i);
        if (leads[i] != i) {
            rn->res->grouped += led[leads[i]] ? 1 : 2;
            rn->res->groups += !led[leads[i]];
            led[leads[i]] = true;
        }
    }
    free(led);
    if (st != NULL) {
        ev_strata_decide(st, o->ratio, o->seed, leads, out);
    } else {
        for (size_t i = 0; i < g->n; i++) {
            uint64_t key = g->key[leads[i]];
            out[i] = o->mode == EV_SPLIT_RATIO ? ev_split_in(key, o->ratio)
                                               : ev_split_shard(key, o->nshards) == o->shard;
        }
    }
    free(leads);
}

/* run_grouped splits --ratio and --shard, keeping near duplicates together.
 * The first pass reads the pool, joins each case to the groups of its near
 * duplicates, and leaves its line in a temporary file; the second decides
 * each group by its first case and writes the lines to their sides, in
 * input order. Memory holds the index of the inputs, about 1 KB a case of
 * 20 words, and 12 bytes a case (50 with --stratify). */
static void
run_grouped(run *rn)
{
    jv err, rec, id;
    FILE *tmp = ev_spill_open(&err);
    if (tmp == NULL) {
        stop(rn, err);
        return;
    }
    groups g = {0};
    ev_strata *st = rn->o->stratify ? ev_strata_new() : NULL;
    rn->res->strata = st;
    while (next_case(rn, &rec, &id)) {
        uint64_t key = key_of(rn, id);
        join(&g, key, rn->m, rn->o->dedupe ? 0 : rn->nm);
        if (st != NULL)
            ev_strata_add(st, rec, key);
        emit_read(rn, tmp, rec, id);
    }
    if (!ev_interrupt_pending()) { /* groups of part of the input: none is written */
        bool *out = ev_alloc_zero(g.n ? g.n : 1, sizeof(*out));
        decide(rn, &g, st, out);
        write_back(rn, tmp, out, g.n);
        free(out);
    }
    fclose(tmp);
    free(g.parent);
    free(g.key);
}

unsigned long
ev_split_run(const ev_split_opts *o, char **paths, int npaths, ev_split_result *res)
{
    run rn = {.o = o, .res = res};
    *res = (ev_split_result){0};
    if (o->dedupe || o->mode == EV_SPLIT_RATIO || o->mode == EV_SPLIT_SHARD)
        rn.ix = ev_near_new(o->threshold);
    ev_jsonl_init(&rn.r, paths, npaths, o->out);
    if (o->mode == EV_SPLIT_TAKE)
        run_take(&rn);
    else if (o->mode == EV_SPLIT_DEDUPE)
        run_stream(&rn);
    else
        run_grouped(&rn);
    ev_jsonl_free(&rn.r);
    ev_near_free(rn.ix);
    free(rn.m);
    return rn.problems;
}
