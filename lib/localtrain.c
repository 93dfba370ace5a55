#include "localtrain.h"

#include "alloc.h"
#include "child.h"
#include "ev.h"
#include "json.h"
#include "jsonl.h"
#include "proc.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The trainer's last lines quoted when it fails. */
#define TAIL 5

/* A stream of the command's, split into lines. */
typedef struct stream {
    int fd; /* -1 once closed */
    char *buf;
    size_t len;
} stream;

/* drain reads what 's' has and passes on each whole line; at end of file
 * it passes the last piece and closes the stream. */
static void
drain(stream *s, int which, ev_localtrain_line on_line, void *ctx)
{
    char chunk[4096];
    ssize_t n = read(s->fd, chunk, sizeof(chunk));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        if (s->len > 0) {
            s->buf[s->len] = '\0';
            on_line(ctx, which, s->buf, s->len);
        }
        s->len = 0;
        close(s->fd);
        s->fd = -1;
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (chunk[i] == '\n' || s->len == EV_LOCALTRAIN_MAX_LINE) {
            s->buf[s->len] = '\0';
            on_line(ctx, which, s->buf, s->len);
            s->len = 0;
            if (chunk[i] == '\n')
                continue;
        }
        s->buf[s->len++] = chunk[i];
    }
}

/* stop_once sends SIGTERM to 'pid' the first time '*stop' is seen set. */
static void
stop_once(pid_t pid, const volatile sig_atomic_t *stop, bool *termed)
{
    if (stop != NULL && *stop && !*termed) {
        kill(pid, SIGTERM);
        *termed = true;
    }
}

int
ev_localtrain_run(const char *command, const char *name, const char *file, char *const *extra,
                  char *const *pass, ev_localtrain_line on_line, void *ctx,
                  const volatile sig_atomic_t *stop, jv *err)
{
    /* "$0" is 'name' and "$1" is 'file' in the command */
    char *argv[] = {"sh", "-c", (char *)command, (char *)name, (char *)file, NULL};
    char **envp = ev_child_env(extra, pass);
    ev_proc_spec spec = {"/bin/sh", argv, envp, EV_PROC_NULL, EV_PROC_PIPE, EV_PROC_PIPE, false};
    ev_proc p;
    bool started = ev_proc_spawn(&spec, &p, err);
    free(envp);
    if (!started)
        return -1;
    pid_t pid = p.pid;
    stream s[2] = {{p.out, ev_alloc_resize(NULL, EV_LOCALTRAIN_MAX_LINE + 1), 0},
                   {p.err, ev_alloc_resize(NULL, EV_LOCALTRAIN_MAX_LINE + 1), 0}};
    bool termed = false;
    while (s[0].fd >= 0 || s[1].fd >= 0) {
        stop_once(pid, stop, &termed);
        struct pollfd fds[2];
        int n = 0, which[2];
        for (int i = 0; i < 2; i++)
            if (s[i].fd >= 0) {
                fds[n] = (struct pollfd){s[i].fd, POLLIN, 0};
                which[n++] = i;
            }
        if (poll(fds, (nfds_t)n, -1) < 0)
            continue; /* EINTR: a signal; look at 'stop' again */
        for (int k = 0; k < n; k++)
            if (fds[k].revents != 0)
                drain(&s[which[k]], which[k] + 1, on_line, ctx);
    }
    free(s[0].buf);
    free(s[1].buf);
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            *err = jv_invalid_with_msg(
                jv_string_fmt("cannot wait for the trainer: %s", strerror(errno)));
            return -1;
        }
        stop_once(pid, stop, &termed);
    }
    return ev_proc_status(st);
}

/* --- a training run ------------------------------------------------------ */

/* What the trainer wrote that matters. */
typedef struct heard {
    const ev_log *log;
    char *model;      /* the last non-empty line of standard output */
    char *tail[TAIL]; /* the last lines of either stream */
    int ntail;
} heard;

static char *
trimmed(const char *s, size_t len)
{
    while (len > 0 && (*s == ' ' || *s == '\t' || *s == '\r')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    return ev_alloc_strndup(s, len);
}

static void
hear(void *ctx, int which, const char *line, size_t len)
{
    heard *h = ctx;
    if (h->log != NULL && h->log->output != NULL)
        h->log->output(h->log->ctx, line);
    char *s = trimmed(line, len);
    if (h->ntail == TAIL) {
        free(h->tail[0]);
        memmove(h->tail, h->tail + 1, (TAIL - 1) * sizeof(*h->tail));
        h->ntail--;
    }
    h->tail[h->ntail++] = ev_alloc_strdup(s);
    if (which == 1 && *s != '\0') {
        free(h->model);
        h->model = s;
    } else {
        free(s);
    }
}

/* write_temp writes the training text to a new temporary file and returns
 * its path, or NULL after saying why. */
static char *
write_temp(const ev_dataset *d, const ev_log *log)
{
    const char *dir = getenv("TMPDIR");
    char *p = ev_alloc_printf("%s/ev-tune-XXXXXX.jsonl", dir && *dir ? dir : "/tmp");
    int fd = mkstemps(p, 6);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL || fwrite(d->text, 1, d->len, f) != d->len || fclose(f) != 0) {
        ev_log_warn(log, "cannot write the training file '%s': %s", p, strerror(errno));
        if (fd >= 0)
            unlink(p);
        free(p);
        return NULL;
    }
    return p;
}

