#include "scorerun.h"

#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "ev.h"
#include "interrupt.h"
#include "json.h"
#include "jsonl.h"
#include "record.h"
#include "relay.h"

/* Records wait for their judges in a queue of at most this many. */
#define MAX_WAITING 4096

/* A record on its way out: scored already, or waiting for its judges. */
typedef struct entry {
    char *raw; /* the record's text, owned */
    size_t len;
    jv rec, where;
    jv score; /* the score, or invalid while 'nprompts' > 0 */
    int nprompts;
    unsigned long seq;
} entry;

struct ev_scorerun {
    const ev_scorerun_opts *o;
    ev_judge_rubric *rubric; /* the run's, from --judge or --judge-template */
    ev_score *sc;
    bool batch;      /* --judge-opt=--batch: the judge answers only once its input ends */
    ev_relay *relay; /* started with the first judge prompt */
    bool relay_failed;
    entry *q; /* a ring of 'cap' entries */
    size_t head, n, cap;
    unsigned long seq;
    ev_scorerun_stats st;
    ev_scorerun_progress pg;
    double started;
    int status;
    bool write_failed;
};

static void say(ev_scorerun *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* say warns of something that makes the run's status 2. */
static void
say(ev_scorerun *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    jv m = jv_string_vfmt(fmt, ap);
    va_end(ap);
    r->o->warn(r->o->ctx, jv_string_value(m));
    jv_free(m);
    r->status = EV_EXIT_TROUBLE;
}

/* --- setting up ---------------------------------------------------------- */

/* make_rubric builds the run's judge rubric from --judge or
 * --judge-template into '*out' (NULL when neither was given), or says what
 * is wrong. */
static bool
make_rubric(const ev_scorerun_judge *j, ev_judge_rubric **out, jv *err)
{
    *out = NULL;
    if (j->rubric && j->tmpl) {
        *err = jv_invalid_with_msg(jv_string("--judge and --judge-template exclude each other"));
        return false;
    }
    if (j->labels && !j->tmpl) {
        *err = jv_invalid_with_msg(jv_string("--judge-labels needs --judge-template"));
        return false;
    }
    if (j->rubric)
        *out = ev_judge_parse(j->rubric, err);
    else if (j->tmpl)
        *out = ev_judge_from_template(j->tmpl, j->labels ? j->labels : "PASS=1,FAIL=0", err);
    else
        return true;
    if (*out == NULL) {
        jv m = jv_invalid_get_msg(*err);
        *err = jv_invalid_with_msg(jv_string_fmt("bad judge: %s", jv_string_value(m)));
        jv_free(m);
        return false;
    }
    if (j->model == NULL) {
        ev_judge_free(*out);
        *out = NULL;
        *err = jv_invalid_with_msg(jv_string("a judge needs --judge-model"));
        return false;
    }
    return true;
}

ev_scorerun *
ev_scorerun_new(const ev_scorerun_opts *o, jv *err)
{
    ev_judge_rubric *rubric;
    if (!make_rubric(&o->judge, &rubric, err))
        return NULL;
    if (rubric != NULL && o->spec != NULL) {
        ev_judge_free(rubric);
        *err = jv_invalid_with_msg(jv_string("--scorer and a default judge exclude each other"));
        return NULL;
    }
    const char *spec = o->spec != NULL ? o->spec : rubric != NULL ? "judge" : "exact";
    ev_score_opts so = o->score;
    so.judge = rubric;
    jv why;
    ev_score *sc = ev_score_new(jv_string(spec), &so, &why);
    if (sc == NULL) {
        jv m = jv_invalid_get_msg(why);
        *err = jv_invalid_with_msg(jv_string_fmt("bad scorer '%s': %s", spec, jv_string_value(m)));
        jv_free(m);
        ev_judge_free(rubric);
        return NULL;
    }
    ev_scorerun *r = ev_alloc_zero(1, sizeof(*r));
    r->o = o;
    r->rubric = rubric;
    r->sc = sc;
    r->status = EV_EXIT_OK;
    for (int i = 0; i < o->judge.nopts; i++)
        r->batch = r->batch || strcmp(o->judge.opts[i], "--batch") == 0;
    return r;
}

void
ev_scorerun_free(ev_scorerun *r)
{
    if (r == NULL)
        return;
    ev_score_free(r->sc);
    ev_judge_free(r->rubric);
    free(r->q);
    free(r);
}

/* --- the judge's ev-call ------------------------------------------------ */

/* ev_call_path returns ev-call beside this program, else its name for PATH. */
static char *
ev_call_path(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
        char path[PATH_MAX + 16];
        snprintf(path, sizeof(path), "%s/ev-call", dirname(self));
        if (access(path, X_OK) == 0)
            return ev_alloc_strdup(path);
    }
    return ev_alloc_strdup("ev-call");
}

