#include "price.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "record.h"

#ifndef EV_DATADIR
#define EV_DATADIR "/usr/local/share/ev"
#endif

/* The highest price accepted per million tokens, and the most tokens a count
 * may hold: beyond either the figure is surely a mistake. */
#define PRICE_MAX 1e6
#define TOKENS_MAX 1e15

/* A name a row answers to: its model or one of its aliases. */
typedef struct name {
    char *s;
    size_t row;
} name;

typedef struct file_meta {
    char *path, *as_of, *note;
    char *currency; /* NULL: USD */
    size_t rows;
} file_meta;

struct ev_price_table {
    ev_price *rows;
    size_t nrows, caprows;
    ev_price_band *bands;
    size_t nbands;
    ev_price_endpoint *endpoints;
    size_t nendpoints;
    name *names;
    size_t nnames, capnames;
    file_meta *files;
    size_t nfiles;
    char *currency; /* NULL until a file names one: "USD" */
};

ev_price_table *
ev_price_table_new(void)
{
    ev_price_table *t = ev_alloc_zero(1, sizeof(*t));
    return t;
}

static void
row_free(ev_price *p)
{
    free(p->model);
    free(p->provider);
    free(p->tiers);
    free(p->source);
    free(p->as_of);
    free(p->file);
    free(p->deprecated);
    free(p->shutdown);
    free(p->shutdown_by);
}

static void
band_free(ev_price_band *b)
{
    free(b->provider);
    free(b->source);
    free(b->as_of);
}

static void
endpoint_free(ev_price_endpoint *e)
{
    free(e->name);
    free(e->provider);
    free(e->hardware);
    free(e->source);
    free(e->as_of);
}

void
ev_price_table_free(ev_price_table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nrows; i++)
        row_free(&t->rows[i]);
    for (size_t i = 0; i < t->nnames; i++)
        free(t->names[i].s);
    for (size_t i = 0; i < t->nbands; i++)
        band_free(&t->bands[i]);
    for (size_t i = 0; i < t->nendpoints; i++)
        endpoint_free(&t->endpoints[i]);
    free(t->bands);
    free(t->endpoints);
    for (size_t i = 0; i < t->nfiles; i++) {
        free(t->files[i].path);
        free(t->files[i].as_of);
        free(t->files[i].note);
    }
    free(t->rows);
    free(t->names);
    free(t->files);
    free(t->currency);
    free(t);
}

const char *
ev_price_table_currency(const ev_price_table *t)
{
    return t->currency != NULL ? t->currency : "USD";
}

static jv
str_or_null(const char *s)
{
    return s != NULL ? jv_string(s) : jv_null();
}

jv
ev_price_table_meta(const ev_price_table *t)
{
    jv out = jv_array();
    for (size_t i = 0; i < t->nfiles; i++) {
        jv m = jv_object();
        m = jv_object_set(m, jv_string("file"), jv_string(t->files[i].path));
        m = jv_object_set(m, jv_string("as_of"), str_or_null(t->files[i].as_of));
        m = jv_object_set(m, jv_string("note"), str_or_null(t->files[i].note));
        m = jv_object_set(m, jv_string("rows"), jv_number((double)t->files[i].rows));
        out = jv_array_append(out, m);
    }
    return out;
}

static size_t
add_row(ev_price_table *t)
{
    if (t->nrows == t->caprows) {
        t->caprows = t->caprows ? 2 * t->caprows : 64;
        t->rows = ev_alloc_resize(t->rows, t->caprows * sizeof(*t->rows));
    }
    memset(&t->rows[t->nrows], 0, sizeof(t->rows[0]));
    return t->nrows++;
}

static void
add_name(ev_price_table *t, const char *s, size_t row)
{
    if (t->nnames == t->capnames) {
        t->capnames = t->capnames ? 2 * t->capnames : 64;
        t->names = ev_alloc_resize(t->names, t->capnames * sizeof(*t->names));
    }
    t->names[t->nnames].s = ev_alloc_strdup(s);
    t->names[t->nnames].row = row;
    t->nnames++;
}

ev_price_table *
ev_price_table_open(const char *const *paths, int n, jv *err)
{
    ev_price_table *t = ev_price_table_new();
    for (int i = 0; i < n; i++) {
        if (ev_price_table_load(t, paths[i], err) != 0) {
            ev_price_table_free(t);
            return NULL;
        }
    }
    return t;
}

void
ev_price_table_add_custom(ev_price_table *t, const char *model, double input, double output,
                          double cached)
{
    size_t r = add_row(t);
    ev_price *p = &t->rows[r];
    p->model = ev_alloc_strdup(model);
    p->input = input;
    p->output = output;
    p->cached = cached;
    p->cache_write = input;
    p->batch = NAN;
    p->training = NAN;
    p->file = ev_alloc_strdup("command line");
    add_name(t, model, r);
}

/* Loading ---------------------------------------------------------------- */

/* A loader holds one file's progress, so that a bad file can be undone. */
typedef struct loader {
    ev_price_table *t;
    const char *path;
    unsigned long line;
    size_t first_row, first_name, first_band, first_endpoint;
    char *as_of; /* the file's date, from its metadata line */
} loader;

static bool all_digits(const char *s, size_t n);

static jv
fail(const loader *l, jv msg)
{
    jv out = jv_string_fmt("%s:%lu: %s", l->path, l->line, jv_string_value(msg));
    jv_free(msg);
    return jv_invalid_with_msg(out);
}

static jv
field(jv o, const char *key)
{
    return jv_object_get(jv_copy(o), jv_string(key));
}

