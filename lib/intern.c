#include "intern.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "diag.h"
#include "hash.h"
#include "keymap.h"

/* String n is the bytes text[off[n]] to text[off[n + 1] - 1], the last of
 * them its NUL; 'off' keeps one more place than there are strings. */
struct ev_intern {
    char *text;
    size_t len, cap;
    size_t *off;
    size_t n, capoff;
    ev_keymap *index; /* ev_hash_64 of the bytes -> number */
};

ev_intern *
ev_intern_new(void)
{
    ev_intern *t = ev_alloc_zero(1, sizeof(*t));
    t->capoff = 16;
    t->off = ev_alloc_array(NULL, t->capoff, sizeof(*t->off));
    t->off[0] = 0;
    t->index = ev_keymap_new();
    return t;
}

void
ev_intern_free(ev_intern *t)
{
    if (t == NULL)
        return;
    free(t->text);
    free(t->off);
    ev_keymap_free(t->index);
    free(t);
}

static uint64_t
key_of(const char *s, size_t len)
{
    return ev_hash_64(s, len, 0x696e7465726e); /* "intern" */
}

static uint32_t
lookup(const ev_intern *t, uint64_t key, const char *s, size_t len)
{
    for (size_t e = ev_keymap_find(t->index, key); e != EV_KEYMAP_END;
         e = ev_keymap_next(t->index, e)) {
        uint32_t n = ev_keymap_item(t->index, e);
        if (t->off[n + 1] - t->off[n] - 1 == len && memcmp(t->text + t->off[n], s, len) == 0)
            return n;
    }
    return EV_INTERN_NONE;
}

uint32_t
ev_intern_add(ev_intern *t, const char *s, size_t len, bool *added)
{
    uint64_t key = key_of(s, len);
    uint32_t n = lookup(t, key, s, len);
    if (added != NULL)
        *added = n == EV_INTERN_NONE;
    if (n != EV_INTERN_NONE)
        return n;
    if (t->n >= EV_INTERN_NONE - 1)
        ev_diag_out_of_memory(); /* four billion strings: beyond any eval set */
    if (t->len + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1024;
        while (cap < t->len + len + 1)
            cap *= 2;
        t->text = ev_alloc_resize(t->text, cap);
        t->cap = cap;
    }
    if (t->n + 2 > t->capoff) {
        t->capoff *= 2;
        t->off = ev_alloc_array(t->off, t->capoff, sizeof(*t->off));
    }
    memcpy(t->text + t->len, s, len);
    t->text[t->len + len] = '\0';
    t->len += len + 1;
    n = (uint32_t)t->n++;
    t->off[t->n] = t->len;
    ev_keymap_add(t->index, key, n);
    return n;
}

uint32_t
ev_intern_find(const ev_intern *t, const char *s, size_t len)
{
    return lookup(t, key_of(s, len), s, len);
}

const char *
ev_intern_get(const ev_intern *t, uint32_t n, size_t *len)
{
    if (len != NULL)
        *len = t->off[n + 1] - t->off[n] - 1;
    return t->text + t->off[n];
}

size_t
ev_intern_count(const ev_intern *t)
{
    return t->n;
}
