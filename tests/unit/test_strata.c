/* Unit tests of lib/strata: each tag keeps its share. */
#include "strata.h"
#include "hash.h"
#include "unit.h"

static bool filed = true;

/* add files a case with 'tags' (JSON) under the key of its number. */
static void
add(ev_strata *st, const char *tags, uint64_t n)
{
    jv rec = jv_parse(tags);
    filed = ev_strata_add(st, rec, ev_hash_mix64(n)) && filed;
    jv_free(rec);
}

static void
test_decide(void)
{
    ev_strata *st = ev_strata_new();
    /* 20 cases tagged common, 4 of them also rare; 3 untagged. */
    for (uint64_t i = 0; i < 20; i++)
        add(st, i < 4 ? "{\"tags\":[\"rare\",\"common\"]}" : "{\"tags\":\"common\"}", i);
    for (uint64_t i = 20; i < 23; i++)
        add(st, "{}", i);
    bool out[23];
    ev_strata_decide(st, 0.5, 7, NULL, out);
    int rare = 0, common = 0, untagged = 0;
    for (int i = 0; i < 23; i++) {
        rare += i < 4 && out[i];
        common += i < 20 && out[i];
        untagged += i >= 20 && out[i];
    }
    CHECK(rare == 2, "the rare tag's stratum gets exactly half");
    CHECK(common - rare == 8, "the common stratum, its other 16 cases, half");
    CHECK(untagged == 1 || untagged == 2, "the untagged stratum, 1.5 rounded either way");

    char buf[512] = "";
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    ev_strata_report(st, f);
    fclose(f);
    char want[512];
    snprintf(want, sizeof(want),
             "  tag            out    rest\n"
             "  (untagged)       %d       %d\n"
             "  common          10      10\n"
             "  rare             2       2\n",
             untagged, 3 - untagged);
    CHECK_STR(buf, want, "the report counts each tag on each side, a case under each of its tags");

    bool all[23];
    ev_strata_decide(st, 1, 7, NULL, all);
    int n = 0;
    for (int i = 0; i < 23; i++)
        n += all[i];
    CHECK(n == 23, "ratio 1 takes every case");
    ev_strata_free(st);
}

static void
test_groups(void)
{
    /* Ten cases of one tag: 0 to 3 one group, 4 and 5 another, the rest
     * alone; the keys, and so the order, change from trial to trial. */
    uint32_t leads[10] = {0, 0, 0, 0, 4, 4, 6, 7, 8, 9};
    int together = 1, within = 1, exact = 0;
    for (uint64_t trial = 0; trial < 50; trial++) {
        ev_strata *st = ev_strata_new();
        for (uint64_t i = 0; i < 10; i++)
            add(st, "{\"tags\":[\"t\"]}", 100 * trial + i);
        bool out[10];
        ev_strata_decide(st, 0.5, 1, leads, out);
        int k = 0;
        for (int i = 0; i < 10; i++)
            k += out[i];
        within = within && k <= 5 && k >= 4;
        exact += k == 5;
        together = together && out[1] == out[0] && out[2] == out[0] && out[3] == out[0] &&
                   out[5] == out[4];
        ev_strata_free(st);
    }
    CHECK(together, "a group's cases all go to its first case's side");
    CHECK(within,
          "a stratum takes at most its quota, 5 of 10, and falls short by less than a group");
    CHECK(exact > 40, "groups that fit mostly fill the quota exactly");
}

int
main(void)
{
    test_decide();
    test_groups();
    CHECK(filed, "every case is filed");
    UNIT_DONE();
}
