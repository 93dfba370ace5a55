/*
 * alloc.h: the one allocator family of ev.
 *
 * Every function here but ev_alloc_try_resize either returns what it was
 * asked for or does not return: on out of memory it reports
 * "ev-X: file:line: out of memory", with the position of the input line last
 * read when there is one (diag.h), and exits with status 2. jq's own
 * allocations end the same way: this module installs jq's out-of-memory
 * handler for the main thread, and ev_alloc_thread_init for another. There
 * is no other out-of-memory behaviour in ev. A zero size is allowed and gives
 * a unique pointer that may be freed.
 */
#ifndef EV_ALLOC_H
#define EV_ALLOC_H

#include <stddef.h>

/* ev_alloc returns 'n' bytes, uninitialised. */
void *ev_alloc(size_t n);

/* ev_alloc_zero returns 'n' elements of 'size' bytes, all zero; the product
 * is checked for overflow. */
void *ev_alloc_zero(size_t n, size_t size);

/* ev_alloc_resize resizes 'p' (NULL for a new block) to 'n' bytes, as
 * realloc does. */
void *ev_alloc_resize(void *p, size_t n);

/* ev_alloc_try_resize is ev_alloc_resize for a request the caller can refuse
 * and go on, such as room for one input line of unbounded length: it returns
 * NULL, leaving 'p' as it was, when memory runs out. */
void *ev_alloc_try_resize(void *p, size_t n);

/* ev_alloc_array resizes 'p' to 'n' elements of 'size' bytes, checking the
 * product for overflow. */
void *ev_alloc_array(void *p, size_t n, size_t size);

/* ev_alloc_strdup returns a copy of 's'. */
char *ev_alloc_strdup(const char *s);

/* ev_alloc_strndup returns a copy of the first 'n' bytes of 's' (fewer when
 * 's' ends sooner), NUL-terminated. */
char *ev_alloc_strndup(const char *s, size_t n);

/* ev_alloc_printf returns a new string formatted as printf would. */
char *ev_alloc_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ev_alloc_thread_init installs jq's out-of-memory handler for the calling
 * thread; jq keeps one per thread. A thread that makes jv values calls it
 * first. */
void ev_alloc_thread_init(void);

#endif
