/*
 * ev-split: cut a pool of cases into eval and training sets you can trust.
 *
 * Every choice comes from a seeded hash of each case's id, so it is the same
 * on every run and every machine, and a case keeps its side as the pool
 * grows. --ratio sends a share of the pool to standard output and the rest to
 * --rest; --stratify keeps that share within each tag; --take writes
 * the first N cases in hash order, so smaller sets nest in larger ones;
 * --shard writes one of N disjoint shards; --dedupe drops cases whose input
 * repeats. --check reads a training set and an eval set and reports the eval
 * cases that leak into training, exactly or nearly.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "cli.h"
#include "diag.h"
#include "ev.h"
#include "interrupt.h"
#include "hash.h"
#include "jsonl.h"
#include "keymap.h"
#include "minhash.h"
#include "record.h"
#include "spill.h"
#include "split.h"
#include "text.h"

#define DEFAULT_THRESHOLD 0.8

enum mode { MODE_NONE, MODE_RATIO, MODE_TAKE, MODE_SHARD, MODE_DEDUPE, MODE_CHECK };

typedef struct opts {
    enum mode mode;
    double ratio;
    long take;
    long shard, nshards;
    char *train;
    double threshold;
    uint64_t seed;
    const char *rest;
    bool stratify, dedupe, quiet, seed_given, threshold_given;
} opts;

/* A run reads cases from the operands and writes them to standard output and
 * to the --rest file. */
typedef struct run {
    const opts *o;
    ev_jsonl_reader r;
    FILE *rest;
    ev_keymap *seen; /* --dedupe: keys of the normalised inputs so far */
    unsigned long cases, out, dropped;
    int status;
} run;

static void
usage(FILE *f)
{
    fputs("usage: ev-split -r RATIO [--stratify] [--rest FILE] [-d] [--seed N] [-q] [FILE ...]\n"
          "       ev-split -t N [-d] [--seed N] [-q] [FILE ...]\n"
          "       ev-split --shard K/N [--rest FILE] [-d] [--seed N] [-q] [FILE ...]\n"
          "       ev-split -d [-q] [FILE ...]\n"
          "       ev-split --check TRAIN [--threshold T] [-q] [EVAL ...]\n"
          "\n"
          "Split a pool of cases (JSONL) by a seeded hash of each case's id.\n"
          "\n"
          "  -r, --ratio RATIO     send about RATIO (0 to 1) of the cases to standard\n"
          "                        output and the rest to --rest\n"
          "      --stratify        with --ratio: keep the share within each tag, by\n"
          "                        each case's rarest tag\n"
          "  -t, --take N          write the first N cases in hash order; the first 5\n"
          "                        are among the first 10\n"
          "      --shard K/N       write shard K (1 to N) of N disjoint shards\n"
          "  -d, --dedupe          drop cases whose input, ignoring case and spacing,\n"
          "                        repeats an earlier one; alone or with a mode above\n"
          "      --rest FILE       write the cases not sent to standard output to FILE\n"
          "                        (without it they are left out)\n"
          "      --seed N          the seed of the hash (default: 0)\n"
          "      --check TRAIN     report eval cases that leak into the training set\n"
          "                        TRAIN, as JSONL pairs; exit 1 when any does\n"
          "      --threshold T     with --check: the word 3-gram similarity (0.1 to 1)\n"
          "                        that makes a near duplicate (default: 0.8)\n"
          "  -q, --quiet           no report on standard error\n"
          "  -h, --help            show this help\n"
          "  -V, --version         show the version\n"
          "\n"
          "Exit status: 0 done (--check: no leak), 1 --check found a leak,\n"
          "2 trouble (usage, bad line, unreadable file, failed write).\n"
          "See ev-split(1) and ev(7).\n",
          f);
}

static const char *
mode_name(enum mode m)
{
    switch (m) {
    case MODE_RATIO:
        return "--ratio";
    case MODE_TAKE:
        return "--take";
    case MODE_SHARD:
        return "--shard";
    case MODE_CHECK:
        return "--check";
    default:
        return "--dedupe";
    }
}

static void
set_mode(opts *o, enum mode m)
{
    if (o->mode != MODE_NONE && o->mode != m)
        ev_diag_usage_error("%s and %s do not go together: choose one", mode_name(o->mode),
                            mode_name(m));
    o->mode = m;
}

