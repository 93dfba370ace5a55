#include "strata.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"
#include "record.h"
#include "split.h"

/* A tag set is the cases that carry the same tags. */
typedef struct tagset {
    jv tags;  /* sorted and distinct */
    long n;   /* its cases */
    long out; /* how many of them go to the share */
    uint32_t stratum;
} tagset;

/* A stratum is the cases whose rarest tag is the same. */
typedef struct stratum {
    long n, quota;
    uint64_t key; /* hash of its tag under the seed, for the rounding */
} stratum;

/* A case as the strata remember it until the end: 24 bytes. */
typedef struct scase {
    uint64_t key;
    uint32_t set, stratum, seq;
    uint32_t size; /* the cases of the group it comes first in; 0 when it follows one */
} scase;

struct ev_strata {
    jv index; /* object: a tag set as JSON -> its number */
    tagset *set;
    size_t nset, capset;
    stratum *s;
    size_t n;
    scase *c;
    size_t nc, capc;
};

ev_strata *
ev_strata_new(void)
{
    ev_strata *st = ev_alloc_zero(1, sizeof(*st));
    st->index = jv_object();
    return st;
}

void
ev_strata_free(ev_strata *st)
{
    if (st == NULL)
        return;
    for (size_t i = 0; i < st->nset; i++)
        jv_free(st->set[i].tags);
    jv_free(st->index);
    free(st->set);
    free(st->s);
    free(st->c);
    free(st);
}

/* distinct_sorted returns the strings of 'tags' sorted, each once. */
static jv
distinct_sorted(jv tags)
{
    jv sorted = jv_sort(jv_copy(tags), tags);
    jv out = jv_array();
    jv prev = jv_invalid();
    jv_array_foreach(sorted, i, t)
    {
        if (jv_is_valid(prev) && jv_equal(jv_copy(prev), jv_copy(t))) {
            jv_free(t);
        } else {
            jv_free(prev);
            prev = jv_copy(t);
            out = jv_array_append(out, t);
        }
        (void)i;
    }
    jv_free(prev);
    jv_free(sorted);
    return out;
}

/* set_of returns the number of the tag set of 'rec', adding the set when it
 * is new. */
static uint32_t
set_of(ev_strata *st, jv rec /* borrowed */)
{
    jv tags = distinct_sorted(ev_record_tags(rec));
    jv name = jv_dump_string(jv_copy(tags), 0);
    jv num = jv_object_get(jv_copy(st->index), jv_copy(name));
    if (jv_is_valid(num)) {
        uint32_t k = (uint32_t)jv_number_value(num);
        jv_free(num);
        jv_free(name);
        jv_free(tags);
        return k;
    }
    if (st->nset == st->capset) {
        st->capset = st->capset ? 2 * st->capset : 256;
        st->set = ev_alloc_array(st->set, st->capset, sizeof(*st->set));
    }
    st->set[st->nset] = (tagset){tags, 0, 0, 0};
    st->index = jv_object_set(st->index, name, jv_number((double)st->nset));
    return (uint32_t)st->nset++;
}

bool
ev_strata_add(ev_strata *st, jv rec, uint64_t key)
{
    if (st->nc == UINT32_MAX)
        return false;
    if (st->nc == st->capc) {
        st->capc = st->capc ? 2 * st->capc : 256;
        st->c = ev_alloc_array(st->c, st->capc, sizeof(*st->c));
    }
    uint32_t set = set_of(st, rec);
    st->set[set].n++;
    st->c[st->nc] = (scase){key, set, 0, (uint32_t)st->nc, 1};
    st->nc++;
    return true;
}

/* tag_counts returns an object: each tag -> its cases in the pool. */
static jv
tag_counts(const ev_strata *st)
{
    jv count = jv_object();
    for (size_t i = 0; i < st->nset; i++) {
        jv_array_foreach(st->set[i].tags, j, t)
        {
            jv c = jv_object_get(jv_copy(count), jv_copy(t));
            double n = jv_is_valid(c) ? jv_number_value(c) : 0;
            jv_free(c);
            count = jv_object_set(count, t, jv_number(n + (double)st->set[i].n));
            (void)j;
        }
    }
    return count;
}

/* rarest returns the tag of the tag set 'tags' (borrowed) with the fewest
 * cases in 'count' (borrowed), of those the one that sorts first; "" for
 * no tags. */
static jv
rarest(jv tags, jv count)
{
    jv best = jv_string("");
    double least = INFINITY;
    jv_array_foreach(tags, j, t)
    {
        jv c = jv_object_get(jv_copy(count), jv_copy(t));
        if (jv_number_value(c) < least) {
            least = jv_number_value(c);
            jv_free(best);
            best = jv_copy(t);
        }
        jv_free(c);
        jv_free(t);
        (void)j;
    }
    return best;
}

/* make_strata puts each tag set in the stratum of its rarest tag, and
 * counts in each stratum the cases of the groups whose first case
 * ('leads') is in it. */
