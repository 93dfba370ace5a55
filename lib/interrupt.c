#include "interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "ev.h"

static volatile sig_atomic_t seen;
static int wake[2] = {-1, -1};

static void
on_signal(int sig)
{
    int saved = errno;
    (void)sig;
    if (seen)
        _exit(EV_EXIT_INTR);
    seen = 1;
    if (wake[1] >= 0) {
        ssize_t n = write(wake[1], "x", 1);
        (void)n;
    }
    errno = saved;
}

void
ev_interrupt_catch(void)
{
    struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};

    /* Without the pipe (no descriptor left), a read blocked on a pipe sees
     * only the second signal, which ends the process. */
    if (wake[0] < 0 && pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0)
        wake[0] = wake[1] = -1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool
ev_interrupt_pending(void)
{
    return seen != 0;
}

int
ev_interrupt_status(int status)
{
    return seen ? EV_EXIT_INTR : status;
}

int
ev_interrupt_fd(void)
{
    return wake[0];
}