static void
parse_shard(opts *o, const char *s)
{
    const char *slash = strchr(s, '/');
    char k[32];

    if (slash == NULL || (size_t)(slash - s) >= sizeof(k))
        ev_diag_usage_error("--shard takes K/N, such as 2/4, not '%s'", s);
    memcpy(k, s, (size_t)(slash - s));
    k[slash - s] = '\0';
    if (!ev_parse_long(slash + 1, 1, 1000000, &o->nshards))
        ev_diag_usage_error("--shard K/N: N is a whole number from 1 to 1000000, not '%s'",
                            slash + 1);
    if (!ev_parse_long(k, 1, o->nshards, &o->shard))
        ev_diag_usage_error("--shard K/N: K is a whole number from 1 to %ld, not '%s'", o->nshards,
                            k);
}

/* same_file says whether 'a' describes the file named 'b', or the one open
 * as 'fd' when 'b' is NULL. */
static bool
same_file(const struct stat *a, int fd, const char *b)
{
    struct stat st;
    if ((b != NULL ? stat(b, &st) : fstat(fd, &st)) != 0)
        return false;
    return a->st_dev == st.st_dev && a->st_ino == st.st_ino;
}

/* check_rest refuses a --rest file that is also an input, which opening it
 * would empty before it is read. */
