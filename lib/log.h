/*
 * log.h: how library code that runs for a while says what it does and what
 * goes wrong, without printing: through callbacks the command passes in,
 * which decide where each line goes and whether it is shown (lib/ never
 * prints; diag.h is the command's way to).
 *
 * Ownership: json.h.
 *
 * A line has no program name and no newline: "file:3: no assistant
 * message", "created job 'ftjob-1'". Any callback may be NULL, and its
 * lines are then dropped.
 */
#ifndef EV_LOG_H
#define EV_LOG_H

#include <jv.h>

typedef struct ev_log {
    void (*warn)(void *ctx, const char *line);     /* what is wrong: always worth showing */
    void (*progress)(void *ctx, const char *line); /* what is happening: --quiet drops it */
    void (*output)(void *ctx, const char *line);   /* a line a program we run wrote, as it is */
    void *ctx;
} ev_log;

/* ev_log_warn and ev_log_progress format a line as printf does and pass it
 * to 'l''s callback. 'l' may be NULL. */
void ev_log_warn(const ev_log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ev_log_progress(const ev_log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ev_log_warn_jv and ev_log_progress_jv pass on the message of 'msg', an
 * invalid with a message or a string ("unknown error" for anything else). */
void ev_log_warn_jv(const ev_log *l, jv msg);
void ev_log_progress_jv(const ev_log *l, jv msg);

#endif