/* start_judge starts ev-call with the judge's options. */
static bool
start_judge(ev_scorerun *r)
{
    const ev_scorerun_judge *j = &r->o->judge;
    char samples[32];
    snprintf(samples, sizeof(samples), "%ld", j->samples);
    char **argv = ev_alloc_zero((size_t)j->nopts + 12, sizeof(char *));
    int n = 0;
    argv[n++] = ev_call_path();
    argv[n++] = "-m";
    argv[n++] = (char *)j->model;
    if (j->provider) {
        argv[n++] = "-p";
        argv[n++] = (char *)j->provider;
    }
    if (j->base_url) {
        argv[n++] = "--base-url";
        argv[n++] = (char *)j->base_url;
    }
    argv[n++] = "--repeat";
    argv[n++] = samples;
    if (r->o->quiet || r->o->progress != NULL)
        argv[n++] = "-q";
    for (int i = 0; i < j->nopts; i++)
        argv[n++] = j->opts[i];
    jv err;
    r->relay = ev_relay_start(argv, &err);
    if (r->relay == NULL) {
        jv m = jv_invalid_get_msg(err);
        say(r, "cannot start the judge '%s': %s", argv[0], jv_string_value(m));
        jv_free(m);
        r->relay_failed = true;
    }
    free(argv[0]);
    free(argv);
    return r->relay != NULL;
}

/* send_prompts sends the judge prompts of entry 'e' (consumed) to ev-call,
 * one request per prompt, with ids that name the entry. */
static bool
send_prompts(ev_scorerun *r, const entry *e, jv prompts)
{
    if (r->relay == NULL && (r->relay_failed || !start_judge(r))) {
        jv_free(prompts);
        return false;
    }
    jv lines = jv_string("");
    jv_array_foreach(prompts, i, p)
    {
        jv req = ev_json_set(jv_object(), "id", jv_string_fmt("judge-%lu-%d", e->seq, i));
        req = ev_json_set(req, "input", p);
        lines = jv_string_concat(lines, jv_dump_string(req, 0));
        lines = jv_string_append_str(lines, "\n");
    }
    jv_free(prompts);
    ev_relay_send(r->relay, jv_string_value(lines), (size_t)jv_string_length_bytes(jv_copy(lines)),
                  e->nprompts * (int)r->o->judge.samples);
    jv_free(lines);
    return true;
}

/* read_answers groups the ev-call records of entry 'e' ('lines', consumed)
 * by prompt. A failed call, or an answer that is not for this entry, is an
 * invalid with a message. */
static jv
read_answers(ev_scorerun *r, const entry *e, jv lines)
{
    int k = (int)r->o->judge.samples;
    jv judged = jv_array(), failure = jv_invalid();
    bool failed = false;
    for (int p = 0; p < e->nprompts && !failed; p++) {
        jv samples = jv_array();
        for (int i = 0; i < k; i++) {
            jv line = jv_array_get(jv_copy(lines), p * k + i);
            jv a = jv_parse(jv_string_value(line));
            jv_free(line);
            jv id = ev_json_field(a, "id");
            jv want = jv_string_fmt("judge-%lu-%d", e->seq, p);
            jv error = ev_json_field(a, "error");
            if (!jv_equal(id, want)) {
                failure = jv_invalid_with_msg(jv_string("ev-call answered out of order"));
                failed = true;
            } else if (jv_get_kind(error) == JV_KIND_OBJECT) {
                jv m = ev_record_text_of(jv_object_get(error, jv_string("message")));
                failure = jv_invalid_with_msg(m);
                error = jv_invalid();
                failed = true;
            }
            jv_free(error);
            if (failed) {
                jv_free(a);
                break;
            }
            samples = jv_array_append(samples, a);
        }
        judged = jv_array_append(judged, samples);
    }
    jv_free(lines);
    if (failed) {
        jv_free(judged);
        return failure;
    }
    return judged;
}

/* --- the queue ----------------------------------------------------------- */

static entry *
push(ev_scorerun *r)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        entry *q = ev_alloc_zero(cap, sizeof(entry));
        for (size_t i = 0; i < r->n; i++)
            q[i] = r->q[(r->head + i) % r->cap];
        free(r->q);
        r->q = q;
        r->head = 0;
        r->cap = cap;
    }
    entry *e = &r->q[(r->head + r->n++) % r->cap];
    memset(e, 0, sizeof(*e));
    return e;
}

/* answered says whether 'rec' (borrowed) has an answer to score: an
 * 'output', or the 'error' of a call that failed. */