/* get_price reads optional number 'key' of 'o' into '*out'. Returns 0, or -1
 * with '*err' set when it is present but not a price. Absent leaves '*out'. */
static int
get_price(const loader *l, jv o, const char *key, double *out, jv *err)
{
    jv v = field(o, key);
    if (!jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL) {
        jv_free(v);
        return 0;
    }
    double x = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
    jv_free(v);
    if (!(x >= 0 && x <= PRICE_MAX)) {
        *err = fail(l, jv_string_fmt("'%s' is not a price per million tokens (a number from 0 "
                                     "to %.0f)",
                                     key, PRICE_MAX));
        return -1;
    }
    *out = x;
    return 0;
}

/* get_string reads optional string 'key' of 'o' as a new C string, or NULL
 * when absent. Returns 0, or -1 with '*err' set when it is not a string. */
static int
get_string(const loader *l, jv o, const char *key, char **out, jv *err)
{
    jv v = field(o, key);
    *out = NULL;
    if (!jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL) {
        jv_free(v);
        return 0;
    }
    if (jv_get_kind(v) != JV_KIND_STRING || jv_string_length_bytes(jv_copy(v)) == 0) {
        jv_free(v);
        *err = fail(l, jv_string_fmt("'%s' is not a non-empty string", key));
        return -1;
    }
    *out = ev_alloc_strdup(jv_string_value(v));
    jv_free(v);
    return 0;
}

static int
cmp_tier(const void *a, const void *b)
{
    double x = ((const ev_price_tier *)a)->above, y = ((const ev_price_tier *)b)->above;
    return (x > y) - (x < y);
}

static int
get_tiers(const loader *l, jv o, ev_price *p, jv *err)
{
    jv tiers = field(o, "tiers");
    if (!jv_is_valid(tiers) || jv_get_kind(tiers) == JV_KIND_NULL) {
        jv_free(tiers);
        return 0;
    }
    if (jv_get_kind(tiers) != JV_KIND_ARRAY) {
        jv_free(tiers);
        *err = fail(l, jv_string("'tiers' is not an array of {above, input, output}"));
        return -1;
    }
    int n = jv_array_length(jv_copy(tiers));
    p->tiers = ev_alloc_resize(NULL, (size_t)(n > 0 ? n : 1) * sizeof(*p->tiers));
    int rc = 0;
    jv_array_foreach(tiers, i, tv)
    {
        ev_price_tier *tr = &p->tiers[p->ntiers];
        tr->above = tr->input = tr->output = NAN;
        if (rc == 0 && jv_get_kind(tv) != JV_KIND_OBJECT) {
            *err = fail(l, jv_string_fmt("tier %d is not an object {above, input, output}", i + 1));
            rc = -1;
        }
        jv a = rc == 0 ? field(tv, "above") : jv_invalid();
        double above = jv_get_kind(a) == JV_KIND_NUMBER ? jv_number_value(a) : NAN;
        jv_free(a);
        if (rc == 0 && !(above >= 0 && above <= TOKENS_MAX)) {
            *err =
                fail(l, jv_string_fmt("tier %d has no 'above' (a number of prompt tokens)", i + 1));
            rc = -1;
        }
        tr->above = above;
        if (rc == 0 && (get_price(l, tv, "input", &tr->input, err) != 0 ||
                        get_price(l, tv, "output", &tr->output, err) != 0))
            rc = -1;
        if (rc == 0 && (isnan(tr->input) || isnan(tr->output))) {
            *err = fail(l, jv_string_fmt("tier %d needs both 'input' and 'output'", i + 1));
            rc = -1;
        }
        tr->cached = tr->cache_write = tr->input;
        if (rc == 0 && (get_price(l, tv, "cached_input", &tr->cached, err) != 0 ||
                        get_price(l, tv, "cache_write", &tr->cache_write, err) != 0))
            rc = -1;
        jv_free(tv);
        if (rc == 0)
            p->ntiers++;
    }
    jv_free(tiers);
    if (rc == 0) {
        qsort(p->tiers, p->ntiers, sizeof(*p->tiers), cmp_tier);
        for (size_t i = 1; i < p->ntiers; i++)
            if (p->tiers[i].above == p->tiers[i - 1].above) {
                *err = fail(l, jv_string_fmt("two tiers start above %.0f", p->tiers[i].above));
                return -1;
            }
    }
    return rc;
}

static bool
same_provider(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* name_in_file returns the line of this file that already uses 's' for a
 * row of 'provider', or 0. */
static unsigned long
name_in_file(const loader *l, const char *s, const char *provider)
{
    for (size_t i = l->first_name; i < l->t->nnames; i++) {
        const ev_price *p = &l->t->rows[l->t->names[i].row];
        if (strcmp(l->t->names[i].s, s) == 0 && same_provider(p->provider, provider))
            return p->line;
    }
    return 0;
}

/* claim_name gives row 'row' the name 'v' (borrowed), unless this file
 * gave it to a row already. */
static int
claim_name(loader *l, jv v, size_t row, jv *err)
{
    if (jv_get_kind(v) != JV_KIND_STRING || jv_string_length_bytes(jv_copy(v)) == 0) {
        *err = fail(l, jv_string("'model' and 'aliases' must be non-empty strings"));
        return -1;
    }
    const char *s = jv_string_value(v);
    unsigned long other = name_in_file(l, s, l->t->rows[row].provider);
    if (other != 0) {
        *err = fail(l, jv_string_fmt("'%s' is already priced on line %lu", s, other));
        return -1;
    }
    add_name(l->t, s, row);
    return 0;
}

/* Dates ------------------------------------------------------------------ */

/* days_from_civil returns the days from 1970-01-01 to y-m-d (H. Hinnant's
 * algorithm, proleptic Gregorian). */
static long
days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* parse_date reads YYYY-MM-DD as days since 1970-01-01; false when 's' is
 * not such a date of the calendar. */
static bool
parse_date(const char *s, long *days)
{
    if (strlen(s) != 10 || !all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2) ||
        s[7] != '-' || !all_digits(s + 8, 2))
        return false;
    long y = strtol(s, NULL, 10), m = strtol(s + 5, NULL, 10), d = strtol(s + 8, NULL, 10);
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap)
        return false;
    *days = days_from_civil(y, m, d);
    return true;
}

