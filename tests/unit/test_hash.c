/* Unit tests of lib/hash: the values are part of ev's contract (derived ids
 * and split assignments), so a few are pinned here. They were computed once
 * from this implementation and checked against a separate Python rewrite of
 * hash.h's definition (FNV-1a over the bytes, xor the seed's fmix64, then
 * fmix64), whose FNV-1a gives the published vector for "a"
 * (0xaf63dc4c8601ec8c). A change to any of them breaks every cache and
 * split made before it. */
#include <stdint.h>

#include "hash.h"
#include "unit.h"

static void
test_pinned(void)
{
    CHECK(ev_hash_64("", 0, 0) == 0x9775a911a90dcf7aULL, "the empty input under seed 0 is pinned");
    CHECK(ev_hash_64("abc", 3, 0) == 0xe508a024ba628e74ULL, "'abc' under seed 0 is pinned");
    CHECK(ev_hash_64("abc", 3, 1) == 0xd017acb7f5963b8fULL, "'abc' under seed 1 is pinned");
    CHECK(ev_hash_64("case-17", 7, 42) == 0x6f4e3fe00c003703ULL,
          "'case-17' under seed 42 is pinned");
    CHECK(ev_hash_mix64(0) == 0, "the finaliser maps 0 to 0");
    CHECK(ev_hash_mix64(1) == 0xb456bcfc34c2cb2cULL, "the finaliser of 1 is pinned");
}

static void
test_inputs(void)
{
    char buf[] = "abcd";
    CHECK(ev_hash_64(buf, 3, 0) == ev_hash_64("abc", 3, 0),
          "only the 'len' bytes count, wherever they are");
    CHECK(ev_hash_64("abc", 3, 0) != ev_hash_64("abd", 3, 0), "one byte changes the hash");
    CHECK(ev_hash_64("ab", 2, 0) != ev_hash_64("ab\0", 3, 0), "a NUL byte counts as a byte");
    int differ = 0;
    for (uint64_t s = 0; s < 64; s++)
        differ += ev_hash_64("abc", 3, s) != ev_hash_64("abc", 3, s + 1);
    CHECK(differ == 64, "each of 64 consecutive seeds gives its own hash");
}

static void
test_unit_interval(void)
{
    CHECK(ev_hash_unit(0) == 0.0, "0 maps to 0");
    CHECK(ev_hash_unit(UINT64_MAX) == 1.0 - 0x1p-53, "the largest hash maps just below 1");
    CHECK(ev_hash_unit(UINT64_C(1) << 11) == 0x1p-53, "the 53rd bit is the smallest step");
    CHECK(ev_hash_unit(0x7ff) == 0.0, "the 11 low bits are dropped");
    CHECK(ev_hash_unit(UINT64_C(1) << 63) == 0.5, "the top bit is one half");
    int inside = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        double u = ev_hash_unit(ev_hash_mix64(i));
        inside += u >= 0.0 && u < 1.0;
    }
    CHECK(inside == 1000, "1000 hashes all map into [0, 1)");
}

int
main(void)
{
    test_pinned();
    test_inputs();
    test_unit_interval();
    UNIT_DONE();
}
