#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "proc.h"

/* How often the budget is checked while the worker works. */
#define CHECK_MS 10

struct ev_sandbox {
    ev_sandbox_fn fn;
    void *state;
    ev_sandbox_budget budget;
    pid_t parent;     /* our pid, for the worker to tell it was orphaned */
    pid_t pid;        /* the worker, or 0 when none runs */
    int in, out;      /* our ends of its standard input and output */
    int stat, statm;  /* its /proc/PID/stat and /proc/PID/statm */
    long pages_start; /* its resident pages when it started */
    double cpu_idle;  /* its CPU time when it last answered */
    char *buf;        /* its reply so far: 'len' of 'cap' bytes */
    size_t len, cap;
};

/* --- the worker's side ---------------------------------------------------- */

static ssize_t
discard(void *cookie, const char *buf, size_t n)
{
    (void)cookie;
    (void)buf;
    return (ssize_t)n;
}

/* The system calls a confined worker may not make. */
static const int denied[] = {
#ifdef __NR_open
    __NR_open,
#endif
#ifdef __NR_creat
    __NR_creat,
#endif
#ifdef __NR_openat2
    __NR_openat2,
#endif
#ifdef __NR_unlink
    __NR_unlink,
#endif
#ifdef __NR_rename
    __NR_rename,
#endif
#ifdef __NR_mkdir
    __NR_mkdir,
#endif
#ifdef __NR_rmdir
    __NR_rmdir,
#endif
#ifdef __NR_link
    __NR_link,
#endif
#ifdef __NR_symlink
    __NR_symlink,
#endif
#ifdef __NR_chmod
    __NR_chmod,
#endif
#ifdef __NR_chown
    __NR_chown,
#endif
#ifdef __NR_lchown
    __NR_lchown,
#endif
#ifdef __NR_mknod
    __NR_mknod,
#endif
#ifdef __NR_fork
    __NR_fork,
#endif
#ifdef __NR_vfork
    __NR_vfork,
#endif
#ifdef __NR_clone3
    __NR_clone3,
#endif
    __NR_openat,
    __NR_open_by_handle_at,
    __NR_truncate,
    __NR_unlinkat,
    __NR_renameat,
    __NR_renameat2,
    __NR_mkdirat,
    __NR_linkat,
    __NR_symlinkat,
    __NR_fchmodat,
    __NR_fchownat,
    __NR_mknodat,
    __NR_execve,
    __NR_execveat,
    __NR_clone,
    __NR_socket,
    __NR_socketpair,
    __NR_connect,
    __NR_bind,
    __NR_ptrace,
    __NR_process_vm_readv,
    __NR_process_vm_writev,
};

#if defined(__x86_64__)
#define AUDIT_ARCH_HERE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_HERE AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define AUDIT_ARCH_HERE AUDIT_ARCH_I386
#endif

/* deny_calls makes the calls of 'denied' fail with EPERM from now on, and
 * every call of another ABI than ours (i386 or x32 calls on x86-64). A
 * kernel without seccomp leaves the worker without this wall, but not
 * without the others. */
static void
deny_calls(void)
{
#ifdef AUDIT_ARCH_HERE
    enum { N = sizeof(denied) / sizeof(denied[0]) };
    struct sock_filter f[N + 8];
    unsigned n = 0;
    f[n++] =
        (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_HERE, 1, 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
    f[n++] =
        (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    /* x32 calls carry this bit */
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, N + 1, 0);
    for (unsigned i = 0; i < N; i++)
        f[n++] =
            (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)denied[i], N - i, 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
    struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
        (void)prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
#endif
}

extern char **environ;

/* confine walls the worker in, as sandbox.h says. */
static void
confine(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(0);
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    FILE *sink = fopencookie(NULL, "w", (cookie_io_functions_t){.write = discard});
    if (sink == NULL)
        _exit(EV_SANDBOX_EXIT_NOMEM);
    stdout = sink;
    stderr = sink;
    clearenv();
    static char *none[] = {NULL};
    environ = none;
    if (close_range(3, ~0U, 0) != 0) {
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
    }
    deny_calls();
}

/* serve is the worker: one request a line in, one reply a line out, until
 * its input ends. */
static int
serve(void *p)
{
    ev_sandbox *sb = p;
    confine(sb->parent);
    /* A new stream: the caller may have closed its stdin. */
    FILE *in = fdopen(STDIN_FILENO, "r");
    if (in == NULL)
        return EV_SANDBOX_EXIT_NOMEM;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) > 0) {
        jv reply = sb->fn(sb->state, jv_parse_sized(line, (int)n));
        /* The reply comes with the CPU time the worker has taken so far. */
        struct timespec t;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
        jv text = jv_dump_string(
            JV_ARRAY(jv_number((double)t.tv_sec + (double)t.tv_nsec / 1e9), reply), 0);
        text = jv_string_append_str(text, "\n");
        bool ok = ev_proc_write(STDOUT_FILENO, jv_string_value(text),
                                (size_t)jv_string_length_bytes(jv_copy(text)));
        jv_free(text);
        if (!ok)
            break;
    }
    free(line);
    return 0;
}