/* get_date reads optional date 'key' of 'o' as get_string does, and checks
 * that it is YYYY-MM-DD. */
static int
get_date(const loader *l, jv o, const char *key, char **out, jv *err)
{
    if (get_string(l, o, key, out, err) != 0)
        return -1;
    long days;
    if (*out != NULL && !parse_date(*out, &days)) {
        *err = fail(l, jv_string_fmt("'%s' is not a date YYYY-MM-DD: '%s'", key, *out));
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* get_row_date sets '*out' to the row's as_of, else its checked date, else
 * the file's as_of, else NULL. */
static int
get_row_date(const loader *l, jv o, char **out, jv *err)
{
    if (get_string(l, o, "as_of", out, err) != 0)
        return -1;
    if (*out == NULL && get_date(l, o, "checked", out, err) != 0)
        return -1;
    if (*out == NULL && l->as_of != NULL)
        *out = ev_alloc_strdup(l->as_of);
    return 0;
}

/* get_positive reads required number 'key' of 'o', above 0 and at most
 * 'max'. */
static int
get_positive(const loader *l, jv o, const char *key, double max, double *out, jv *err)
{
    jv v = field(o, key);
    double x = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
    jv_free(v);
    if (!(x > 0 && x <= max)) {
        *err = fail(l, jv_string_fmt("'%s' is not a number above 0 and at most %g", key, max));
        return -1;
    }
    *out = x;
    return 0;
}

/* get_choice reads required string 'key' of 'o', 'yes' or 'no', into
 * '*out' (true for 'yes'). */
static int
get_choice(const loader *l, jv o, const char *key, const char *yes, const char *no, bool *out,
           jv *err)
{
    char *s;
    if (get_string(l, o, key, &s, err) != 0)
        return -1;
    bool ok = s != NULL && (strcmp(s, yes) == 0 || strcmp(s, no) == 0);
    *out = ok && strcmp(s, yes) == 0;
    free(s);
    if (!ok) {
        *err = fail(l, jv_string_fmt("'%s' is '%s' or '%s'", key, yes, no));
        return -1;
    }
    return 0;
}

/* need_provider reads the required provider of a training or endpoint row. */
static int
need_provider(const loader *l, jv o, char **out, jv *err)
{
    if (get_string(l, o, "provider", out, err) != 0)
        return -1;
    if (*out == NULL) {
        *err = fail(l, jv_string("a training or endpoint row needs its 'provider'"));
        return -1;
    }
    return 0;
}

static int
parse_band(loader *l, jv o, jv *err)
{
    ev_price_table *t = l->t;
    t->bands = ev_alloc_resize(t->bands, (t->nbands + 1) * sizeof(*t->bands));
    ev_price_band *b = &t->bands[t->nbands++];
    memset(b, 0, sizeof(*b));
    b->above = 0;
    b->max = INFINITY;
    if (need_provider(l, o, &b->provider, err) != 0 ||
        get_price(l, o, "params_b_above", &b->above, err) != 0 ||
        get_price(l, o, "params_b_max", &b->max, err) != 0 ||
        get_positive(l, o, "training", PRICE_MAX, &b->training, err) != 0 ||
        get_choice(l, o, "method", "lora", "full", &b->lora, err) != 0 ||
        get_choice(l, o, "objective", "dpo", "sft", &b->dpo, err) != 0 ||
        get_string(l, o, "source", &b->source, err) != 0 || get_row_date(l, o, &b->as_of, err) != 0)
        return -1;
    if (!(b->max > b->above)) {
        *err = fail(l, jv_string("'params_b_max' is not above 'params_b_above'"));
        return -1;
    }
    return 0;
}

static int
parse_endpoint(loader *l, jv o, jv *err)
{
    ev_price_table *t = l->t;
    t->endpoints = ev_alloc_resize(t->endpoints, (t->nendpoints + 1) * sizeof(*t->endpoints));
    ev_price_endpoint *e = &t->endpoints[t->nendpoints++];
    memset(e, 0, sizeof(*e));
    e->gpus = 1;
    if (get_string(l, o, "name", &e->name, err) != 0 ||
        need_provider(l, o, &e->provider, err) != 0 ||
        get_string(l, o, "hardware", &e->hardware, err) != 0 ||
        get_positive(l, o, "per_hour", PRICE_MAX, &e->per_hour, err) != 0 ||
        get_string(l, o, "source", &e->source, err) != 0 || get_row_date(l, o, &e->as_of, err) != 0)
        return -1;
    if (e->name == NULL) {
        *err = fail(l, jv_string("an endpoint row needs its 'name'"));
        return -1;
    }
    for (size_t i = l->first_endpoint; i + 1 < t->nendpoints; i++)
        if (strcmp(t->endpoints[i].name, e->name) == 0) {
            *err = fail(l, jv_string_fmt("endpoint '%s' is priced twice", e->name));
            return -1;
        }
    return 0;
}

static int
parse_row(loader *l, jv o, jv *err)
{
    jv model = field(o, "model");
    size_t r = add_row(l->t);
    ev_price *p = &l->t->rows[r];
    p->input = p->output = p->cached = p->cache_write = p->batch = p->training = NAN;
    p->file = ev_alloc_strdup(l->path);
    p->line = l->line;
    if (get_string(l, o, "provider", &p->provider, err) != 0 || claim_name(l, model, r, err) != 0) {
        jv_free(model);
        return -1;
    }
    p->model = ev_alloc_strdup(jv_string_value(model));
    jv_free(model);

    if (get_price(l, o, "input", &p->input, err) != 0 ||
        get_price(l, o, "output", &p->output, err) != 0)
        return -1;
    if (isnan(p->input) || isnan(p->output)) {
        *err = fail(l, jv_string_fmt("'%s' needs both 'input' and 'output' prices", p->model));
        return -1;
    }
    p->cached = p->cache_write = p->input;
    if (get_price(l, o, "cached_input", &p->cached, err) != 0 ||
        get_price(l, o, "cache_write", &p->cache_write, err) != 0 ||
        get_price(l, o, "training", &p->training, err) != 0)
        return -1;

    jv b = field(o, "batch");
    if (jv_is_valid(b) && jv_get_kind(b) != JV_KIND_NULL) {
        double x = jv_get_kind(b) == JV_KIND_NUMBER ? jv_number_value(b) : NAN;
        if (!(x > 0 && x <= 1)) {
            jv_free(b);
            *err = fail(l, jv_string("'batch' is not a price factor above 0 and at most 1"));
            return -1;
        }
        p->batch = x;
    }
    jv_free(b);

    if (get_tiers(l, o, p, err) != 0 || get_string(l, o, "source", &p->source, err) != 0 ||
        get_row_date(l, o, &p->as_of, err) != 0 ||
        get_date(l, o, "deprecated", &p->deprecated, err) != 0 ||
        get_date(l, o, "shutdown", &p->shutdown, err) != 0 ||
        get_date(l, o, "shutdown_by", &p->shutdown_by, err) != 0)
        return -1;

    jv aliases = field(o, "aliases");
    int rc = 0;
    if (jv_get_kind(aliases) == JV_KIND_ARRAY) {
        jv_array_foreach(aliases, i, a)
        {
            if (rc == 0)
                rc = claim_name(l, a, r, err);
            jv_free(a);
            (void)i;
        }
    } else if (jv_is_valid(aliases) && jv_get_kind(aliases) != JV_KIND_NULL) {
        *err = fail(l, jv_string("'aliases' is not an array of model names"));
        rc = -1;
    }
    jv_free(aliases);
    return rc;
}

static bool
is_currency_code(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (!isupper((unsigned char)s[i]))
            return false;
    return s[3] == '\0';
}

/* parse_meta reads the metadata line. */
static int
parse_meta(loader *l, jv o, file_meta *fm, jv *err)
{
    if (get_string(l, o, "as_of", &fm->as_of, err) != 0 ||
        get_string(l, o, "note", &fm->note, err) != 0 ||
        get_string(l, o, "currency", &fm->currency, err) != 0)
        return -1;
    l->as_of = fm->as_of;
    if (fm->currency != NULL && !is_currency_code(fm->currency)) {
        *err = fail(l, jv_string_fmt("'currency' is not a three-letter code such as 'USD': '%s'",
                                     fm->currency));
        return -1;
    }
    return 0;
}

/* is_meta says whether the first line is metadata rather than a row that
 * lacks its model: it prices nothing. */
static bool
is_meta(jv o)
{
    static const char *const keys[] = {"model", "input", "output", "kind"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        jv v = field(o, keys[i]);
        bool has = jv_is_valid(v);
        jv_free(v);
        if (has)
            return false;
    }
    return true;
}

/* has_kind says whether row 'o' has kind 'kind', or no kind when NULL. */
static bool
has_kind(jv o, const char *kind)
{
    jv k = field(o, "kind");
    bool yes = kind == NULL
                   ? !jv_is_valid(k)
                   : jv_get_kind(k) == JV_KIND_STRING && strcmp(jv_string_value(k), kind) == 0;
    jv_free(k);
    return yes;
}

static void
undo(loader *l)
{
    ev_price_table *t = l->t;
    while (t->nbands > l->first_band)
        band_free(&t->bands[--t->nbands]);
    while (t->nendpoints > l->first_endpoint)
        endpoint_free(&t->endpoints[--t->nendpoints]);
    while (t->nrows > l->first_row)
        row_free(&t->rows[--t->nrows]);
    while (t->nnames > l->first_name)
        free(t->names[--t->nnames].s);
}

static int
parse_line(loader *l, char *s, size_t len, bool first, file_meta *fm, jv *err)
{
    jv o = jv_parse_sized(s, (int)len);
    if (!jv_is_valid(o)) {
        jv m = jv_invalid_get_msg(o);
        const char *txt = jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "invalid JSON";
        const char *cut = strstr(txt, " (while parsing");
        int n = cut != NULL ? (int)(cut - txt) : (int)strlen(txt);
        *err = fail(l, jv_string_fmt("cannot parse price row: %.*s", n, txt));
        jv_free(m);
        return -1;
    }
    int rc;
    if (jv_get_kind(o) != JV_KIND_OBJECT) {
        *err =
            fail(l, jv_string_fmt("price row is %s, not an object", jv_kind_name(jv_get_kind(o))));
        rc = -1;
    } else if (first && is_meta(o)) {
        rc = parse_meta(l, o, fm, err);
    } else if (has_kind(o, "training") || has_kind(o, "endpoint")) {
        rc = has_kind(o, "training") ? parse_band(l, o, err) : parse_endpoint(l, o, err);
        fm->rows += rc == 0;
    } else if (!has_kind(o, NULL) && !has_kind(o, "serving")) {
        *err = fail(l, jv_string("'kind' is serving, training or endpoint"));
        rc = -1;
    } else {
        jv model = field(o, "model");
        bool has = jv_is_valid(model);
        jv_free(model);
        if (!has) {
            *err = fail(l, jv_string(first ? "price row has no 'model'"
                                           : "price row has no 'model' (only the first line "
                                             "may hold the table's metadata)"));
            rc = -1;
        } else {
            rc = parse_row(l, o, err);
            fm->rows += rc == 0;
        }
    }
    jv_free(o);
    return rc;
}

int
ev_price_table_load(ev_price_table *t, const char *path, jv *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        *err = jv_invalid_with_msg(
            jv_string_fmt("cannot open price table '%s': %s", path, strerror(errno)));
        return -1;
    }
    loader l = {.t = t,
                .path = path,
                .first_row = t->nrows,
                .first_name = t->nnames,
                .first_band = t->nbands,
                .first_endpoint = t->nendpoints};
    file_meta fm = {0};
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    bool first = true;
    while (rc == 0 && (n = getline(&buf, &cap, f)) >= 0) {
        l.line++;
        char *s = buf;
        size_t len = (size_t)n;
        if (l.line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3;
            len -= 3;
        }
        while (len > 0 && isspace((unsigned char)s[len - 1]))
            s[--len] = '\0';
        size_t lead = strspn(s, " \t");
        if (lead == len)
            continue;
        if (strlen(s) != len || len > INT_MAX) {
            *err = fail(&l, jv_string("line is not text"));
            rc = -1;
            break;
        }
        rc = parse_line(&l, s, len, first, &fm, err);
        first = false;
    }
    if (rc == 0 && ferror(f)) {
        *err = jv_invalid_with_msg(
            jv_string_fmt("cannot read price table '%s': %s", path, strerror(errno ? errno : EIO)));
        rc = -1;
    }
    if (rc == 0 && fm.rows == 0) {
        *err = jv_invalid_with_msg(jv_string_fmt("price table '%s' prices no model", path));
        rc = -1;
    }
    /* Rows of different tables are summed together, so they share a currency. */
    const char *currency = fm.currency != NULL ? fm.currency : "USD";
    if (rc == 0 && t->nfiles > 0 && strcmp(currency, ev_price_table_currency(t)) != 0) {
        *err = jv_invalid_with_msg(jv_string_fmt("price table '%s' is in %s, but '%s' is in %s",
                                                 path, currency, t->files[0].path,
                                                 ev_price_table_currency(t)));
        rc = -1;
    }
    free(buf);
    fclose(f);
    if (rc != 0) {
        undo(&l);
        free(fm.as_of);
        free(fm.note);
        free(fm.currency);
        return -1;
    }
    if (t->currency == NULL) {
        t->currency = fm.currency;
        fm.currency = NULL;
    }
    free(fm.currency);
    fm.currency = NULL;
    fm.path = ev_alloc_strdup(path);
    t->files = ev_alloc_resize(t->files, (t->nfiles + 1) * sizeof(*t->files));
    t->files[t->nfiles++] = fm;
    return 0;
}

/* Lookup ----------------------------------------------------------------- */

static bool
all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* is_snapshot_tag says whether 's' names a snapshot: 2024-07-18, 20241022,
 * 0613 or latest. */
static bool
is_snapshot_tag(const char *s)
{
    size_t n = strlen(s);
    if (strcmp(s, "latest") == 0)
        return true;
    if ((n == 8 || n == 4) && all_digits(s, n))
        return true;
    return n == 10 && all_digits(s, 4) && s[4] == '-' && all_digits(s + 5, 2) && s[7] == '-' &&
           all_digits(s + 8, 2);
}

/* choose returns the row named exactly 'model' for 'want', preferring the
 * row loaded last, so later tables shadow earlier: the last row of 'want'
 * (or of no provider), else the last row of any provider. That last row is
 * ambiguous when its file prices the name for another provider too: then
 * NULL, with '*why' naming them. */
static const ev_price *
choose(const ev_price_table *t, const char *want, const char *model, jv *why)
{
    const ev_price *last = NULL;
    for (size_t i = t->nnames; i-- > 0;) {
        if (strcmp(t->names[i].s, model) != 0)
            continue;
        const ev_price *p = &t->rows[t->names[i].row];
        if (want != NULL && (p->provider == NULL || strcmp(p->provider, want) == 0))
            return p;
        if (last == NULL)
            last = p;
    }
    if (last == NULL || last->provider == NULL)
        return last;
    jv others = jv_string(last->provider);
    bool several = false;
    for (size_t i = t->nnames; i-- > 0;) {
        const ev_price *p = &t->rows[t->names[i].row];
        if (strcmp(t->names[i].s, model) == 0 && p != last && p->provider != NULL &&
            strcmp(p->file, last->file) == 0 && !same_provider(p->provider, last->provider)) {
            jv more = jv_string_fmt("%s, %s", jv_string_value(others), p->provider);
            jv_free(others);
            others = more;
            several = true;
        }
    }
    if (!several) {
        jv_free(others);
        return last;
    }
    *why = jv_string_fmt("'%s' is sold by several providers (%s): say which", model,
                         jv_string_value(others));
    jv_free(others);
    return NULL;
}

/* snapshot_base returns the longest row name N such that 'model' is N-TAG,
 * as a new string, or NULL. */
static char *
snapshot_base(const ev_price_table *t, const char *model)
{
    size_t best = 0;
    for (size_t i = 0; i < t->nnames; i++) {
        const char *s = t->names[i].s;
        size_t n = strlen(s);
        if (n > best && strncmp(model, s, n) == 0 && model[n] == '-' &&
            is_snapshot_tag(model + n + 1))
            best = n;
    }
    return best > 0 ? ev_alloc_strndup(model, best) : NULL;
}

static const ev_price *
find_plain(const ev_price_table *t, const char *want, const char *model, jv *why)
{
    const ev_price *p = choose(t, want, model, why);
    if (p != NULL || jv_is_valid(*why))
        return p;
    char *base = snapshot_base(t, model);
    if (base != NULL)
        p = choose(t, want, base, why);
    free(base);
    return p;
}

/* dedicated_only sets '*why' when 'model' is named as a fine-tune of a
 * provider that serves fine-tunes only on dedicated capacity. */
static void
dedicated_only(const ev_price_table *t, const char *model, jv *why)
{
    static const char fw[] = "accounts/";
    const char *slash = strchr(model, '/');
    if (strncmp(model, fw, sizeof(fw) - 1) == 0) {
        const char *acct = model + sizeof(fw) - 1, *end = strchr(acct, '/');
        if (end != NULL && strncmp(end, "/models/", 8) == 0 && end[8] != '\0' &&
            !(end - acct == 9 && strncmp(acct, "fireworks", 9) == 0))
            *why = jv_string_fmt("'%s' is a Fireworks fine-tune: Fireworks serves fine-tuned "
                                 "models only on dedicated (on-demand) deployments, billed by "
                                 "the hour, not per token",
                                 model);
        return;
    }
    if (slash == NULL)
        return;
    for (size_t i = 0; i < t->nrows; i++) {
        const ev_price *p = &t->rows[i];
        const char *org = strchr(p->model, '/');
        if (p->provider == NULL || strcmp(p->provider, "together") != 0 || org == NULL)
            continue;
        size_t n = strlen(org + 1);
        if (n > 6 && strcmp(org + 1 + n - 6, "-Turbo") == 0)
            n -= 6;
        bool same_org = (size_t)(org - p->model) == (size_t)(slash - model) &&
                        strncmp(p->model, model, (size_t)(slash - model)) == 0;
        if (!same_org && strncmp(slash + 1, org + 1, n) == 0 && slash[1 + n] == '-') {
            *why = jv_string_fmt("'%s' is a Together fine-tune of '%s': Together serves "
                                 "fine-tuned models only on dedicated endpoints, billed by the "
                                 "hour, not per token",
                                 model, p->model);
            return;
        }
    }
}

const ev_price *
ev_price_table_lookup(const ev_price_table *t, const char *provider, const char *model, jv *why)
{
    *why = jv_invalid();
    const ev_price *p = choose(t, provider, model, why);
    if (p != NULL || jv_is_valid(*why))
        return p;
    if (strncmp(model, "ft:", 3) != 0) {
        p = find_plain(t, provider, model, why);
        if (p == NULL && !jv_is_valid(*why))
            dedicated_only(t, model, why);
        return p;
    }
    /* ft:BASE:org:suffix:id is priced as the row ft:BASE. */
    const char *end = strchr(model + 3, ':');
    size_t n = end != NULL ? (size_t)(end - model) : strlen(model);
    char *base = ev_alloc_strndup(model, n);
    p = find_plain(t, provider, base, why);
    free(base);
    return p;
}

const ev_price *
ev_price_table_find(const ev_price_table *t, const char *model)
{
    jv why;
    const ev_price *p = ev_price_table_lookup(t, NULL, model, &why);
    jv_free(why);
    return p;
}

const ev_price_endpoint *
ev_price_table_endpoint(const ev_price_table *t, const char *id)
{
    for (size_t i = t->nendpoints; i-- > 0;)
        if (strcmp(t->endpoints[i].name, id) == 0)
            return &t->endpoints[i];
    return NULL;
}

jv
ev_price_table_endpoint_names(const ev_price_table *t)
{
    jv out = jv_string("");
    for (size_t i = 0; i < t->nendpoints; i++) {
        jv more =
            jv_string_fmt("%s%s%s", jv_string_value(out), i > 0 ? ", " : "", t->endpoints[i].name);
        jv_free(out);
        out = more;
    }
    return out;
}

const ev_price_band *
ev_price_table_band(const ev_price_table *t, const char *provider, double params_b, bool lora,
                    bool dpo)
{
    for (size_t i = t->nbands; i-- > 0;) {
        const ev_price_band *b = &t->bands[i];
        if (strcmp(b->provider, provider) == 0 && b->lora == lora && b->dpo == dpo &&
            params_b > b->above && params_b <= b->max)
            return b;
    }
    return NULL;
}

double
ev_price_params_b(const char *model)
{
    const char *slash = strrchr(model, '/');
    const char *s = slash != NULL ? slash + 1 : model;
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (!isdigit((unsigned char)s[i]) || (i > 0 && strchr("-_.:", s[i - 1]) == NULL))
            continue;
        size_t j = i;
        double x = 0, scale = 0;
        for (; isdigit((unsigned char)s[j]) ||
               ((s[j] == '.' || s[j] == 'p') && scale == 0 && isdigit((unsigned char)s[j + 1]));
             j++) {
            if (s[j] == '.' || s[j] == 'p')
                scale = 1;
            else if (scale > 0)
                x += (s[j] - '0') * (scale /= 10);
            else
                x = 10 * x + (s[j] - '0');
        }
        if ((s[j] == 'b' || s[j] == 'B') && !isalnum((unsigned char)s[j + 1]) && x > 0)
            return x;
        i = j > i ? j - 1 : i;
    }
    return NAN;
}

