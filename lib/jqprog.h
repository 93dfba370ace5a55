/*
 * jqprog.h: jq programs as the jq scorer runs them, in the sandbox.
 *
 * Ownership: json.h.
 *
 * This is the jq side of ev-score's sandbox (sandbox.h, scorebox.h): it
 * runs in the worker process, never in ev-score itself, since a program
 * comes from data that cannot be trusted. A program reaches nothing but its
 * input: the sandbox has no environment ($ENV, env and ~/.jq are empty or
 * absent) and no files, and here a program gets no module ('module',
 * 'import' and 'include' are refused), no library path (modulemeta,
 * get_search_list), no input but the one it is run on (input, inputs and
 * input_filename give nothing) and nowhere to print ('debug' goes
 * nowhere). Running out of memory in jq ends the worker with
 * EV_SANDBOX_EXIT_NOMEM, which the caller reads as over budget.
 *
 * Programs are compiled once per distinct text, up to 64 of them, and kept.
 */
#ifndef EV_JQPROG_H
#define EV_JQPROG_H

#include <jv.h>

typedef struct ev_jqprog ev_jqprog;

/* ev_jqprog_new returns an empty set of compiled programs. Compiling
 * starts on the first run. */
ev_jqprog *ev_jqprog_new(void);

/* A reply quotes at most this many bytes of a text, so that a program
 * cannot make ev-score read and hold a huge one. */
#define EV_JQPROG_TEXT_MAX 1024

/* ev_jqprog_run runs 'program' (a string) on 'input' and returns what
 * came of it, as an object:
 *   {"compile": why}       it does not compile (jq's first message, without
 *                          "jq: error: " and the position);
 *   {"error": message}     it failed at run time;
 *   {"halted": true}       it called halt, and gave no result;
 *   {"result": v, "more": b} its first result, a boolean or a number, and
 *                          whether a second one came;
 *   {"shown": text, "more": b} any other first result, as a reason shows
 *                          it (reason.h);
 *   {}                     no result.
 * With 'input' invalid the program is only compiled: {} when it compiles.
 * Texts in the reply are cut to EV_JQPROG_TEXT_MAX bytes. */
jv ev_jqprog_run(ev_jqprog *j, jv program, jv input);

/* ev_jqprog_free frees 'j' and the programs it compiled. NULL is
 * allowed. */
void ev_jqprog_free(ev_jqprog *j);

#endif
