/* Unit tests of lib/strata: each tag keeps its share. */
#include "strata.h"
#include "hash.h"
#include "unit.h"

/* add files a case with 'tags' (JSON) under the key of its number. */
static void
add(ev_strata *st, const char *tags, uint64_t n)
{
    jv rec = jv_parse(tags);
    CHECK(ev_strata_add(st, rec, ev_mix64(n)), "a case is filed");
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
    ev_strata_decide(st, 0.5, 7, out);
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
    ev_strata_decide(st, 1, 7, all);
    int n = 0;
    for (int i = 0; i < 23; i++)
        n += all[i];
    CHECK(n == 23, "ratio 1 takes every case");
    ev_strata_free(st);
}

int
main(void)
{
    test_decide();
    UNIT_DONE();
}