const char *
ev_price_provider_of(const char *model)
{
    if (strncmp(model, "accounts/fireworks/models/", 26) == 0)
        return "fireworks";
    if (strncmp(model, "ft:", 3) != 0 && strncmp(model, "accounts/", 9) != 0 &&
        strchr(model, '/') != NULL)
        return "together";
    return NULL;
}

jv
ev_price_shutdown_note(const ev_price *p, const char *today)
{
    long now, when;
    if (today == NULL || !parse_date(today, &now))
        return jv_invalid();
    const char *who = p->provider != NULL ? p->provider : "its provider";
    if (p->shutdown != NULL && parse_date(p->shutdown, &when)) {
        if (when <= now)
            return jv_string_fmt("'%s' (%s) shut down on %s", p->model, who, p->shutdown);
        if (when - now <= EV_PRICE_SHUTDOWN_DAYS)
            return jv_string_fmt("'%s' (%s) shuts down on %s, in %ld day%s", p->model, who,
                                 p->shutdown, when - now, when - now == 1 ? "" : "s");
    }
    if (p->shutdown_by != NULL && parse_date(p->shutdown_by, &when) &&
        when - now <= EV_PRICE_SHUTDOWN_DAYS)
        return jv_string_fmt("'%s' (%s) was no longer in %s's catalog on %s", p->model, who, who,
                             p->shutdown_by);
    return jv_invalid();
}

