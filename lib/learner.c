#include "learner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"

ev_learner
ev_learner_defaults(void)
{
    return (ev_learner){
        .floor = 0.25, .gain = 0.072, .ceiling = 0.9, .scale = 5, .noise = 0.02, .seed = 0};
}

double
ev_learner_curve(const ev_learner *p, double n)
{
    double v = p->floor + p->gain * log2(1 + (n > 0 ? n : 0) / p->scale);
    return v < p->ceiling ? v : p->ceiling;
}

double
ev_learner_noise(const ev_learner *p, const char *job, const char *tag)
{
    uint64_t h = ev_hash64(job, strlen(job), ev_mix64(p->seed ^ 0x6c6561726e6572ULL));
    h = ev_hash64(tag, strlen(tag), h);
    return p->noise * (2 * ev_unit(h) - 1);
}

double
ev_learner_accuracy(const ev_learner *p, const char *job, const char *tag, double n)
{
    if (job == NULL)
        return p->floor < 0 ? 0 : p->floor > 1 ? 1 : p->floor;
    double v =
        ev_learner_curve(p, n) + ev_learner_noise(p, job, tag != NULL ? tag : EV_LEARNER_OTHER);
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

typedef struct tally_row {
    char *tag;
    double n;
} tally_row;

struct ev_tally {
    tally_row *rows;
    size_t n, cap;
};

ev_tally *
ev_tally_new(void)
{
    ev_tally *t = ev_alloc_resize(NULL, sizeof(*t));
    *t = (ev_tally){NULL, 0, 0};
    return t;
}

static tally_row *
find(const ev_tally *t, const char *tag)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->rows[i].tag, tag) == 0)
            return &t->rows[i];
    return NULL;
}

void
ev_tally_add(ev_tally *t, const char *tag, double n)
{
    tag = tag != NULL ? tag : EV_LEARNER_OTHER;
    tally_row *r = find(t, tag);
    if (r != NULL) {
        r->n += n;
        return;
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->rows = ev_alloc_resize(t->rows, t->cap * sizeof(*t->rows));
    }
    size_t len = strlen(tag) + 1;
    t->rows[t->n++] = (tally_row){memcpy(ev_alloc_resize(NULL, len), tag, len), n};
}

double
ev_tally_get(const ev_tally *t, const char *tag)
{
    const tally_row *r = find(t, tag != NULL ? tag : EV_LEARNER_OTHER);
    return r != NULL ? r->n : 0;
}

size_t
ev_tally_size(const ev_tally *t)
{
    return t->n;
}

const char *
ev_tally_at(const ev_tally *t, size_t i, double *n)
{
    *n = t->rows[i].n;
    return t->rows[i].tag;
}

void
ev_tally_free(ev_tally *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->rows[i].tag);
    free(t->rows);
    free(t);
}
