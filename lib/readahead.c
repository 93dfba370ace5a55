#include "readahead.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "jsonl.h"

struct ev_readahead {
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t space;
    ev_readahead_item q[EV_READAHEAD_CAP];
    size_t head, count;
    bool stop, finished;
    ev_jsonl_reader r;
    void (*wake)(void *ctx);
    void *ctx;
};

static void
on_usr1(int sig)
{
    (void)sig; /* only interrupts the reader's blocking read */
}

static void *
reader_main(void *arg)
{
    ev_readahead *rd = arg;
    ev_alloc_thread_init(); /* jq runs out of memory as ev does here too */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    for (;;) {
        pthread_mutex_lock(&rd->mu);
        while (rd->count == EV_READAHEAD_CAP && !rd->stop)
            pthread_cond_wait(&rd->space, &rd->mu);
        bool stop = rd->stop;
        pthread_mutex_unlock(&rd->mu);
        if (stop)
            break;
        ev_readahead_item it = {.rec = jv_invalid()};
        it.rc = ev_jsonl_next(&rd->r, &it.rec);
        if (it.rc == EV_JSONL_OK) {
            size_t len;
            const char *raw = ev_jsonl_raw(&rd->r, &len);
            it.raw = ev_alloc(len + 1);
            memcpy(it.raw, raw, len + 1);
            it.len = len;
            it.name = rd->r.name;
            it.line = rd->r.line;
        }
        pthread_mutex_lock(&rd->mu);
        if (rd->stop) {
            pthread_mutex_unlock(&rd->mu);
            jv_free(it.rec);
            free(it.raw);
            break;
        }
        bool was_empty = rd->count == 0;
        rd->q[(rd->head + rd->count) % EV_READAHEAD_CAP] = it;
        rd->count++;
        pthread_mutex_unlock(&rd->mu);
        if (was_empty && rd->wake != NULL)
            rd->wake(rd->ctx);
        if (it.rc == EV_JSONL_EOF)
            break;
    }
    pthread_mutex_lock(&rd->mu);
    rd->finished = true;
    pthread_mutex_unlock(&rd->mu);
    return NULL;
}

ev_readahead *
ev_readahead_start(char **paths, int n, void (*wake)(void *ctx), void *ctx, jv *err)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_usr1;
    sa.sa_flags = 0; /* no SA_RESTART: a blocked read returns EINTR */
    sigaction(SIGUSR1, &sa, NULL);

    ev_readahead *rd = ev_alloc_zero(1, sizeof(*rd));
    pthread_mutex_init(&rd->mu, NULL);
    pthread_cond_init(&rd->space, NULL);
    ev_jsonl_init(&rd->r, paths, n, NULL);
    rd->wake = wake;
    rd->ctx = ctx;
    int rc = pthread_create(&rd->tid, NULL, reader_main, rd);
    if (rc != 0) {
        *err = jv_invalid_with_msg(jv_string_fmt("cannot start a thread: %s", strerror(rc)));
        ev_jsonl_free(&rd->r);
        pthread_cond_destroy(&rd->space);
        pthread_mutex_destroy(&rd->mu);
        free(rd);
        return NULL;
    }
    return rd;
}

bool
ev_readahead_next(ev_readahead *rd, ev_readahead_item *it)
{
    pthread_mutex_lock(&rd->mu);
    bool got = rd->count > 0;
    if (got) {
        *it = rd->q[rd->head];
        rd->head = (rd->head + 1) % EV_READAHEAD_CAP;
        rd->count--;
        pthread_cond_signal(&rd->space);
    }
    pthread_mutex_unlock(&rd->mu);
    return got;
}

bool
ev_readahead_waiting(ev_readahead *rd)
{
    pthread_mutex_lock(&rd->mu);
    bool yes = rd->count > 0;
    pthread_mutex_unlock(&rd->mu);
    return yes;
}

void
ev_readahead_stop(ev_readahead *rd)
{
    if (rd == NULL)
        return;
    pthread_mutex_lock(&rd->mu);
    rd->stop = true;
    pthread_cond_broadcast(&rd->space);
    pthread_mutex_unlock(&rd->mu);
    for (;;) {
        pthread_mutex_lock(&rd->mu);
        bool fin = rd->finished;
        pthread_mutex_unlock(&rd->mu);
        if (fin)
            break;
        /* Interrupt a read blocked on a pipe or terminal. */
        pthread_kill(rd->tid, SIGUSR1);
        nanosleep(&(struct timespec){0, 2000000}, NULL);
    }
    pthread_join(rd->tid, NULL);
    while (rd->count > 0) {
        ev_readahead_item *it = &rd->q[rd->head];
        jv_free(it->rec);
        free(it->raw);
        rd->head = (rd->head + 1) % EV_READAHEAD_CAP;
        rd->count--;
    }
    ev_jsonl_free(&rd->r);
    pthread_cond_destroy(&rd->space);
    pthread_mutex_destroy(&rd->mu);
    free(rd);
}
