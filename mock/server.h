/*
 * server.h: ev-mock's HTTP server on 127.0.0.1. It serves the OpenAI Chat
 * Completions and Anthropic Messages endpoints from the simulated model
 * (model.h), with the faults of fault.h and an optional rate limit
 * (rpm.h); OpenAI's files and fine-tuning jobs (jobs.h); both providers'
 * batch APIs (batches.h); Together's files, fine-tuning jobs and dedicated
 * endpoints under /together (together.h, dmi.h) and Fireworks' datasets,
 * jobs and deployments under /fireworks (fireworks.h), each with its
 * inference endpoint; and GET /stats and POST /stats/reset (counts.h).
 * ev-mock(1) documents every endpoint.
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
 *
 * The server runs on threads of its own (libmicrohttpd, a thread a
 * connection) from evm_server_start to evm_server_stop. Its threads inherit
 * the caller's signal mask: block the signals they must not take before
 * starting it.
 */
#ifndef EVM_SERVER_H
#define EVM_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "batches.h"
#include "fault.h"
#include "jobs.h"
#include "model.h"

typedef struct evm_server evm_server;

/* An accuracy rule (model.h): the share of cases of tag 'name' answered
 * right (NULL: every other case), or with 'model' the factor of the model
 * 'name'. */
typedef struct evm_server_accuracy {
    const char *name;
    double p;
    bool model;
} evm_server_accuracy;

/* What to serve. The strings and arrays are borrowed and must outlive the
 * server. */
typedef struct evm_server_config {
    long port;     /* 0: any free port */
    uint64_t seed; /* of every choice; it overrides the seeds below */
    char **cases;  /* files of cases (model.h) */
    int ncases;
    char **replays; /* files of an earlier run's records */
    int nreplays;
    const evm_server_accuracy *accuracy; /* applied in order */
    size_t naccuracy;
    const char *judge;             /* the model that grades judge prompts, or NULL */
    evm_fault_plan faults;         /* what to inject */
    long rpm, rpm_window_ms;       /* the rate limit; 0 rpm: none */
    const char *key;               /* the key a request must carry, or NULL */
    bool echo_key;                 /* quote each request's key in its answer's headers */
    const char *tls_cert;          /* PEM texts of a certificate (chain) and its */
    const char *tls_key;           /* key, to serve HTTPS; NULL: plain HTTP */
    const char *state;             /* the journal of files and jobs, or NULL */
    evm_jobs_config jobs;          /* job_ms, deploy_ms, by_poll, learner, params, max_tokens */
    const char *fireworks_account; /* the account of the key on Fireworks' paths */
    evm_batches_config batches;    /* batch_ms, by_poll */
    bool verbose;                  /* report each request, and libmicrohttpd's errors */
    evm_model_report report;       /* where problems and the log go */
    void *ctx;                     /* for 'report' */
} evm_server_config;

/* evm_server_defaults returns ev-mock's defaults: any port, seed 0, no
 * cases, no fault (evm_fault_defaults), a 60 s rpm window with no limit,
 * jobs, deployments and batches that take 300 ms by time, the learner's
 * default formula (learner.h), ev-tune's token limit of an example and the
 * Fireworks account "ev-mock". 'report' is left NULL: set it. */
evm_server_config evm_server_defaults(void);

/* evm_server_start loads the cases and replays, replays the journal, and
 * starts serving. Returns NULL when it cannot, each problem reported:
 * "file:line: ..." for every bad case or record, a journal that cannot be
 * read or opened, "cannot listen on 127.0.0.1:PORT: ..." or "cannot start
 * the server on 127.0.0.1:PORT". */
evm_server *evm_server_start(const evm_server_config *c);

/* evm_server_port returns the port the server listens on. */
long evm_server_port(const evm_server *s);

/* evm_server_model returns the model the server answers from. */
const evm_model *evm_server_model(const evm_server *s);

/* evm_server_stop ends every delay (latency, slow faults) and stops
 * serving, once the requests in flight are answered. */
void evm_server_stop(evm_server *s);

/* evm_server_summary returns the line of counts ev-mock prints at exit
 * (evm_counts_summary). */
jv evm_server_summary(evm_server *s);

/* evm_server_free stops the server if it still runs, and frees it. */
void evm_server_free(evm_server *s);

#endif
