/*
 * diag.h: diagnostics in one style.
 *
 * This is the one module of lib/ that prints; the rest of lib/ returns errors
 * and leaves policy to cmd/. Every message reads "ev-X: what is wrong", in
 * lowercase, with no full stop, the subject in single quotes. A position, when
 * there is one, comes first: "ev-X: file:line: what is wrong".
 */
#ifndef EV_DIAG_H
#define EV_DIAG_H

#include <stddef.h>

#include <jv.h>

/* ev_diag_warn prints "prog: message" to stderr.
 *
 * A message about a line ("file:line: what is wrong") that comes again and
 * again is printed EV_DIAG_SHOWN times and then counted, so that a bad
 * input of many lines does not flood the terminal: messages are alike when
 * they differ only in their position, their quoted texts and their
 * numbers. At exit, or at ev_diag_flush, each kind counted is summed up
 * once: "prog: and 1,998 more lines like cases.jsonl:3", naming the last
 * one shown. */
void ev_diag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* How many messages of one kind ev_diag_warn prints before it counts them. */
#define EV_DIAG_SHOWN 5

/* ev_diag_flush prints the sums of the messages ev_diag_warn counted and not
 * printed, and starts counting afresh. A tool calls it before its own
 * summary; exit calls it too. */
void ev_diag_flush(void);

/* ev_diag_count writes 'n' with its thousands separated by commas, as
 * diagnostics count lines ("1,998"), into 'buf' of 'size' bytes, and
 * returns 'buf'. */
const char *ev_diag_count(unsigned long n, char *buf, size_t size);

/* ev_diag_warn_jv prints the message carried by 'msg', an invalid-with-message or a
 * string, and consumes it. */
void ev_diag_warn_jv(jv msg);

/* ev_diag_die prints like ev_diag_warn and exits with 'status'. */
_Noreturn void ev_diag_die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ev_diag_usage_error prints the message and the hint "try 'prog --help'", and
 * exits with status 2. */
_Noreturn void ev_diag_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ev_diag_out_of_memory reports "prog: file:line: out of memory", or
 * "prog: out of memory" when no input line is being worked on, and exits
 * with status 2. It is what every allocation in ev, and in jq, does when
 * memory runs out (alloc.h). */
_Noreturn void ev_diag_out_of_memory(void);

/* ev_diag_position names the input line being worked on, for
 * ev_diag_out_of_memory: 'name' is kept, not copied, and must stay valid until
 * the next call; NULL means none. The reader (jsonl.h) calls it for each
 * line. */
void ev_diag_position(const char *name, unsigned long line);

/* ev_diag_version prints "prog (ev) VERSION" to stdout and exits 0. */
_Noreturn void ev_diag_version(void);

/* ev_diag_close_stdout flushes and closes stdout and reports a failed write, such as
 * a full disk. It returns 0, or 2 when the output was not all written. */
int ev_diag_close_stdout(void);

#endif