static bool
answered(jv rec)
{
    jv out = ev_json_field(rec, "output"), error = ev_json_field(rec, "error");
    jv_kind o = jv_get_kind(out), e = jv_get_kind(error);
    jv_free(out);
    jv_free(error);
    return (o != JV_KIND_INVALID && o != JV_KIND_NULL) ||
           (e != JV_KIND_INVALID && e != JV_KIND_NULL && e != JV_KIND_FALSE);
}

/* tick tells of the run's progress, once the judge has started. */
static void
tick(ev_scorerun *r, bool ended)
{
    if (r->o->progress == NULL || (r->relay == NULL && !r->relay_failed && !ended))
        return;
    r->pg.elapsed = ev_clock_mono() - r->started;
    r->pg.ended = ended;
    r->o->progress(r->o->ctx, &r->pg);
}

/* write_entry writes the record of 'e' with its score, or unchanged when it
 * has none, and releases what 'e' holds. A record that could not be scored
 * ('rec' invalid) is left out. */
static void
write_entry(ev_scorerun *r, entry *e)
{
    FILE *out = r->o->out;
    int wrote = 0;
    if (!jv_is_valid(e->rec)) {
        jv_free(e->score);
    } else if (!r->write_failed && jv_is_valid(e->score)) {
        r->st.scored++;
        r->st.unanswered += !answered(e->rec);
        jv pass = ev_json_field(e->score, "pass");
        r->st.passed += jv_get_kind(pass) == JV_KIND_TRUE;
        jv_free(pass);
        jv add = ev_json_set(jv_object(), "score", e->score);
        if (jv_object_has(jv_copy(e->rec), jv_string("score"))) {
            wrote = ev_jsonl_write(out, jv_object_merge(e->rec, add));
            e->rec = jv_invalid();
        } else {
            wrote = ev_jsonl_write_extended(out, e->raw, e->len, add);
        }
    } else if (!r->write_failed) {
        fwrite(e->raw, 1, e->len, out);
        putc('\n', out);
        wrote = ferror(out) ? -1 : 0;
        jv_free(e->score);
    } else {
        jv_free(e->score);
    }
    r->write_failed = r->write_failed || wrote != 0;
    jv_free(e->rec);
    jv_free(e->where);
    free(e->raw);
    r->pg.done++;
    tick(r, false);
}

/* report_warning reports 'warning' (consumed), when there is one, about
 * the record at 'where' (borrowed): it was scored, and failed for a reason
 * the user must hear of. */
static void
report_warning(ev_scorerun *r, jv where, jv warning)
{
    if (jv_is_valid(warning))
        say(r, "%s: %s", jv_string_value(where), jv_string_value(warning));
    jv_free(warning);
}

/* judge_done scores entry 'e' with its judges' 'answers' (consumed). A
 * failed judge call leaves the record without a new score. */
static void
judge_done(ev_scorerun *r, entry *e, jv answers)
{
    bool ended = !jv_is_valid(answers);
    if (ended && ev_interrupt_pending()) {
        /* The judge was interrupted too: the record is left out, as one
         * not yet read would be. */
        jv_free(answers);
        jv_free(e->rec);
        e->rec = jv_invalid();
        e->score = jv_invalid();
        r->st.unjudged++;
        return;
    }
    jv judged = ended ? answers : read_answers(r, e, answers);
    if (!jv_is_valid(judged)) {
        jv m = jv_invalid_get_msg(judged);
        say(r, "%s: judge call failed: %s%s", jv_string_value(e->where), ended ? "ev-call " : "",
            jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "gave no answer");
        jv_free(m);
        e->score = jv_invalid();
        r->pg.failed++;
        return;
    }
    jv warning;
    e->score = ev_score_run_judged(r->sc, e->rec, judged, &warning);
    report_warning(r, e->where, warning);
    if (!jv_is_valid(e->score)) {
        jv m = jv_invalid_get_msg(e->score);
        say(r, "%s: cannot score record: %s", jv_string_value(e->where), jv_string_value(m));
        jv_free(m);
        e->score = jv_invalid();
        jv_free(e->rec);
        e->rec = jv_invalid();
    }
}

/* drain writes the records at the head of the queue whose scores are known,
 * waiting for the judge when 'wait'. */
static void
drain(ev_scorerun *r, bool wait)
{
    while (r->n > 0) {
        entry *e = &r->q[r->head];
        if (e->nprompts > 0) {
            jv answers = ev_relay_next(r->relay, wait);
            if (!jv_is_valid(answers) && !jv_invalid_has_msg(jv_copy(answers))) {
                jv_free(answers);
                return;
            }
            judge_done(r, e, answers);
        }
        write_entry(r, e);
        r->head = (r->head + 1) % r->cap;
        r->n--;
    }
}