/* as_given says whether the one file given can be trained on as it is. */
static bool
as_given(const ev_dataset *set, const ev_dataset_opts *d)
{
    struct stat sb;
    return !set->changed && d->nfiles == 1 && strcmp(d->files[0], "-") != 0 &&
           stat(d->files[0], &sb) == 0 && S_ISREG(sb.st_mode);
}

/* result returns the line of a run that ended with 'status' (EV_EXIT_OK or
 * EV_EXIT_NO) after the trainer's exit 'rc', on 'file' (NULL: a temporary
 * one). */
static jv
result(const ev_localtrain_opts *o, const heard *h, int status, int rc, const char *file)
{
    bool ok = status == EV_EXIT_OK;
    jv line = ev_json_set(jv_object(), "job_id", jv_null());
    line = ev_json_set(line, "status", jv_string(ok ? "succeeded" : "failed"));
    line = ev_json_set(line, "fine_tuned_model", ok ? jv_string(h->model) : jv_null());
    line = ev_json_set(line, "trained_tokens", jv_null());
    line = ev_json_set(line, "training_file", ev_json_string_or_null(file));
    line = ev_json_set(line, "model", ev_json_string_or_null(o->model));
    if (ok)
        return line;
    jv e = ev_json_set(jv_object(), "code", jv_string("trainer_failed"));
    e = ev_json_set(e, "message",
                    rc != 0 ? jv_string_fmt("the trainer exited with status %d", rc)
                            : jv_string("the trainer printed no model name"));
    return ev_json_set(line, "error", e);
}

/* judge says what became of the trainer, which exited 'rc' (-1: it could
 * not be started, with 'err'), and returns the exit status. */
static int
judge(const ev_localtrain_opts *o, const heard *h, int rc, jv err)
{
    if (rc < 0) {
        ev_log_warn_jv(o->log, err);
        return EV_EXIT_TROUBLE;
    }
    if (o->stop != NULL && *o->stop) {
        ev_log_warn(o->log, "interrupted: the trainer was stopped");
        return EV_EXIT_INTR;
    }
    if (rc == 0 && h->model != NULL)
        return EV_EXIT_OK;
    if (rc == 0) {
        ev_log_warn(o->log, "the trainer printed no model name: its last line of output must "
                            "be one");
        return EV_EXIT_NO;
    }
    ev_log_warn(o->log, "the trainer failed with status %d%s", rc,
                h->ntail ? "; its last lines:" : "");
    for (int i = 0; i < h->ntail; i++)
        ev_log_warn(o->log, "  %s", h->tail[i]);
    return EV_EXIT_NO;
}

int
ev_localtrain_train(const ev_localtrain_opts *o, const ev_dataset_opts *d, const ev_quote_opts *q)
{
    ev_dataset set;
    ev_quote quote;
    int status =
        ev_dataset_prepare(&set, &quote, d, q, "refusing to train on an invalid training file");
    if (status != EV_EXIT_OK)
        return status;
    bool given = as_given(&set, d);
    char *path = given ? ev_alloc_strdup(d->files[0]) : write_temp(&set, d->log);
    ev_dataset_free(&set);
    char *env[6];
    int n = 0;
    if (path != NULL) {
        env[n++] = ev_alloc_printf("EV_TRAIN_FILE=%s", path);
        env[n++] = ev_alloc_printf("EV_TRAIN_FORMAT=%s", ev_convert_name(d->to));
        env[n++] = ev_alloc_printf("EV_EPOCHS=%ld", quote.epochs);
        if (o->model != NULL)
            env[n++] = ev_alloc_printf("EV_BASE_MODEL=%s", o->model);
        if (o->suffix != NULL)
            env[n++] = ev_alloc_printf("EV_SUFFIX=%s", o->suffix);
    }
    env[n] = NULL;
    ev_quote_free(&quote);
    if (path == NULL)
        return EV_EXIT_TROUBLE;
    heard h = {o->log, NULL, {NULL}, 0};
    jv err = jv_invalid();
    int rc = ev_localtrain_run(o->command, o->name, path, env, o->pass, hear, &h, o->stop, &err);
    if (!given)
        unlink(path);
    status = judge(o, &h, rc, err);
    if (status == EV_EXIT_OK || status == EV_EXIT_NO)
        ev_jsonl_write(o->out, result(o, &h, status, rc, given ? path : NULL));
    for (int i = 0; i < n; i++)
        free(env[i]);
    for (int i = 0; i < h.ntail; i++)
        free(h.tail[i]);
    free(h.model);
    free(path);
    return status;
}