jv
ev_price_table_shutdown_warning(const char *provider, const char *model)
{
    jv path = ev_price_table_locate();
    if (!jv_is_valid(path)) {
        jv_free(path);
        return jv_invalid();
    }
    ev_price_table *t = ev_price_table_new();
    jv err, why = jv_invalid(), note = jv_invalid();
    if (ev_price_table_load(t, jv_string_value(path), &err) != 0) {
        jv_free(err);
    } else {
        const ev_price *p = ev_price_table_lookup(t, provider, model, &why);
        char today[11];
        ev_price_today(today);
        if (p != NULL)
            note = ev_price_shutdown_note(p, today);
    }
    jv_free(why);
    jv_free(path);
    ev_price_table_free(t);
    return note;
}

void
ev_price_today(char buf[11])
{
    time_t now = (time_t)ev_clock_wall();
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, 11, "%Y-%m-%d", &tm);
}

/* Locating the default table ---------------------------------------------- */

static bool
readable(const char *path)
{
    return access(path, R_OK) == 0;
}

/* try_data returns 'dir'/'rel' when it is readable; otherwise it adds that
 * path to the list '*tried' and returns invalid. */
static jv
try_data(const char *dir, const char *rel, jv *tried)
{
    jv p = jv_string_fmt("%s/%s", dir, rel);
    if (readable(jv_string_value(p)))
        return p;
    jv more = jv_string_fmt("%s, '%s'", jv_string_value(*tried), jv_string_value(p));
    jv_free(*tried);
    jv_free(p);
    *tried = more;
    return jv_invalid();
}

