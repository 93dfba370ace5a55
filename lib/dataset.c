#include "dataset.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "stats.h"

void
ev_dataset_stats_init(ev_dataset_stats *s, double max_tokens)
{
    memset(s, 0, sizeof(*s));
    s->max_tokens = max_tokens;
}

void
ev_dataset_stats_add(ev_dataset_stats *s, const ev_example_measure *m)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->tokens = ev_alloc_resize(s->tokens, s->cap * sizeof(double));
        s->assistant = ev_alloc_resize(s->assistant, s->cap * sizeof(double));
        s->messages = ev_alloc_resize(s->messages, s->cap * sizeof(double));
    }
    s->tokens[s->n] = m->tokens;
    s->assistant[s->n] = m->assistant_tokens;
    s->messages[s->n] = m->messages;
    s->n++;
    s->missing_system += !m->has_system;
    s->missing_user += !m->has_user;
    s->over_limit += m->tokens > s->max_tokens;
    s->billing_tokens += m->tokens < s->max_tokens ? m->tokens : s->max_tokens;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* distribution sorts 'x' and returns {total, min, median, max}. */
static jv
distribution(double *x, size_t n)
{
    jv d = jv_object();
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += x[i];
    if (n > 0)
        qsort(x, n, sizeof(*x), cmp_double);
    d = jv_object_set(d, jv_string("total"), jv_number(total));
    d = jv_object_set(d, jv_string("min"), n ? jv_number(x[0]) : jv_null());
    d = jv_object_set(d, jv_string("median"),
                      n ? jv_number(ev_quantile_sorted(x, n, 0.5)) : jv_null());
    return jv_object_set(d, jv_string("max"), n ? jv_number(x[n - 1]) : jv_null());
}

jv
ev_dataset_stats_json(ev_dataset_stats *s)
{
    jv o = jv_object_set(jv_object(), jv_string("examples"), jv_number((double)s->n));
    o = jv_object_set(o, jv_string("tokens"), distribution(s->tokens, s->n));
    o = jv_object_set(o, jv_string("assistant_tokens"), distribution(s->assistant, s->n));
    jv msgs = distribution(s->messages, s->n);
    o = jv_object_set(o, jv_string("messages"), msgs);
    o = jv_object_set(o, jv_string("missing_system"), jv_number((double)s->missing_system));
    o = jv_object_set(o, jv_string("missing_user"), jv_number((double)s->missing_user));
    o = jv_object_set(o, jv_string("over_token_limit"), jv_number((double)s->over_limit));
    return jv_object_set(o, jv_string("billing_tokens"), jv_number(s->billing_tokens));
}

void
ev_dataset_stats_free(ev_dataset_stats *s)
{
    free(s->tokens);
    free(s->assistant);
    free(s->messages);
    memset(s, 0, sizeof(*s));
}