static void
check_rest(const char *rest, char **paths, int npaths)
{
    struct stat st;
    if (stat(rest, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    if (npaths == 0 && same_file(&st, STDIN_FILENO, NULL))
        ev_diag_usage_error("'%s' is both --rest and standard input", rest);
    for (int i = 0; i < npaths; i++) {
        bool is_stdin = strcmp(paths[i], "-") == 0;
        if (same_file(&st, STDIN_FILENO, is_stdin ? NULL : paths[i]))
            ev_diag_usage_error("'%s' is both --rest and an input", rest);
    }
}

static void
validate(opts *o, char **paths, int npaths)
{
    if (o->mode == MODE_NONE && !o->dedupe)
        ev_diag_usage_error("choose what to do: --ratio, --take, --shard, --dedupe or --check");
    if (o->mode == MODE_NONE)
        o->mode = MODE_DEDUPE;
    if (o->stratify && o->mode != MODE_RATIO)
        ev_diag_usage_error("--stratify goes with --ratio");
    if (o->rest != NULL && o->mode != MODE_RATIO && o->mode != MODE_SHARD)
        ev_diag_usage_error("--rest goes with --ratio or --shard");
    if (o->threshold_given && o->mode != MODE_CHECK)
        ev_diag_usage_error("--threshold goes with --check");
    if (o->seed_given && (o->mode == MODE_CHECK || o->mode == MODE_DEDUPE))
        ev_diag_usage_error("--seed goes with --ratio, --take or --shard");
    if (o->mode == MODE_CHECK) {
        if (o->dedupe)
            ev_diag_usage_error("--dedupe does not go with --check");
        bool eval_stdin = npaths == 0;
        for (int i = 0; i < npaths; i++)
            eval_stdin = eval_stdin || strcmp(paths[i], "-") == 0;
        if (strcmp(o->train, "-") == 0 && eval_stdin)
            ev_diag_usage_error("standard input can be the training set or the eval set, not both");
    }
    if (o->rest != NULL)
        check_rest(o->rest, paths, npaths);
}

/* has_own_id says whether 'rec' (borrowed) carries its id, so its line can
 * pass through as it is. */
static bool
has_own_id(jv rec)
{
    jv id = ev_get(rec, "id");
    jv_kind k = jv_get_kind(id);
    jv_free(id);
    return k == JV_KIND_STRING || k == JV_KIND_NUMBER;
}

/* emit writes the case 'rec' with id 'id' (both consumed) to 'f': its line
 * 'raw' unchanged when it has its own id, else with the derived id added, as
 * DESIGN.md asks, so the case has the same id everywhere downstream. */
static void
emit(FILE *f, jv rec, jv id, const char *raw, size_t len)
{
    jv old = ev_get(rec, "id");
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

static uint64_t
key_of(const run *rn, jv id)
{
    return ev_split_key(jv_string_value(id), (size_t)jv_string_length_bytes(jv_copy(id)),
                        rn->o->seed);
}

/* input_key sets '*key' to a hash of 'text' case-folded and with white space
 * collapsed, so two cases with the same key have the same input. It returns
 * false for an empty input, which repeats nothing and leaks nowhere. */
static bool
input_key(const char *text, uint64_t *key)
{
    jv norm = ev_text_normalize(text, EV_TEXT_NORM_CASE | EV_TEXT_NORM_SPACE);
    size_t len = (size_t)jv_string_length_bytes(jv_copy(norm));
    *key = ev_hash64(jv_string_value(norm), len, 0);
    jv_free(norm);
    return len > 0;
}

/* repeats says whether the input of 'rec' (borrowed) was seen before, and
 * remembers it. */
static bool
repeats(run *rn, jv rec)
{
    jv text = ev_record_prompt_text(rec);
    uint64_t key;
    bool has = input_key(jv_string_value(text), &key);
    jv_free(text);
    if (!has)
        return false;
    if (ev_keymap_find(rn->seen, key) != EV_KEYMAP_END)
        return true;
    ev_keymap_add(rn->seen, key, 0);
    return false;
}

/* warn_at reports the error 'err' (consumed) at the reader's position. */
static void
warn_at(const ev_jsonl_reader *r, jv err)
{
    jv m = jv_invalid_get_msg(err);
    jv where = ev_jsonl_where(r);
    ev_diag_warn("%s: %s", jv_string_value(where), jv_string_value(m));
    jv_free(where);
    jv_free(m);
}

/* next_case reads the next good case into '*rec' and its id into '*id', both
 * owned by the caller. On the way it reports bad lines and cases that have no
 * id and cannot derive one, and drops repeated inputs under --dedupe. It
 * returns false at the end of the input. */
static bool
next_case(run *rn, jv *rec, jv *id)
{
    int rc;
    while ((rc = ev_jsonl_next(&rn->r, rec)) != EV_JSONL_EOF) {
        if (rc == EV_JSONL_BAD) {
            ev_diag_warn_jv(*rec);
            rn->status = EV_EXIT_TROUBLE;
            continue;
        }
        *id = ev_record_id(*rec);
        if (!jv_is_valid(*id)) {
            warn_at(&rn->r, *id);
            jv_free(*rec);
            rn->status = EV_EXIT_TROUBLE;
            continue;
        }
        if (rn->seen != NULL && repeats(rn, *rec)) {
            rn->dropped++;
            jv_free(*rec);
            jv_free(*id);
            continue;
        }
        rn->cases++;
        return true;
    }
    return false;
}

static bool
write_failed(const run *rn)
{
    return ferror(stdout) || (rn->rest != NULL && ferror(rn->rest));
}

/* run_stream decides each case as it comes: --ratio, --shard and --dedupe
 * alone. Memory stays the same however large the pool (--dedupe adds about
 * 40 bytes a distinct input). */
static void
run_stream(run *rn)
{
    const opts *o = rn->o;
    jv rec, id;

    while (next_case(rn, &rec, &id)) {
        uint64_t key = key_of(rn, id);
        bool in = true;
        if (o->mode == MODE_RATIO)
            in = ev_split_in(key, o->ratio);
        else if (o->mode == MODE_SHARD)
            in = ev_split_shard(key, o->nshards) == o->shard;
        FILE *to = in ? stdout : rn->rest;
        rn->out += in;
        size_t len;
        const char *raw = ev_jsonl_raw(&rn->r, &len);
        if (to != NULL) {
            emit(to, rec, id, raw, len);
        } else {
            jv_free(rec);
            jv_free(id);
        }
        if (write_failed(rn))
            break;
    }
}

/* A case's output line, without its newline, kept by --take. */
struct line {
    size_t len;
    char text[];
};

static struct line *
line_new(const char *s, size_t len)
{
    struct line *l = ev_alloc(sizeof(*l) + len);
    l->len = len;
    memcpy(l->text, s, len);
    return l;
}

/* line_of returns the line that emit would write for the case. */
static struct line *
line_of(jv rec, jv id, const char *raw, size_t len)
{
    if (has_own_id(rec)) {
        jv_free(rec);
        jv_free(id);
        return line_new(raw, len);
    }
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    if (m == NULL)
        ev_diag_out_of_memory();
    emit(m, rec, id, raw, len);
    if (fclose(m) != 0)
        ev_diag_out_of_memory();
    struct line *l = line_new(buf, n > 0 ? n - 1 : 0);
    free(buf);
    return l;
}

/* run_take writes the first N cases in key order, in input order. It keeps
 * only those N, in a heap whose top is the last of them. */
static void
run_take(run *rn)
{
    ev_first_k f;
    uint64_t seq = 0;
    jv rec, id;

    ev_first_k_init(&f, (size_t)rn->o->take);
    while (next_case(rn, &rec, &id)) {
        uint64_t key = key_of(rn, id);
        if (!ev_first_k_wants(&f, key, seq)) {
            jv_free(rec);
            jv_free(id);
        } else {
            size_t len;
            const char *raw = ev_jsonl_raw(&rn->r, &len);
            free(ev_first_k_offer(&f, key, seq, line_of(rec, id, raw, len)));
        }
        seq++;
    }
    /* Interrupted, the cases kept are not the first of the whole input:
     * none is written. */
    bool whole = !ev_interrupted();
    size_t n;
    ev_first_slot *kept = ev_first_k_sorted(&f, &n);
    for (size_t i = 0; i < n; i++) {
        struct line *l = kept[i].data;
        if (whole) {
            fwrite(l->text, 1, l->len, stdout);
            putc('\n', stdout);
        }
        free(l);
    }
    rn->out = whole ? n : 0;
    ev_first_k_free(&f);
}

static void *
grow(void *p, size_t *cap, size_t size)
{
    *cap = *cap ? 2 * *cap : 256;
    p = ev_alloc_resize(p, *cap * size);
    return p;
}

/* A tag set is the cases that carry the same tags. */
typedef struct tagset {
    jv tags;  /* sorted and distinct */
    long n;   /* its cases */
    long out; /* how many of them go to standard output */
    uint32_t stratum;
} tagset;

/* A stratum is the cases whose rarest tag is the same; untagged cases make
 * one stratum too. */
typedef struct stratum {
    long n, quota;
    uint64_t key; /* hash of its tag under the seed, for the rounding */
} stratum;

/* A case as --stratify remembers it until the end: 24 bytes. */
typedef struct scase {
    uint64_t key;
    uint32_t set, stratum, seq;
} scase;

typedef struct strata {
    jv index; /* object: a tag set as JSON -> its number */
    tagset *set;
    size_t nset, capset;
    stratum *s;
    size_t n;
    scase *c;
    size_t nc, capc;
} strata;

/* distinct_sorted returns the strings of 'tags' (consumed) sorted, each once. */
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

/* set_of returns the number of the tag set of 'rec' (borrowed), adding the
 * set when it is new. */
static uint32_t
set_of(strata *st, jv rec)
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
    if (st->nset == UINT32_MAX)
        ev_diag_die(EV_EXIT_TROUBLE, "too many tag sets");
    if (st->nset == st->capset)
        st->set = grow(st->set, &st->capset, sizeof(*st->set));
    st->set[st->nset] = (tagset){tags, 0, 0, 0};
    st->index = jv_object_set(st->index, name, jv_number((double)st->nset));
    return (uint32_t)st->nset++;
}

/* tag_counts returns an object: each tag -> its cases in the pool. */
static jv
tag_counts(const strata *st)
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

/* make_strata puts each tag set in the stratum of its rarest tag: the tag
 * with the fewest cases in the pool, and of those the one that sorts first.
 * Rare tags, where chance would skew the share most, so get exactly theirs. */
static void
make_strata(strata *st, uint64_t seed)
{
    jv count = tag_counts(st);
    jv number = jv_object(); /* stratum's tag -> its number */
    st->s = ev_alloc_zero(st->nset ? st->nset : 1, sizeof(*st->s));
    for (size_t i = 0; i < st->nset; i++) {
        jv rarest = jv_string("");
        double least = INFINITY;
        jv_array_foreach(st->set[i].tags, j, t)
        {
            jv c = jv_object_get(jv_copy(count), jv_copy(t));
            if (jv_number_value(c) < least) {
                least = jv_number_value(c);
                jv_free(rarest);
                rarest = jv_copy(t);
            }
            jv_free(c);
            jv_free(t);
            (void)j;
        }
        jv num = jv_object_get(jv_copy(number), jv_copy(rarest));
        if (!jv_is_valid(num)) {
            const char *tag = jv_string_value(rarest);
            st->s[st->n] = (stratum){0, 0, ev_hash64(tag, strlen(tag), seed)};
            jv_free(num);
            num = jv_number((double)st->n++);
            number = jv_object_set(number, jv_copy(rarest), jv_copy(num));
        }
        st->set[i].stratum = (uint32_t)jv_number_value(num);
        st->s[st->set[i].stratum].n += st->set[i].n;
        jv_free(num);
        jv_free(rarest);
    }
    jv_free(number);
    jv_free(count);
}

static int
cmp_scase(const void *a, const void *b)
{
    const scase *x = a, *y = b;
    if (x->stratum != y->stratum)
        return x->stratum < y->stratum ? -1 : 1;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* decide gives each stratum its quota, and marks in 'out' (indexed by input
 * order) the cases that come first in key order within their stratum. */
static void
decide(strata *st, double ratio, uint64_t seed, bool *out)
{
    make_strata(st, seed);
    for (size_t i = 0; i < st->n; i++)
        st->s[i].quota = ev_split_quota(ratio, st->s[i].n, st->s[i].key);
    for (size_t i = 0; i < st->nc; i++)
        st->c[i].stratum = st->set[st->c[i].set].stratum;
    if (st->nc > 1)
        qsort(st->c, st->nc, sizeof(*st->c), cmp_scase);
    long rank = 0;
    for (size_t i = 0; i < st->nc; i++) {
        const scase *c = &st->c[i];
        if (i == 0 || c->stratum != st->c[i - 1].stratum)
            rank = 0;
        out[c->seq] = rank++ < st->s[c->stratum].quota;
        st->set[c->set].out += out[c->seq];
    }
}

/* report_tags prints, for each tag, how many of its cases went to each side;
 * a case with two tags counts under both. */
static void
report_tags(const strata *st)
{
    jv rows = jv_object(); /* tag -> [out, rest] */
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
            row = jv_array_append(jv_array_append(jv_array(), jv_number(o + (double)s->out)),
                                  jv_number(r + (double)(s->n - s->out)));
            rows = jv_object_set(rows, t, row);
            (void)j;
        }
        jv_free(tags);
    }
    int width = 3;
    jv names = jv_keys(jv_copy(rows));
    jv_array_foreach(names, i, t)
    {
        int w = jv_string_length_bytes(t);
        width = w > width ? w : width;
        (void)i;
    }
    fprintf(stderr, "  %-*s %7s %7s\n", width, "tag", "out", "rest");
    jv_array_foreach(names, i, t)
    {
        jv row = jv_object_get(jv_copy(rows), jv_copy(t));
        jv a = jv_array_get(jv_copy(row), 0), b = jv_array_get(row, 1);
        fprintf(stderr, "  %-*s %7.0f %7.0f\n", width, jv_string_value(t), jv_number_value(a),
                jv_number_value(b));
        jv_free(a);
        jv_free(b);
        jv_free(t);
        (void)i;
    }
    jv_free(names);
    jv_free(rows);
}

/* open_temp returns an unnamed temporary file in $TMPDIR or /tmp. */
static FILE *
open_temp(void)
{
    jv err;
    FILE *f = ev_spill_open(&err);
    if (f == NULL) {
        ev_diag_warn_jv(err);
        exit(EV_EXIT_TROUBLE);
    }
    return f;
}

/* run_stratify splits each stratum on its own: of its n cases, the quota
 * (ratio * n, rounded) that come first in key order go to standard output.
 * The cases' lines wait in a temporary file, so memory holds about 50 bytes
 * a case at its peak (in the sort), and the output keeps input order. */
static void
run_stratify(run *rn, strata *st)
{
    FILE *tmp = open_temp();
    jv rec, id;

    while (next_case(rn, &rec, &id)) {
        if (st->nc == UINT32_MAX)
            ev_diag_die(EV_EXIT_TROUBLE, "too many cases for --stratify");
        if (st->nc == st->capc)
            st->c = grow(st->c, &st->capc, sizeof(*st->c));
        uint32_t set = set_of(st, rec);
        st->set[set].n++;
        st->c[st->nc] = (scase){key_of(rn, id), set, 0, (uint32_t)st->nc};
        st->nc++;
        size_t len;
        const char *raw = ev_jsonl_raw(&rn->r, &len);
        emit(tmp, rec, id, raw, len);
    }
    if (ev_interrupted()) { /* strata of part of the input: none is written */
        fclose(tmp);
        return;
    }
    if (fflush(tmp) != 0 || ferror(tmp) || fseek(tmp, 0, SEEK_SET) != 0)
        ev_diag_die(EV_EXIT_TROUBLE, "cannot write a temporary file: %s", strerror(errno));

    bool *out = ev_alloc_zero(st->nc ? st->nc : 1, sizeof(*out));
    decide(st, rn->o->ratio, rn->o->seed, out);
    char *buf = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < st->nc; i++) {
        ssize_t n = getline(&buf, &cap, tmp);
        if (n <= 0)
            ev_diag_die(EV_EXIT_TROUBLE, "cannot read back a temporary file");
        FILE *to = out[i] ? stdout : rn->rest;
        rn->out += out[i];
        if (to != NULL)
            fwrite(buf, 1, (size_t)n, to);
        if (write_failed(rn))
            break;
    }
    free(buf);
    free(out);
    fclose(tmp);
}

