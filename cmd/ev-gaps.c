/*
 * ev-gaps: where the small model fails, and which data to add next.
 *
 * Reads a scored run and writes its failures, each with gap = {kind, ...}:
 * error, truncated, refusal, format or wrong, and against a baseline run
 * whether it is a regression. --summary tabulates failures per tag and spreads
 * a budget of new training examples over them; --review writes a Markdown
 * sheet for the person who reviews failures; --as train turns cases into chat
 * training examples.
 */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cli.h"
#include "diag.h"
#include "ev.h"
#include "interrupt.h"
#include "gaps.h"
#include "intern.h"
#include "jsonl.h"
#include "minhash.h"
#include "record.h"
#include "runs.h"
#include "sheet.h"
#include "text.h"
#include "example.h"

enum mode { MODE_RECORDS, MODE_SUMMARY, MODE_REVIEW, MODE_TRAIN, MODE_POOL };

typedef struct options {
    enum mode mode;
    enum ev_format format;
    long budget; /* -1 when not given */
    const char *baseline, *teacher, *pool;
    jv system;        /* string or null */
    double threshold; /* near-duplicate similarity that counts as a leak */
    bool as_train;
    bool quiet;
} options;

/* What --from-pool keeps of the run: every case's prompt, to keep leaks out,
 * and the failing prompts per tag, to aim at. */
typedef struct aim {
    ev_lsh *eval;      /* every run case, for near-duplicate leaks */
    jv eval_exact;     /* normalised prompt -> true, for exact leaks */
    ev_sketch *failed; /* sketches of the failing prompts */
    jv failed_tags;    /* array: the tags of each failing prompt */
    size_t nfailed, capfailed;
} aim;

/* What ev-gaps keeps of a baseline or teacher run: for each case id,
 * whether it passed; of a teacher, only its passing answers. */
typedef struct verdicts {
    ev_intern *ids;
    bool *passed;       /* per id */
    uint32_t *answer;   /* teacher: per id, its answer in 'answers' */
    ev_intern *answers; /* teacher: the distinct passing answers */
    size_t cap;
} verdicts;

static void
usage(FILE *f)
{
    fputs("usage: ev-gaps [-b BASELINE] [-q] [RUN ...]\n"
          "       ev-gaps --summary [-k BUDGET] [-b BASELINE] [-f FORMAT] [RUN]\n"
          "       ev-gaps --review [-b BASELINE] [RUN]\n"
          "       ev-gaps --from-pool POOL -k BUDGET [--as train] [-t TEACHER] [RUN]\n"
          "       ev-gaps --as train [-t TEACHER] [--system TEXT] [RUN]\n"
          "\n"
          "Write the failures of a scored run, each with gap = {kind, ...}, where kind is\n"
          "error, truncated, refusal, format or wrong.\n"
          "\n"
          "  -b, --baseline RUN   mark each failure a regression (the baseline passed) or\n"
          "                       both-fail, and count regressions per tag\n"
          "  -s, --summary        a per-tag table of cases, failures, failure rate and\n"
          "                       regressions, worst first\n"
          "  -k, --budget K       with --summary: how to spread K new training examples\n"
          "                       across tags, in proportion to failures, at least one\n"
          "                       per failing tag; with --from-pool: how many to pick\n"
          "  -r, --review         a Markdown review sheet of the failures, grouped by tag\n"
          "  -p, --from-pool POOL pick BUDGET new training cases from POOL, aimed at the\n"
          "                       failing tags and most like the failing inputs, never\n"
          "                       one that leaks into the run's own cases\n"
          "      --threshold T    with --from-pool: the similarity, 0 to 1, from which a\n"
          "                       pool case counts as a leak (default 0.8)\n"
          "      --as train       write cases as chat fine-tuning examples instead\n"
          "  -t, --teacher RUN    with --as train: take the answer from RUN (a baseline\n"
          "                       model's run) where that run passed: distillation\n"
          "      --system TEXT    with --as train: a system message for each example\n"
          "  -f, --format FORMAT  for --summary: table, json, markdown or tsv (default:\n"
          "                       table on a terminal, json otherwise)\n"
          "  -q, --quiet          no summary line on standard error\n"
          "  -h, --help           show this help\n"
          "  -V, --version        show the version\n"
          "\n"
          "Exit status: 0 done, 2 trouble. See ev-gaps(1).\n",
          f);
}

/* tally_add counts a case in each of its 'tags' (consumed), and leaves
 * their numbers in '*num', which it grows to hold them. Returns their count. */