/* program_parent sets 'dir' to the parent of the running program's
 * directory: the prefix of an installed tree, or the source tree of bin/. */
static bool
program_parent(char *dir, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", dir, size - 1);
    if (n <= 0)
        return false;
    dir[n] = '\0';
    for (int i = 0; i < 2; i++) { /* the program, then its directory */
        char *cut = strrchr(dir, '/');
        if (cut == NULL || cut == dir)
            return false;
        *cut = '\0';
    }
    return true;
}

/* ev_price_table_locate looks, in order, at $EV_PRICES; at share/ev/prices.jsonl
 * beside the program's bin directory, so that a moved or staged install uses
 * the table installed with it; at the compiled-in EV_DATADIR; and at the
 * source tree's data/prices.jsonl, for bin/ev-cost and bin/san/ev-cost. */
jv
ev_price_table_locate(void)
{
    const char *env = getenv("EV_PRICES");
    if (env != NULL && *env != '\0')
        return jv_string(env);
    char dir[PATH_MAX];
    bool have = program_parent(dir, sizeof(dir));
    jv tried = jv_string("");
    jv p = have ? try_data(dir, "share/ev/prices.jsonl", &tried) : jv_invalid();
    if (!jv_is_valid(p)) {
        jv_free(p);
        p = try_data(EV_DATADIR, "prices.jsonl", &tried);
    }
    if (!jv_is_valid(p) && have) {
        jv_free(p);
        p = try_data(dir, "data/prices.jsonl", &tried);
        char *cut = strrchr(dir, '/');
        if (!jv_is_valid(p) && cut != NULL && cut != dir && strcmp(cut + 1, "bin") == 0) {
            jv_free(p);
            *cut = '\0';
            p = try_data(dir, "data/prices.jsonl", &tried);
        }
    }
    if (jv_is_valid(p)) {
        jv_free(tried);
        return p;
    }
    jv_free(p);
    const char *list = jv_string_value(tried);
    jv msg = jv_string_fmt("no price table found (looked in %s)", list[0] ? list + 2 : "no place");
    jv_free(tried);
    return jv_invalid_with_msg(msg);
}

