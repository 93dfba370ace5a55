/*
 * interrupt.h: SIGINT and SIGTERM end a run cleanly.
 *
 * ev(7) promises that an interrupted tool leaves valid JSONL behind and
 * exits 130. A tool calls ev_interrupt_catch once, before its first read;
 * from then on the first SIGINT or SIGTERM is only noted. The reader
 * (jsonl.h) looks at the note before it reads a line and wakes up from a
 * wait for input when one arrives, and then reports the end of the input: so
 * the record being written is finished, the line being read is dropped, and
 * nothing more is begun. The tool then writes what it holds, leaves out any
 * report (a report of part of the input would mislead), and exits
 * EV_EXIT_INTR when ev_interrupt_pending says so.
 *
 * A second signal ends the process at once with status 130 (_exit(2) in
 * the handler: the one exit of this module), for a tool stuck where the
 * reader cannot see the note: a write to a full pipe, a long computation.
 * The line being written may then be cut.
 */
#ifndef EV_INTERRUPT_H
#define EV_INTERRUPT_H

#include <stdbool.h>

/* ev_interrupt_catch installs the handlers for SIGINT and SIGTERM, with
 * SA_RESTART, so that no read or write fails because of them. */
void ev_interrupt_catch(void);

/* ev_interrupt_pending says whether SIGINT or SIGTERM has arrived since
 * ev_interrupt_catch. */
bool ev_interrupt_pending(void);

/* ev_interrupt_status returns EV_EXIT_INTR when the run was interrupted,
 * else 'status': what a tool returns from main. */
int ev_interrupt_status(int status);

/* ev_interrupt_fd returns a descriptor that becomes readable when the signal
 * arrives, for poll(2), or -1 when ev_interrupt_catch was not called. */
int ev_interrupt_fd(void);

#endif
