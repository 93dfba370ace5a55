#include "pick.h"

#include <stdlib.h>

#include "alloc.h"
#include "interrupt.h"
#include "jsonl.h"
#include "minhash.h"
#include "near.h"
#include "record.h"

struct ev_pick {
    ev_near *eval; /* every run case's prompt, for leaks */
    ev_near_match *hits;
    size_t caphits;
    ev_minhash_sketch *failed; /* sketches of the failing prompts */
    jv failed_tags;            /* array: the tags of each failing prompt */
    size_t nfailed, capfailed;
};

/* A pool case that may be picked, and how near it comes to the failures of
 * the tag it is aimed at. */
typedef struct candidate {
    long index;      /* position in the pool */
    int tag;         /* position of the tag in the allocation */
    double nearness; /* best similarity to a failing prompt of that tag */
} candidate;

ev_pick *
ev_pick_new(double threshold)
{
    ev_pick *p = ev_alloc_zero(1, sizeof(*p));
    p->eval = ev_near_new(threshold);
    p->failed_tags = jv_array();
    return p;
}

void
ev_pick_free(ev_pick *p)
{
    if (p == NULL)
        return;
    ev_near_free(p->eval);
    free(p->hits);
    for (size_t i = 0; i < p->nfailed; i++)
        ev_minhash_sketch_free(&p->failed[i]);
    free(p->failed);
    jv_free(p->failed_tags);
    free(p);
}

void
ev_pick_aim(ev_pick *p, jv rec, bool failed, jv tags)
{
    jv prompt = ev_record_prompt_text(rec);
    ev_near_add(p->eval, jv_string_value(prompt));
    ev_minhash_sketch sk = {0};
    if (failed)
        ev_minhash_sketch_text(&sk, jv_string_value(prompt));
    jv_free(prompt);
    if (!failed) {
        jv_free(tags);
        return;
    }
    if (p->nfailed == p->capfailed) {
        p->capfailed = p->capfailed ? 2 * p->capfailed : 64;
        p->failed = ev_alloc_resize(p->failed, p->capfailed * sizeof(*p->failed));
    }
    p->failed[p->nfailed++] = sk; /* the sketch now belongs to the aim */
    p->failed_tags = jv_array_append(p->failed_tags, tags);
}

static int
by_nearness(const void *x, const void *y)
{
    const candidate *a = x, *b = y;
    if (a->nearness != b->nearness)
        return a->nearness < b->nearness ? 1 : -1;
    return (a->index > b->index) - (a->index < b->index);
}

static int
by_index(const void *x, const void *y)
{
    long a = *(const long *)x, b = *(const long *)y;
    return (a > b) - (a < b);
}

static bool
has_tag(jv tags /* borrowed */, jv tag /* borrowed */)
{
    bool member = false;
    jv_array_foreach(tags, i, t)
    {
        bool same = jv_equal(t, jv_copy(tag)); /* consumes 't': never cut short */
        member = member || same;
        (void)i;
    }
    return member;
}

/* nearness returns the highest similarity of the pool case sketched in 'sk'
 * to a failing prompt of 'tag'. */
static double
nearness(const ev_pick *p, const ev_minhash_sketch *sk, jv tag /* borrowed */)
{
    double best = 0;
    for (size_t f = 0; f < p->nfailed; f++) {
        jv ft = jv_array_get(jv_copy(p->failed_tags), (int)f);
        if (has_tag(ft, tag)) {
            double j = ev_minhash_jaccard(sk, &p->failed[f]);
            best = j > best ? j : best;
        }
        jv_free(ft);
    }
    return best;
}

/* The state of a walk over the pool. */
typedef struct walk {
    ev_pick *p;
    jv tags;    /* the tags aimed at, worst first */
    long *want; /* per tag: how many to pick */
    candidate *cand;
    size_t ncand, capcand;
    jv records; /* per pool case: its line if a candidate, else null */
    long pool, leaks;
} walk;

/* consider files the pool case 'rec' (borrowed), sketched in 'sk', as a
 * candidate of each aimed tag it carries. Returns whether it is one. */
static bool
consider(walk *w, jv rec, const ev_minhash_sketch *sk)
{
    jv ptags = ev_record_tags(rec);
    if (jv_array_length(jv_copy(ptags)) == 0)
        ptags = jv_array_append(ptags, jv_string("(untagged)"));
    bool kept = false;
    int ntags = jv_array_length(jv_copy(w->tags));
    for (int k = 0; k < ntags; k++) {
        if (w->want[k] == 0)
            continue;
        jv tag = jv_array_get(jv_copy(w->tags), k);
        if (has_tag(ptags, tag)) {
            if (w->ncand == w->capcand) {
                w->capcand = w->capcand ? 2 * w->capcand : 256;
                w->cand = ev_alloc_resize(w->cand, w->capcand * sizeof(*w->cand));
            }
            w->cand[w->ncand++] = (candidate){w->pool - 1, k, nearness(w->p, sk, tag)};
            kept = true;
        }
        jv_free(tag);
    }
    jv_free(ptags);
    return kept;
}