/* Usage and cost ----------------------------------------------------------- */

/* get_count reads token count 'key' of 'call' into '*out', NAN when absent or
 * null. Returns 0, or -1 with '*err' set when it is not a count. */
static int
get_count(jv call, const char *key, double *out, jv *err)
{
    jv v = field(call, key);
    *out = NAN;
    if (!jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL) {
        jv_free(v);
        return 0;
    }
    double x = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
    jv_free(v);
    if (!(x >= 0 && x <= TOKENS_MAX && x == floor(x))) {
        *err = jv_invalid_with_msg(
            jv_string_fmt("'call.%s' is not a token count (a whole number from 0 up)", key));
        return -1;
    }
    *out = x;
    return 0;
}

int
ev_price_usage_from_call(jv call, ev_price_usage *u, jv *err)
{
    u->input = u->output = NAN;
    u->cached = u->cache_write = 0;
    u->style = EV_PRICE_USAGE_INCLUSIVE;
    if (jv_get_kind(call) != JV_KIND_OBJECT)
        return 0;
    double cached, written;
    if (get_count(call, "input_tokens", &u->input, err) != 0 ||
        get_count(call, "output_tokens", &u->output, err) != 0 ||
        get_count(call, "cached_tokens", &cached, err) != 0 ||
        get_count(call, "cache_write_tokens", &written, err) != 0)
        return -1;
    u->cached = isnan(cached) ? 0 : cached;
    u->cache_write = isnan(written) ? 0 : written;
    return 0;
}

