#include "learner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"

evm_learner
evm_learner_defaults(void)
{
    return (evm_learner){
        .floor = 0.25, .gain = 0.072, .ceiling = 0.9, .scale = 5, .noise = 0.02, .seed = 0};
}

double
evm_learner_curve(const evm_learner *p, double n)
{
    double v = p->floor + p->gain * log2(1 + (n > 0 ? n : 0) / p->scale);
    return v < p->ceiling ? v : p->ceiling;
}

double
evm_learner_noise(const evm_learner *p, const char *job, const char *tag)
{
    uint64_t h = ev_hash_64(job, strlen(job), ev_hash_mix64(p->seed ^ 0x6c6561726e6572ULL));
    h = ev_hash_64(tag, strlen(tag), h);
    return p->noise * (2 * ev_hash_unit(h) - 1);
}

double
evm_learner_accuracy(const evm_learner *p, const char *job, const char *tag, double n)
{
    if (job == NULL)
        return p->floor < 0 ? 0 : p->floor > 1 ? 1 : p->floor;
    double v =
        evm_learner_curve(p, n) + evm_learner_noise(p, job, tag != NULL ? tag : EVM_LEARNER_OTHER);
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

double
evm_learner_base_accuracy(const void *ctx, const char *tag)
{
    (void)tag;
    return evm_learner_accuracy(ctx, NULL, NULL, 0);
}

double
evm_learner_tuned_accuracy(const void *ctx, const char *tag)
{
    const evm_learner_tuned *t = ctx;
    return evm_learner_accuracy(t->params, t->job, tag, evm_learner_tally_get(t->tally, tag));
}

typedef struct tally_row {
    char *tag;
    double n;
} tally_row;

struct evm_learner_tally {
    tally_row *rows;
    size_t n, cap;
};

evm_learner_tally *
evm_learner_tally_new(void)
{
    return ev_alloc_zero(1, sizeof(evm_learner_tally));
}

static tally_row *
find(const evm_learner_tally *t, const char *tag)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->rows[i].tag, tag) == 0)
            return &t->rows[i];
    return NULL;
}

void
evm_learner_tally_add(evm_learner_tally *t, const char *tag, double n)
{
    tag = tag != NULL ? tag : EVM_LEARNER_OTHER;
    tally_row *r = find(t, tag);
    if (r != NULL) {
        r->n += n;
        return;
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->rows = ev_alloc_resize(t->rows, t->cap * sizeof(*t->rows));
    }
    t->rows[t->n++] = (tally_row){ev_alloc_strdup(tag), n};
}

double
evm_learner_tally_get(const evm_learner_tally *t, const char *tag)
{
    const tally_row *r = find(t, tag != NULL ? tag : EVM_LEARNER_OTHER);
    return r != NULL ? r->n : 0;
}

size_t
evm_learner_tally_size(const evm_learner_tally *t)
{
    return t->n;
}

const char *
evm_learner_tally_at(const evm_learner_tally *t, size_t i, double *n)
{
    *n = t->rows[i].n;
    return t->rows[i].tag;
}

void
evm_learner_tally_free(evm_learner_tally *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->rows[i].tag);
    free(t->rows);
    free(t);
}
