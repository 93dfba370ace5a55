/*
 * jq16.c: linked into every fuzz target, it stands in front of libjq's
 * jv_parse_sized and jv_parse to keep a known leak of libjq 1.6 (Debian
 * 12's), not ev's, from being reported as one of ev's.
 *
 * The leak: in a container, a string that follows another value without a
 * separator, as in ["a" "b"] or {"a" "b"}, is never freed, because the
 * parser returns "Expected separator between values" without freeing it
 * (value() in src/jv_parse.c). A parse that fails that way is done with
 * leak detection off; every other parse is done again with it on, so that
 * the values ev is given stay watched. Without a sanitizer nothing is
 * turned off, and the parse is done once.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

/* From <sanitizer/lsan_interface.h>, weak so that a build without a
 * sanitizer links. */
void __lsan_disable(void) __attribute__((weak));
void __lsan_enable(void) __attribute__((weak));

static bool
separator_error(jv v)
{
    if (jv_is_valid(v))
        return false;
    jv m = jv_invalid_get_msg(jv_copy(v));
    bool yes = jv_get_kind(m) == JV_KIND_STRING &&
               strstr(jv_string_value(m), "Expected separator between values") != NULL;
    jv_free(m);
    return yes;
}

jv
jv_parse_sized(const char *s, int len)
{
    static jv (*real)(const char *, int);
    if (real == NULL) {
        /* POSIX allows this conversion of dlsym's result. */
        *(void **)&real = dlsym(RTLD_NEXT, "jv_parse_sized");
        if (real == NULL)
            abort();
    }
    if (__lsan_disable == NULL || __lsan_enable == NULL)
        return real(s, len);
    __lsan_disable();
    jv v = real(s, len);
    __lsan_enable();
    if (separator_error(v))
        return v;
    jv_free(v);
    return real(s, len);
}

jv
jv_parse(const char *s)
{
    return jv_parse_sized(s, (int)strlen(s));
}
