/*
 * finetune.h: the OpenAI files and fine-tuning jobs of ev-mock, a
 * SIMULATION: files are kept in memory, a job trains nothing, and the
 * model it makes answers by the learner's formula (learner.h).
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
 *
 * Every function is thread-safe: the store holds a lock of its own, and
 * hands out no jv it keeps (jv reference counts are not safe to share).
 *
 * Ids are hashes, never of the clock: a file's id is a hash of the seed,
 * its name, purpose and bytes; a job's, of the seed, its file, model and
 * suffix; each with a count of the earlier equal ones. The same requests
 * made to a restarted server therefore give the same ids, and the same
 * training gives the same model name.
 *
 * A job moves validating_files -> queued -> running -> succeeded (or failed,
 * when the job-fail fault picks it; or cancelled, when asked before it
 * ends). By time (the default), it spends a fifth of 'job_ms' validating,
 * a fifth queued and the rest running. By poll, each GET of the job moves
 * it one step, whatever the time. Its model is named
 * "ft:BASE:ev-mock:SUFFIX:JOBID".
 *
 * Times: 'now' arguments are milliseconds since the epoch, so tests can
 * drive the clock; the API's created_at and finished_at are seconds.
 */
#ifndef EV_FINETUNE_H
#define EV_FINETUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "learner.h"
#include "mock.h"

typedef struct ev_ft ev_ft;

typedef struct ev_ft_config {
    uint64_t seed;
    long job_ms;         /* by time: how long a job takes */
    bool by_poll;        /* each GET of a job moves it one step */
    double fail_rate;    /* share of jobs the job-fail fault fails */
    const ev_mock *mock; /* frozen; cases that training examples match (borrowed) */
    const char *learner; /* the base model simulated as a learner, or NULL */
    ev_learner params;   /* the learner's formula */
    double max_tokens;   /* the token limit of an example, for validation */
} ev_ft_config;

/* An HTTP answer: 'status' and the body, an object. */
typedef struct ev_ft_reply {
    unsigned status;
    jv body;
} ev_ft_reply;

/* ev_ft_new returns an empty store with a copy of 'c'. */
ev_ft *ev_ft_new(const ev_ft_config *c);

/* ev_ft_journal replays the journal at 'path', if it exists, into 'f', and
 * then appends every new file, job, step and cancellation to it, so that a
 * restarted server knows the files, jobs and tuned models of earlier runs.
 * Returns 0, or -1 with '*err' set to an invalid whose message names the
 * path (and line). Call it once, before the first request. */
int ev_ft_journal(ev_ft *f, const char *path, jv *err);

/* ev_ft_upload stores a file (POST /v1/files): 'data' ('len' bytes),
 * named 'filename', for 'purpose'. Either may be NULL when the form lacked
 * it, which is a 400. */
ev_ft_reply ev_ft_upload(ev_ft *f, const char *filename, const char *purpose, const char *data,
                         size_t len, int64_t now);

/* ev_ft_add stores a file the server made itself, such as a batch's
 * output (purpose "batch_output"), without the checks of an upload, and
 * returns its id, which the caller frees. */
char *ev_ft_add(ev_ft *f, const char *filename, const char *purpose, const char *data, size_t len,
                int64_t now);

/* ev_ft_content copies the bytes of the file 'id' into '*data' (with a NUL
 * after its '*len' bytes) and, when 'purpose' is not NULL, its purpose into
 * '*purpose'; the caller frees both. Returns false, and sets nothing, when
 * there is no such file. */
bool ev_ft_content(ev_ft *f, const char *id, char **purpose, char **data, size_t *len);

/* ev_ft_file answers GET /v1/files/{id}. */
ev_ft_reply ev_ft_file(ev_ft *f, const char *id);

/* ev_ft_create creates a job from the JSON request 'body' ('len' bytes,
 * NUL-terminated): {model, training_file, suffix?, seed?, hyperparameters?
 * or method.supervised.hyperparameters?}. The training file must exist,
 * have purpose fine-tune, pass ev-tune's checks (tune.h) and hold at least
 * 10 examples; otherwise the answer is a 400 in OpenAI's error shape. The
 * job counts its examples by tag: an example's own 'tags' (the first),
 * else the first tag of the case (in the mock) with its prompt, else
 * EV_LEARNER_OTHER. Its trained_tokens are ev-tune's estimate of its
 * billing tokens times its epochs. */
ev_ft_reply ev_ft_create(ev_ft *f, const char *body, size_t len, int64_t now);

/* ev_ft_job answers GET /v1/fine_tuning/jobs/{id}; by poll, it moves the
 * job one step first. */
ev_ft_reply ev_ft_job(ev_ft *f, const char *id, int64_t now);

/* ev_ft_list answers GET /v1/fine_tuning/jobs: every job, newest first. */
ev_ft_reply ev_ft_list(ev_ft *f, int64_t now);

/* ev_ft_events answers GET /v1/fine_tuning/jobs/{id}/events: at most
 * 'limit' events, newest first, starting after the event 'after' (NULL:
 * from the newest), with has_more. */
ev_ft_reply ev_ft_events(ev_ft *f, const char *id, long limit, const char *after, int64_t now);

/* ev_ft_cancel answers POST /v1/fine_tuning/jobs/{id}/cancel: a job that
 * has not ended is cancelled; one that has is a 400. */
ev_ft_reply ev_ft_cancel(ev_ft *f, const char *id, int64_t now);

/* What a model name is to the store. */
enum ev_ft_kind {
    EV_FT_PLAIN,   /* not the learner's: answer by the usual rules */
    EV_FT_BASE,    /* the learner's base model */
    EV_FT_TUNED,   /* a model tuned from the learner's base by a job here */
    EV_FT_UNKNOWN, /* an ev-mock model name ("ft:...:ev-mock:...:ftjob-...")
                      whose job is unknown or has not succeeded */
};

/* ev_ft_resolve says what 'model' is and, for the learner's models, fills
 * '*as' to answer as it (ev_mock_answer_as). What '*as' points to lives as
 * long as the store. A tuned model whose base is not the learner's answers
 * by the usual rules. */
enum ev_ft_kind ev_ft_resolve(ev_ft *f, const char *model, int64_t now, ev_mock_as *as);

/* ev_ft_stats returns {simulated: true, files, jobs, by_status, learner},
 * where learner is null or {base, floor, gain, ceiling, scale, noise,
 * formula}. */
jv ev_ft_stats(ev_ft *f, int64_t now);

/* ev_ft_openai_error returns OpenAI's error body {"error": {message, type,
 * param, code}} with type invalid_request_error; 'param' and 'code' may be
 * NULL. */
jv ev_ft_openai_error(const char *message, const char *param, const char *code);

void ev_ft_free(ev_ft *f);

#endif
