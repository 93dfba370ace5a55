/*
 * intern.h: a table of distinct strings, numbered in the order they were
 * first added.
 *
 * A tool that must remember many short strings (the ids of a run, the tags
 * of a report) keeps each one once, in one growing block of text, and works
 * with its number: 0, 1, 2... Strings are byte strings and may hold NUL
 * bytes; lookups compare every byte, so two different strings never share a
 * number.
 *
 * Memory is the strings' bytes plus one byte each, 8 bytes a string for its
 * place, and the key map's 27 to 38 bytes a string for the index (keymap.h).
 * Running out of memory ends the program (alloc.h).
 */
#ifndef EV_INTERN_H
#define EV_INTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ev_intern ev_intern;

/* EV_INTERN_NONE is the number of no string. */
#define EV_INTERN_NONE UINT32_MAX

ev_intern *ev_intern_new(void);
void ev_intern_free(ev_intern *t);

/* ev_intern_add returns the number of the 'len' bytes at 's', adding them
 * under the next number when the table does not hold them yet; '*added',
 * when not NULL, says whether it did. */
uint32_t ev_intern_add(ev_intern *t, const char *s, size_t len, bool *added);

/* ev_intern_find returns the number of the 'len' bytes at 's', or
 * EV_INTERN_NONE when the table does not hold them. */
uint32_t ev_intern_find(const ev_intern *t, const char *s, size_t len);

/* ev_intern_get returns string 'n' (below ev_intern_count), NUL-terminated,
 * with its length in '*len' when 'len' is not NULL. The pointer is valid
 * until the next ev_intern_add. */
const char *ev_intern_get(const ev_intern *t, uint32_t n, size_t *len);

/* ev_intern_count is how many strings the table holds. */
size_t ev_intern_count(const ev_intern *t);

#endif
