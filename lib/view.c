#include "view.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "compare_report.h"
#include "curvefile.h"
#include "diag.h"
#include "gaps.h"
#include "hash.h"
#include "html.h"
#include "intern.h"
#include "interrupt.h"
#include "json.h"
#include "jsonl.h"
#include "record.h"
#include "report.h"
#include "spill.h"

/* The failure kinds of ev_gaps_kind, in the order the page lists them. */
static const char *const kinds[] = {"error", "truncated", "refusal", "format", "wrong"};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* One run as the page reads it. */
typedef struct source {
    const char *name; /* as the user wrote it */
    char *path;       /* what is opened: 'name', or the copy of standard input */
    FILE *copy;       /* that copy, or NULL */
    ev_run run;       /* what ev-compare reads of it */
    jv *entry;        /* per case: what the run answered, or null */
    /* candidates: the per-tag counts of ev-gaps --summary */
    ev_gaps_tally tally;
    double (*kinds)[NKINDS]; /* per tag number: failures of each kind */
    size_t capkinds;
    long records, failures;
} source;

typedef struct view {
    source *src; /* the candidates, then the baseline */
    int nruns;   /* candidates */
    int nsrc;
    ev_intern *ids;           /* the case ids */
    jv *info;                 /* per case: id, input, expected and tags, or null */
    bool *info_base;          /* per case: 'info' is the baseline's, no candidate's yet */
    signed char *base_passed; /* per case: ev-gaps' baseline verdict, -1 for none */
    bool *ordered;            /* per case: placed in 'order' */
    uint32_t *order;          /* cases in the order the candidates first name them */
    size_t norder, cap;
    uint64_t key;
} view;

/* The problems found, passed on to the caller's callback, with the copy of
 * standard input named "-". */
typedef struct problems {
    ev_run_problem report;
    void *ctx;
    int count;
    const char *path; /* a path to name as "-", or NULL */
} problems;

static void
problem(jv msg, void *ctx)
{
    problems *p = ctx;
    p->count++;
    if (p->path != NULL && jv_get_kind(msg) == JV_KIND_STRING) {
        size_t n = strlen(p->path);
        const char *s = jv_string_value(msg);
        if (strncmp(s, p->path, n) == 0 && s[n] == ':') {
            jv named = jv_string_fmt("-%s", s + n);
            jv_free(msg);
            msg = named;
        }
    }
    p->report(msg, p->ctx);
}

/* copy_stdin copies standard input into a temporary file, since a run is
 * read twice: by ev_run_load and for the page. It stops early when the
 * input is interrupted. */