static void
make_strata(ev_strata *st, uint64_t seed, const uint32_t *leads)
{
    jv count = tag_counts(st);
    jv number = jv_object(); /* stratum's tag -> its number */
    free(st->s);
    st->s = ev_alloc_zero(st->nset ? st->nset : 1, sizeof(*st->s));
    st->n = 0;
    for (size_t i = 0; i < st->nset; i++) {
        jv tag = rarest(st->set[i].tags, count);
        jv num = jv_object_get(jv_copy(number), jv_copy(tag));
        if (!jv_is_valid(num)) {
            const char *name = jv_string_value(tag);
            st->s[st->n] = (stratum){0, 0, ev_hash_64(name, strlen(name), seed)};
            jv_free(num);
            num = jv_number((double)st->n++);
            number = jv_object_set(number, jv_copy(tag), jv_copy(num));
        }
        st->set[i].stratum = (uint32_t)jv_number_value(num);
        jv_free(num);
        jv_free(tag);
    }
    for (size_t i = 0; i < st->nc; i++) {
        scase *c = &st->c[i];
        c->stratum = st->set[c->set].stratum;
        c->size = 0;
    }
    for (size_t i = 0; i < st->nc; i++) {
        uint32_t lead = leads != NULL ? leads[i] : (uint32_t)i;
        st->c[lead].size++;
        st->s[st->c[lead].stratum].n++;
    }
    jv_free(number);
    jv_free(count);
}

static int
cmp_seq(const void *a, const void *b)
{
    const scase *x = a, *y = b;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The order of the decision: by stratum, then key, then input order, with
 * the cases that follow a group's first case after all. */
static int
cmp_scase(const void *a, const void *b)
{
    const scase *x = a, *y = b;
    if ((x->size == 0) != (y->size == 0))
        return x->size == 0 ? 1 : -1;
    if (x->stratum != y->stratum)
        return x->stratum < y->stratum ? -1 : 1;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

void
ev_strata_decide(ev_strata *st, double ratio, uint64_t seed, const uint32_t *leads, bool *out)
{
    make_strata(st, seed, leads);
    for (size_t i = 0; i < st->n; i++)
        st->s[i].quota = ev_split_quota(ratio, st->s[i].n, st->s[i].key);
    if (st->nc > 1)
        qsort(st->c, st->nc, sizeof(*st->c), cmp_scase);
    long taken = 0;
    for (size_t i = 0; i < st->nc && st->c[i].size > 0; i++) {
        const scase *c = &st->c[i];
        if (i == 0 || c->stratum != st->c[i - 1].stratum)
            taken = 0;
        out[c->seq] = taken + (long)c->size <= st->s[c->stratum].quota;
        taken += out[c->seq] ? (long)c->size : 0;
    }
    /* Back to input order, each case on its group's side. */
    if (st->nc > 1)
        qsort(st->c, st->nc, sizeof(*st->c), cmp_seq);
    for (size_t i = 0; i < st->nset; i++)
        st->set[i].out = 0;
    for (size_t i = 0; i < st->nc; i++) {
        out[i] = out[leads != NULL ? leads[i] : i];
        st->set[st->c[i].set].out += out[i];
    }
}

/* rows returns an object: each tag -> [its cases out, its cases left]. */
static jv
rows(const ev_strata *st)
{
    jv rows = jv_object();
    for (size_t i = 0; i < st->nset; i++) {
        const tagset *s = &st->set[i];
        jv tags = jv_copy(s->tags);
        if (jv_array_length(jv_copy(tags)) == 0)
            tags = jv_array_append(tags, jv_string("(untagged)"));
        jv_array_foreach(tags, j, t)
        {
            jv row = jv_object_get(jv_copy(rows), jv_copy(t));
            double o = 0, r = 0;
            if (jv_is_valid(row)) {
                jv a = jv_array_get(jv_copy(row), 0), b = jv_array_get(jv_copy(row), 1);
                o = jv_number_value(a);
                r = jv_number_value(b);
                jv_free(a);
                jv_free(b);
            }
            jv_free(row);
            row = JV_ARRAY_2(jv_number(o + (double)s->out), jv_number(r + (double)(s->n - s->out)));
            rows = jv_object_set(rows, t, row);
            (void)j;
        }
        jv_free(tags);
    }
    return rows;
}

void
ev_strata_report(const ev_strata *st, FILE *f)
{
    jv all = rows(st);
    int width = 3;
    jv names = jv_keys(jv_copy(all));
    jv_array_foreach(names, i, t)
    {
        int w = jv_string_length_bytes(t);
        width = w > width ? w : width;
        (void)i;
    }
    fprintf(f, "  %-*s %7s %7s\n", width, "tag", "out", "rest");
    jv_array_foreach(names, i, t)
    {
        jv row = jv_object_get(jv_copy(all), jv_copy(t));
        jv a = jv_array_get(jv_copy(row), 0), b = jv_array_get(row, 1);
        fprintf(f, "  %-*s %7.0f %7.0f\n", width, jv_string_value(t), jv_number_value(a),
                jv_number_value(b));
        jv_free(a);
        jv_free(b);
        jv_free(t);
        (void)i;
    }
    jv_free(names);
    jv_free(all);
}