static void
strata_free(strata *st)
{
    for (size_t i = 0; i < st->nset; i++)
        jv_free(st->set[i].tags);
    jv_free(st->index);
    free(st->set);
    free(st->s);
    free(st->c);
}

/* What --check holds: the training set, indexed, and its working buffers. */
typedef struct checker {
    ev_keymap *exact; /* input key -> training case number */
    ev_lsh *near;
    char *ids; /* the training cases' ids, each ended by NUL, one after another */
    size_t nids, capids;
    size_t *idoff;
    size_t n, cap;
    ev_sketch sk;
    uint32_t *same; /* the training cases with the same input as an eval case */
    size_t capsame;
    ev_match *m;
    size_t capm;
    unsigned long exact_leaks, near_leaks; /* eval cases with an exact leak; with near ones only */
} checker;

static void
add_train_id(checker *ck, jv id)
{
    size_t len = (size_t)jv_string_length_bytes(jv_copy(id));
    while (ck->nids + len + 1 > ck->capids)
        ck->ids = grow(ck->ids, &ck->capids, 1);
    memcpy(ck->ids + ck->nids, jv_string_value(id), len + 1);
    if (ck->n == ck->cap)
        ck->idoff = grow(ck->idoff, &ck->cap, sizeof(*ck->idoff));
    ck->idoff[ck->n++] = ck->nids;
    ck->nids += len + 1;
    jv_free(id);
}