static FILE *
copy_stdin(jv *err)
{
    FILE *f = ev_spill_open(err);
    if (f == NULL)
        return NULL;
    char buf[65536];
    int ifd = ev_interrupt_fd();
    while (!ev_interrupt_pending()) {
        struct pollfd p[2] = {{0, POLLIN, 0}, {ifd, POLLIN, 0}};
        if (poll(p, ifd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
            break;
        if (ev_interrupt_pending())
            break;
        ssize_t got = read(0, buf, sizeof(buf));
        if (got == 0)
            break;
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got < 0 || fwrite(buf, 1, (size_t)got, f) != (size_t)got) {
            *err = jv_string_fmt("-: cannot read: %s", strerror(errno));
            fclose(f);
            return NULL;
        }
    }
    if (fflush(f) != 0) {
        *err = jv_string_fmt("-: cannot keep a copy: %s", strerror(errno));
        fclose(f);
        return NULL;
    }
    return f;
}

/* text_or_null returns 'v' (consumed) as text for the page: a string as it
 * is, other JSON pretty-printed, and null or nothing as null. */
static jv
text_or_null(jv v)
{
    jv_kind k = jv_get_kind(v);
    if (k == JV_KIND_INVALID || k == JV_KIND_NULL) {
        jv_free(v);
        return jv_null();
    }
    if (k == JV_KIND_STRING)
        return v;
    return jv_dump_string(v, JV_PRINT_PRETTY | JV_PRINT_SPACE1);
}

static jv
set_number(jv obj, const char *key, double x)
{
    return isfinite(x) ? ev_json_set(obj, key, jv_number(x)) : obj;
}

/* grow makes room for case 'i' in every per-case array. */
static void
grow(view *v, uint32_t i)
{
    if (i < v->cap)
        return;
    size_t cap = v->cap ? 2 * v->cap : 256;
    while (cap <= i)
        cap *= 2;
    v->info = ev_alloc_array(v->info, cap, sizeof(*v->info));
    v->info_base = ev_alloc_array(v->info_base, cap, sizeof(*v->info_base));
    v->base_passed = ev_alloc_array(v->base_passed, cap, sizeof(*v->base_passed));
    v->ordered = ev_alloc_array(v->ordered, cap, sizeof(*v->ordered));
    v->order = ev_alloc_array(v->order, cap, sizeof(*v->order));
    for (int s = 0; s < v->nsrc; s++)
        v->src[s].entry = ev_alloc_array(v->src[s].entry, cap, sizeof(*v->src[s].entry));
    for (size_t k = v->cap; k < cap; k++) {
        v->info[k] = jv_null();
        v->info_base[k] = false;
        v->base_passed[k] = -1;
        v->ordered[k] = false;
        for (int s = 0; s < v->nsrc; s++)
            v->src[s].entry[k] = jv_null();
    }
    v->cap = cap;
}

/* case_info returns what the page shows of a case whatever the run: its
 * 'id' (consumed), input (a string, or a list of messages as role and
 * text), expected answer and tags. */
static jv
case_info(jv rec, jv id)
{
    jv c = ev_json_set(jv_object(), "id", id);
    jv in = ev_record_input(rec);
    if (jv_get_kind(in) == JV_KIND_ARRAY) {
        jv msgs = jv_array();
        jv_array_foreach(in, i, m)
        {
            jv msg =
                ev_json_set(jv_object(), "role", ev_json_field_kind(m, "role", JV_KIND_STRING));
            msg = ev_json_set(msg, "content", ev_record_content_text(ev_json_field(m, "content")));
            msgs = jv_array_append(msgs, msg);
            jv_free(m);
            (void)i;
        }
        jv_free(in);
        c = ev_json_set(c, "input", msgs);
    } else {
        c = ev_json_set(c, "input", text_or_null(in));
    }
    c = ev_json_set(c, "expected", text_or_null(ev_record_expected(rec)));
    jv tags = ev_record_tags(rec);
    if (jv_array_length(jv_copy(tags)) == 0)
        tags = jv_array_append(tags, jv_string("(untagged)"));
    return ev_json_set(c, "tags", tags);
}

/* entry_of returns what one run answered a case, from its first record. */
static jv
entry_of(jv rec, bool failed)
{
    jv e = ev_json_set(jv_object(), "output", text_or_null(ev_json_field(rec, "output")));
    jv reason = ev_json_path(rec, "score.reason");
    e = ev_json_set(e, "reason", text_or_null(reason));
    e = set_number(e, "latency_ms", ev_json_number(rec, "call.latency_ms"));
    e = set_number(e, "cost", ev_json_number(rec, "cost.total"));
    jv err = ev_json_field(rec, "error");
    if (jv_get_kind(err) == JV_KIND_OBJECT) {
        jv kind = ev_json_field_kind(err, "kind", JV_KIND_STRING);
        jv msg = ev_json_field_kind(err, "message", JV_KIND_STRING);
        e = ev_json_set(
            e, "error",
            jv_string_fmt("%s%s%s", ev_json_str(kind, "error"),
                          jv_is_valid(msg) && jv_get_kind(msg) == JV_KIND_STRING ? ": " : "",
                          ev_json_str(msg, "")));
        jv_free(kind);
        jv_free(msg);
        jv_free(err);
    } else if (jv_get_kind(err) != JV_KIND_NULL && jv_is_valid(err)) {
        e = ev_json_set(e, "error", ev_record_text_of(err));
    } else {
        jv_free(err);
    }
    e = ev_json_set(e, "pass", jv_bool(!failed));
    if (failed) {
        const char *pattern;
        e = ev_json_set(e, "kind", jv_string(ev_gaps_kind(rec, &pattern)));
    }
    return e;
}

/* count_tags counts a candidate's record in each of its tags, as ev-gaps
 * --summary does. */
static void
count_tags(source *src, jv rec, bool failed, bool regression)
{
    int kind = -1;
    if (failed) {
        const char *pattern, *k = ev_gaps_kind(rec, &pattern);
        for (size_t i = 0; i < NKINDS; i++)
            if (strcmp(k, kinds[i]) == 0)
                kind = (int)i;
    }
    jv tags = ev_record_tags(rec);
    if (jv_array_length(jv_copy(tags)) == 0)
        tags = jv_array_append(tags, jv_string("(untagged)"));
    jv_array_foreach(tags, i, tag)
    {
        uint32_t t = ev_gaps_tally_add(&src->tally, tag, failed, regression);
        if (t >= src->capkinds) {
            size_t cap = src->capkinds ? 2 * src->capkinds : 16;
            while (cap <= t)
                cap *= 2;
            src->kinds = ev_alloc_array(src->kinds, cap, sizeof(*src->kinds));
            memset(src->kinds + src->capkinds, 0, (cap - src->capkinds) * sizeof(*src->kinds));
            src->capkinds = cap;
        }
        if (kind >= 0)
            src->kinds[t][kind]++;
        jv_free(tag);
        (void)i;
    }
    jv_free(tags);
    src->records++;
    src->failures += failed;
}

/* add_record takes one record of source 's' into the view. A record whose
 * score is malformed was reported by ev_run_load and is left out, as
 * ev-compare and ev-gaps leave it out. */
static void
add_record(view *v, int s, jv rec)
{
    source *src = &v->src[s];
    bool candidate = s < v->nruns;
    jv bad = ev_record_score_problem(rec);
    bool malformed = jv_is_valid(bad);
    jv_free(bad);
    if (malformed)
        return;
    bool failed = ev_gaps_failed(rec);
    jv id = ev_record_id(rec);
    if (!jv_is_valid(id)) { /* no case to show, but ev-gaps counts it */
        if (candidate)
            count_tags(src, rec, failed, false);
        jv_free(id);
        return;
    }
    uint32_t i = ev_intern_add(v->ids, jv_string_value(id),
                               (size_t)jv_string_length_bytes(jv_copy(id)), NULL);
    grow(v, i);
    if (candidate) {
        count_tags(src, rec, failed, failed && v->base_passed[i] == 1);
        if (!v->ordered[i]) {
            v->ordered[i] = true;
            v->order[v->norder++] = i;
        }
    } else {
        v->base_passed[i] = !failed; /* the last record decides, as in ev-gaps */
    }
    if (jv_get_kind(v->info[i]) == JV_KIND_NULL || (candidate && v->info_base[i])) {
        jv_free(v->info[i]);
        v->info[i] = case_info(rec, jv_copy(id));
        v->info_base[i] = !candidate;
    }
    jv_free(id);
    if (jv_get_kind(src->entry[i]) == JV_KIND_NULL) {
        jv_free(src->entry[i]);
        src->entry[i] = entry_of(rec, failed);
    } else if (failed && !jv_object_has(jv_copy(src->entry[i]), jv_string("kind"))) {
        const char *pattern;
        src->entry[i] = ev_json_set(src->entry[i], "kind", jv_string(ev_gaps_kind(rec, &pattern)));
    }
}

/* read_source reads every record of source 's' for the page; ev_run_load
 * has reported its bad lines. Every line goes into the key. */
static void
read_source(view *v, int s)
{
    char *paths[] = {v->src[s].path};
    ev_jsonl_reader r;
    ev_jsonl_init(&r, paths, 1, NULL);
    v->key = ev_hash_mix64(v->key + 0x72756e); /* "run": a new run begins */
    jv rec;
    int rc;
    while ((rc = ev_jsonl_next(&r, &rec)) != EV_JSONL_EOF) {
        if (rc == EV_JSONL_BAD) {
            jv_free(rec);
            continue;
        }
        size_t len;
        const char *raw = ev_jsonl_raw(&r, &len);
        v->key = ev_hash_64(raw, len, v->key);
        add_record(v, s, rec);
        jv_free(rec);
    }
    ev_jsonl_free(&r);
}

/* finish_entries gives each entry its samples and, from the run as
 * ev-compare reads it, whether the case passes: when most of its samples
 * do (ev-compare's table). A case the run left out (a record without a
 * score) keeps its record's verdict, a failure. */
static void
finish_entries(view *v)
{
    for (int s = 0; s < v->nsrc; s++) {
        source *src = &v->src[s];
        for (size_t i = 0; i < ev_intern_count(v->ids); i++) {
            if (jv_get_kind(src->entry[i]) == JV_KIND_NULL)
                continue;
            size_t len;
            const char *id = ev_intern_get(v->ids, (uint32_t)i, &len);
            long c = ev_run_find(&src->run, id, len);
            if (c < 0)
                continue;
            const ev_run_case *ec = &src->run.cases[c];
            src->entry[i] = ev_json_set(src->entry[i], "samples", jv_number(ec->samples));
            src->entry[i] = ev_json_set(src->entry[i], "passes", jv_number(ec->passes));
            src->entry[i] =
                ev_json_set(src->entry[i], "pass", jv_bool(ev_run_case_score(ec) >= 0.5));
        }
    }
}

/* --- the summary: ev-compare's report and its table's cells --------------- */

static jv
cell(jv obj, const char *key, const char *text)
{
    return ev_json_set(obj, key, jv_string(text));
}

/* run_cells: one row of ev-compare's table of runs. */
static jv
run_cells(jv r)
{
    char b[64];
    jv c = jv_object();
    c = ev_json_set(c, "run", ev_json_field_kind(r, "run", JV_KIND_STRING));
    c = cell(c, "cases", ev_report_fixed(ev_json_number(r, "cases"), 0, b, sizeof(b)));
    c = cell(c, "passes", ev_report_fixed(ev_json_number(r, "passes"), 0, b, sizeof(b)));
    c = cell(c, "accuracy", ev_report_pct(ev_json_number(r, "accuracy"), b, sizeof(b)));
    c = cell(c, "ci",
             ev_report_ci_pct(ev_json_number(r, "accuracy_ci.0"),
                              ev_json_number(r, "accuracy_ci.1"), b, sizeof(b)));
    c = cell(c, "failed", ev_report_fixed(ev_json_number(r, "failed_calls"), 0, b, sizeof(b)));
    c = cell(c, "p50", ev_report_fixed(ev_json_number(r, "latency_ms.p50"), 0, b, sizeof(b)));
    c = cell(c, "p95", ev_report_fixed(ev_json_number(r, "latency_ms.p95"), 0, b, sizeof(b)));
    return cell(c, "cost", ev_report_fixed(ev_json_number(r, "cost.per_case"), 6, b, sizeof(b)));
}

/* compare_cells: one comparison 'c' (borrowed) as ev-compare's table says
 * it (compare_report.h): 'heading', the line that names the runs, and
 * 'lines', one per figure; and the counts the page's filters show. */
static jv
compare_cells(jv c)
{
    char *buf = NULL, b[64];
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m == NULL)
        ev_diag_out_of_memory();
    ev_compare_report_pair(m, c, EV_CLI_FORMAT_TABLE);
    fclose(m);
    jv heading = jv_null(), lines = jv_array();
    for (char *line = buf, *end; line < buf + len; line = end + 1) {
        end = strchr(line, '\n');
        if (end == NULL)
            end = buf + len;
        const char *text = line + strspn(line, " ");
        if (text == end)
            continue;
        jv t = jv_string_sized(text, (int)(end - text));
        if (jv_get_kind(heading) == JV_KIND_NULL) {
            heading = t;
        } else {
            lines = jv_array_append(lines, t);
        }
    }
    free(buf);
    jv x = ev_json_set(jv_object(), "heading", heading);
    x = ev_json_set(x, "lines", lines);
    x = cell(x, "paired", ev_report_fixed(ev_json_number(c, "paired_cases"), 0, b, sizeof(b)));
    x = cell(x, "only_in_baseline",
             ev_report_fixed(ev_json_number(c, "only_in_baseline"), 0, b, sizeof(b)));
    x = cell(x, "only_in_candidate",
             ev_report_fixed(ev_json_number(c, "only_in_candidate"), 0, b, sizeof(b)));
    x = cell(x, "regressed", ev_report_fixed(ev_json_number(c, "regressed_count"), 0, b, 64));
    return cell(x, "fixed", ev_report_fixed(ev_json_number(c, "fixed_count"), 0, b, sizeof(b)));
}