static size_t
tally_add(ev_tag_tally *t, jv tags, bool failed, bool regression, uint32_t **num, size_t *cap)
{
    size_t n = (size_t)jv_array_length(jv_copy(tags));
    if (n > *cap) {
        *cap = n;
        *num = ev_alloc_array(*num, n, sizeof(**num));
    }
    jv_array_foreach(tags, i, tag)
    {
        (*num)[i] = ev_tag_tally_add(t, tag, failed, regression);
        jv_free(tag);
    }
    jv_free(tags);
    return n;
}

static jv
summary_report(const ev_tag_tally *t, const options *o, const char *run, long failures, long cases)
{
    size_t n;
    uint32_t *tags = ev_tag_tally_worst_first(t, &n);
    double *weight = ev_alloc_zero(n ? n : 1, sizeof(*weight));
    long *alloc = ev_alloc_zero(n ? n : 1, sizeof(*alloc));
    for (size_t i = 0; i < n; i++)
        weight[i] = t->count[tags[i]].failures;
    if (o->budget >= 0)
        ev_allocate(weight, n, o->budget, alloc);
    jv rows = jv_array();
    for (size_t i = 0; i < n; i++) {
        const ev_tag_count *tc = &t->count[tags[i]];
        double c = tc->cases, f = tc->failures;
        jv row = jv_object();
        row = jv_object_set(row, jv_string("tag"), ev_tag_tally_name(t, tags[i]));
        row = jv_object_set(row, jv_string("cases"), jv_number(c));
        row = jv_object_set(row, jv_string("failures"), jv_number(f));
        row = jv_object_set(row, jv_string("failure_rate"), jv_number(round(f / c * 1e9) / 1e9));
        if (o->baseline != NULL)
            row = jv_object_set(row, jv_string("regressions"), jv_number(tc->regressions));
        if (o->budget >= 0)
            row = jv_object_set(row, jv_string("budget"), jv_number((double)alloc[i]));
        rows = jv_array_append(rows, row);
    }
    free(tags);
    free(weight);
    free(alloc);
    jv r = jv_object_set(jv_object(), jv_string("run"), jv_string(run));
    r = jv_object_set(r, jv_string("cases"), jv_number((double)cases));
    r = jv_object_set(r, jv_string("failures"), jv_number((double)failures));
    if (o->budget >= 0) {
        r = jv_object_set(r, jv_string("budget"), jv_number((double)o->budget));
        r = jv_object_set(r, jv_string("allocation"),
                          jv_string("in proportion to failures, at least one per failing tag; "
                                    "a case with several tags counts in each"));
    }
    return jv_object_set(r, jv_string("tags"), rows);
}

static void
print_summary(jv rep, const options *o, enum ev_format f)
{
    jv rows = jv_object_get(jv_copy(rep), jv_string("tags"));
    bool reg = o->baseline != NULL, bud = o->budget >= 0;
    if (f == EV_FORMAT_TSV) {
        printf("tag\tcases\tfailures\tfailure_rate%s%s\n", reg ? "\tregressions" : "",
               bud ? "\tbudget" : "");
    } else if (f == EV_FORMAT_MARKDOWN) {
        printf("| tag | cases | failures | failure rate |%s%s\n|---|--:|--:|--:|%s%s\n",
               reg ? " regressions |" : "", bud ? " budget |" : "", reg ? "--:|" : "",
               bud ? "--:|" : "");
    } else {
        printf("%-24s %7s %8s %8s%s%s\n", "tag", "cases", "failures", "rate",
               reg ? " regressions" : "", bud ? "  budget" : "");
    }
    jv_array_foreach(rows, i, row)
    {
        jv tag = jv_object_get(jv_copy(row), jv_string("tag"));
        double c = jv_number_value(jv_object_get(jv_copy(row), jv_string("cases")));
        jv fj = jv_object_get(jv_copy(row), jv_string("failures"));
        jv rj = jv_object_get(jv_copy(row), jv_string("regressions"));
        jv bj = jv_object_get(jv_copy(row), jv_string("budget"));
        double fl = jv_number_value(fj);
        const char *name = jv_string_value(tag);
        if (f == EV_FORMAT_TSV) {
            printf("%s\t%.0f\t%.0f\t%.6f", name, c, fl, fl / c);
            if (reg)
                printf("\t%.0f", jv_number_value(rj));
            if (bud)
                printf("\t%.0f", jv_number_value(bj));
            printf("\n");
        } else if (f == EV_FORMAT_MARKDOWN) {
            printf("| %s | %.0f | %.0f | %.1f%% |", name, c, fl, 100 * fl / c);
            if (reg)
                printf(" %.0f |", jv_number_value(rj));
            if (bud)
                printf(" %.0f |", jv_number_value(bj));
            printf("\n");
        } else {
            printf("%-24s %7.0f %8.0f %7.1f%%", name, c, fl, 100 * fl / c);
            if (reg)
                printf(" %11.0f", jv_number_value(rj));
            if (bud)
                printf(" %7.0f", jv_number_value(bj));
            printf("\n");
        }
        jv_free(tag);
        jv_free(fj);
        jv_free(rj);
        jv_free(bj);
        jv_free(row);
        (void)i;
    }
    jv_free(rows);
}

