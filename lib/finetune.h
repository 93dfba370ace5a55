/*
 * finetune.h: fine-tuning at a provider: upload the training file, create
 * the job, follow it to its end with its events, or pick up or cancel a job
 * created before; and the one JSON line that says how it ended, the same
 * for every provider:
 *
 *   {job_id, status, fine_tuned_model, trained_tokens, training_file,
 *    model[, error]}
 *
 * Ownership: json.h.
 *
 * The flow is the same for every provider; what differs (the requests, and
 * how a job and its events read) is an ev_finetune_api, a table of
 * functions over lib/ftapi.h's REST client. OpenAI's fine-tuning API is the
 * first (ev_finetune_openai). A provider's functions give back a job in the
 * line's form, with 'status' one of the provider's words, of which
 * "succeeded", "failed" and "cancelled" end a job.
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
#include <stdio.h>

#include <jv.h>

#include "dataset.h"
#include "rest.h"
#include "log.h"
#include "quote.h"

typedef struct ev_finetune_opts ev_finetune_opts;

/* A provider. Each function returns an invalid with a message when the
 * request fails, and says how in '*res'. */
typedef struct ev_finetune_api {
    const char *name;    /* "openai" */
    const char *key_env; /* the variable that holds the key by default */
    const char *url_env; /* the variable that may name the API */
    const char *url;     /* the API, when neither --base-url nor 'url_env' names one */
    /* upload sends the training file, the 'len' bytes at 'data' named
     * 'name', and returns its id at the provider (a string). */
    jv (*upload)(ev_rest *c, const char *name, const char *data, size_t len, ev_rest_result *res);
    /* create creates the job of 'o' on the uploaded file 'file' (a string). */
    jv (*create)(ev_rest *c, const ev_finetune_opts *o, jv file, ev_rest_result *res);
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

/* ev_finetune_openai_job returns OpenAI's job object 'job' in the line's
 * form. */
jv ev_finetune_openai_job(jv job /* borrowed */);

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
    FILE *out; /* where the line goes */
};

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
 * sends nothing unless it is valid; then it uploads it, creates the job and
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
