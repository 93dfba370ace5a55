#include "gaps.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "record.h"
#include "runs.h"
#include "text.h"

bool
ev_failed(jv rec)
{
    jv err = ev_get(rec, "error");
    bool failed = jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL;
    jv_free(err);
    if (failed)
        return true;
    jv pass = ev_field_path(rec, "score.pass");
    bool passed = jv_get_kind(pass) == JV_KIND_TRUE;
    jv_free(pass);
    return !passed;
}

static bool
field_is(jv rec, const char *path, const char *const *values)
{
    jv v = ev_field_path(rec, path);
    bool yes = false;
    if (jv_get_kind(v) == JV_KIND_STRING)
        for (size_t i = 0; values[i] != NULL && !yes; i++)
            yes = strcmp(jv_string_value(v), values[i]) == 0;
    jv_free(v);
    return yes;
}

/* Phrases that open or carry a refusal, compared case-folded. They are
 * deliberately specific: a false "refusal" hides a wrong answer. */
static const char *const refusals[] = {
    "i can't help with",     "i cannot help with",     "i can't assist",
    "i cannot assist",       "i can't provide",        "i cannot provide",
    "i'm not able to help",  "i am not able to help",  "i won't be able to",
    "i'm sorry, but i can",  "i am sorry, but i can",  "as an ai language model",
    "i must decline",        "i'm unable to help",     "i am unable to help",
    "i'm unable to provide", "i am unable to provide", NULL,
};

const char *
ev_gap_kind(jv rec, const char **pattern)
{
    static const char *const truncated[] = {"length", "max_tokens", NULL};
    static const char *const filtered[] = {"content_filter", "refusal", NULL};
    *pattern = NULL;

    jv err = ev_get(rec, "error");
    bool failed = jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL;
    jv_free(err);
    if (failed)
        return "error";
    if (field_is(rec, "call.finish_reason", truncated))
        return "truncated";
    if (field_is(rec, "call.finish_reason", filtered))
        return "refusal";
    jv out = ev_get(rec, "output");
    if (jv_get_kind(out) == JV_KIND_STRING) {
        jv folded = ev_text_normalize(jv_string_value(out), EV_TEXT_NORM_CASE | EV_TEXT_NORM_SPACE);
        const char *s = jv_string_value(folded);
        /* Only the opening of the answer: a refusal quoted deep inside a
         * long answer is not the model refusing. */
        size_t window = strlen(s) < 200 ? strlen(s) : 200;
        for (size_t i = 0; refusals[i] != NULL && *pattern == NULL; i++) {
            const char *hit = strstr(s, refusals[i]);
            if (hit != NULL && (size_t)(hit - s) < window)
                *pattern = refusals[i];
        }
        jv_free(folded);
    }
    jv_free(out);
    if (*pattern != NULL)
        return "refusal";
    jv parsed = ev_field_path(rec, "score.parsed");
    bool unparsed = jv_get_kind(parsed) == JV_KIND_FALSE;
    jv_free(parsed);
    if (unparsed)
        return "format";
    return "wrong";
}

void
ev_allocate(const double *weight, size_t n, long budget, long *out)
{
    size_t active = 0;
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = 0;
        if (weight[i] > 0) {
            active++;
            total += weight[i];
        }
    }
    if (budget <= 0 || active == 0)
        return;
    if ((size_t)budget <= active) {
        /* Not enough for one each: the heaviest groups first. */
        for (long k = 0; k < budget; k++) {
            size_t best = n;
            for (size_t i = 0; i < n; i++)
                if (weight[i] > 0 && out[i] == 0 && (best == n || weight[i] > weight[best]))
                    best = i;
            out[best] = 1;
        }
        return;
    }
    long rest = budget - (long)active;
    long given = 0;
    double *frac = ev_alloc(n * sizeof(*frac));
    for (size_t i = 0; i < n; i++) {
        if (weight[i] <= 0)
            continue;
        double share = (double)rest * weight[i] / total;
        long whole = (long)floor(share);
        out[i] = 1 + whole;
        given += whole;
        if (frac != NULL)
            frac[i] = share - (double)whole;
    }
    for (long k = given; k < rest; k++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (weight[i] > 0 && (best == n || (frac ? frac[i] > frac[best] : i < best)))
                best = i;
        out[best]++;
        if (frac != NULL)
            frac[best] = -1;
    }
    free(frac);
}

void
ev_tag_tally_init(ev_tag_tally *t)
{
    t->tags = ev_intern_new();
    t->count = NULL;
    t->cap = 0;
}

void
ev_tag_tally_free(ev_tag_tally *t)
{
    ev_intern_free(t->tags);
    free(t->count);
    memset(t, 0, sizeof(*t));
}

uint32_t
ev_tag_tally_add(ev_tag_tally *t, jv tag, bool failed, bool regression)
{
    bool added;
    uint32_t k = ev_intern_add(t->tags, jv_string_value(tag),
                               (size_t)jv_string_length_bytes(jv_copy(tag)), &added);
    if (added) {
        if (k >= t->cap) {
            t->cap = t->cap ? 2 * t->cap : 16;
            t->count = ev_alloc_array(t->count, t->cap, sizeof(*t->count));
        }
        t->count[k] = (ev_tag_count){0, 0, 0};
    }
    t->count[k].cases++;
    t->count[k].failures += failed;
    t->count[k].regressions += regression;
    return k;
}

jv
ev_tag_tally_name(const ev_tag_tally *t, uint32_t k)
{
    size_t len;
    const char *s = ev_intern_get(t->tags, k, &len);
    return jv_string_sized(s, (int)len);
}

/* A tag with its sort keys, for ev_tag_tally_worst_first. */
typedef struct ranked {
    double rate, failures;
    const char *name;
    size_t len;
    uint32_t tag;
} ranked;

static int
worse(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    if (a->rate != b->rate)
        return a->rate > b->rate ? -1 : 1;
    if (a->failures != b->failures)
        return a->failures > b->failures ? -1 : 1;
    int r = memcmp(a->name, b->name, a->len < b->len ? a->len : b->len);
    return r != 0 ? r : (a->len > b->len) - (a->len < b->len);
}

uint32_t *
ev_tag_tally_worst_first(const ev_tag_tally *t, size_t *n)
{
    *n = ev_intern_count(t->tags);
    ranked *r = ev_alloc_array(NULL, *n ? *n : 1, sizeof(*r));
    for (size_t i = 0; i < *n; i++) {
        const ev_tag_count *c = &t->count[i];
        r[i].rate = c->failures / c->cases;
        r[i].failures = c->failures;
        r[i].name = ev_intern_get(t->tags, (uint32_t)i, &r[i].len);
        r[i].tag = (uint32_t)i;
    }
    qsort(r, *n, sizeof(*r), worse);
    uint32_t *order = ev_alloc_array(NULL, *n ? *n : 1, sizeof(*order));
    for (size_t i = 0; i < *n; i++)
        order[i] = r[i].tag;
    free(r);
    return order;
}
