/*
 * ev.h: what every ev tool shares: the version and the exit codes.
 *
 * The exit codes are the contract in DESIGN.md and ev(7). They never change
 * once released.
 */
#ifndef EV_H
#define EV_H

#define EV_VERSION "0.1.0"

enum ev_exit {
    EV_EXIT_OK = 0,      /* success; a verdict is yes */
    EV_EXIT_NO = 1,      /* a verdict is no: goal not met, leak found */
    EV_EXIT_TROUBLE = 2, /* usage error, unreadable file, bad line, failed write */
    EV_EXIT_CALLS = 3,   /* ev-call: some calls failed after their retries */
    EV_EXIT_INTR = 130,  /* interrupted */
};

#endif
