/*
 * deploy.h: serving a tuned model on a provider's dedicated capacity, which
 * bills by the hour from the moment it starts until it is stopped: start an
 * endpoint for a job that succeeded, wait until it is ready, say the model
 * to ask and the price an hour; and stop one.
 *
 * Ownership: json.h.
 *
 * A deployment reads the same for every provider:
 *
 *   {id, model, base_url, state, message?, hardware, price_per_hour,
 *    currency?, price_source?, ...}
 *
 * where 'id' is what --undeploy takes, 'model' and 'base_url' are what
 * ev-call asks (-m, --base-url), 'state' is "ready", "failed", "stopped"
 * or the provider's word in lowercase, and the price is null when the
 * provider does not say it; a provider adds what it needs to find the
 * deployment again (Together: deployment, project). What differs per provider is an ev_deploy_api
 * (lib/deploy_together.h, lib/deploy_fireworks.h). Names are chosen from
 * the tuned model, so that a deployment whose answer was lost is found
 * again, never made twice. Nothing here prints: the log says each start,
 * its price, and that it bills until stopped.
 */
#ifndef EV_DEPLOY_H
#define EV_DEPLOY_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include <jv.h>

#include "rest.h"
#include "log.h"
#include "price.h"

typedef struct ev_deploy_opts ev_deploy_opts;

/* A provider's serving. Each function returns an invalid with a message
 * when a request fails. */
typedef struct ev_deploy_api {
    const char *name; /* "together", "fireworks" */
    /* start starts serving the model of 'job', a line of lib/finetune.h
     * whose job succeeded, or finds the deployment an earlier start made,
     * and returns the deployment. */
    jv (*start)(ev_rest *c, const ev_deploy_opts *o, jv job /* borrowed */);
    /* get returns the deployment 'dep' as it is now. */
    jv (*get)(ev_rest *c, const ev_deploy_opts *o, jv dep /* borrowed */);
    /* price returns 'dep' with its price an hour set, or as it is when the
     * provider does not say it. */
    jv (*price)(ev_rest *c, const ev_deploy_opts *o, jv dep);
    /* stop stops deployment 'id' and removes it, and returns {id, state}. */
    jv (*stop)(ev_rest *c, const ev_deploy_opts *o, const char *id);
} ev_deploy_api;

struct ev_deploy_opts {
    const ev_deploy_api *api;
    long poll_ms;                      /* time between looks at a deployment starting */
    double timeout_s;                  /* how long to wait for it at most; 0: no limit */
    const volatile sig_atomic_t *stop; /* when it becomes non-zero, stop waiting */
    const ev_log *log;
    const ev_price_table *prices; /* for a price an hour the provider does not say; NULL: none */
};

/* ev_deploy_name returns "ev-" and 16 hex digits of a hash of 'model': the
 * name of the deployment of 'model', the same each time. */
jv ev_deploy_name(const char *model);

/* ev_deploy_stopped says whether '*o->stop' is set: for a provider's
 * function that waits (with ev_clock_nap). */
bool ev_deploy_stopped(const ev_deploy_opts *o);

/* ev_deploy_start starts serving the model of 'job' (borrowed), waits
 * until it is ready, and sets '*dep' to the deployment (null when none was
 * made). It returns EV_EXIT_OK when it is ready, EV_EXIT_NO when it failed,
 * EV_EXIT_INTR when interrupted and EV_EXIT_TROUBLE otherwise (a request
 * that failed, the time run out). Every deployment that may be running is
 * said to bill until stopped, with the command that stops it. */
int ev_deploy_start(ev_rest *c, const ev_deploy_opts *o, jv job, jv *dep);

/* ev_deploy_remind says, at the end of a run, that deployment 'dep'
 * (borrowed; nothing when it is null) still bills until it is stopped. */
void ev_deploy_remind(const ev_deploy_opts *o, jv dep);

/* ev_deploy_stop stops deployment 'id' and writes the line {id, state,
 * provider} to 'out'; EV_EXIT_OK, or EV_EXIT_TROUBLE when it could not. */
int ev_deploy_stop(ev_rest *c, const ev_deploy_opts *o, const char *id, FILE *out);

#endif
