#include "memo.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "intern.h"

struct ev_memo {
    ev_intern *keys; /* key number i holds items[i] */
    void **items;
    int n, cap, max;
    void (*release)(void *);
};

ev_memo *
ev_memo_new(int max, void (*release)(void *))
{
    ev_memo *m = ev_alloc_zero(1, sizeof(*m));
    m->keys = ev_intern_new();
    m->max = max;
    m->release = release;
    return m;
}

void *
ev_memo_get(const ev_memo *m, const char *key)
{
    uint32_t i = ev_intern_find(m->keys, key, strlen(key));
    return i == EV_INTERN_NONE ? NULL : m->items[i];
}

bool
ev_memo_put(ev_memo *m, const char *key, void *thing)
{
    if (m->n == m->max)
        return false;
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 8;
        m->items = ev_alloc_array(m->items, (size_t)m->cap, sizeof(void *));
    }
    ev_intern_add(m->keys, key, strlen(key), NULL);
    m->items[m->n++] = thing;
    return true;
}

int
ev_memo_count(const ev_memo *m)
{
    return m->n;
}

void *
ev_memo_at(const ev_memo *m, int i, const char **key)
{
    *key = ev_intern_get(m->keys, (uint32_t)i, NULL);
    return m->items[i];
}

void
ev_memo_free(ev_memo *m)
{
    if (m == NULL)
        return;
    for (int i = 0; i < m->n; i++)
        m->release(m->items[i]);
    free(m->items);
    ev_intern_free(m->keys);
    free(m);
}