/* warn_at reports 'msg' (a string or an invalid with a message, consumed)
 * at the reader's position. */
static void
warn_at(const ev_jsonl_reader *r, jv msg)
{
    if (jv_get_kind(msg) == JV_KIND_INVALID)
        msg = jv_invalid_get_msg(msg);
    jv where = ev_jsonl_where(r);
    ev_diag_warn("%s: %s", jv_string_value(where), jv_string_value(msg));
    jv_free(where);
    jv_free(msg);
}

/* bad_score reports what is wrong with the score of 'rec' (borrowed), when
 * anything is, and says whether anything was. A record without a score is a
 * failure, not a problem. */
static bool
bad_score(const ev_jsonl_reader *r, jv rec)
{
    jv problem = ev_record_score_problem(rec);
    if (!jv_is_valid(problem)) {
        jv_free(problem);
        return false;
    }
    warn_at(r, problem);
    return true;
}

/* verdict_set records that case 'id' passed or not; of a teacher, only a
 * passing 'answer' (consumed) is kept. A later record of the same id wins. */
static void
verdict_set(verdicts *v, jv id, bool passed, jv answer)
{
    uint32_t i = ev_intern_add(v->ids, jv_string_value(id),
                               (size_t)jv_string_length_bytes(jv_copy(id)), NULL);
    jv_free(id);
    if (i >= v->cap) {
        v->cap = v->cap ? 2 * v->cap : 256;
        v->passed = ev_alloc_array(v->passed, v->cap, sizeof(*v->passed));
        if (v->answers != NULL)
            v->answer = ev_alloc_array(v->answer, v->cap, sizeof(*v->answer));
    }
    v->passed[i] = passed;
    if (v->answers != NULL) {
        v->answer[i] = ev_intern_add(v->answers, jv_string_value(answer),
                                     (size_t)jv_string_length_bytes(jv_copy(answer)), NULL);
    }
    jv_free(answer);
}

/* verdict_of returns the position of case 'id' (borrowed) in 'v', or
 * EV_INTERN_NONE when 'v' has none or does not hold it. */
static uint32_t
verdict_of(const verdicts *v, jv id)
{
    if (v->ids == NULL || !jv_is_valid(id))
        return EV_INTERN_NONE;
    return ev_intern_find(v->ids, jv_string_value(id), (size_t)jv_string_length_bytes(jv_copy(id)));
}

/* teacher_answer returns the teacher's passing answer for case 'id'
 * (borrowed), or invalid when it has none. */
static jv
teacher_answer(const verdicts *v, jv id)
{
    uint32_t i = verdict_of(v, id);
    if (i == EV_INTERN_NONE)
        return jv_invalid();
    size_t len;
    const char *s = ev_intern_get(v->answers, v->answer[i], &len);
    return jv_string_sized(s, (int)len);
}

static void
verdicts_free(verdicts *v)
{
    ev_intern_free(v->ids);
    ev_intern_free(v->answers);
    free(v->passed);
    free(v->answer);
}

/* load_verdicts reads whether each case of RUN passed, and with 'answers'
 * the answers of those that did (a teacher's). */
static verdicts
load_verdicts(const char *path, bool answers, int *status)
{
    verdicts v = {ev_intern_new(), NULL, NULL, answers ? ev_intern_new() : NULL, 0};
    char *paths[] = {(char *)path};
    ev_jsonl_reader r;
    ev_jsonl_init(&r, paths, 1, NULL);
    jv rec;
    int rc;
    while ((rc = ev_jsonl_next(&r, &rec)) != EV_JSONL_EOF) {
        if (rc == EV_JSONL_BAD) {
            ev_diag_warn_jv(rec);
            *status = EV_EXIT_TROUBLE;
            continue;
        }
        jv id = ev_record_id(rec);
        if (!jv_is_valid(id) || bad_score(&r, rec)) {
            if (!jv_is_valid(id))
                warn_at(&r, id);
            else
                jv_free(id);
            jv_free(rec);
            *status = EV_EXIT_TROUBLE;
            continue;
        }
        bool passed = !ev_failed(rec);
        jv out = ev_get(rec, "output");
        if (!answers)
            verdict_set(&v, id, passed, jv_null());
        else if (passed && jv_get_kind(out) == JV_KIND_STRING)
            verdict_set(&v, id, passed, jv_copy(out));
        else
            jv_free(id);
        jv_free(out);
        jv_free(rec);
    }
    ev_jsonl_free(&r);
    return v;
}