/* load_train indexes every case that 'rn' reads from the training set. */
static void
load_train(run *rn, checker *ck)
{
    jv rec, id;
    while (next_case(rn, &rec, &id)) {
        if (ck->n >= UINT32_MAX - 1)
            ev_diag_die(EV_EXIT_TROUBLE, "too many training cases");
        uint32_t item = (uint32_t)ck->n;
        add_train_id(ck, id);
        jv text = ev_record_prompt_text(rec);
        uint64_t key;
        if (input_key(jv_string_value(text), &key))
            ev_keymap_add(ck->exact, key, item);
        ev_sketch_text(&ck->sk, jv_string_value(text));
        ev_lsh_add(ck->near, &ck->sk);
        jv_free(text);
        jv_free(rec);
    }
}

static void
write_pair(jv eval_id, const char *train_id, const char *kind, double similarity)
{
    jv p = jv_object();
    p = jv_object_set(p, jv_string("eval_id"), jv_copy(eval_id));
    p = jv_object_set(p, jv_string("train_id"), jv_string(train_id));
    p = jv_object_set(p, jv_string("kind"), jv_string(kind));
    p = jv_object_set(p, jv_string("similarity"), jv_number(round(similarity * 1e4) / 1e4));
    ev_jsonl_write(stdout, p);
}

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* check_case writes the pairs of the eval case 'rec' (consumed, like its
 * 'id') with the training cases it leaks into: those with the same input
 * first, in training order, then near duplicates, most similar first. */
