/*
 * fuzz.h: what the libFuzzer targets in tests/fuzz/ share.
 *
 * Each target is one file that defines LLVMFuzzerTestOneInput. 'make fuzz'
 * links it with libFuzzer, which calls it with inputs it makes up; the test
 * suite links it with driver.c, which calls it once for each file of the
 * committed corpus (tests/fuzz.bats). A target returns 0 for any input,
 * and checks what the functions it calls promise with FUZZ_ASSERT, which
 * aborts: a broken promise is a crash, as a bad read or a leak is.
 *
 * Inputs come as 'size' bytes that need not end with a NUL; libFuzzer and
 * the driver both hand them over in a buffer of exactly that size, so the
 * sanitizers see a read past the end.
 */
#ifndef EV_FUZZ_H
#define EV_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* fuzz_cstring returns a NUL-terminated copy of the 'size' bytes at 'data',
 * which the caller frees. A NUL inside ends the C string early, as it would
 * for the header or body the bytes stand for. */
static inline char *
fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* fuzz_has_message says whether 'v' (borrowed) is invalid with a string
 * message, as the library's errors are. */
static inline bool
fuzz_has_message(jv v)
{
    if (jv_is_valid(v))
        return false;
    jv m = jv_invalid_get_msg(jv_copy(v));
    bool ok = jv_get_kind(m) == JV_KIND_STRING;
    jv_free(m);
    return ok;
}

#endif
