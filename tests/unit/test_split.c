/* Unit tests of lib/split: a case's place, share, shard and quota. */
#include "hash.h"
#include "split.h"
#include "text.h"
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
        long q = ev_split_quota(0.5, 1, ev_hash_mix64(k));
        ups += q;
        bad += q < 0 || q > 1;
    }
    CHECK(bad == 0 && ups > 4800 && ups < 5200, "quota: half of one rounds up half the time");
}

/* sides runs a split of 'pool' and returns, for each of its six cases in
 * order, 'o' when it went to standard output, 'r' to the rest and '-'
 * when it was dropped. */
static const char *
sides(const char *pool, ev_split_opts o, char *buf)
{
    char *out = NULL, *rest = NULL;
    size_t nout = 0, nrest = 0;
    o.out = open_memstream(&out, &nout);
    o.rest = open_memstream(&rest, &nrest);
    o.threshold = 0.8;
    char *paths[] = {(char *)pool};
    ev_split_result r;
    ev_split_run(&o, paths, 1, &r);
    fclose(o.out);
    fclose(o.rest);
    for (int i = 0; i < 6; i++) {
        char id[16];
        snprintf(id, sizeof(id), "\"c%d\"", i);
        buf[i] = strstr(out, id) ? 'o' : strstr(rest, id) ? 'r' : '-';
    }
    buf[6] = '\0';
    free(out);
    free(rest);
    ev_strata_free(r.strata);
    return buf;
}

static void
test_groups(void)
{
    char pool[64], buf[8];
    unit_file(pool, "pool.jsonl",
              "{\"id\":\"c0\",\"input\":\"Which planet is known as the Red Planet?\"}\n"
              "{\"id\":\"c1\",\"input\":\"What is the capital of Australia?\"}\n"
              "{\"id\":\"c2\",\"input\":\"which planet is known as the red planet\"}\n"
              "{\"id\":\"c3\",\"input\":\"Name three rivers of Europe.\"}\n"
              "{\"id\":\"c4\",\"input\":\"what is the capital of  australia?\"}\n"
              "{\"id\":\"c5\",\"input\":\"Which river flows through Cairo?\"}\n");
    int together = 1, apart = 0;
    for (uint64_t seed = 0; seed < 40; seed++) {
        const char *s =
            sides(pool, (ev_split_opts){.mode = EV_SPLIT_RATIO, .ratio = 0.5, .seed = seed}, buf);
        together = together && s[0] == s[2] && s[1] == s[4];
        apart += s[0] != s[1];
        s = sides(pool,
                  (ev_split_opts){.mode = EV_SPLIT_SHARD, .shard = 1, .nshards = 3, .seed = seed},
                  buf);
        together = together && s[0] == s[2] && s[1] == s[4];
        s = sides(
            pool,
            (ev_split_opts){.mode = EV_SPLIT_RATIO, .ratio = 0.5, .seed = seed, .stratify = true},
            buf);
        together = together && s[0] == s[2] && s[1] == s[4];
    }
    CHECK(together, "near duplicates go to one side, by ratio, shard or strata");
    CHECK(apart > 5, "and groups that are not near each other go their own ways");
    CHECK_STR(sides(pool, (ev_split_opts){.mode = EV_SPLIT_DEDUPE, .dedupe = true}, buf), "oo-o-o",
              "--dedupe drops the near duplicates of earlier cases");
    unit_file_remove(pool);
}

int
main(void)
{
    ev_text_locale();
    test_split();
    test_groups();
    UNIT_DONE();
}
