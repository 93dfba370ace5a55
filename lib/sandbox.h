/*
 * sandbox.h: a confined worker process with a budget, for the work whose
 * cost and reach a record decides: the jq programs, regular expressions
 * and edit distances ev-score runs for data it cannot trust.
 *
 * Ownership: json.h.
 *
 * The worker is forked (proc.h) on the first call and kept for the run.
 * It answers each request, a JSON value, with 'fn'('state', request),
 * another, computed in its own copy of the caller's memory. It runs
 * confined:
 * - its environment is empty: no key, no HOME, no PATH;
 * - it has no file descriptor but its two pipes and standard error, and
 *   where the kernel has seccomp it cannot open, create or remove a file,
 *   run a program, start a process, open a socket or trace another
 *   process: those calls fail with EPERM;
 * - what it writes through stdio's stdout and stderr is thrown away
 *   (standard error itself stays open, for the sanitizers' reports);
 * - it ignores SIGINT and SIGQUIT, which are the caller's to act on, and
 *   dies with the caller.
 *
 * Work has a budget, enforced from outside: while the worker works, the
 * caller reads its CPU time (/proc/PID/stat) and its resident memory
 * (/proc/PID/statm) every 10 ms, and kills it when the request has taken
 * more CPU time than it had left, or the worker has grown by more than the
 * memory budget since it started. The next call starts a new worker.
 * CPU time is what counts, not wall-clock time: a busy machine makes a
 * request slower, never over budget. Running out of memory inside the
 * worker also counts as over budget.
 */
#ifndef EV_SANDBOX_H
#define EV_SANDBOX_H

#include <stdbool.h>

#include <jv.h>

/* A budget. */
typedef struct ev_sandbox_budget {
    double cpu_seconds; /* CPU time, user and system, of a piece of work
                         * that may take several requests (a record's) */
    double memory_mb;   /* growth of the worker's resident memory in MiB */
} ev_sandbox_budget;

/* A worker that finds itself out of memory (in jq's out-of-memory handler,
 * say) exits with this status: its request is then over its memory
 * budget. */
#define EV_SANDBOX_EXIT_NOMEM 86

/* An ev_sandbox_fn computes, in the worker, the reply to 'request'
 * (consumed), which must be valid. 'state' is the worker's own copy of
 * what ev_sandbox_new was given: what it keeps there lasts as long as the
 * worker, and the caller never sees it. */
typedef jv (*ev_sandbox_fn)(void *state, jv request);

typedef struct ev_sandbox ev_sandbox;

/* Which budget a request ran over, if any. */
typedef enum ev_sandbox_over {
    EV_SANDBOX_WITHIN,
    EV_SANDBOX_OVER_CPU,
    EV_SANDBOX_OVER_MEMORY,
} ev_sandbox_over;

/* ev_sandbox_new prepares a worker that answers with 'fn' and 'state'
 * (borrowed; it must outlive the sandbox); no process starts before the
 * first call. */
ev_sandbox *ev_sandbox_new(ev_sandbox_fn fn, void *state, ev_sandbox_budget budget);

/* ev_sandbox_call sends 'request' (consumed) to the worker, starting one
 * when none runs, and returns its reply. '*cpu_left' is the CPU time the
 * request may take, and is decreased by what it took: start it at the
 * budget's cpu_seconds, and the requests made with it share that budget.
 * When the request ran over (or none was left) the worker is killed,
 * '*over' says which budget, and the result is invalid with a message that
 * names it ("ran over its CPU budget of 0.2 s"). When the worker could not
 * start or died, the result is invalid with a message that says how ("its
 * worker died: killed by signal 11") and '*over' is EV_SANDBOX_WITHIN. */
jv ev_sandbox_call(ev_sandbox *sb, jv request, double *cpu_left, ev_sandbox_over *over);

/* ev_sandbox_free kills the worker, which holds nothing worth keeping,
 * and frees 'sb'. NULL is allowed. */
void ev_sandbox_free(ev_sandbox *sb);

#endif
