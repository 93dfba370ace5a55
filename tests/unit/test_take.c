/* Unit tests of lib/take: the first k of a stream in key order. */
#include <stdlib.h>

#include "alloc.h"
#include "take.h"
#include "unit.h"

static void
test_take(void)
{
    int freed = 0;
    ev_take t;
    ev_take_init(&t, 3);
    uint64_t keys[] = {50, 10, 40, 30, 10, 20, 60};
    for (uint64_t i = 0; i < 7; i++) {
        int *data = ev_alloc(sizeof(int));
        *data = (int)i;
        int *out = ev_take_offer(&t, keys[i], i, data);
        freed += out != NULL;
        free(out);
    }
    size_t n;
    ev_take_slot *kept = ev_take_sorted(&t, &n);
    CHECK(n == 3 && *(int *)kept[0].data == 1 && *(int *)kept[1].data == 4 &&
              *(int *)kept[2].data == 5,
          "first k: the 3 least keys, ties by arrival, in arrival order");
    CHECK(freed == 4, "first k: every case not kept is handed back");
    for (size_t i = 0; i < n; i++)
        free(kept[i].data);
    ev_take_free(&t);

    ev_take_init(&t, 0);
    CHECK(!ev_take_wants(&t, 0, 0), "first 0 keeps nothing");
    ev_take_free(&t);
}

int
main(void)
{
    test_take();
    UNIT_DONE();
}