/* --- the caller's side ---------------------------------------------------- */

ev_sandbox *
ev_sandbox_new(ev_sandbox_fn fn, void *state, ev_sandbox_budget budget)
{
    ev_sandbox *sb = ev_alloc_zero(1, sizeof(*sb));
    sb->fn = fn;
    sb->state = state;
    sb->budget = budget;
    sb->in = sb->out = sb->stat = sb->statm = -1;
    return sb;
}

static int
open_proc(pid_t pid, const char *name)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, name);
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* read_proc reads the whole of a /proc file open at 'fd' into 'buf'. */
static bool
read_proc(int fd, char *buf, size_t size)
{
    ssize_t n = pread(fd, buf, size - 1, 0);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    return true;
}

/* cpu_seconds returns the worker's CPU time, user and system, or -1. */
static double
cpu_seconds(const ev_sandbox *sb)
{
    char buf[1024];
    if (!read_proc(sb->stat, buf, sizeof(buf)))
        return -1;
    /* The name, in parentheses, may hold anything: fields start after the
     * last ')'. utime and stime are fields 14 and 15. */
    const char *p = strrchr(buf, ')');
    unsigned long long user, sys;
    if (p == NULL ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &user, &sys) != 2)
        return -1;
    return (double)(user + sys) / (double)sysconf(_SC_CLK_TCK);
}

/* resident_pages returns the worker's resident pages, or -1. */
static long
resident_pages(const ev_sandbox *sb)
{
    char buf[256];
    long size, resident;
    if (!read_proc(sb->statm, buf, sizeof(buf)) || sscanf(buf, "%ld %ld", &size, &resident) != 2)
        return -1;
    return resident;
}

/* stop kills the worker, if one runs, and forgets it; returns its status
 * as from waitpid. */
