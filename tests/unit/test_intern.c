/* Unit tests of lib/intern. */
#include <stdlib.h>

#include "intern.h"
#include "unit.h"

static void
test_numbers(void)
{
    ev_intern *t = ev_intern_new();
    bool added;
    CHECK(ev_intern_count(t) == 0, "a new table is empty");
    CHECK(ev_intern_find(t, "a", 1) == EV_INTERN_NONE, "an empty table finds nothing");
    CHECK(ev_intern_add(t, "b", 1, &added) == 0 && added, "the first string is number 0");
    CHECK(ev_intern_add(t, "a", 1, &added) == 1 && added, "the next new string is number 1");
    CHECK(ev_intern_add(t, "b", 1, &added) == 0 && !added, "a string added again keeps its number");
    CHECK(ev_intern_count(t) == 2, "a string added twice counts once");
    CHECK(ev_intern_add(t, "", 0, NULL) == 2, "the empty string is a string");
    CHECK(ev_intern_find(t, "", 0) == 2, "and is found");

    size_t len;
    CHECK(ev_intern_add(t, "x\0y", 3, NULL) == 3, "a string with a NUL byte is added");
    CHECK(ev_intern_find(t, "x", 1) == EV_INTERN_NONE, "a prefix up to a NUL is another string");
    const char *s = ev_intern_get(t, 3, &len);
    CHECK(len == 3 && memcmp(s, "x\0y", 3) == 0 && s[3] == '\0',
          "a string comes back whole and NUL-terminated");
    CHECK_STR(ev_intern_get(t, 1, NULL), "a", "the length may be left out");
    ev_intern_free(t);
}

/* test_growth adds enough strings to move the text, the places and the
 * index several times, and checks every one is still found. */
static void
test_growth(void)
{
    ev_intern *t = ev_intern_new();
    char buf[32];
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(buf, sizeof(buf), "case-%d", i);
        ev_intern_add(t, buf, (size_t)n, NULL);
    }
    bool all = ev_intern_count(t) == 100000;
    for (int i = 0; i < 100000 && all; i++) {
        int n = snprintf(buf, sizeof(buf), "case-%d", i);
        size_t len;
        const char *s = ev_intern_get(t, (uint32_t)i, &len);
        all = ev_intern_find(t, buf, (size_t)n) == (uint32_t)i && len == (size_t)n &&
              memcmp(s, buf, len) == 0;
    }
    CHECK(all, "100,000 strings keep their numbers and bytes across growth");
    CHECK(ev_intern_find(t, "case-100000", 11) == EV_INTERN_NONE,
          "a string never added is not found");
    ev_intern_free(t);
}

int
main(void)
{
    test_numbers();
    test_growth();
    UNIT_DONE();
}