/* read_pool reads the pool's cases into the walk's candidates. */
static unsigned long
read_pool(walk *w, const char *path, const ev_log *log)
{
    char *paths[] = {(char *)path};
    ev_jsonl_reader r;
    unsigned long problems = 0;
    jv rec;

    ev_jsonl_init(&r, paths, 1, NULL);
    while (ev_jsonl_good(&r, &rec, log, &problems)) {
        w->pool++;
        ev_pick *p = w->p;
        jv prompt = ev_record_prompt_text(rec);
        const char *text = jv_string_value(prompt);
        bool kept = false;
        if (ev_near_find(p->eval, text, &p->hits, &p->caphits) > 0)
            w->leaks++;
        else
            kept = consider(w, rec, ev_near_sketch(p->eval, text));
        jv_free(prompt);
        size_t len;
        const char *raw = ev_jsonl_raw(&r, &len);
        w->records = jv_array_append(w->records, kept ? jv_string_sized(raw, (int)len) : jv_null());
        jv_free(rec);
    }
    ev_jsonl_free(&r);
    return problems;
}

/* choose picks from the candidates, nearest first within each tag, a case
 * once, and fills budget a tag cannot with the nearest left in any. It
 * returns the picks in pool order, their count in '*n', and counts each
 * tag's in 'got'. */
static long *
choose(walk *w, long budget, long *got, long *n)
{
    if (w->ncand > 0)
        qsort(w->cand, w->ncand, sizeof(*w->cand), by_nearness);
    long *picked = ev_alloc_zero((size_t)budget + 1, sizeof(*picked));
    jv taken = jv_object();
    *n = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < w->ncand && *n < budget; i++) {
            int k = w->cand[i].tag;
            if (pass == 0 && got[k] >= w->want[k])
                continue;
            jv ks = jv_dump_string(jv_number((double)w->cand[i].index), 0);
            if (jv_object_has(jv_copy(taken), jv_copy(ks))) {
                jv_free(ks);
                continue;
            }
            taken = jv_object_set(taken, ks, jv_true());
            picked[(*n)++] = w->cand[i].index;
            got[k]++;
        }
    }
    jv_free(taken);
    qsort(picked, (size_t)*n, sizeof(*picked), by_index);
    return picked;
}

jv
ev_pick_from(ev_pick *p, const ev_gaps_tally *t, const char *path, long budget, const ev_log *log,
             unsigned long *problems)
{
    size_t nt;
    uint32_t *order = ev_gaps_tally_worst_first(t, &nt);
    int ntags = (int)nt;
    walk w = {.p = p, .tags = jv_array(), .records = jv_array()};
    double *weight = ev_alloc_zero((size_t)ntags + 1, sizeof(*weight));
    w.want = ev_alloc_zero((size_t)ntags + 1, sizeof(*w.want));
    for (int i = 0; i < ntags; i++) {
        w.tags = jv_array_append(w.tags, ev_gaps_tally_name(t, order[i]));
        weight[i] = t->count[order[i]].failures;
    }
    free(order);
    ev_gaps_allocate(weight, (size_t)ntags, budget, w.want);
    free(weight);

    *problems = read_pool(&w, path, log);
    jv rep = jv_null();
    if (!ev_interrupt_pending()) { /* picks from part of the pool would mislead */
        long *got = ev_alloc_zero((size_t)ntags + 1, sizeof(*got)), n;
        long *picked = choose(&w, budget, got, &n);
        jv lines = jv_array(), rows = jv_array();
        for (long i = 0; i < n; i++)
            lines = jv_array_append(lines,
                                    JV_ARRAY_2(jv_number((double)picked[i]),
                                               jv_array_get(jv_copy(w.records), (int)picked[i])));
        for (int k = 0; k < ntags; k++) {
            if (w.want[k] == 0)
                continue;
            jv row = jv_object_set(jv_object(), jv_string("tag"), jv_array_get(jv_copy(w.tags), k));
            row = jv_object_set(row, jv_string("aimed"), jv_number((double)w.want[k]));
            row = jv_object_set(row, jv_string("picked"), jv_number((double)got[k]));
            rows = jv_array_append(rows, row);
        }
        rep = jv_object_set(jv_object(), jv_string("pool"), jv_number((double)w.pool));
        rep = jv_object_set(rep, jv_string("leaks"), jv_number((double)w.leaks));
        rep = jv_object_set(rep, jv_string("budget"), jv_number((double)budget));
        rep = jv_object_set(rep, jv_string("tags"), rows);
        rep = jv_object_set(rep, jv_string("picked"), lines);
        free(picked);
        free(got);
    }
    jv_free(w.records);
    jv_free(w.tags);
    free(w.cand);
    free(w.want);
    return rep;
}