static void
print_fenced(FILE *out, const char *label, jv v)
{
    jv text = jv_get_kind(v) == JV_KIND_ARRAY || jv_get_kind(v) == JV_KIND_OBJECT
                  ? jv_dump_string(v, JV_PRINT_PRETTY | JV_PRINT_SPACE1)
                  : ev_record_text_of(v);
    const char *s = jv_string_value(text);
    /* A fence longer than any run of backticks in the text keeps it intact. */
    int longest = 0, run = 0;
    for (const char *p = s; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    int fence = longest >= 3 ? longest + 1 : 3;
    fprintf(out, "**%s**\n\n%.*s\n%s\n%.*s\n\n", label, fence, "``````````````````````````````", s,
            fence, "``````````````````````````````");
    jv_free(text);
}

/* review_add writes the section of the failure 'rec' (borrowed), whose gap
 * is 'gap' (borrowed) and whose tags are 'tags' (borrowed; their numbers
 * are 'num'), and files it under each of its tags. 'where' (consumed) names
 * it when it has no id. */
static void
review_add(ev_sheet *sheet, jv rec, jv gap, jv tags, const uint32_t *num, size_t ntags, jv where)
{
    FILE *out = ev_sheet_out(sheet);
    jv id = ev_record_id(rec);
    if (!jv_is_valid(id)) {
        jv_free(id);
        id = jv_string_fmt("(no id, %s)", jv_string_value(where));
    }
    jv_free(where);
    jv kind = ev_get(gap, "kind");
    jv vs = ev_get(gap, "baseline");
    jv reason = ev_field_path(rec, "score.reason");
    fprintf(out, "\n### %s: %s%s%s\n\n", jv_string_value(id), jv_string_value(kind),
            jv_is_valid(vs) ? ", " : "", jv_is_valid(vs) ? jv_string_value(vs) : "");
    jv tagtext = jv_dump_string(jv_copy(tags), 0);
    fprintf(out, "- scorer reason: %s\n- tags: %s\n\n",
            jv_get_kind(reason) == JV_KIND_STRING ? jv_string_value(reason) : "-",
            jv_string_value(tagtext));
    jv_free(tagtext);
    print_fenced(out, "Input", ev_record_input(rec));
    print_fenced(out, "Expected", ev_record_expected(rec));
    jv err = ev_get(rec, "error");
    if (jv_is_valid(err))
        print_fenced(out, "Error", err);
    else
        print_fenced(out, "Output", ev_get(rec, "output"));
    fputs("- [ ] the expected answer is right\n- [ ] the scorer is fair\n"
          "- [ ] add training data for this\n",
          out);
    jv_free(id);
    jv_free(kind);
    jv_free(reason);
    jv_free(vs);
    ev_sheet_file(sheet, num, ntags);
}

/* review_print prints the sheet: the failures of each tag, worst tag
 * first, each tag's in input order. Returns the exit status. */
static int
review_print(ev_sheet *sheet, const ev_tag_tally *t, const char *run, long nfail, long cases)
{
    printf("# Failure review: %s\n\n", run);
    printf("%ld failures in %ld cases. For each one, decide: is the expected answer right? "
           "Is the model wrong, or is the scorer too strict? Which training example would "
           "teach the model this case's lesson, without copying the case itself?\n",
           nfail, cases);
    size_t n;
    uint32_t *order = ev_tag_tally_worst_first(t, &n);
    int status = EV_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        const ev_tag_count *c = &t->count[order[i]];
        if (c->failures == 0)
            continue;
        jv name = ev_tag_tally_name(t, order[i]);
        printf("\n## %s (%.0f of %.0f failed)\n", jv_string_value(name), c->failures, c->cases);
        jv_free(name);
        jv err;
        if (ev_sheet_copy(sheet, order[i], stdout, &err) != 0) {
            ev_diag_warn("review sheet: %s", jv_string_value(err));
            jv_free(err);
            status = EV_EXIT_TROUBLE;
            break;
        }
    }
    free(order);
    return status;
}

/* training_example writes 'rec' (consumed) as a chat example, answered from
 * the teacher where it passed. Returns -1 when the output fails, 0 when the
 * case was left out (reported), 1 when written. */
static int
training_example(jv rec, const options *o, const verdicts *teacher, jv where)
{
    jv id = ev_record_id(rec);
    jv answer = teacher_answer(teacher, id);
    jv_free(id);
    jv ex = ev_example_from_case(rec, jv_copy(o->system), answer);
    jv_free(rec);
    if (!jv_is_valid(ex)) {
        jv m = jv_invalid_get_msg(ex);
        ev_diag_warn("%s: %s; left out", jv_string_value(where), jv_string_value(m));
        jv_free(m);
        jv_free(where);
        return 0;
    }
    jv_free(where);
    return ev_jsonl_write(stdout, ex) == 0 ? 1 : -1;
}