/* mark sets the status of every case of 'ids' (consumed), a comparison's
 * list, to 'what'. */
static void
mark(const view *v, jv *status, jv ids, const char *what)
{
    if (jv_get_kind(ids) != JV_KIND_ARRAY) { /* no paired case: no list */
        jv_free(ids);
        return;
    }
    jv_array_foreach(ids, k, id)
    {
        uint32_t i = ev_intern_find(v->ids, jv_string_value(id),
                                    (size_t)jv_string_length_bytes(jv_copy(id)));
        if (i != EV_INTERN_NONE) {
            jv_free(status[i]);
            status[i] = jv_string(what);
        }
        jv_free(id);
        (void)k;
    }
    jv_free(ids);
}

/* statuses returns, per case, candidate 'r' against the baseline as the
 * comparison 'c' (borrowed) has it: "regressed" and "fixed" from its
 * lists, and of the other paired cases "both-pass" or "both-fail", by the
 * rule of its table; null for a case not in both runs. */
static jv *
statuses(const view *v, int r, jv c)
{
    size_t n = ev_intern_count(v->ids);
    jv *status = ev_alloc_array(NULL, n ? n : 1, sizeof(*status));
    const source *cand = &v->src[r], *base = &v->src[v->nruns];
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *id = ev_intern_get(v->ids, (uint32_t)i, &len);
        long ci = ev_run_find(&cand->run, id, len), bi = ev_run_find(&base->run, id, len);
        status[i] = ci < 0 || bi < 0                                 ? jv_null()
                    : ev_run_case_score(&cand->run.cases[ci]) >= 0.5 ? jv_string("both-pass")
                                                                     : jv_string("both-fail");
    }
    mark(v, status, ev_json_field(c, "regressed"), "regressed");
    mark(v, status, ev_json_field(c, "fixed"), "fixed");
    return status;
}

