#include "metric.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "text.h"

/* Tokens in SQuAD's sense, sorted so two lists can be merged to count the
 * overlap. 'tok' points into 'buf'. */
typedef struct tokens {
    char *buf;
    char **tok;
    size_t n;
} tokens;

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_article(const char *w)
{
    return strcmp(w, "a") == 0 || strcmp(w, "an") == 0 || strcmp(w, "the") == 0;
}

static void
tokenize(const char *s, tokens *t)
{
    jv norm = ev_text_normalize(s, EV_TEXT_NORM_CASE | EV_TEXT_NORM_PUNCT | EV_TEXT_NORM_SPACE);
    size_t len = strlen(jv_string_value(norm));
    t->buf = ev_alloc(len + 1);
    memcpy(t->buf, jv_string_value(norm), len + 1);
    jv_free(norm);
    t->tok = ev_alloc((len / 2 + 1) * sizeof(char *));
    t->n = 0;
    char *p = t->buf;
    while (*p) {
        char *w = p;
        while (*p && *p != ' ')
            p++;
        if (*p)
            *p++ = '\0';
        if (!is_article(w))
            t->tok[t->n++] = w;
    }
    qsort(t->tok, t->n, sizeof(char *), cmp_str);
}

double
ev_metric_f1(const char *answer, const char *gold)
{
    tokens a, g;
    tokenize(answer, &a);
    tokenize(gold, &g);
    double f1;
    if (a.n == 0 || g.n == 0) {
        f1 = a.n == g.n;
    } else {
        size_t i = 0, j = 0, common = 0;
        while (i < a.n && j < g.n) {
            int c = strcmp(a.tok[i], g.tok[j]);
            common += c == 0;
            i += c <= 0;
            j += c >= 0;
        }
        double precision = (double)common / (double)a.n;
        double recall = (double)common / (double)g.n;
        f1 = common == 0 ? 0 : 2 * precision * recall / (precision + recall);
    }
    free(a.buf);
    free(a.tok);
    free(g.buf);
    free(g.tok);
    return f1;
}

/* code_points decodes 's' into a new array and sets '*n' to its length. */
static uint32_t *
code_points(const char *s, size_t *n)
{
    uint32_t *cp = ev_alloc((strlen(s) + 1) * sizeof(uint32_t));
    *n = 0;
    while (*s)
        cp[(*n)++] = ev_text_utf8_next(&s);
    return cp;
}

double
ev_metric_similarity(const char *a, const char *b)
{
    size_t m, n;
    uint32_t *x = code_points(a, &m);
    uint32_t *y = code_points(b, &n);
    size_t longest = m > n ? m : n;
    if (longest == 0) {
        free(x);
        free(y);
        return 1;
    }
    /* One row of the edit-distance table at a time. */
    size_t *row = ev_alloc((n + 1) * sizeof(size_t));
    for (size_t j = 0; j <= n; j++)
        row[j] = j;
    for (size_t i = 1; i <= m; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= n; j++) {
            size_t up = row[j];
            size_t best = diag + (x[i - 1] != y[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    double d = (double)row[n];
    free(row);
    free(x);
    free(y);
    return 1 - d / (double)longest;
}

const char *
ev_metric_nearest(const char *word, const char *const *names, int n)
{
    const char *best = NULL;
    double best_sim = 0;
    for (int i = 0; i < n; i++) {
        double sim = ev_metric_similarity(word, names[i]);
        if (word[0] != '\0' && strncmp(names[i], word, strlen(word)) == 0)
            sim += 0.5; /* a prefix that more than one name may share */
        if (sim > best_sim) {
            best_sim = sim;
            best = names[i];
        }
    }
    return best_sim >= 0.5 ? best : NULL;
}
