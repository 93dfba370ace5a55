/* unit.h: a few macros for lib/ unit tests. Each test program prints one line
 * per check and exits 1 when any failed; tests/unit.bats runs them. */
#ifndef EV_UNIT_H
#define EV_UNIT_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jv.h>

static int unit_failed;
static int unit_count;

#define CHECK(cond, name)                                                                          \
    do {                                                                                           \
        unit_count++;                                                                              \
        if (cond) {                                                                                \
            printf("ok %d - %s\n", unit_count, name);                                              \
        } else {                                                                                   \
            printf("not ok %d - %s (%s:%d)\n", unit_count, name, __FILE__, __LINE__);              \
            unit_failed = 1;                                                                       \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want, name)                                                                 \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        CHECK(g_ != NULL && strcmp(g_, w_) == 0, name);                                            \
        if (g_ == NULL || strcmp(g_, w_) != 0)                                                     \
            printf("#   got '%s', want '%s'\n", g_ ? g_ : "(null)", w_);                           \
    } while (0)

#define CHECK_NEAR(got, want, tol, name)                                                           \
    do {                                                                                           \
        double g_ = (got), w_ = (want);                                                            \
        CHECK(fabs(g_ - w_) <= (tol), name);                                                       \
        if (!(fabs(g_ - w_) <= (tol)))                                                             \
            printf("#   got %.9g, want %.9g\n", g_, w_);                                           \
    } while (0)

/* CHECK_JV compares the compact JSON of 'v' (consumed), its keys sorted,
 * with 'want'. */
#define CHECK_JV(v, want, name)                                                                    \
    do {                                                                                           \
        jv s_ = jv_dump_string((v), JV_PRINT_SORTED);                                              \
        CHECK_STR(jv_string_value(s_), want, name);                                                \
        jv_free(s_);                                                                               \
    } while (0)

/* unit_hear is a log's callback (lib/log.h) for tests: it adds 'line' to
 * unit_said, after the prefix 'ctx' (a string) and before a newline. */
static char unit_said[16384];

static inline void
unit_hear(void *ctx, const char *line)
{
    size_t len = strlen(unit_said);
    snprintf(unit_said + len, sizeof(unit_said) - len, "%s%s\n", (const char *)ctx, line);
}

/* unit_hear_warning and unit_hear_progress are a log's two callbacks for
 * tests: warnings go to unit_said after "! ", progress after "- ". */
static inline void
unit_hear_warning(void *ctx, const char *line)
{
    (void)ctx;
    unit_hear("! ", line);
}

static inline void
unit_hear_progress(void *ctx, const char *line)
{
    (void)ctx;
    unit_hear("- ", line);
}

/* unit_occurrences returns how many times 'needle' is in 'hay'. */
static inline int
unit_occurrences(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

#define UNIT_DONE() return unit_failed

/* unit_file writes 'text' to 'name' in a new directory under /tmp, and
 * returns its path in 'path' (at least 64 bytes), so that messages name the
 * file the same way each time. unit_file_remove removes both. */
static inline void
unit_file(char *path, const char *name, const char *text)
{
    char dir[] = "/tmp/ev-unit-XXXXXX";
    if (mkdtemp(dir) == NULL)
        abort();
    snprintf(path, 64, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0)
        abort();
}

static inline void
unit_file_remove(char *path)
{
    unlink(path);
    *strrchr(path, '/') = '\0';
    rmdir(path);
}

/* CHECK_JV_ORDERED compares the compact JSON of 'v' (consumed), its keys in
 * their order, with 'want': for what is written or sent as it is, where the
 * order is part of what is checked. */
#define CHECK_JV_ORDERED(v, want, name)                                                            \
    do {                                                                                           \
        jv s_ = jv_dump_string((v), 0);                                                            \
        CHECK_STR(jv_string_value(s_), want, name);                                                \
        jv_free(s_);                                                                               \
    } while (0)

#endif
