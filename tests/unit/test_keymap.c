/* Unit tests of lib/keymap: a multimap from 64-bit keys to items. */
#include "hash.h"
#include "keymap.h"
#include "unit.h"

static void
test_keymap(void)
{
    ev_keymap *m = ev_keymap_new();
    for (uint32_t i = 0; i < 100000; i++)
        ev_keymap_add(m, ev_hash_mix64(i % 50000), i);
    int all = 1;
    for (uint32_t k = 0; k < 50000 && all; k++) {
        size_t e = ev_keymap_find(m, ev_hash_mix64(k));
        all = e != EV_KEYMAP_END && ev_keymap_item(m, e) == k + 50000;
        e = all ? ev_keymap_next(m, e) : e;
        all = all && e != EV_KEYMAP_END && ev_keymap_item(m, e) == k;
        all = all && ev_keymap_next(m, e) == EV_KEYMAP_END;
    }
    CHECK(all, "keymap: every key holds its items, newest first, across growth");
    CHECK(ev_keymap_find(m, ev_hash_mix64(50000)) == EV_KEYMAP_END,
          "keymap: a missing key has none");
    ev_keymap_free(m);
}

int
main(void)
{
    test_keymap();
    UNIT_DONE();
}
