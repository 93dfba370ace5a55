/* Unit tests of lib/memo: things kept once per text, up to a bound. */
#include "memo.h"
#include "unit.h"

static int released;
static char order[16];

static void
release(void *p)
{
    order[released++] = *(char *)p;
}

int
main(void)
{
    static char a = 'a', b = 'b', c = 'c';
    ev_memo *m = ev_memo_new(2, release);
    CHECK(ev_memo_get(m, "x") == NULL, "an empty memo holds nothing");
    CHECK(ev_memo_put(m, "x", &a), "a thing is kept under its text");
    CHECK(ev_memo_put(m, "y", &b), "a second thing is kept");
    CHECK(!ev_memo_put(m, "z", &c), "past its bound the memo refuses, and the caller keeps it");
    CHECK(ev_memo_get(m, "x") == &a, "the first thing is found by its text");
    CHECK(ev_memo_get(m, "y") == &b, "the second thing is found by its text");
    CHECK(ev_memo_get(m, "z") == NULL, "a refused thing is not found");
    CHECK(ev_memo_count(m) == 2, "the memo counts what it holds");
    const char *key;
    CHECK(ev_memo_at(m, 1, &key) == &b, "things are listed in the order they were put");
    CHECK_STR(key, "y", "with their texts");
    ev_memo_free(m);
    CHECK(released == 2, "freeing the memo releases what it holds, and only that");
    order[released] = '\0';
    CHECK_STR(order, "ab", "in the order they were put");
    ev_memo_free(NULL);
    UNIT_DONE();
}
