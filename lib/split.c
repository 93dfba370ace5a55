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
#include "keymap.h"
#include "near.h"
#include "record.h"
#include "spill.h"
#include "take.h"

uint64_t
ev_split_key(const char *id, size_t len, uint64_t seed)
{
    return ev_hash64(id, len, seed);
}

bool
ev_split_in(uint64_t key, double ratio)
{
    return ev_unit(key) < ratio;
}

long
ev_split_shard(uint64_t key, long n)
{
    long s = (long)(ev_unit(ev_mix64(key ^ 0x5368617264ULL)) * (double)n); /* "Shard" */
    return (s < n ? s : n - 1) + 1;
}

long
ev_split_quota(double ratio, long n, uint64_t stratum_key)
{
    double x = ratio * (double)n;
    long q = (long)floor(x);
    if (ev_unit(stratum_key) < x - (double)q)
        q++;
    return q < 0 ? 0 : q > n ? n : q;
}

bool
ev_split_next(ev_reader *r, jv *rec, jv *id, void (*problem)(jv msg, void *ctx), void *ctx,
              unsigned long *problems)
{
    while (ev_reader_good(r, rec, problem, ctx, problems)) {
        *id = ev_rec_id(*rec);
        if (jv_is_valid(*id))
            return true;
        problem(ev_reader_at(r, *id), ctx);
        (*problems)++;
        jv_free(*rec);
    }
    return false;
}

/* A run of ev_split_run. */
typedef struct run {
    const ev_split_opts *o;
    ev_reader r;
    ev_keymap *seen; /* --dedupe: keys of the inputs so far */
    ev_split_result *res;
    unsigned long problems;
} run;

/* repeats says whether the input of 'rec' (borrowed) was seen before, and
 * remembers it. */
static bool
repeats(run *rn, jv rec)
{
    jv text = ev_prompt_text(rec);
    uint64_t key;
    bool has = ev_near_key(jv_string_value(text), &key);
    jv_free(text);
    if (!has)
        return false;
    if (ev_keymap_find(rn->seen, key) != EV_KEYMAP_END)
        return true;
    ev_keymap_add(rn->seen, key, 0);
    return false;
}

/* next_case reads the next case to split, dropping repeated inputs under
 * --dedupe. */
static bool
next_case(run *rn, jv *rec, jv *id)
{
    while (ev_split_next(&rn->r, rec, id, rn->o->problem, rn->o->ctx, &rn->problems)) {
        if (rn->seen != NULL && repeats(rn, *rec)) {
            rn->res->dropped++;
            jv_free(*rec);
            jv_free(*id);
            continue;
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
        ev_write_extended(f, raw, len, jv_object_set(jv_object(), jv_string("id"), id));
    } else {
        ev_write_record(f, jv_object_set(rec, jv_string("id"), id));
    }
}

static void
emit_read(run *rn, FILE *f, jv rec, jv id)
{
    size_t len;
    const char *raw = ev_reader_raw(&rn->r, &len);
    emit(f, rec, id, raw, len);
}

static bool
write_failed(const run *rn)
{
    return ferror(rn->o->out) || (rn->o->rest != NULL && ferror(rn->o->rest));
}

/* run_stream decides each case as it comes: --ratio, --shard and --dedupe
 * alone. Memory stays the same however large the pool (--dedupe adds about
 * 40 bytes a distinct input). */
static void
run_stream(run *rn)
{
    const ev_split_opts *o = rn->o;
    jv rec, id;

    while (next_case(rn, &rec, &id)) {
        uint64_t key = key_of(rn, id);
        bool in = true;
        if (o->mode == EV_SPLIT_RATIO)
            in = ev_split_in(key, o->ratio);
        else if (o->mode == EV_SPLIT_SHARD)
            in = ev_split_shard(key, o->nshards) == o->shard;
        FILE *to = in ? o->out : o->rest;
        rn->res->out += in;
        if (to != NULL) {
            emit_read(rn, to, rec, id);
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

/* line_of returns the line that emit would write for the case. */
static struct line *
line_of(run *rn, jv rec, jv id)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    if (m == NULL)
        ev_out_of_memory();
    emit_read(rn, m, rec, id);
    if (fclose(m) != 0)
        ev_out_of_memory();
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
    bool whole = !ev_interrupted();
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

static void
stop(run *rn, jv msg)
{
    rn->o->problem(msg, rn->o->ctx);
    rn->problems++;
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

/* run_stratify splits each stratum on its own (strata.h). The cases' lines
 * wait in a temporary file, so memory holds about 50 bytes a case at its
 * peak (in the sort), and the output keeps input order. */
static void
run_stratify(run *rn)
{
    jv err;
    FILE *tmp = ev_spill_open(&err);
    if (tmp == NULL) {
        stop(rn, err);
        return;
    }
    ev_strata *st = ev_strata_new();
    rn->res->strata = st;
    jv rec, id;
    while (next_case(rn, &rec, &id)) {
        if (!ev_strata_add(st, rec, key_of(rn, id))) {
            stop(rn, jv_string("too many cases for --stratify"));
            jv_free(rec);
            jv_free(id);
            fclose(tmp);
            return;
        }
        emit_read(rn, tmp, rec, id);
    }
    if (!ev_interrupted()) { /* strata of part of the input: none is written */
        size_t n = rn->res->cases;
        bool *out = ev_alloc_zero(n ? n : 1, sizeof(*out));
        ev_strata_decide(st, rn->o->ratio, rn->o->seed, out);
        write_back(rn, tmp, out, n);
        free(out);
    }
    fclose(tmp);
}

unsigned long
ev_split_run(const ev_split_opts *o, char **paths, int npaths, ev_split_result *res)
{
    run rn = {.o = o, .res = res};
    *res = (ev_split_result){0};
    if (o->dedupe)
        rn.seen = ev_keymap_new();
    ev_reader_init(&rn.r, paths, npaths, o->out);
    if (o->mode == EV_SPLIT_TAKE)
        run_take(&rn);
    else if (o->stratify)
        run_stratify(&rn);
    else
        run_stream(&rn);
    ev_reader_free(&rn.r);
    ev_keymap_free(rn.seen);
    return rn.problems;
}