/* summary returns what ev-compare reports of the runs, the baseline first
 * (ev_compare_runs; without a baseline, each run's figures alone), with
 * each candidate's 'status' per case from its comparison's lists of ids,
 * and sets '*cells'. */
static jv
summary(view *v, const ev_view_opts *o, jv **status, jv *cells)
{
    ev_compare_opts co = {.level = 0.95,
                          .margin = o->margin,
                          .goal = o->goal,
                          .seed = 1,
                          .bootstrap = 10000,
                          .max_ids = -1};
    jv rep;
    if (v->nsrc > v->nruns) { /* the baseline first, then each candidate against it */
        ev_run *runs = ev_alloc_array(NULL, (size_t)v->nsrc, sizeof(*runs));
        for (int k = 0; k < v->nsrc; k++) /* borrowed copies */
            runs[k] = v->src[(k + v->nruns) % v->nsrc].run;
        rep = ev_compare_runs(runs, (size_t)v->nsrc, &co);
        free(runs);
    } else { /* each run on its own: no run is the baseline */
        jv rr = jv_array();
        for (int k = 0; k < v->nsrc; k++)
            rr = jv_array_append(rr, ev_compare_run(&v->src[k].run, &co));
        rep = ev_json_set(ev_json_set(jv_object(), "runs", rr), "comparisons", jv_array());
    }
    jv rc = jv_array(), cc = jv_array(), comps = jv_array();
    jv rr = ev_json_field(rep, "runs");
    jv_array_foreach(rr, k, r)
    {
        rc = jv_array_append(rc, run_cells(r));
        jv_free(r);
        (void)k;
    }
    jv_free(rr);
    jv all = ev_json_field(rep, "comparisons");
    jv_array_foreach(all, s, c)
    {
        status[s] = statuses(v, s, c);
        cc = jv_array_append(cc, compare_cells(c));
        c = jv_object_delete(jv_object_delete(c, jv_string("regressed")), jv_string("fixed"));
        comps = jv_array_append(comps, c);
    }
    jv_free(all);
    *cells = ev_json_set(ev_json_set(jv_object(), "runs", rc), "comparisons", cc);
    return ev_json_set(rep, "comparisons", comps);
}

