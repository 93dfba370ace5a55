/* unit.h: a few macros for lib/ unit tests. Each test program prints one line
 * per check and exits 1 when any failed; tests/unit.bats runs them. */
#ifndef EV_UNIT_H
#define EV_UNIT_H

#include <math.h>
#include <stdio.h>
#include <string.h>

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

#define UNIT_DONE() return unit_failed

#endif