static void
aim_case(aim *a, jv rec, bool failed, jv tags)
{
    jv prompt = ev_record_prompt_text(rec);
    ev_sketch sk = {0};
    ev_sketch_text(&sk, jv_string_value(prompt));
    ev_lsh_add(a->eval, &sk);
    a->eval_exact = jv_object_set(
        a->eval_exact,
        ev_text_normalize(jv_string_value(prompt), EV_TEXT_NORM_CASE | EV_TEXT_NORM_SPACE),
        jv_true());
    jv_free(prompt);
    if (!failed) {
        ev_sketch_free(&sk);
        jv_free(tags);
        return;
    }
    if (a->nfailed == a->capfailed) {
        a->capfailed = a->capfailed ? 2 * a->capfailed : 64;
        a->failed = ev_alloc_resize(a->failed, a->capfailed * sizeof(*a->failed));
    }
    a->failed[a->nfailed++] = sk; /* the sketch now belongs to the aim */
    a->failed_tags = jv_array_append(a->failed_tags, tags);
}

/* A pool case that may be picked: its text, and how near it comes to the
 * failures of the tag it is aimed at. */
typedef struct candidate {
    long index;      /* position in the pool */
    int tag;         /* position of the tag in the allocation */
    double nearness; /* best similarity to a failing prompt of that tag */
} candidate;

static int
by_nearness(const void *x, const void *y)
{
    const candidate *a = x, *b = y;
    if (a->nearness != b->nearness)
        return a->nearness < b->nearness ? 1 : -1;
    return (a->index > b->index) - (a->index < b->index);
}

static int
by_index(const void *x, const void *y)
{
    long a = *(const long *)x, b = *(const long *)y;
    return (a > b) - (a < b);
}

/* pick_from_pool reads the pool, leaves out leaks, and writes the picked
 * cases in pool order. Returns the exit status. */