/* --- per tag, as ev-gaps --summary counts -------------------------------- */

static jv
tag_table(const source *src, bool has_base)
{
    size_t n;
    uint32_t *order = ev_gaps_tally_worst_first(&src->tally, &n);
    jv rows = jv_array();
    for (size_t i = 0; i < n; i++) {
        const ev_gaps_count *tc = &src->tally.count[order[i]];
        char b[32];
        jv row = ev_json_set(jv_object(), "tag", ev_gaps_tally_name(&src->tally, order[i]));
        row = ev_json_set(row, "cases", jv_number(tc->cases));
        row = ev_json_set(row, "failures", jv_number(tc->failures));
        row = cell(row, "rate", ev_report_pct(tc->failures / tc->cases, b, sizeof(b)));
        jv k = jv_object();
        for (size_t j = 0; j < NKINDS; j++)
            k = ev_json_set(k, kinds[j], jv_number(src->kinds[order[i]][j]));
        row = ev_json_set(row, "kinds", k);
        if (has_base)
            row = ev_json_set(row, "regressions", jv_number(tc->regressions));
        rows = jv_array_append(rows, row);
    }
    free(order);
    jv t = ev_json_set(jv_object(), "run", jv_string(src->name));
    t = ev_json_set(t, "cases", jv_number((double)src->records));
    t = ev_json_set(t, "failures", jv_number((double)src->failures));
    return ev_json_set(t, "tags", rows);
}

