#include "gaps.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "baseline.h"
#include "ev.h"
#include "interrupt.h"
#include "json.h"
#include "jsonl.h"
#include "labels.h"
#include "pick.h"
#include "record.h"
#include "gaps_report.h"
#include "review.h"
#include "text.h"
#include "example.h"

bool
ev_gaps_failed(jv rec)
{
    jv err = ev_json_field(rec, "error");
    bool failed = jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL;
    jv_free(err);
    if (failed)
        return true;
    jv pass = ev_json_path(rec, "score.pass");
    bool passed = jv_get_kind(pass) == JV_KIND_TRUE;
    jv_free(pass);
    return !passed;
}

static bool
field_is(jv rec, const char *path, const char *const *values)
{
    jv v = ev_json_path(rec, path);
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
ev_gaps_kind(jv rec, const char **pattern)
{
    static const char *const truncated[] = {"length", "max_tokens", NULL};
    static const char *const filtered[] = {"content_filter", "refusal", NULL};
    *pattern = NULL;

    jv err = ev_json_field(rec, "error");
    bool failed = jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL;
    jv_free(err);
    if (failed)
        return "error";
    if (field_is(rec, "call.finish_reason", truncated))
        return "truncated";
    if (field_is(rec, "call.finish_reason", filtered))
        return "refusal";
    jv out = ev_json_field(rec, "output");
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
    jv parsed = ev_json_path(rec, "score.parsed");
    bool unparsed = jv_get_kind(parsed) == JV_KIND_FALSE;
    jv_free(parsed);
    if (unparsed)
        return "format";
    return "wrong";
}

void
ev_gaps_allocate(const double *weight, size_t n, long budget, long *out)
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
ev_gaps_tally_init(ev_gaps_tally *t)
{
    t->tags = ev_intern_new();
    t->count = NULL;
    t->cap = 0;
}

void
ev_gaps_tally_free(ev_gaps_tally *t)
{
    ev_intern_free(t->tags);
    free(t->count);
    memset(t, 0, sizeof(*t));
}

uint32_t
ev_gaps_tally_add(ev_gaps_tally *t, jv tag, bool failed, bool regression)
{
    bool added;
    uint32_t k = ev_intern_add(t->tags, jv_string_value(tag),
                               (size_t)jv_string_length_bytes(jv_copy(tag)), &added);
    if (added) {
        if (k >= t->cap) {
            t->cap = t->cap ? 2 * t->cap : 16;
            t->count = ev_alloc_array(t->count, t->cap, sizeof(*t->count));
        }
        t->count[k] = (ev_gaps_count){0, 0, 0};
    }
    t->count[k].cases++;
    t->count[k].failures += failed;
    t->count[k].regressions += regression;
    return k;
}

jv
ev_gaps_tally_name(const ev_gaps_tally *t, uint32_t k)
{
    size_t len;
    const char *s = ev_intern_get(t->tags, k, &len);
    return jv_string_sized(s, (int)len);
}

/* A tag with its sort keys, for ev_gaps_tally_worst_first. */
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
ev_gaps_tally_worst_first(const ev_gaps_tally *t, size_t *n)
{
    *n = ev_intern_count(t->tags);
    ranked *r = ev_alloc_array(NULL, *n ? *n : 1, sizeof(*r));
    for (size_t i = 0; i < *n; i++) {
        const ev_gaps_count *c = &t->count[i];
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

jv
ev_gaps_summary(const ev_gaps_tally *t, const char *run, long cases, long failures, long budget,
                bool regressions)
{
    size_t n;
    uint32_t *tags = ev_gaps_tally_worst_first(t, &n);
    double *weight = ev_alloc_zero(n ? n : 1, sizeof(*weight));
    long *alloc = ev_alloc_zero(n ? n : 1, sizeof(*alloc));
    for (size_t i = 0; i < n; i++)
        weight[i] = t->count[tags[i]].failures;
    if (budget >= 0)
        ev_gaps_allocate(weight, n, budget, alloc);
    jv rows = jv_array();
    for (size_t i = 0; i < n; i++) {
        const ev_gaps_count *tc = &t->count[tags[i]];
        double c = tc->cases, f = tc->failures;
        jv row = ev_json_set(jv_object(), "tag", ev_gaps_tally_name(t, tags[i]));
        row = ev_json_set(row, "cases", jv_number(c));
        row = ev_json_set(row, "failures", jv_number(f));
        row = ev_json_set(row, "failure_rate", jv_number(round(f / c * 1e9) / 1e9));
        if (regressions)
            row = ev_json_set(row, "regressions", jv_number(tc->regressions));
        if (budget >= 0)
            row = ev_json_set(row, "budget", jv_number((double)alloc[i]));
        rows = jv_array_append(rows, row);
    }
    free(tags);
    free(weight);
    free(alloc);
    jv r = ev_json_set(jv_object(), "run", jv_string(run));
    r = ev_json_set(r, "cases", jv_number((double)cases));
    r = ev_json_set(r, "failures", jv_number((double)failures));
    if (budget >= 0) {
        r = ev_json_set(r, "budget", jv_number((double)budget));
        r = ev_json_set(r, "allocation",
                        jv_string("in proportion to failures, at least one per failing tag; "
                                  "a case with several tags counts in each"));
    }
    return ev_json_set(r, "tags", rows);
}

/* The state of a run of ev-gaps. */
typedef struct gaps {
    const ev_gaps_opts *o;
    ev_jsonl_reader r;
    ev_baseline base, teacher;
    ev_labels labels;
    ev_gaps_tally tally;
    ev_sheet *sheet; /* EV_GAPS_REVIEW */
    ev_pick *pick;   /* EV_GAPS_POOL */
    uint32_t *num;   /* the tag numbers of the case at hand */
    size_t capnum;
    int status;
} gaps;

static void
trouble(gaps *g, jv msg)
{
    ev_log_warn_jv(g->o->log, msg);
    g->status = EV_EXIT_TROUBLE;
}

/* answer_of returns the answer to train on for 'rec' (borrowed), whose
 * label is 'label' and its line 'entry' (borrowed): the label's corrected
 * answer, else the teacher's where it passed; invalid for the case's
 * expected answer, or null for none when that is labelled wrong. */
static jv
answer_of(gaps *g, jv rec, enum ev_labels_label label, jv entry)
{
    jv corrected = ev_json_field_kind(entry, "corrected", JV_KIND_STRING);
    if (jv_get_kind(corrected) == JV_KIND_STRING)
        return corrected;
    jv_free(corrected);
    if (label == EV_LABELS_EXPECTED_WRONG)
        return jv_null();
    jv id = ev_record_id(rec);
    jv answer = ev_baseline_answer(&g->teacher, id);
    jv_free(id);
    return answer;
}

/* left_out says that the case at 'where' (consumed) was left out, and why
 * ('why', a message or an invalid with one, consumed). */
static void
left_out(gaps *g, jv where, jv why)
{
    jv m = jv_get_kind(why) == JV_KIND_INVALID ? jv_invalid_get_msg(why) : why;
    ev_log_warn(g->o->log, "%s: %s; left out", jv_string_value(where), jv_string_value(m));
    jv_free(m);
    jv_free(where);
}

/* example writes 'rec' (consumed) as a chat example answered by 'answer'
 * (answer_of's). Returns -1 when the output fails, 0 when the case was left
 * out (reported), 1 when written. */
static int
example(gaps *g, jv rec, jv where, jv answer)
{
    if (jv_get_kind(answer) == JV_KIND_NULL) {
        jv_free(rec);
        left_out(g, where,
                 jv_string("its expected answer is labelled wrong, and the label gives no "
                           "corrected answer"));
        return 0;
    }
    jv ex = ev_example_from_case(rec, jv_copy(g->o->system), answer);
    jv_free(rec);
    if (!jv_is_valid(ex)) {
        left_out(g, where, ex);
        return 0;
    }
    jv_free(where);
    return ev_jsonl_write(g->o->out, ex) == 0 ? 1 : -1;
}

/* preference writes the failure 'rec' (borrowed), labelled 'label' with the
 * line 'entry' (borrowed), as a preference example: the answer to train on
 * preferred to the failing output. A failure without an output is counted,
 * and one that is not a scored failure, or breaks a rule of the format, is
 * left out with a warning. Returns -1 when the output fails. */
static int
preference(gaps *g, jv rec, enum ev_labels_label label, jv entry, ev_gaps_result *res)
{
    jv err = ev_json_field(rec, "error"), out = ev_json_field(rec, "output");
    jv pass = ev_json_path(rec, "score.pass");
    bool error = jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL;
    bool none = !jv_is_valid(out) || jv_get_kind(out) == JV_KIND_NULL;
    bool unscored = jv_get_kind(pass) != JV_KIND_FALSE && label != EV_LABELS_MODEL_WRONG;
    jv_free(err);
    jv_free(pass);
    if (error || none) {
        jv_free(out);
        res->no_output++;
        return 0;
    }
    if (unscored) {
        jv_free(out);
        res->skipped++;
        left_out(g, ev_jsonl_where(&g->r), jv_string("case has no score; ev-score scores it"));
        return 0;
    }
    jv ex = ev_example_preference_from_case(
        rec, jv_copy(g->o->system), answer_of(g, rec, label, entry), ev_record_text_of(out));
    if (!jv_is_valid(ex)) {
        res->skipped++;
        left_out(g, ev_jsonl_where(&g->r), ex);
        return 0;
    }
    res->written++;
    return ev_jsonl_write(g->o->out, ex) == 0 ? 0 : -1;
}

/* fix writes the case 'rec' (borrowed), labelled expected-wrong with the
 * line 'entry' (borrowed), to the list of eval cases to fix. */
static int
fix(gaps *g, jv rec, jv entry)
{
    if (g->o->fixes == NULL)
        return 0;
    jv c = ev_json_set(jv_object(), "id", ev_record_id(rec));
    c = ev_json_set(c, "input", ev_record_input(rec));
    jv expected = ev_record_expected(rec);
    if (jv_is_valid(expected))
        c = ev_json_set(c, "expected", expected);
    else
        jv_free(expected);
    static const char *const keys[] = {"tags", "corrected", "note", "reviewer"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        jv v = ev_json_field(i == 0 ? rec : entry, keys[i]);
        if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL)
            c = ev_json_set(c, keys[i], v);
        else
            jv_free(v);
    }
    return ev_jsonl_write(g->o->fixes, c);
}

/* tally_add counts a case in each of its 'tags', and leaves their numbers
 * in 'g->num'. Returns their count. */
static size_t
tally_add(gaps *g, jv tags /* borrowed */, bool failed, bool regression)
{
    size_t n = (size_t)jv_array_length(jv_copy(tags));
    if (n > g->capnum) {
        g->capnum = n;
        g->num = ev_alloc_array(g->num, n, sizeof(*g->num));
    }
    jv_array_foreach(tags, i, tag)
    {
        g->num[i] = ev_gaps_tally_add(&g->tally, tag, failed, regression);
        jv_free(tag);
    }
    return n;
}

/* gap_of returns the gap of the failure 'rec' (borrowed), with its standing
 * against the baseline 'vs' (a string, or invalid) and its 'label'. */
static jv
gap_of(jv rec, jv vs, enum ev_labels_label label)
{
    const char *pattern;
    jv gap = ev_json_set(jv_object(), "kind", jv_string(ev_gaps_kind(rec, &pattern)));
    if (pattern != NULL)
        gap = ev_json_set(gap, "pattern", jv_string(pattern));
    if (label != EV_LABELS_NONE)
        gap = ev_json_set(gap, "label", jv_string(ev_labels_name(label)));
    if (jv_is_valid(vs))
        return ev_json_set(gap, "baseline", vs);
    jv_free(vs);
    return gap;
}

/* relabel returns whether the case 'rec' (borrowed), labelled 'label',
 * failed, and counts what the label changed. */
static bool
relabel(jv rec, enum ev_labels_label label, ev_gaps_result *res)
{
    bool scored = ev_gaps_failed(rec);
    bool failed = label == EV_LABELS_OK ? false : label == EV_LABELS_MODEL_WRONG ? true : scored;
    res->labelled_ok += label == EV_LABELS_OK;
    res->made_failures += failed && !scored;
    res->changed += failed != scored;
    return failed;
}

/* scored_case tallies the scored case 'rec' (consumed), labelled 'label'
 * with the line 'entry' (borrowed), and, when it failed, writes it or files
 * it as the mode says. Returns -1 when the output fails. */
static int
scored_case(gaps *g, jv rec, enum ev_labels_label label, jv entry, ev_gaps_result *res)
{
    const ev_gaps_opts *o = g->o;
    bool failed = relabel(rec, label, res);
    jv err = ev_json_field(rec, "error"), pass = ev_json_path(rec, "score.pass");
    bool error = jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL;
    jv_kind kind = jv_get_kind(pass);
    res->errors += error;
    res->scored += !error && (kind == JV_KIND_TRUE || kind == JV_KIND_FALSE);
    jv_free(err);
    jv_free(pass);
    jv id = ev_record_id(rec);
    jv vs = jv_invalid();
    uint32_t b = ev_baseline_find(&g->base, id);
    if (b != EV_INTERN_NONE && failed)
        vs = jv_string(ev_baseline_passed(&g->base, b) ? "regression" : "both-fail");
    jv beside =
        o->mode == EV_GAPS_REVIEW && failed ? ev_baseline_answer(&g->base, id) : jv_invalid();
    jv_free(id);
    bool regression = jv_is_valid(vs) && strcmp(jv_string_value(vs), "regression") == 0;
    jv tags = ev_record_tags(rec);
    if (jv_array_length(jv_copy(tags)) == 0)
        tags = jv_array_append(tags, jv_string("(untagged)"));
    if (o->mode == EV_GAPS_POOL)
        ev_pick_aim(g->pick, rec, failed, jv_copy(tags));
    size_t ntags = tally_add(g, tags, failed, regression);
    int rc = 0;
    if (failed) {
        res->failures++;
        jv gap = gap_of(rec, vs, label);
        vs = jv_invalid();
        if (o->mode == EV_GAPS_REVIEW) {
            ev_review_add(g->sheet, rec, gap, beside, tags, g->num, ntags, ev_jsonl_where(&g->r));
            beside = jv_invalid();
        } else if (o->mode == EV_GAPS_PREFERENCE) {
            rc = preference(g, rec, label, entry, res);
        } else if (o->mode == EV_GAPS_RECORDS) {
            rc = ev_jsonl_write_merged(o->out, &g->r, rec, ev_json_set(jv_object(), "gap", gap));
            rec = jv_invalid();
            gap = jv_invalid();
        }
        jv_free(gap);
    }
    jv_free(beside);
    jv_free(vs);
    jv_free(tags);
    jv_free(rec);
    return rc;
}

/* read_run reads the run, case by case. */
static void
read_run(gaps *g, ev_gaps_result *res)
{
    const ev_gaps_opts *o = g->o;
    unsigned long problems = 0;
    jv rec;
    while (ev_jsonl_good(&g->r, &rec, o->log, &problems)) {
        jv problem = o->mode == EV_GAPS_TRAIN ? jv_invalid() : ev_record_score_problem(rec);
        if (jv_is_valid(problem)) {
            trouble(g, ev_jsonl_at(&g->r, problem));
            jv_free(rec);
            continue;
        }
        jv_free(problem);
        jv id = ev_record_id(rec), entry;
        enum ev_labels_label label = ev_labels_find(&g->labels, id, &entry);
        jv_free(id);
        int rc = 0;
        if (label == EV_LABELS_EXPECTED_WRONG) {
            res->expected_wrong++;
            res->changed++;
            rc = fix(g, rec, entry);
        }
        if (o->mode == EV_GAPS_TRAIN && rc == 0) {
            res->cases++;
            rc = example(g, jv_copy(rec), ev_jsonl_where(&g->r), answer_of(g, rec, label, entry));
            res->written += rc == 1;
            res->skipped += rc == 0;
            rc = rc < 0 ? -1 : 0;
        } else if (label != EV_LABELS_EXPECTED_WRONG && rc == 0) {
            res->cases++;
            rc = scored_case(g, jv_copy(rec), label, entry, res);
        }
        jv_free(entry);
        jv_free(rec);
        if (rc != 0)
            break;
    }
    if (problems > 0)
        g->status = EV_EXIT_TROUBLE;
}

/* write_picks writes the cases picked from the pool: their lines, or
 * training examples. */
static void
write_picks(gaps *g, jv picked /* borrowed */)
{
    const ev_gaps_opts *o = g->o;
    jv lines = ev_json_field(picked, "picked");
    jv_array_foreach(lines, i, pick)
    {
        jv raw = jv_array_get(jv_copy(pick), 1);
        long at = (long)ev_json_number(pick, "0");
        jv_free(pick);
        int rc;
        if (o->as_train) {
            jv where = jv_string_fmt("%s:%ld", o->pool, at + 1);
            jv rec = jv_parse(jv_string_value(raw));
            jv answer = answer_of(g, rec, EV_LABELS_NONE, jv_null());
            rc = example(g, rec, where, answer) < 0 ? -1 : 0;
        } else {
            fputs(jv_string_value(raw), o->out);
            rc = fputc('\n', o->out) == EOF ? -1 : 0;
        }
        jv_free(raw);
        if (rc != 0)
            break;
        (void)i;
    }
    jv_free(lines);
}

/* finish writes what the mode writes once the whole run is read. */
static void
finish(gaps *g, const char *run, ev_gaps_result *res)
{
    const ev_gaps_opts *o = g->o;
    const char *why = ev_gaps_no_evidence(res);
    bool claims = o->mode == EV_GAPS_SUMMARY || o->mode == EV_GAPS_PREFERENCE;
    if (claims && why != NULL) {
        bool in = strcmp(run, "-") == 0;
        ev_log_warn(o->log, "%s%s%s %s: no gaps to report%s", in ? "" : "'",
                    in ? "standard input" : run, in ? "" : "'", why,
                    strcmp(why, "has no scored case") == 0 ? "; ev-score scores it" : "");
        g->status = EV_EXIT_TROUBLE;
    } else if (o->mode == EV_GAPS_SUMMARY) {
        jv rep = ev_gaps_summary(&g->tally, run, res->cases, res->failures, o->budget,
                                 o->baseline != NULL);
        if (o->labels != NULL)
            rep = ev_json_set(rep, "labels", ev_gaps_labels(res));
        ev_gaps_report_print(o->out, rep, o->format, o->baseline != NULL);
    } else if (o->mode == EV_GAPS_REVIEW) {
        jv err;
        if (ev_review_print(g->sheet, o->out, &g->tally, run, res->failures, res->cases, &err) !=
            0) {
            trouble(g, jv_string_fmt("review sheet: %s", jv_string_value(err)));
            jv_free(err);
        }
    } else if (o->mode == EV_GAPS_POOL) {
        unsigned long problems;
        res->picked = ev_pick_from(g->pick, &g->tally, o->pool, o->budget, o->log, &problems);
        if (problems > 0)
            g->status = EV_EXIT_TROUBLE;
        if (jv_is_valid(res->picked) && jv_get_kind(res->picked) != JV_KIND_NULL)
            write_picks(g, res->picked);
    }
}

int
ev_gaps_run(const ev_gaps_opts *o, char **paths, int npaths, ev_gaps_result *res)
{
    gaps g = {.o = o, .status = EV_EXIT_OK};
    *res = (ev_gaps_result){.picked = jv_null()};
    if (o->mode == EV_GAPS_REVIEW) {
        jv err;
        g.sheet = ev_sheet_new(&err);
        if (g.sheet == NULL) {
            ev_log_warn_jv(o->log, err);
            return EV_EXIT_TROUBLE;
        }
    }
    enum ev_baseline_keep keep =
        o->mode == EV_GAPS_REVIEW ? EV_BASELINE_OUTPUTS : EV_BASELINE_VERDICTS;
    if (o->baseline != NULL && ev_baseline_load(&g.base, o->baseline, keep, o->log))
        g.status = EV_EXIT_TROUBLE;
    if (o->teacher != NULL && ev_baseline_load(&g.teacher, o->teacher, EV_BASELINE_TEACHER, o->log))
        g.status = EV_EXIT_TROUBLE;
    if (o->labels != NULL && ev_labels_load(&g.labels, o->labels, o->log))
        g.status = EV_EXIT_TROUBLE;
    if (o->mode == EV_GAPS_POOL)
        g.pick = ev_pick_new(o->threshold);
    ev_gaps_tally_init(&g.tally);
    ev_jsonl_init(&g.r, paths, npaths, o->out);
    read_run(&g, res);
    ev_jsonl_free(&g.r);
    if (!ev_interrupt_pending()) /* no report, and no picks, from part of the run */
        finish(&g, npaths >= 1 ? paths[0] : "-", res);
    ev_pick_free(g.pick);
    ev_sheet_free(g.sheet);
    free(g.num);
    ev_gaps_tally_free(&g.tally);
    ev_baseline_free(&g.base);
    ev_baseline_free(&g.teacher);
    res->labels_unused = ev_labels_unused(&g.labels);
    ev_labels_free(&g.labels);
    return g.status;
}

const char *
ev_gaps_no_evidence(const ev_gaps_result *res)
{
    if (res->scored > 0)
        return NULL;
    if (res->cases == 0)
        return "has no case";
    return res->errors == res->cases ? "has no scored case, only failed calls"
                                     : "has no scored case";
}

jv
ev_gaps_labels(const ev_gaps_result *res)
{
    jv l = ev_json_set(jv_object(), "changed", jv_number((double)res->changed));
    l = ev_json_set(l, "expected_wrong", jv_number((double)res->expected_wrong));
    l = ev_json_set(l, "ok", jv_number((double)res->labelled_ok));
    return ev_json_set(l, "made_failures", jv_number((double)res->made_failures));
}
