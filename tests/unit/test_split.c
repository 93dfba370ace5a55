/* Unit tests of lib/split: a case's place, share, shard and quota. */
#include "hash.h"
#include "split.h"
#include "unit.h"

static void
test_split(void)
{
    int in = 0, bad = 0;
    long shard[5] = {0};
    for (int i = 0; i < 100000; i++) {
        char id[16];
        int len = snprintf(id, sizeof(id), "c%d", i);
        uint64_t k = ev_split_key(id, (size_t)len, 7);
        in += ev_split_in(k, 0.3);
        bad += ev_split_in(k, 0.2) && !ev_split_in(k, 0.3);
        long s = ev_split_shard(k, 4);
        if (s < 1 || s > 4)
            bad++;
        else
            shard[s]++;
    }
    CHECK(bad == 0, "a share holds every smaller share; shards are 1 to N");
    CHECK(in > 29500 && in < 30500, "ratio 0.3 takes about 30% of 100000");
    CHECK(shard[1] > 24500 && shard[4] > 24500 && shard[2] < 25500,
          "four shards take about a quarter each");
    CHECK(ev_split_key("q1", 2, 0) != ev_split_key("q1", 2, 1), "the seed changes the key");

    CHECK(ev_split_quota(0.5, 10, 123) == 5, "quota: a whole product is exact");
    CHECK(ev_split_quota(1, 7, 123) == 7 && ev_split_quota(0, 7, 123) == 0,
          "quota: ratio 1 takes all, 0 none");
    long ups = 0;
    for (uint64_t k = 0; k < 10000; k++) {
        long q = ev_split_quota(0.5, 1, ev_mix64(k));
        ups += q;
        bad += q < 0 || q > 1;
    }
    CHECK(bad == 0 && ups > 4800 && ups < 5200, "quota: half of one rounds up half the time");
}

int
main(void)
{
    test_split();
    UNIT_DONE();
}