static void
check_case(checker *ck, jv rec, jv id)
{
    size_t nsame = 0;
    jv text = ev_record_prompt_text(rec);
    uint64_t key;

    if (input_key(jv_string_value(text), &key)) {
        for (size_t e = ev_keymap_find(ck->exact, key); e != EV_KEYMAP_END;
             e = ev_keymap_next(ck->exact, e)) {
            if (nsame == ck->capsame)
                ck->same = grow(ck->same, &ck->capsame, sizeof(*ck->same));
            ck->same[nsame++] = ev_keymap_item(ck->exact, e);
        }
    }
    if (nsame > 1)
        qsort(ck->same, nsame, sizeof(*ck->same), cmp_u32);
    for (size_t i = 0; i < nsame; i++)
        write_pair(id, ck->ids + ck->idoff[ck->same[i]], "exact", 1);

    ev_sketch_text(&ck->sk, jv_string_value(text));
    size_t n = ev_lsh_query(ck->near, &ck->sk, &ck->m, &ck->capm);
    size_t nnear = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t item = ck->m[i].item;
        if (nsame > 0 && bsearch(&item, ck->same, nsame, sizeof(*ck->same), cmp_u32) != NULL)
            continue;
        write_pair(id, ck->ids + ck->idoff[item], "near", ck->m[i].similarity);
        nnear++;
    }
    if (nsame > 0)
        ck->exact_leaks++;
    else if (nnear > 0)
        ck->near_leaks++;
    jv_free(text);
    jv_free(rec);
    jv_free(id);
}