static int
pick_from_pool(aim *a, const ev_tag_tally *t, const options *o, const verdicts *teacher)
{
    int status = EV_EXIT_OK;
    size_t nt;
    uint32_t *order = ev_tag_tally_worst_first(t, &nt);
    int ntags = (int)nt;
    jv tags = jv_array();
    double *weight = ev_alloc_zero((size_t)ntags + 1, sizeof(*weight));
    long *want = ev_alloc_zero((size_t)ntags + 1, sizeof(*want));
    for (int i = 0; i < ntags; i++) {
        tags = jv_array_append(tags, ev_tag_tally_name(t, order[i]));
        weight[i] = t->count[order[i]].failures;
    }
    free(order);
    ev_allocate(weight, (size_t)ntags, o->budget, want);

    char *paths[] = {(char *)o->pool};
    ev_jsonl_reader r;
    ev_jsonl_init(&r, paths, 1, NULL);
    jv records = jv_array(); /* per pool case: its raw text if a candidate, else null */
    candidate *cand = NULL;
    size_t ncand = 0, capcand = 0;
    long pool = 0, leaks = 0;
    ev_match *hits = NULL;
    size_t caphits = 0;
    ev_sketch sk = {0};
    jv rec;
    int rc;
    while ((rc = ev_jsonl_next(&r, &rec)) != EV_JSONL_EOF) {
        if (rc == EV_JSONL_BAD) {
            ev_diag_warn_jv(rec);
            status = EV_EXIT_TROUBLE;
            continue;
        }
        pool++;
        jv prompt = ev_record_prompt_text(rec);
        jv norm =
            ev_text_normalize(jv_string_value(prompt), EV_TEXT_NORM_CASE | EV_TEXT_NORM_SPACE);
        ev_sketch_text(&sk, jv_string_value(prompt));
        jv_free(prompt);
        bool leak = jv_object_has(jv_copy(a->eval_exact), norm) ||
                    ev_lsh_query(a->eval, &sk, &hits, &caphits) > 0;
        if (leak) {
            leaks++;
            records = jv_array_append(records, jv_null());
            jv_free(rec);
            continue;
        }
        jv ptags = ev_record_tags(rec);
        if (jv_array_length(jv_copy(ptags)) == 0)
            ptags = jv_array_append(ptags, jv_string("(untagged)"));
        bool kept = false;
        for (int k = 0; k < ntags; k++) {
            if (want[k] == 0)
                continue;
            jv tag = jv_array_get(jv_copy(tags), k);
            bool member = false;
            jv_array_foreach(ptags, i, pt)
            {
                bool eq = jv_equal(pt, jv_copy(tag));
                member = member || eq;
                (void)i;
            }
            if (member) {
                double best = 0;
                for (size_t f = 0; f < a->nfailed; f++) {
                    jv ft = jv_array_get(jv_copy(a->failed_tags), (int)f);
                    bool same = false;
                    jv_array_foreach(ft, i, x)
                    {
                        bool eq = jv_equal(x, jv_copy(tag));
                        same = same || eq;
                        (void)i;
                    }
                    jv_free(ft);
                    if (same) {
                        double j = ev_sketch_jaccard(&sk, &a->failed[f]);
                        best = j > best ? j : best;
                    }
                }
                if (ncand == capcand) {
                    capcand = capcand ? 2 * capcand : 256;
                    cand = ev_alloc_resize(cand, capcand * sizeof(*cand));
                }
                cand[ncand++] = (candidate){pool - 1, k, best};
                kept = true;
            }
            jv_free(tag);
        }
        jv_free(ptags);
        size_t len;
        const char *raw = ev_jsonl_raw(&r, &len);
        records = jv_array_append(records, kept ? jv_string_sized(raw, (int)len) : jv_null());
        jv_free(rec);
    }
    ev_jsonl_free(&r);
    ev_sketch_free(&sk);
    free(hits);
    if (ev_interrupted()) { /* picks from part of the pool would mislead */
        jv_free(records);
        jv_free(tags);
        free(cand);
        free(weight);
        free(want);
        return status;
    }

    /* Within each tag, the nearest first; a case is picked once. Budget a
     * tag's pool cannot fill goes to the nearest cases left in any tag. */
    if (ncand > 0)
        qsort(cand, ncand, sizeof(*cand), by_nearness);
    long *picked = ev_alloc_zero((size_t)o->budget + 1, sizeof(*picked));
    long npicked = 0;
    long *got = ev_alloc_zero((size_t)ntags + 1, sizeof(*got));
    jv taken = jv_object();
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < ncand && npicked < o->budget; i++) {
            int k = cand[i].tag;
            if (pass == 0 && got[k] >= want[k])
                continue;
            jv key = jv_number((double)cand[i].index);
            jv ks = jv_dump_string(key, 0);
            if (jv_object_has(jv_copy(taken), jv_copy(ks))) {
                jv_free(ks);
                continue;
            }
            taken = jv_object_set(taken, ks, jv_true());
            picked[npicked++] = cand[i].index;
            got[k]++;
        }
    }
    jv_free(taken);
    qsort(picked, (size_t)npicked, sizeof(*picked), by_index);

    for (long i = 0; i < npicked; i++) {
        jv raw = jv_array_get(jv_copy(records), (int)picked[i]);
        if (o->as_train) {
            jv v = jv_parse(jv_string_value(raw));
            jv where = jv_string_fmt("%s:%ld", o->pool, picked[i] + 1);
            int w = training_example(v, o, teacher, where);
            jv_free(raw);
            if (w < 0)
                break;
        } else {
            fputs(jv_string_value(raw), stdout);
            jv_free(raw);
            if (putchar('\n') == EOF)
                break;
        }
    }
    if (!o->quiet) {
        fprintf(stderr, "ev-gaps: picked %ld of %ld pool cases for a budget of %ld", npicked, pool,
                o->budget);
        if (leaks > 0)
            fprintf(stderr, "; left out %ld that leak into the eval set", leaks);
        fprintf(stderr, "\n");
        for (int k = 0; k < ntags; k++) {
            if (want[k] == 0)
                continue;
            jv tag = jv_array_get(jv_copy(tags), k);
            fprintf(stderr, "ev-gaps:   %-20s aimed %3ld, picked %3ld%s\n", jv_string_value(tag),
                    want[k], got[k],
                    got[k] < want[k]   ? " (the pool has too few)"
                    : got[k] > want[k] ? " (filling in for others)"
                                       : "");
            jv_free(tag);
        }
    }
    if (npicked < o->budget)
        ev_diag_warn("the pool had only %ld usable cases for a budget of %ld", npicked, o->budget);
    jv_free(records);
    jv_free(tags);
    free(cand);
    free(picked);
    free(got);
    free(weight);
    free(want);
    return status;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"as", required_argument, NULL, 'a'},        {"baseline", required_argument, NULL, 'b'},
        {"budget", required_argument, NULL, 'k'},    {"format", required_argument, NULL, 'f'},
        {"from-pool", required_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'},
        {"quiet", no_argument, NULL, 'q'},           {"review", no_argument, NULL, 'r'},
        {"summary", no_argument, NULL, 's'},         {"system", required_argument, NULL, 'S'},
        {"teacher", required_argument, NULL, 't'},   {"threshold", required_argument, NULL, 'T'},
        {"version", no_argument, NULL, 'V'},         {NULL, 0, NULL, 0},
    };
    options o = {.mode = MODE_RECORDS, .budget = -1, .system = jv_null(), .threshold = 0.8};
    bool threshold_given = false;
    int modes = 0, c;

    while ((c = getopt_long(argc, argv, "b:f:hk:p:qrst:V", longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            if (strcmp(optarg, "train") != 0)
                ev_diag_usage_error("--as takes 'train', not '%s'", optarg);
            o.as_train = true;
            break;
        case 'b':
            o.baseline = optarg;
            break;
        case 'f':
            if (!ev_parse_format(optarg, 4, &o.format))
                ev_diag_usage_error("--format takes table, json, markdown or tsv, not '%s'",
                                    optarg);
            break;
        case 'h':
            usage(stdout);
            return ev_diag_close_stdout();
        case 'k':
            if (!ev_parse_long(optarg, 0, 100000000, &o.budget))
                ev_diag_usage_error("--budget takes a whole number of examples, not '%s'", optarg);
            break;
        case 'p':
            o.pool = optarg;
            o.mode = MODE_POOL;
            modes++;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'r':
            o.mode = MODE_REVIEW;
            modes++;
            break;
        case 's':
            o.mode = MODE_SUMMARY;
            modes++;
            break;
        case 'S':
            jv_free(o.system);
            o.system = jv_string(optarg);
            break;
        case 't':
            o.teacher = optarg;
            break;
        case 'T':
            if (!ev_parse_double(optarg, 0.01, 1, &o.threshold))
                ev_diag_usage_error("--threshold takes a similarity from 0.01 to 1, not '%s'",
                                    optarg);
            threshold_given = true;
            break;
        case 'V':
            ev_diag_version();
        default:
            fprintf(stderr, "try 'ev-gaps --help'\n");
            return EV_EXIT_TROUBLE;
        }
    }
    if (modes > 1)
        ev_diag_usage_error("choose one of --summary, --review and --from-pool");
    if (o.as_train && o.mode == MODE_RECORDS)
        o.mode = MODE_TRAIN;
    if (o.as_train && o.mode != MODE_TRAIN && o.mode != MODE_POOL)
        ev_diag_usage_error("--as train goes with --from-pool, or alone");
    if (o.budget >= 0 && o.mode != MODE_SUMMARY && o.mode != MODE_POOL)
        ev_diag_usage_error("--budget goes with --summary or --from-pool");
    if (o.mode == MODE_POOL && o.budget < 0)
        ev_diag_usage_error("--from-pool needs --budget: how many cases to pick");
    if ((o.teacher || jv_get_kind(o.system) == JV_KIND_STRING) && !o.as_train)
        ev_diag_usage_error("--teacher and --system go with --as train");
    if (threshold_given && o.mode != MODE_POOL)
        ev_diag_usage_error("--threshold goes with --from-pool");
    if (o.format != EV_FORMAT_AUTO && o.mode != MODE_SUMMARY)
        ev_diag_usage_error("--format goes with --summary");
    ev_text_locale();
    ev_interrupt_catch();

    ev_sheet *sheet = NULL;
    if (o.mode == MODE_REVIEW) {
        jv err;
        sheet = ev_sheet_new(&err);
        if (sheet == NULL) {
            ev_diag_warn_jv(err);
            jv_free(o.system);
            return EV_EXIT_TROUBLE;
        }
    }
    int status = EV_EXIT_OK;
    verdicts base = {0}, teacher = {0};
    if (o.baseline != NULL)
        base = load_verdicts(o.baseline, false, &status);
    if (o.teacher != NULL)
        teacher = load_verdicts(o.teacher, true, &status);
    if (o.mode == MODE_TRAIN && !o.quiet)
        ev_diag_warn("these are eval cases: training on them makes the eval measure memory, not "
                     "skill. Keep them for evaluation, and train on new cases like them instead "
                     "(ev-gaps --from-pool POOL --budget K picks them; ev-split --check finds "
                     "leaks)");

    ev_jsonl_output_setup();
    ev_jsonl_reader r;
    ev_jsonl_init(&r, argv + optind, argc - optind, stdout);
    const char *runname = argc - optind >= 1 ? argv[optind] : "-";
    ev_tag_tally t;
    ev_tag_tally_init(&t);
    uint32_t *num = NULL; /* the tag numbers of the case at hand */
    size_t capnum = 0;
    aim a = {0};
    if (o.mode == MODE_POOL) {
        a.eval = ev_lsh_new(o.threshold);
        a.eval_exact = jv_object();
        a.failed_tags = jv_array();
    }
    long cases = 0, nfail = 0, written = 0, skipped = 0;
    jv rec;
    int rc;
    while ((rc = ev_jsonl_next(&r, &rec)) != EV_JSONL_EOF) {
        if (rc == EV_JSONL_BAD) {
            ev_diag_warn_jv(rec);
            status = EV_EXIT_TROUBLE;
            continue;
        }
        if (o.mode != MODE_TRAIN && bad_score(&r, rec)) {
            jv_free(rec);
            status = EV_EXIT_TROUBLE;
            continue;
        }
        cases++;
        if (o.mode == MODE_TRAIN) {
            int w = training_example(rec, &o, &teacher, ev_jsonl_where(&r));
            if (w < 0)
                break;
            written += w;
            skipped += w == 0;
            continue;
        }
        bool failed = ev_failed(rec);
        jv id = ev_record_id(rec);
        jv vs = jv_invalid();
        uint32_t b = verdict_of(&base, id);
        if (b != EV_INTERN_NONE && failed)
            vs = jv_string(base.passed[b] ? "regression" : "both-fail");
        jv_free(id);
        bool regression = jv_is_valid(vs) && strcmp(jv_string_value(vs), "regression") == 0;
        jv tags = ev_record_tags(rec);
        if (jv_array_length(jv_copy(tags)) == 0)
            tags = jv_array_append(tags, jv_string("(untagged)"));
        if (o.mode == MODE_POOL)
            aim_case(&a, rec, failed, jv_copy(tags));
        size_t ntags = tally_add(&t, jv_copy(tags), failed, regression, &num, &capnum);
        if (!failed) {
            jv_free(tags);
            jv_free(vs);
            jv_free(rec);
            continue;
        }
        nfail++;
        const char *pattern;
        jv gap =
            jv_object_set(jv_object(), jv_string("kind"), jv_string(ev_gap_kind(rec, &pattern)));
        if (pattern != NULL)
            gap = jv_object_set(gap, jv_string("pattern"), jv_string(pattern));
        if (jv_is_valid(vs))
            gap = jv_object_set(gap, jv_string("baseline"), vs);
        else
            jv_free(vs);
        if (o.mode == MODE_REVIEW) {
            review_add(sheet, rec, gap, tags, num, ntags, ev_jsonl_where(&r));
            jv_free(gap);
            jv_free(rec);
        } else if (o.mode == MODE_RECORDS) {
            int wrote = ev_jsonl_write_merged(stdout, &r, rec,
                                              jv_object_set(jv_object(), jv_string("gap"), gap));
            if (wrote != 0) {
                jv_free(tags);
                break;
            }
        } else {
            jv_free(gap);
            jv_free(rec);
        }
        jv_free(tags);
    }
    ev_jsonl_free(&r);

    bool whole = !ev_interrupted(); /* no report, and no picks, from part of the run */
    if (o.mode == MODE_SUMMARY && whole) {
        jv rep = summary_report(&t, &o, runname, nfail, cases);
        enum ev_format f = ev_format_resolve(o.format);
        if (f == EV_FORMAT_JSON) {
            jv_dumpf(rep, stdout, 0);
            putchar('\n');
        } else {
            print_summary(rep, &o, f);
            jv_free(rep);
        }
    } else if (o.mode == MODE_REVIEW && whole) {
        int rs = review_print(sheet, &t, runname, nfail, cases);
        status = rs != EV_EXIT_OK ? rs : status;
    } else if (o.mode == MODE_POOL && whole) {
        int ps = pick_from_pool(&a, &t, &o, &teacher);
        status = ps != EV_EXIT_OK ? ps : status;
    }
    if (!o.quiet && o.mode == MODE_RECORDS)
        fprintf(stderr, "ev-gaps: %ld failures in %ld cases\n", nfail, cases);
    if (!o.quiet && o.mode == MODE_TRAIN)
        fprintf(stderr, "ev-gaps: %ld training examples written, %ld left out\n", written, skipped);
    if (o.mode == MODE_POOL) {
        ev_lsh_free(a.eval);
        for (size_t i = 0; i < a.nfailed; i++)
            ev_sketch_free(&a.failed[i]);
        free(a.failed);
        jv_free(a.eval_exact);
        jv_free(a.failed_tags);
    }
    ev_sheet_free(sheet);
    free(num);
    ev_tag_tally_free(&t);
    verdicts_free(&base);
    verdicts_free(&teacher);
    jv_free(o.system);
    if (ev_diag_close_stdout() != EV_EXIT_OK)
        status = EV_EXIT_TROUBLE;
    return ev_interrupt_status(status);
}