/* --- the whole ------------------------------------------------------------ */

static void
view_free(view *v)
{
    for (int s = 0; s < v->nsrc; s++) {
        source *src = &v->src[s];
        for (size_t i = 0; i < v->cap; i++)
            jv_free(src->entry[i]);
        free(src->entry);
        ev_run_free(&src->run);
        if (src->copy != NULL)
            fclose(src->copy);
        free(src->path);
        ev_gaps_tally_free(&src->tally);
        free(src->kinds);
    }
    for (size_t i = 0; i < v->cap; i++)
        jv_free(v->info[i]);
    free(v->src);
    free(v->info);
    free(v->info_base);
    free(v->base_passed);
    free(v->ordered);
    free(v->order);
    ev_intern_free(v->ids);
}

/* open_sources loads each run as ev-compare does, with its problems
 * reported, and makes a copy of standard input first when one is "-".
 * Returns false when one cannot be read at all. */
static bool
open_sources(view *v, problems *pr)
{
    for (int s = 0; s < v->nsrc; s++) {
        source *src = &v->src[s];
        ev_gaps_tally_init(&src->tally);
        if (strcmp(src->name, "-") == 0) {
            jv err;
            src->copy = copy_stdin(&err);
            if (src->copy == NULL) {
                problem(err, pr);
                return false;
            }
            src->path = ev_alloc_printf("/proc/self/fd/%d", fileno(src->copy));
        } else {
            src->path = ev_alloc_strdup(src->name);
        }
        pr->path = src->copy != NULL ? src->path : NULL;
        int n = ev_run_load(&src->run, src->path, &(ev_run_opts){0}, problem, pr);
        pr->path = NULL;
        if (n < 0 || ev_interrupt_pending())
            return false;
        free(src->run.path);
        src->run.path = ev_alloc_strdup(src->name);
    }
    return true;
}