static int
stop(ev_sandbox *sb)
{
    int status = 0;
    if (sb->pid > 0) {
        kill(sb->pid, SIGKILL);
        while (waitpid(sb->pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    int *fds[] = {&sb->in, &sb->out, &sb->stat, &sb->statm};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
    sb->pid = 0;
    sb->len = 0;
    sb->cpu_idle = 0;
    return status;
}

static bool
start(ev_sandbox *sb, jv *err)
{
    sb->parent = getpid();
    sb->pid = ev_proc_fork(serve, sb, &sb->in, &sb->out, err);
    if (sb->pid < 0) {
        sb->pid = 0;
        return false;
    }
    sb->stat = open_proc(sb->pid, "stat");
    sb->statm = open_proc(sb->pid, "statm");
    sb->pages_start = resident_pages(sb);
    if (sb->stat < 0 || sb->statm < 0 || sb->pages_start < 0) {
        *err = jv_invalid_with_msg(
            jv_string_fmt("cannot watch its worker's budget in /proc: %s", strerror(errno)));
        stop(sb);
        return false;
    }
    return true;
}

/* died reports how the worker ended, with 'status' as from waitpid. */
static jv
died(int status, ev_sandbox_over *over, const ev_sandbox *sb)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == EV_SANDBOX_EXIT_NOMEM) {
        *over = EV_SANDBOX_OVER_MEMORY;
        return jv_invalid_with_msg(
            jv_string_fmt("ran out of memory, within its budget of %g MB", sb->budget.memory_mb));
    }
    if (WIFSIGNALED(status))
        return jv_invalid_with_msg(
            jv_string_fmt("its worker died: killed by signal %d", WTERMSIG(status)));
    return jv_invalid_with_msg(
        jv_string_fmt("its worker died: exited with status %d", WEXITSTATUS(status)));
}

static jv
over_cpu(const ev_sandbox *sb)
{
    return jv_invalid_with_msg(
        jv_string_fmt("ran over its CPU budget of %g s", sb->budget.cpu_seconds));
}

/* over_budget says which budget the request in progress has run over, if
 * any, when it may take 'cpu_left' seconds. */
static ev_sandbox_over
over_budget(const ev_sandbox *sb, double cpu_left)
{
    double cpu = cpu_seconds(sb);
    if (cpu >= 0 && cpu - sb->cpu_idle > cpu_left)
        return EV_SANDBOX_OVER_CPU;
    long pages = resident_pages(sb);
    double grown = (double)(pages - sb->pages_start) * (double)sysconf(_SC_PAGESIZE);
    if (pages >= 0 && grown > sb->budget.memory_mb * 1024 * 1024)
        return EV_SANDBOX_OVER_MEMORY;
    return EV_SANDBOX_WITHIN;
}

static jv
over_memory(const ev_sandbox *sb)
{
    return jv_invalid_with_msg(
        jv_string_fmt("ran over its memory budget of %g MB", sb->budget.memory_mb));
}

/* receive reads the reply to the request just sent, watching the budget,
 * and takes the CPU time it took from '*cpu_left'; invalid when the worker
 * died or ran over. */
static jv
receive(ev_sandbox *sb, double *cpu_left, ev_sandbox_over *over)
{
    for (;;) {
        char *nl = sb->len > 0 ? memchr(sb->buf, '\n', sb->len) : NULL;
        if (nl != NULL) {
            jv both = jv_parse_sized(sb->buf, (int)(nl - sb->buf));
            size_t used = (size_t)(nl - sb->buf) + 1;
            memmove(sb->buf, sb->buf + used, sb->len - used);
            sb->len -= used;
            jv cpu = jv_array_get(jv_copy(both), 0);
            if (jv_get_kind(cpu) == JV_KIND_NUMBER) {
                *cpu_left -= jv_number_value(cpu) - sb->cpu_idle;
                sb->cpu_idle = jv_number_value(cpu);
            }
            jv_free(cpu);
            return jv_array_get(both, 1);
        }
        struct pollfd pfd = {.fd = sb->out, .events = POLLIN};
        int r = poll(&pfd, 1, CHECK_MS);
        if (r < 0 && errno != EINTR)
            return died(stop(sb), over, sb);
        if (r <= 0) {
            *over = over_budget(sb, *cpu_left);
            if (*over == EV_SANDBOX_WITHIN)
                continue;
            stop(sb);
            return *over == EV_SANDBOX_OVER_CPU ? over_cpu(sb) : over_memory(sb);
        }
        if (sb->cap - sb->len < 65536) {
            sb->cap = sb->cap ? 2 * sb->cap : 131072;
            sb->buf = ev_alloc_resize(sb->buf, sb->cap);
        }
        ssize_t n = read(sb->out, sb->buf + sb->len, sb->cap - sb->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return died(stop(sb), over, sb);
        sb->len += (size_t)n;
    }
}

jv
ev_sandbox_call(ev_sandbox *sb, jv request, double *cpu_left, ev_sandbox_over *over)
{
    *over = EV_SANDBOX_WITHIN;
    if (*cpu_left <= 0) {
        jv_free(request);
        *over = EV_SANDBOX_OVER_CPU;
        return over_cpu(sb);
    }
    jv err;
    if (sb->pid == 0 && !start(sb, &err)) {
        jv_free(request);
        return err;
    }
    jv text = jv_dump_string(request, 0);
    text = jv_string_append_str(text, "\n");
    bool sent =
        ev_proc_send(sb->in, jv_string_value(text), (size_t)jv_string_length_bytes(jv_copy(text)));
    jv_free(text);
    if (!sent)
        return died(stop(sb), over, sb);
    return receive(sb, cpu_left, over);
}

void
ev_sandbox_free(ev_sandbox *sb)
{
    if (sb == NULL)
        return;
    stop(sb);
    free(sb->buf);
    free(sb);
}
