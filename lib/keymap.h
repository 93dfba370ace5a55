/*
 * keymap.h: a multimap from 64-bit keys to item numbers.
 *
 * The keys are hashes the caller computed (ev_hash_64 of a normalised text, a
 * band of a MinHash signature), and two texts with the same key are taken to
 * be the same: at 64 bits a collision among a billion keys has odds of about
 * one in forty. Items are the caller's numbers for what it stored, such as the
 * index of a case. A key holds every item added under it, newest first.
 *
 * Memory is 16 bytes an entry and 11 to 22 bytes a distinct key. Running
 * out of memory ends the program (alloc.h).
 */
#ifndef EV_KEYMAP_H
#define EV_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct ev_keymap ev_keymap;

/* EV_KEYMAP_END ends the list of a key's entries. */
#define EV_KEYMAP_END ((size_t)-1)

ev_keymap *ev_keymap_new(void);
void ev_keymap_free(ev_keymap *m);

/* ev_keymap_add adds 'item' under 'key', ahead of the items already there. */
void ev_keymap_add(ev_keymap *m, uint64_t key, uint32_t item);

/* ev_keymap_find returns the newest entry under 'key', or EV_KEYMAP_END. Walk
 * a key's entries with ev_keymap_next and read each with ev_keymap_item:
 *
 *     for (size_t e = ev_keymap_find(m, k); e != EV_KEYMAP_END; e = ev_keymap_next(m, e))
 *         use(ev_keymap_item(m, e));
 *
 * An entry number stays valid for the life of the map. */
size_t ev_keymap_find(const ev_keymap *m, uint64_t key);
/* ev_keymap_prefetch starts loading the memory that a lookup or addition of
 * 'key' will read. Calling it for a batch of keys before using them lets the
 * cache misses, which dominate in a large map, overlap. */
void ev_keymap_prefetch(const ev_keymap *m, uint64_t key);

size_t ev_keymap_next(const ev_keymap *m, size_t entry);
uint32_t ev_keymap_item(const ev_keymap *m, size_t entry);

#endif