jv
ev_view_data(char **paths, int n, const ev_view_opts *o, ev_run_problem report, void *ctx,
             int *problems_found)
{
    view v = {0};
    v.nruns = n;
    v.nsrc = n + (o->baseline != NULL);
    v.src = ev_alloc_zero((size_t)v.nsrc, sizeof(*v.src));
    for (int s = 0; s < n; s++)
        v.src[s].name = paths[s];
    if (o->baseline != NULL)
        v.src[n].name = o->baseline;
    v.ids = ev_intern_new();
    problems pr = {report, ctx, 0, NULL};
    bool whole = open_sources(&v, &pr);
    for (int k = 0; whole && k < v.nsrc; k++) /* the baseline first, for regressions */
        read_source(&v, (k + n) % v.nsrc);
    *problems_found += pr.count;
    if (!whole || ev_interrupt_pending()) {
        view_free(&v);
        return jv_invalid();
    }
    finish_entries(&v);

    jv **status = ev_alloc_zero((size_t)n, sizeof(*status));
    jv data = ev_json_set(jv_object(), "ev_view", jv_number(1));
    data = ev_json_set(data, "key", jv_string_fmt("%016llx", (unsigned long long)v.key));
    jv names = jv_array();
    for (int s = 0; s < n; s++)
        names = jv_array_append(names, jv_string(paths[s]));
    data = ev_json_set(data, "runs", names);
    data = ev_json_set(data, "baseline", ev_json_string_or_null(o->baseline));
    jv cells;
    data = ev_json_set(data, "summary", summary(&v, o, status, &cells));
    data = ev_json_set(data, "cells", cells);
    jv tags = jv_array();
    for (int s = 0; s < n; s++)
        tags = jv_array_append(tags, tag_table(&v.src[s], o->baseline != NULL));
    data = ev_json_set(data, "tags", tags);
    jv curve = jv_null();
    if (o->curve != NULL) {
        curve = ev_curvefile_read(o->curve);
        if (!jv_is_valid(curve)) {
            problem(jv_invalid_get_msg(curve), &pr);
            (*problems_found)++;
            curve = jv_null();
        }
    }
    data = ev_json_set(data, "curve", curve);

    /* every case once: the candidates' order, then the baseline's own */
    size_t ncases = ev_intern_count(v.ids);
    for (size_t i = 0; i < ncases; i++)
        if (!v.ordered[i])
            v.order[v.norder++] = (uint32_t)i;
    jv cases = jv_array();
    for (size_t k = 0; k < v.norder; k++) {
        uint32_t i = v.order[k];
        jv c = v.info[i], runs = jv_array(), st = jv_array();
        v.info[i] = jv_null();
        for (int s = 0; s < n; s++) {
            runs = jv_array_append(runs, v.src[s].entry[i]);
            v.src[s].entry[i] = jv_null();
            if (o->baseline != NULL) {
                st = jv_array_append(st, status[s][i]);
                status[s][i] = jv_null();
            }
        }
        c = ev_json_set(c, "runs", runs);
        if (o->baseline != NULL) {
            c = ev_json_set(c, "base", v.src[n].entry[i]);
            v.src[n].entry[i] = jv_null();
            c = ev_json_set(c, "status", st);
        } else {
            jv_free(st);
        }
        cases = jv_array_append(cases, c);
    }
    data = ev_json_set(data, "cases", cases);
    for (int s = 0; s < n; s++) {
        for (size_t i = 0; status[s] != NULL && i < ncases; i++)
            jv_free(status[s][i]);
        free(status[s]);
    }
    free(status);
    view_free(&v);
    return data;
}

int
ev_view_write(FILE *out, jv data)
{
    return ev_html_page(out, ev_view_page, ev_view_page_len, EV_VIEW_MARKER, data);
}
