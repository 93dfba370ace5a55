/*
 * fault.h: the faults ev-mock injects, and what each one picks. This is the
 * one place of ev-mock's fault policy: the server asks it about every model
 * request, the jobs about every fine-tuning job, the batches about every
 * line.
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
 *
 * Every pick is a hash of the seed and of what is picked (a request body and
 * its attempt, a job's id, a batch line's custom_id), never of timing, so a
 * run reproduces whatever the client's concurrency. A plan is set before the
 * server starts and only read after, so any thread may read it.
 */
#ifndef EVM_FAULT_H
#define EVM_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include <jv.h>

/* The faults of a model request, in the order they are tried on it. The
 * order follows a real stack from the outside in: the key, the account's
 * quota and rate limit, then an overloaded or failing server, then a broken
 * answer body, then a slow one. */
enum evm_fault {
    EVM_FAULT_AUTH,
    EVM_FAULT_QUOTA,
    EVM_FAULT_429,
    EVM_FAULT_529,
    EVM_FAULT_503,
    EVM_FAULT_502,
    EVM_FAULT_500,
    EVM_FAULT_REDIRECT,
    EVM_FAULT_FLAT,
    EVM_FAULT_NONJSON,
    EVM_FAULT_TRUNCATED,
    EVM_FAULT_NOUSAGE,
    EVM_FAULT_RESET,
    EVM_FAULT_SLOW,
    EVM_FAULT_JUDGE_INVALID,
    EVM_FAULT_N,
    EVM_FAULT_NONE = EVM_FAULT_N,
};

/* What becomes of a batch line. */
enum evm_fault_fate {
    EVM_FAULT_RUN,    /* answered as the synchronous endpoint answers it */
    EVM_FAULT_FAIL,   /* the batch-fail fault: it ends errored */
    EVM_FAULT_EXPIRE, /* the batch-expire fault: it never runs */
};

typedef struct evm_fault_rule {
    double rate; /* share of distinct bodies faulted; 0 is off */
    long times;  /* attempts faulted per body; 0 is every attempt */
} evm_fault_rule;

/* What to inject, and how slow answers are. */
typedef struct evm_fault_plan {
    uint64_t seed;
    evm_fault_rule rules[EVM_FAULT_N];
    double job_fail;               /* share of fine-tuning jobs that fail */
    double lost_id;                /* share of created jobs and deployments whose
                                      answer is lost */
    double slow_deploy;            /* share of deployments that are slow to come up */
    double batch_fail;             /* share of batch lines that end errored */
    double batch_expire;           /* share of batch lines that never run */
    long slow_ms;                  /* the delay of the slow fault */
    long retry_after_ms;           /* the wait the 429 fault asks for */
    long latency_mean, latency_sd; /* the delay of every answer, in ms */
    bool lognormal;                /* latency: lognormal, else normal */
} evm_fault_plan;

/* evm_fault_defaults returns a plan with no fault: a slow fault of 30 s, a
 * 429 that asks for 1 s, no latency, seed 0. */
evm_fault_plan evm_fault_defaults(void);

/* evm_fault_name returns the name of 'f' as --fault takes it ("429",
 * "flat-error", "judge-invalid"...). */
const char *evm_fault_name(enum evm_fault f);

/* evm_fault_parse reads one --fault 'spec' into 'p': KIND=RATE[:TIMES] for
 * a fault of a model request (TIMES a positive integer or 'all'; default
 * 1), or job-fail=RATE, lost-id=RATE, slow-deploy=RATE, batch-fail=RATE or
 * batch-expire=RATE; RATE is from 0 to 1. Returns false and sets '*err' to a message (a string)
 * when the spec is none of these; 'p' is then unchanged. */
bool evm_fault_parse(evm_fault_plan *p, const char *spec, jv *err);

/* evm_fault_pick returns the fault of attempt 'attempt' (from 1) of the
 * request body whose hash is 'body', or EVM_FAULT_NONE. A kind selects a
 * body when a hash of (seed, kind, body) falls under its rate, and then
 * faults its first TIMES attempts; kinds that select the same body take
 * their turns in the order of enum evm_fault, after which it succeeds. */
enum evm_fault evm_fault_pick(const evm_fault_plan *p, uint64_t body, unsigned long attempt);

/* evm_fault_latency returns the delay in milliseconds of attempt 'attempt'
 * of the body 'body': latency_mean, or, with a latency_sd, a draw from a
 * normal (clamped at 0) or lognormal distribution of that mean and standard
 * deviation; at most an hour. */
long evm_fault_latency(const evm_fault_plan *p, uint64_t body, unsigned long attempt);

/* evm_fault_job_fails says whether the job-fail fault picks the job 'id'
 * (of any provider). */
bool evm_fault_job_fails(const evm_fault_plan *p, const char *id);

/* evm_fault_lost_id says whether the lost-id fault picks the new job,
 * endpoint or deployment 'id': it is made, but the answer that says so is
 * cut short, so the client must find it again. */
bool evm_fault_lost_id(const evm_fault_plan *p, const char *id);

/* evm_fault_slow_deploy says whether the slow-deploy fault picks the
 * deployment 'id': it takes ten times as long to come up. */
bool evm_fault_slow_deploy(const evm_fault_plan *p, const char *id);

/* evm_fault_batch_line returns the fate of the batch line 'custom_id': the
 * batch-expire fault is asked first, then batch-fail. */
enum evm_fault_fate evm_fault_batch_line(const evm_fault_plan *p, const char *custom_id);

#endif
