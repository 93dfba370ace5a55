#include "keymap.h"

#include <stdlib.h>

#include "alloc.h"
#include "diag.h"
#include "hash.h"

/* An entry is one (key, item) pair; 'next' links it to the next older entry
 * of the same key, plus one (0 ends the list). Each distinct key owns one slot
 * of an open-addressed table, holding its newest entry plus one (0 is empty),
 * so a lookup probes for the key once and then follows links. A slot also
 * holds 32 bits of its key, so a probe reads an entry only when they match:
 * one cache miss a lookup, not two. */
struct entry {
    uint64_t key;
    uint32_t item;
    uint32_t next;
};

struct slot {
    uint32_t tag;  /* the high half of the key, mixed */
    uint32_t head; /* the key's newest entry plus one, or 0 */
};

struct ev_keymap {
    struct entry *e;
    size_t n, cap;
    struct slot *slot;
    size_t mask; /* slots minus one; the slot count is a power of two */
    size_t keys; /* distinct keys, kept at most three quarters of the slots */
};

ev_keymap *
ev_keymap_new(void)
{
    ev_keymap *m = ev_alloc_resize(NULL, sizeof(*m));
    m->e = NULL;
    m->n = m->cap = 0;
    m->mask = 15;
    m->slot = ev_alloc_zero(m->mask + 1, sizeof(*m->slot));
    m->keys = 0;
    return m;
}

void
ev_keymap_free(ev_keymap *m)
{
    if (m == NULL)
        return;
    free(m->e);
    free(m->slot);
    free(m);
}

/* probe returns the slot that holds 'key', or the empty slot where it goes. */
static size_t
probe(const ev_keymap *m, uint64_t key)
{
    uint64_t h = ev_hash_mix64(key);
    uint32_t tag = (uint32_t)(h >> 32);
    size_t i = (size_t)h & m->mask;
    for (;; i = (i + 1) & m->mask) {
        const struct slot *s = &m->slot[i];
        if (s->head == 0 || (s->tag == tag && m->e[s->head - 1].key == key))
            return i;
    }
}

static void
grow(ev_keymap *m)
{
    struct slot *old = m->slot;
    size_t oldn = m->mask + 1;

    m->mask = 2 * oldn - 1;
    m->slot = ev_alloc_zero(m->mask + 1, sizeof(*m->slot));
    for (size_t i = 0; i < oldn; i++)
        if (old[i].head != 0)
            m->slot[probe(m, m->e[old[i].head - 1].key)] = old[i];
    free(old);
}

void
ev_keymap_add(ev_keymap *m, uint64_t key, uint32_t item)
{
    if (m->n == UINT32_MAX)
        ev_diag_out_of_memory(); /* 64 GiB of entries: beyond any eval set */
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->e = ev_alloc_resize(m->e, m->cap * sizeof(*m->e));
    }
    size_t i = probe(m, key);
    struct slot *s = &m->slot[i];
    m->e[m->n] = (struct entry){key, item, s->head};
    if (s->head == 0) {
        s->tag = (uint32_t)(ev_hash_mix64(key) >> 32);
        m->keys++;
    }
    s->head = (uint32_t)++m->n;
    if (4 * m->keys > 3 * (m->mask + 1))
        grow(m);
}

size_t
ev_keymap_find(const ev_keymap *m, uint64_t key)
{
    uint32_t head = m->slot[probe(m, key)].head;
    return head ? (size_t)head - 1 : EV_KEYMAP_END;
}

void
ev_keymap_prefetch(const ev_keymap *m, uint64_t key)
{
    __builtin_prefetch(&m->slot[(size_t)ev_hash_mix64(key) & m->mask]);
}

size_t
ev_keymap_next(const ev_keymap *m, size_t entry)
{
    uint32_t next = m->e[entry].next;
    return next ? (size_t)next - 1 : EV_KEYMAP_END;
}

uint32_t
ev_keymap_item(const ev_keymap *m, size_t entry)
{
    return m->e[entry].item;
}
