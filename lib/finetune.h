/*
 * finetune.h: fine-tuning at a provider: upload the training file, create
 * the job, follow it to its end with its events, or pick up or cancel a job
 * created before; and the one JSON line that says how it ended, the same
 * for every provider:
 *
 *   {job_id, status, fine_tuned_model, trained_tokens, training_file,
 *    model, provider[, error]}
 *
 * Ownership: json.h.
 *
 * The flow is the same for every provider; what differs (the requests, and
 * how a job and its events read) is an ev_finetune_api, a table of
 * functions over lib/ftapi.h's REST client: OpenAI's (ev_finetune_openai,
 * here), Together's (lib/finetune_together.h) and Fireworks'
 * (lib/finetune_fireworks.h). A provider's functions give back a job in
 * the line's form, with 'status' "succeeded", "failed" or "cancelled" when
 * the job has ended (whatever the provider's word for it), else the
 * provider's own word, and 'error' {message} when it failed.
 *
 * Never paid twice: with a cache (lib/cache.h), a submission keeps its
 * state next to it (ev_cache_state_put), named by the provider, the API,
 * the options of the job and the training file's bytes: the uploaded
 * file's id as soon as it is known, that a job is being created before
 * the request goes, and the job's id as soon as it is known. A submission
 * that finds a job id there follows that job; one that finds a creation
 * whose answer was lost asks the provider for the job (the api's 'find')
 * before it creates another; a job that failed or was cancelled drops the
 * state, so that the next run tries again.
 *
 * Nothing here prints: progress (the plan, the events, each change of
 * status) and warnings go through the log (lib/log.h), and the line to
 * 'out'. A request that fails is not retried, except the polls of a job
 * being followed, a few times when the failure may pass on its own. A job
 * that is not seen to its end (a timeout, an interrupt) is left running,
 * and the log says how to follow or cancel it.
 */
#ifndef EV_FINETUNE_H
#define EV_FINETUNE_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include <jv.h>

#include "cache.h"
#include "dataset.h"
#include "rest.h"
#include "log.h"
#include "quote.h"

typedef struct ev_finetune_opts ev_finetune_opts;

/* A provider. Each function returns an invalid with a message when the
 * request fails, and says how in '*res'. */
typedef struct ev_finetune_api {
    const char *name;           /* "openai", "together", "fireworks" */
    const char *key_env;        /* the variable that holds the key by default */
    const char *url_env;        /* the variable that may name the API */
    const char *url;            /* the API, when neither --base-url nor 'url_env' names one */
    const char *account_env;    /* the variable that names the account, or NULL: none needed */
    unsigned long min_examples; /* the fewest examples it trains on; 0: OpenAI's 10 */
    /* upload sends the training file, the 'len' bytes at 'data' named
     * 'name' holding 'examples' examples, and returns its id at the
     * provider (a string). */
    jv (*upload)(ev_rest *c, const ev_finetune_opts *o, const char *name, const char *data,
                 size_t len, size_t examples, ev_rest_result *res);
    /* create creates the job of 'o' on the uploaded file 'file' (a string). */
    jv (*create)(ev_rest *c, const ev_finetune_opts *o, jv file, ev_rest_result *res);
    /* find returns the job of 'o' on 'file' that a lost answer to create
     * made, or null when there is none. */
    jv (*find)(ev_rest *c, const ev_finetune_opts *o, jv file /* borrowed */, ev_rest_result *res);
    /* limits returns what the provider says of the base model 'o->model'
     * before anything is sent: {context, tunable, source}, where context
     * is the most tokens an example may have (null when unknown),
     * 'source' where that is from, and 'why', when it is not tunable,
     * what to do; NULL: nothing is known. */
    jv (*limits)(ev_rest *c, const ev_finetune_opts *o);
    /* job fetches job 'id'. */
    jv (*job)(ev_rest *c, const char *id, ev_rest_result *res);
    /* events returns the job's newest events, oldest first, each
     * {id, level, message}. */
    jv (*events)(ev_rest *c, const char *id, ev_rest_result *res);
    /* cancel asks to cancel job 'id' and returns the job. */
    jv (*cancel)(ev_rest *c, const char *id, ev_rest_result *res);
} ev_finetune_api;

/* OpenAI's fine-tuning API: POST /files, POST /fine_tuning/jobs, GET
 * /fine_tuning/jobs/{id} and its /events, POST .../{id}/cancel. */
extern const ev_finetune_api ev_finetune_openai;

/* ev_finetune_field returns member 'key' of 'obj', or null when it has
 * none. */
jv ev_finetune_field(jv obj /* borrowed */, const char *key);

/* ev_finetune_read_as returns 'answer' as 'reader' reads it, or as it is
 * when the request failed (an invalid). */
