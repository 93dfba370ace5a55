/* Unit tests of lib/interrupt: the first SIGINT or SIGTERM after
 * ev_interrupt_catch is noted, shown on a descriptor for poll(2) and turned
 * into status 130; a second ends the process with 130. The handlers stay
 * for the life of a process, so each case with a signal runs in a child of
 * its own, which says with its exit status which check failed. */
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "ev.h"
#include "interrupt.h"
#include "unit.h"

/* readable says whether 'fd' can be read now, without waiting. */
static int
readable(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    return poll(&pfd, 1, 0) == 1;
}

/* restarts says whether 'sig' is caught with SA_RESTART. */
static int
restarts(int sig)
{
    struct sigaction sa;
    sigaction(sig, NULL, &sa);
    return sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN && (sa.sa_flags & SA_RESTART);
}

/* one_signal catches, raises 'sig' and exits 0 when everything the header
 * promises holds, else the number of the first check that failed. */
static int
one_signal(int sig)
{
    if (ev_interrupt_fd() != -1 || ev_interrupt_pending())
        return 1;
    if (ev_interrupt_status(3) != 3)
        return 2;
    ev_interrupt_catch();
    if (!restarts(SIGINT) || !restarts(SIGTERM))
        return 3;
    if (ev_interrupt_fd() < 0 || readable(ev_interrupt_fd()) || ev_interrupt_pending())
        return 4;
    if (ev_interrupt_status(0) != 0)
        return 5;
    raise(sig);
    if (!ev_interrupt_pending())
        return 6;
    if (!readable(ev_interrupt_fd()))
        return 7;
    if (ev_interrupt_status(0) != EV_EXIT_INTR || ev_interrupt_status(1) != EV_EXIT_INTR)
        return 8;
    return 0;
}

static int
two_signals(int unused)
{
    (void)unused;
    ev_interrupt_catch();
    raise(SIGINT);
    raise(SIGTERM);
    return 1; /* not reached: the second signal ends the process */
}

/* wakes waits in poll(2) for the descriptor, with no time limit, after
 * telling the parent on 'ready' that it is about to. */
static int
wakes(int ready)
{
    ev_interrupt_catch();
    if (write(ready, "r", 1) != 1)
        return 2;
    struct pollfd pfd = {.fd = ev_interrupt_fd(), .events = POLLIN};
    while (poll(&pfd, 1, -1) != 1)
        ;
    return ev_interrupt_pending() ? 0 : 1;
}

static int
child_status(pid_t pid)
{
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static pid_t
child(int (*fn)(int), int arg)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn(arg));
    return pid;
}

int
main(void)
{
    int got = child_status(child(one_signal, SIGINT));
    CHECK(got == 0, "SIGINT is noted, shown on the descriptor and made status 130");
    if (got != 0)
        printf("#   check %d failed\n", got);
    got = child_status(child(one_signal, SIGTERM));
    CHECK(got == 0, "and so is SIGTERM");
    if (got != 0)
        printf("#   check %d failed\n", got);
    CHECK(child_status(child(two_signals, 0)) == EV_EXIT_INTR,
          "a second signal ends the process with status 130");

    int fds[2];
    if (pipe(fds) != 0)
        abort();
    pid_t pid = child(wakes, fds[1]);
    close(fds[1]);
    char c;
    CHECK(read(fds[0], &c, 1) == 1, "a child waits on the descriptor");
    close(fds[0]);
    kill(pid, SIGINT);
    CHECK(child_status(pid) == 0, "and a signal wakes it from its wait");
    UNIT_DONE();
}