static void
checker_free(checker *ck)
{
    ev_keymap_free(ck->exact);
    ev_lsh_free(ck->near);
    ev_sketch_free(&ck->sk);
    free(ck->ids);
    free(ck->idoff);
    free(ck->same);
    free(ck->m);
}

/* run_check indexes the training set, then streams the eval set past it.
 * Memory holds the training set only: its ids, its shingles and the keys of
 * its inputs and signature bands, about 1 KB a case of 20 words. */
static int
run_check(const opts *o, char **eval, int neval)
{
    checker ck = {0};
    run tr = {.o = o}, ev = {.o = o};
    char *train[1] = {o->train};

    ck.exact = ev_keymap_new();
    ck.near = ev_lsh_new(o->threshold);
    ev_jsonl_init(&tr.r, train, 1, NULL);
    load_train(&tr, &ck);
    ev_jsonl_free(&tr.r);

    jv rec, id;
    ev_jsonl_init(&ev.r, eval, neval, stdout);
    while (next_case(&ev, &rec, &id)) {
        check_case(&ck, rec, id);
        if (ferror(stdout))
            break;
    }
    ev_jsonl_free(&ev.r);

    if (!o->quiet && !ev_interrupted()) {
        unsigned long leaked = ck.exact_leaks + ck.near_leaks;
        if (leaked == 0)
            fprintf(stderr, "ev-split: none of %lu eval cases leaks into %lu training cases\n",
                    ev.cases, tr.cases);
        else
            fprintf(stderr,
                    "ev-split: %lu of %lu eval cases leak into %lu training cases: %lu with the "
                    "same input, %lu more with near duplicates\n",
                    leaked, ev.cases, tr.cases, ck.exact_leaks, ck.near_leaks);
    }
    int status = tr.status != EV_EXIT_OK ? tr.status : ev.status;
    bool leaked = ck.exact_leaks + ck.near_leaks > 0;
    checker_free(&ck);
    if (ev_diag_close_stdout() != EV_EXIT_OK)
        status = EV_EXIT_TROUBLE;
    else if (status == EV_EXIT_OK && leaked)
        status = EV_EXIT_NO;
    return ev_interrupt_status(status);
}

static FILE *
open_rest(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        ev_diag_die(EV_EXIT_TROUBLE, "cannot open '%s': %s", path, strerror(errno));
    setvbuf(f, NULL, _IOFBF, 1 << 16);
    return f;
}

/* close_rest closes the --rest file and reports a failed write. */
static int
close_rest(FILE *f, const char *path)
{
    if (f == NULL)
        return EV_EXIT_OK;
    bool bad = fflush(f) != 0 || ferror(f);
    int saved = errno;
    if (fclose(f) != 0 && !bad) {
        bad = true;
        saved = errno;
    }
    if (!bad)
        return EV_EXIT_OK;
    ev_diag_warn("cannot write '%s': %s", path, strerror(saved ? saved : EIO));
    return EV_EXIT_TROUBLE;
}