/* classify returns the judge prompts of 'rec' (borrowed) and sets '*score'
 * (and '*warning', see ev_score_run) when it needs none, or returns
 * invalid with a message when the record cannot be scored. */
static jv
classify(ev_scorerun *r, jv rec, jv *score, jv *warning)
{
    *score = jv_invalid();
    *warning = jv_invalid();
    jv prompts = ev_score_prompts(r->sc, rec);
    if (!jv_is_valid(prompts))
        return prompts;
    int n = jv_array_length(jv_copy(prompts));
    if (n > 0 && r->o->judge.model == NULL) {
        jv_free(prompts);
        return jv_invalid_with_msg(jv_string("'judge' needs --judge-model"));
    }
    if (n == 0) {
        *score = ev_score_run(r->sc, rec, warning);
        if (!jv_is_valid(*score)) {
            jv_free(prompts);
            prompts = *score;
            *score = jv_invalid();
        }
    }
    return prompts;
}

/* take queues the record 'rec' (consumed) just read: scored now, or with
 * its prompts sent to the judge. */
static void
take(ev_scorerun *r, ev_jsonl_reader *rd, jv rec)
{
    jv where = ev_jsonl_where(rd);
    jv score, warning;
    jv prompts = classify(r, rec, &score, &warning);
    report_warning(r, where, warning);
    if (!jv_is_valid(prompts)) {
        jv m = jv_invalid_get_msg(prompts);
        say(r, "%s: cannot score record: %s", jv_string_value(where), jv_string_value(m));
        jv_free(m);
        jv_free(where);
        jv_free(rec);
        return;
    }
    entry *e = push(r);
    size_t len;
    const char *raw = ev_jsonl_raw(rd, &len);
    e->raw = ev_alloc_strndup(raw, len);
    e->len = len;
    e->rec = rec;
    e->where = where;
    e->seq = r->seq++;
    e->score = score;
    e->nprompts = jv_array_length(jv_copy(prompts));
    if (e->nprompts == 0) {
        jv_free(prompts);
    } else if (!send_prompts(r, e, prompts)) {
        e->nprompts = 0;
        say(r, "%s: judge call failed: cannot start ev-call", jv_string_value(where));
    }
    /* Wait for answers when too many records wait, unless the judge is a
     * batch, which answers nothing before it has read every request. */
    drain(r, r->n >= MAX_WAITING && !r->batch);
}

/* --- the run ------------------------------------------------------------- */

/* finish waits for the judge and the cmd scorers to end, and reports how
 * they did. */
static void
finish(ev_scorerun *r)
{
    int judge = ev_relay_finish(r->relay);
    r->relay = NULL;
    if (judge == EV_EXIT_INTR || judge == 128 + SIGINT) {
        r->status = EV_EXIT_INTR;
    } else if (judge > 128) {
        say(r, "the judge's ev-call was killed by signal %d", judge - 128);
    } else if (judge != EV_EXIT_OK && judge != EV_EXIT_CALLS) {
        say(r, "the judge's ev-call exited with status %d", judge);
    }
    jv problems = ev_score_finish(r->sc);
    jv_array_foreach(problems, i, m)
    {
        say(r, "%s", jv_string_value(m));
        jv_free(m);
    }
    jv_free(problems);
}

int
ev_scorerun_run(ev_scorerun *r, char **paths, int npaths, ev_scorerun_stats *st)
{
    r->started = ev_clock_mono();
    if (r->o->progress != NULL)
        r->pg.total = ev_jsonl_count_lines(paths, npaths);
    ev_jsonl_reader rd;
    ev_jsonl_init(&rd, paths, npaths, r->o->out);
    jv rec;
    int rc;
    while (!r->write_failed && (rc = ev_jsonl_next(&rd, &rec)) != EV_JSONL_EOF) {
        if (rc == EV_JSONL_BAD) {
            jv m = jv_invalid_get_msg(rec);
            say(r, "%s", ev_json_str(m, "unknown error"));
            jv_free(m);
            r->pg.done++;
            continue;
        }
        take(r, &rd, rec);
    }
    ev_relay_end_input(r->relay); /* the input is read: the judge has every request */
    drain(r, true);
    ev_jsonl_free(&rd);
    bool judged = r->relay != NULL || r->relay_failed;
    finish(r);
    if (judged)
        tick(r, true);
    if (r->st.scored > 0 && r->st.unanswered == r->st.scored && r->st.passed == 0)
        r->o->warn(r->o->ctx, "no record has an 'output' to score: ev-call comes first, as in "
                              "'ev-call -m MODEL cases.jsonl | ev-score'");
    *st = r->st;
    return r->status;
}
