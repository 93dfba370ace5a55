#include "relay.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "diag.h"
#include "proc.h"

typedef struct batch {
    int want, got;
    char **lines; /* [want], owned */
    struct batch *next;
} batch;

struct ev_relay {
    pid_t pid;
    int in; /* the child's standard input; -1 once closed */
    FILE *out;
    pthread_t reader;
    pthread_mutex_t mu; /* guards what follows */
    pthread_cond_t answered;
    batch *head, *tail;
    batch *filling; /* the oldest batch still short of answers, or NULL */
    size_t pending;
    bool ended;    /* the child closed its output */
    bool overflow; /* it wrote lines no batch waited for */
    int status;    /* as from waitpid, once 'reaped' */
    bool reaped;
};

static void
batch_free(batch *b)
{
    for (int i = 0; i < b->got; i++)
        free(b->lines[i]);
    free(b->lines);
    free(b);
}

/* read_answers is the reading thread: each line of the child's output goes
 * to the oldest batch short of answers. */
static void *
read_answers(void *arg)
{
    ev_relay *r = arg;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, r->out)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        pthread_mutex_lock(&r->mu);
        batch *b = r->filling;
        if (b == NULL) {
            r->overflow = true;
        } else {
            b->lines[b->got++] = line;
            line = NULL;
            cap = 0;
            if (b->got == b->want) {
                r->filling = b->next;
                pthread_cond_broadcast(&r->answered);
            }
        }
        pthread_mutex_unlock(&r->mu);
    }
    free(line);
    pthread_mutex_lock(&r->mu);
    r->ended = true;
    pthread_cond_broadcast(&r->answered);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

ev_relay *
ev_relay_start(char *const *argv, jv *err)
{
    ev_proc_spec spec = {argv[0], argv, NULL, EV_PROC_PIPE, EV_PROC_PIPE, EV_PROC_OURS, false};
    ev_proc child;
    if (!ev_proc_spawn(&spec, &child, err))
        return NULL;
    ev_relay *r = ev_alloc_zero(1, sizeof(*r));
    r->pid = child.pid;
    r->in = child.in;
    r->out = fdopen(child.out, "r");
    if (r->out == NULL)
        ev_diag_out_of_memory();
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->answered, NULL);
    int e = pthread_create(&r->reader, NULL, read_answers, r);
    if (e != 0) {
        /* Without its reader the child could fill its pipe and wait for
         * ever: end it, and say why. */
        *err = jv_invalid_with_msg(jv_string_fmt("cannot start a thread: %s", strerror(e)));
        close(r->in);
        fclose(r->out);
        kill(r->pid, SIGKILL);
        ev_proc_wait(r->pid, true, NULL);
        pthread_cond_destroy(&r->answered);
        pthread_mutex_destroy(&r->mu);
        free(r);
        return NULL;
    }
    return r;
}

bool
ev_relay_send(ev_relay *r, const char *requests, size_t len, int n)
{
    batch *b = ev_alloc_zero(1, sizeof(*b));
    b->want = n;
    b->lines = ev_alloc_zero((size_t)n, sizeof(char *));
    pthread_mutex_lock(&r->mu);
    if (r->tail)
        r->tail->next = b;
    else
        r->head = b;
    r->tail = b;
    if (r->filling == NULL)
        r->filling = b;
    r->pending++;
    pthread_mutex_unlock(&r->mu);
    if (r->in < 0)
        return false;
    bool sent = ev_proc_send(r->in, requests, len);
    if (!sent) {
        close(r->in);
        r->in = -1;
    }
    return sent;
}

static void
reap(ev_relay *r)
{
    if (ev_proc_wait(r->pid, true, &r->status) < 0)
        r->status = 0;
    r->reaped = true;
}

jv
ev_relay_next(ev_relay *r, bool wait)
{
    pthread_mutex_lock(&r->mu);
    batch *b = r->head;
    while (wait && b != NULL && b->got < b->want && !r->ended)
        pthread_cond_wait(&r->answered, &r->mu);
    if (b == NULL || (b->got < b->want && !r->ended)) {
        pthread_mutex_unlock(&r->mu);
        return b == NULL ? jv_null() : jv_invalid();
    }
    r->head = b->next;
    if (r->head == NULL)
        r->tail = NULL;
    if (r->filling == b)
        r->filling = b->next;
    r->pending--;
    bool ended = r->ended;
    pthread_mutex_unlock(&r->mu);
    jv out;
    if (b->got == b->want) {
        out = jv_array();
        for (int i = 0; i < b->got; i++)
            out = jv_array_append(out, jv_string(b->lines[i]));
    } else {
        /* the child has closed its output: its exit is near */
        if (ended && !r->reaped) {
            if (r->in >= 0)
                close(r->in);
            r->in = -1;
            reap(r);
        }
        jv how = ev_proc_ended(r->status);
        out = jv_invalid_with_msg(
            WIFSIGNALED(r->status) ? how : jv_string_append_str(how, " before answering"));
    }
    batch_free(b);
    return out;
}

size_t
ev_relay_pending(const ev_relay *r)
{
    return r->pending;
}

void
ev_relay_end_input(ev_relay *r)
{
    if (r == NULL || r->in < 0)
        return;
    close(r->in);
    r->in = -1;
}

int
ev_relay_finish(ev_relay *r)
{
    if (r == NULL)
        return 0;
    if (r->in >= 0)
        close(r->in);
    r->in = -1;
    pthread_join(r->reader, NULL);
    fclose(r->out);
    if (!r->reaped)
        reap(r);
    int status = ev_proc_status(r->status);
    if (status == 0 && r->overflow)
        status = 2;
    while (r->head) {
        batch *b = r->head;
        r->head = b->next;
        batch_free(b);
    }
    pthread_cond_destroy(&r->answered);
    pthread_mutex_destroy(&r->mu);
    free(r);
    return status;
}
