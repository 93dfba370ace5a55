/*
 * localtrain.h: fine-tuning with a local training command (ev-tune --cmd):
 * the training file is checked, written where the command can read it, and
 * the command run once with it, its output passed on line by line as it
 * comes; its last line of output names the tuned model.
 *
 * Ownership: json.h.
 *
 * The command runs as /bin/sh -c COMMAND NAME FILE, so the file's path is
 * "$1" in the command. Its standard input is /dev/null, so it cannot eat
 * records meant for ev; it starts as lib/proc.h starts every program, with
 * its signals at their defaults, in the environment of a local command
 * (lib/child.h: ev_child_env), which holds no key. Its standard output and
 * standard error are read through pipes.
 */
#ifndef EV_LOCALTRAIN_H
#define EV_LOCALTRAIN_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include <jv.h>

#include "dataset.h"
#include "log.h"
#include "quote.h"

/* The longest line passed on whole; a longer one is passed in pieces. */
#define EV_LOCALTRAIN_MAX_LINE 65536

/* A line of output: 'stream' is 1 for standard output and 2 for standard
 * error; 'line' ('len' bytes, NUL-terminated) has no newline. */
typedef void (*ev_localtrain_line)(void *ctx, int stream, const char *line, size_t len);

/* ev_localtrain_run runs 'command' as above with "$0" 'name' and "$1"
 * 'file', with the variables that the patterns of 'pass' match and 'extra'
 * ("NAME=value" strings) added to its environment, both NULL-terminated
 * and either NULL, hands each line it writes to 'on_line', and waits for
 * it. When '*stop' becomes non-zero (NULL: never) while it runs, the
 * command gets SIGTERM, once, and is still waited for. Returns its exit
 * status, 128 + the signal that ended it, or -1 with '*err' set when it
 * cannot be started. */
int ev_localtrain_run(const char *command, const char *name, const char *file, char *const *extra,
                      char *const *pass, ev_localtrain_line on_line, void *ctx,
                      const volatile sig_atomic_t *stop, jv *err);

/* A training run. */
typedef struct ev_localtrain_opts {
    const char *command; /* the training command */
    const char *name;    /* its "$0": the program's name */
    char *const *pass;   /* patterns of our variables it gets too (--env); may be NULL */
    const char *model;   /* the base model, for $EV_BASE_MODEL, or NULL */
    const char *suffix;  /* for $EV_SUFFIX, or NULL */
    const volatile sig_atomic_t *stop; /* when it becomes non-zero, stop (NULL: never) */
    const ev_log *log;                 /* the command's lines go to its 'output' */
    FILE *out;                         /* where the line goes */
} ev_localtrain_opts;

/* ev_localtrain_train reads and checks the training file (lib/dataset.h)
 * and trains on it only when it is valid: on the one file given, as it is,
 * when it needs no change, else on a temporary file in the format asked
 * for, removed afterwards. The command gets the file as "$1" and
 * $EV_TRAIN_FILE, its format as $EV_TRAIN_FORMAT, the epochs as $EV_EPOCHS,
 * and $EV_BASE_MODEL and $EV_SUFFIX when given. It then writes the line of
 * ev-tune(1) to 'out': {job_id: null, status, fine_tuned_model (the last
 * non-empty line of the command's standard output), trained_tokens: null,
 * training_file (the file given, or null), model[, error]}. It returns
 * EV_EXIT_OK when the command succeeded and named a model, EV_EXIT_NO when
 * the file was invalid or the command failed or named no model (its last
 * lines are said), EV_EXIT_INTR when '*stop' was set (the command is sent
 * SIGTERM), and EV_EXIT_TROUBLE when a file cannot be read or written, or
 * the command cannot be started. */
int ev_localtrain_train(const ev_localtrain_opts *o, const ev_dataset_opts *d,
                        const ev_quote_opts *q);

#endif