int
ev_price_cost(const ev_price *p, const ev_price_usage *u, bool batch, double rate,
              ev_price_charge *c, jv *err)
{
    /* 'fresh' is the prompt tokens billed at the plain input price, and
     * 'prompt' every prompt token, which picks the tier. */
    double fresh = u->input, prompt = u->input;
    double cache = u->cached + u->cache_write;
    if (u->style == EV_PRICE_USAGE_INCLUSIVE) {
        if (cache > u->input) {
            *err = jv_invalid_with_msg(
                jv_string_fmt("%.0f cached tokens but only %.0f input tokens, which include them",
                              cache, u->input));
            return -1;
        }
        fresh = u->input - cache;
    } else {
        prompt = u->input + cache;
    }
    double in = p->input, out = p->output, cached = p->cached, written = p->cache_write;
    c->tier = NULL;
    for (size_t i = p->ntiers; i-- > 0;)
        if (prompt > p->tiers[i].above) {
            c->tier = &p->tiers[i];
            in = c->tier->input;
            out = c->tier->output;
            cached = c->tier->cached;
            written = c->tier->cache_write;
            break;
        }
    double factor = rate;
    c->batch = batch && !isnan(p->batch);
    if (c->batch)
        factor *= p->batch;
    c->input = (fresh * in + u->cached * cached + u->cache_write * written) / EV_PRICE_PER * factor;
    c->output = u->output * out / EV_PRICE_PER * factor;
    c->total = c->input + c->output;
    return 0;
}

double
ev_price_training(const ev_price *p, double tokens)
{
    return tokens * p->training / EV_PRICE_PER;
}

double
ev_price_money(double x)
{
    return round(x * 1e9) / 1e9;
}

/* Estimates -------------------------------------------------------------- */

double
ev_price_estimate_text_tokens(size_t len)
{
    return (double)((len + EV_PRICE_BYTES_PER_TOKEN - 1) / EV_PRICE_BYTES_PER_TOKEN);
}

static bool
has_system_message(jv in)
{
    bool yes = false;
    jv_array_foreach(in, i, m)
    {
        jv role = jv_get_kind(m) == JV_KIND_OBJECT ? field(m, "role") : jv_invalid();
        yes = yes ||
              (jv_get_kind(role) == JV_KIND_STRING && strcmp(jv_string_value(role), "system") == 0);
        jv_free(role);
        jv_free(m);
        (void)i;
    }
    jv_free(in);
    return yes;
}

double
ev_price_estimate_prompt_tokens(jv rec, const char *system)
{
    jv in = ev_record_input(rec);
    if (!jv_is_valid(in)) {
        jv_free(in);
        return NAN;
    }
    double messages = 1;
    bool has_system = false;
    if (jv_get_kind(in) == JV_KIND_ARRAY) {
        messages = jv_array_length(jv_copy(in));
        has_system = has_system_message(jv_copy(in));
    }
    jv_free(in);
    jv text = ev_record_prompt_text(rec);
    double tokens = ev_price_estimate_text_tokens((size_t)jv_string_length_bytes(text));
    if (system != NULL && !has_system) {
        tokens += ev_price_estimate_text_tokens(strlen(system));
        messages++;
    }
    return tokens + messages * EV_PRICE_TOKENS_PER_MESSAGE + EV_PRICE_TOKENS_PER_PROMPT;
}

double
ev_price_estimate_output_tokens(jv rec)
{
    jv e = ev_record_expected(rec);
    if (!jv_is_valid(e)) {
        jv_free(e);
        return NAN;
    }
    jv text = ev_record_text_of(e);
    return ev_price_estimate_text_tokens((size_t)jv_string_length_bytes(text));
}