jv ev_finetune_read_as(jv answer, jv (*reader)(jv));

/* ev_finetune_openai_job returns OpenAI's job object 'job' in the line's
 * form. */
jv ev_finetune_openai_job(jv job /* borrowed */);

/* ev_finetune_openai_refused returns 'job', the answer to a creation that
 * 'res' tells of, or, when OpenAI refused it (403, or 400 about
 * fine-tuning), the refusal with the dates of OpenAI's closing of
 * self-serve fine-tuning and a pointer to the other providers. */
jv ev_finetune_openai_refused(jv job, const ev_rest_result *res);

/* ev_finetune_openai_find returns the newest job (by created_at) of the
 * list 'list' ({data: [...]}) on 'file' for 'model' with 'suffix' (NULL:
 * none; a job without a suffix field matches any), as 'reader' reads it,
 * or null when there is none. OpenAI's list and Together's read the
 * same. */
jv ev_finetune_openai_find(jv list /* borrowed */, const char *file, const char *model,
                           const char *suffix, jv (*reader)(jv));

/* ev_finetune_openai_events returns OpenAI's list of events 'list' ({data:
 * [...]}, newest first) as events oldest first, each {id, level,
 * message}; an empty array when it has none. */
jv ev_finetune_openai_events(jv list /* borrowed */);

/* A job to run and follow. */
struct ev_finetune_opts {
    const ev_finetune_api *api;
    const char *model;                 /* the base model */
    const char *suffix;                /* of the tuned model's name, or NULL */
    long seed;                         /* -1: none */
    long epochs;                       /* 0: the provider's default */
    long poll_ms;                      /* time between polls of the job */
    double timeout_s;                  /* how long to follow a job at most; 0: no limit */
    const volatile sig_atomic_t *stop; /* when it becomes non-zero, stop (NULL: never) */
    const ev_log *log;
    FILE *out;             /* where the line goes */
    jv *line;              /* when not NULL, the line goes here instead (replacing what is there) */
    ev_cache *cache;       /* where a submission keeps its state; NULL: nowhere */
    const char *account;   /* the provider's account (Fireworks), or NULL */
    bool dpo;              /* preference tuning (DPO) rather than supervised */
    bool full;             /* full fine-tuning rather than LoRA (Together) */
    bool max_tokens_given; /* the user set the example limit: the base's context does not */
    const char *run;       /* set by ev_finetune_submit: "ev-" and 12 hex digits that name the
                            * submission (its state's name), for the ids a client chooses */
};

/* ev_finetune_stopped says whether '*o->stop' is set: for a provider's
 * function that waits (with ev_clock_nap). */
bool ev_finetune_stopped(const ev_finetune_opts *o);

/* ev_finetune_open returns a client of 'api' at 'base' (NULL: the API that
 * $url_env names, else 'api->url'), that sends 'key' (NULL: none), trusts
 * the certificates in 'cacert' (NULL: the system's; borrowed: it must
 * outlive the client), calls itself 'agent' and stops a request when
 * '*stop' becomes non-zero. NULL with '*err' set when the URL is not one,
 * or the key may not go to it (lib/rest.h). */
ev_rest *ev_finetune_open(const ev_finetune_api *api, const char *base, const char *key,
                          const char *cacert, const char *agent, const volatile sig_atomic_t *stop,
                          jv *err);

/* ev_finetune_submit reads and checks the training file (lib/dataset.h) and
 * sends nothing unless it is valid: against the base model's context, as
 * the api's 'limits' says it, unless 'max_tokens_given', and not at all
 * when the provider says the base cannot be tuned; then it uploads it, creates the job and
 * follows it to its end. It returns EV_EXIT_OK when the job succeeded,
 * EV_EXIT_NO when the file was invalid or the job failed or was cancelled,
 * EV_EXIT_INTR when '*stop' was set, and EV_EXIT_TROUBLE otherwise: a file
 * that cannot be read, a request that failed, a job followed past
 * 'timeout_s'. Once a job exists, the line is written whatever happens. */
int ev_finetune_submit(ev_rest *c, const ev_finetune_opts *o, const ev_dataset_opts *d,
                       const ev_quote_opts *q);

/* ev_finetune_resume follows job 'id', created before, to its end, as
 * ev_finetune_submit does. */
int ev_finetune_resume(ev_rest *c, const ev_finetune_opts *o, const char *id);

/* ev_finetune_cancel asks to cancel job 'id' and writes its line; it
 * returns EV_EXIT_OK, or EV_EXIT_TROUBLE (EV_EXIT_INTR) when the request
 * failed. */
int ev_finetune_cancel(ev_rest *c, const ev_finetune_opts *o, const char *id);

#endif