/* report prints where the cases went, unless --quiet. */
static void
report(const run *rn, const strata *st)
{
    const opts *o = rn->o;
    unsigned long rest = rn->cases - rn->out;

    if (o->quiet || (rn->cases == 0 && rn->dropped == 0))
        return;
    if (o->dedupe)
        fprintf(stderr, "ev-split: dropped %lu case%s whose input repeats an earlier one\n",
                rn->dropped, rn->dropped == 1 ? "" : "s");
    fprintf(stderr, "ev-split: %lu case%s: ", rn->cases, rn->cases == 1 ? "" : "s");
    if (o->mode == MODE_TAKE)
        fprintf(stderr, "the first %lu in hash order to standard output\n", rn->out);
    else if (o->mode == MODE_DEDUPE)
        fprintf(stderr, "%lu to standard output\n", rn->out);
    else if (o->mode == MODE_SHARD)
        fprintf(stderr, "%lu in shard %ld/%ld to standard output, ", rn->out, o->shard, o->nshards);
    else
        fprintf(stderr, "%lu to standard output, ", rn->out);
    if (o->mode == MODE_RATIO || o->mode == MODE_SHARD) {
        if (o->rest != NULL)
            fprintf(stderr, "%lu to '%s'\n", rest, o->rest);
        else
            fprintf(stderr, "%lu left out\n", rest);
    }
    if (st != NULL)
        report_tags(st);
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"check", required_argument, NULL, 'c'},
        {"dedupe", no_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {"quiet", no_argument, NULL, 'q'},
        {"ratio", required_argument, NULL, 'r'},
        {"rest", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 's'},
        {"shard", required_argument, NULL, 'k'},
        {"stratify", no_argument, NULL, 'S'},
        {"take", required_argument, NULL, 't'},
        {"threshold", required_argument, NULL, 'T'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    opts o = {.threshold = DEFAULT_THRESHOLD};
    long l;
    int c;

    while ((c = getopt_long(argc, argv, "dhqr:t:V", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            set_mode(&o, MODE_CHECK);
            o.train = optarg;
            break;
        case 'd':
            o.dedupe = true;
            break;
        case 'h':
            usage(stdout);
            return ev_diag_close_stdout();
        case 'k':
            set_mode(&o, MODE_SHARD);
            parse_shard(&o, optarg);
            break;
        case 'o':
            o.rest = optarg;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'r':
            set_mode(&o, MODE_RATIO);
            if (!ev_parse_double(optarg, 0, 1, &o.ratio))
                ev_diag_usage_error("--ratio takes a share from 0 to 1, such as 0.2, not '%s'",
                                    optarg);
            break;
        case 'S':
            o.stratify = true;
            break;
        case 's':
            if (!ev_parse_long(optarg, 0, LONG_MAX, &l))
                ev_diag_usage_error("--seed takes a whole number, not '%s'", optarg);
            o.seed = (uint64_t)l;
            o.seed_given = true;
            break;
        case 'T':
            if (!ev_parse_double(optarg, 0.1, 1, &o.threshold))
                ev_diag_usage_error("--threshold takes a similarity from 0.1 to 1, not '%s'",
                                    optarg);
            o.threshold_given = true;
            break;
        case 't':
            set_mode(&o, MODE_TAKE);
            if (!ev_parse_long(optarg, 0, LONG_MAX, &o.take))
                ev_diag_usage_error("--take takes a whole number of cases, not '%s'", optarg);
            break;
        case 'V':
            ev_diag_version();
        default:
            fprintf(stderr, "try 'ev-split --help'\n");
            return EV_EXIT_TROUBLE;
        }
    }
    char **paths = argv + optind;
    int npaths = argc - optind;
    validate(&o, paths, npaths);
    ev_text_locale();
    ev_jsonl_output_setup();
    ev_interrupt_catch();
    if (o.mode == MODE_CHECK)
        return run_check(&o, paths, npaths);

    run rn = {.o = &o, .status = EV_EXIT_OK};
    strata st = {.index = jv_object()};
    if (o.rest != NULL)
        rn.rest = open_rest(o.rest);
    if (o.dedupe)
        rn.seen = ev_keymap_new();
    ev_jsonl_init(&rn.r, paths, npaths, stdout);
    if (o.mode == MODE_TAKE)
        run_take(&rn);
    else if (o.stratify)
        run_stratify(&rn, &st);
    else
        run_stream(&rn);
    ev_jsonl_free(&rn.r);
    if (!ev_interrupted())
        report(&rn, o.stratify ? &st : NULL);
    strata_free(&st);
    ev_keymap_free(rn.seen);
    if (close_rest(rn.rest, o.rest) != EV_EXIT_OK)
        rn.status = EV_EXIT_TROUBLE;
    if (ev_diag_close_stdout() != EV_EXIT_OK)
        rn.status = EV_EXIT_TROUBLE;
    return ev_interrupt_status(rn.status);
}
