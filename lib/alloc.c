#include "alloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "diag.h"

static void
jq_out_of_memory(void *data)
{
    (void)data; /* jq 1.6 passes NULL whatever it was given */
    ev_diag_out_of_memory();
}

void
ev_alloc_thread_init(void)
{
    jv_nomem_handler(jq_out_of_memory, NULL);
}

/* Without this, jq prints "error: cannot allocate memory" and aborts, naming
 * neither the tool nor the input. Every tool links this file. */
__attribute__((constructor)) static void
catch_jq_out_of_memory(void)
{
    ev_alloc_thread_init();
}

void *
ev_alloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        ev_diag_out_of_memory();
    return p;
}

void *
ev_alloc_zero(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        ev_diag_out_of_memory();
    return p;
}

void *
ev_alloc_resize(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        ev_diag_out_of_memory();
    return p;
}

void *
ev_alloc_try_resize(void *p, size_t n)
{
    return realloc(p, n ? n : 1);
}

void *
ev_alloc_array(void *p, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        ev_diag_out_of_memory();
    return ev_alloc_resize(p, n * size);
}

char *
ev_alloc_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(ev_alloc(n), s, n);
}

char *
ev_alloc_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = ev_alloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *
ev_alloc_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        ev_diag_out_of_memory();
    char *s = ev_alloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}
