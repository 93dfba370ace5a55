/* Unit tests of lib/pick: new cases picked from a pool, aimed at failures. */
#include "pick.h"
#include "text.h"
#include "unit.h"

/* aim shows the picker and the tally a run case with 'input' and 'tag'. */
static void
aim(ev_pick *p, ev_gaps_tally *t, const char *input, const char *tag, bool failed)
{
    jv rec = jv_object_set(jv_object(), jv_string("input"), jv_string(input));
    jv tags = JV_ARRAY_1(jv_string(tag));
    ev_pick_aim(p, rec, failed, jv_copy(tags));
    jv_array_foreach(tags, i, name)
    {
        ev_gaps_tally_add(t, name, failed, false);
        jv_free(name);
        (void)i;
    }
    jv_free(tags);
    jv_free(rec);
}

static void
test_pick(void)
{
    ev_pick *p = ev_pick_new(0.8);
    ev_gaps_tally t;
    ev_gaps_tally_init(&t);
    aim(p, &t, "What is the capital of Italy?", "geo", true);
    aim(p, &t, "Which river flows through Cairo?", "geo", true);
    aim(p, &t, "What is 12 times 11?", "math", true);
    aim(p, &t, "What is 2 plus 2?", "math", false);
    char pool[64];
    unit_file(
        pool, "pool.jsonl",
        "{\"id\":\"p1\",\"input\":\"what is the capital of  italy?\",\"tags\":[\"geo\"]}\n"
        "{\"id\":\"p2\",\"input\":\"Name a river of Europe.\",\"tags\":[\"geo\"]}\n"
        "{\"id\":\"p3\",\"input\":\"What is the capital of Spain?\",\"tags\":[\"geo\"]}\n"
        "{\"id\":\"p4\",\"input\":\"What is 7 times 8?\",\"tags\":[\"math\"]}\n"
        "{\"id\":\"p5\",\"input\":\"Bake a cake.\",\"tags\":[\"cooking\"]}\n"
        "{\"id\":\"p6\",\"input\":\"Which river flows through Paris?\",\"tags\":[\"geo\"]}\n");
    unsigned long problems;
    jv rep = ev_pick_from(p, &t, pool, 3, NULL, &problems);
    jv picked = jv_dump_string(jv_object_get(jv_copy(rep), jv_string("picked")), 0);
    CHECK_STR(jv_string_value(picked),
              "[[2,\"{\\\"id\\\":\\\"p3\\\",\\\"input\\\":\\\"What is the capital of "
              "Spain?\\\",\\\"tags\\\":[\\\"geo\\\"]}\"],[3,\"{\\\"id\\\":\\\"p4\\\",\\\"input\\\":"
              "\\\"What is 7 times 8?\\\",\\\"tags\\\":[\\\"math\\\"]}\"],[5,\"{\\\"id\\\":"
              "\\\"p6\\\",\\\"input\\\":\\\"Which river flows through Paris?\\\",\\\"tags\\\":["
              "\\\"geo\\\"]}\"]]",
              "the nearest cases of each failing tag, in pool order, never a leak");
    jv_free(picked);
    jv rest = jv_dump_string(jv_object_delete(jv_copy(rep), jv_string("picked")), 0);
    CHECK_STR(jv_string_value(rest),
              "{\"pool\":6,\"leaks\":1,\"budget\":3,\"tags\":[{\"tag\":\"geo\",\"aimed\":2,"
              "\"picked\":2},{\"tag\":\"math\",\"aimed\":1,\"picked\":1}]}",
              "the report counts the pool, its leaks and each tag's aim");
    jv_free(rest);
    jv_free(rep);
    CHECK(problems == 0, "a clean pool has no problems");
    ev_gaps_tally_free(&t);
    ev_pick_free(p);
    unit_file_remove(pool);
}

static void
test_blank(void)
{
    ev_pick *p = ev_pick_new(0.8);
    ev_gaps_tally t;
    ev_gaps_tally_init(&t);
    aim(p, &t, " ", "t", true);
    aim(p, &t, "What is the capital of Italy?", "t", true);
    char pool[64];
    unit_file(pool, "pool.jsonl",
              "{\"id\":\"p1\",\"input\":\"\",\"tags\":[\"t\"]}\n"
              "{\"id\":\"p2\",\"input\":\"What is the capital of Italy!\",\"tags\":[\"t\"]}\n");
    unsigned long problems;
    jv rep = ev_pick_from(p, &t, pool, 2, NULL, &problems);
    jv leaks = jv_object_get(jv_copy(rep), jv_string("leaks"));
    CHECK(jv_number_value(leaks) == 1,
          "a leak is what ev-split --check calls one: the same words, not a blank input");
    jv first = jv_array_get(jv_object_get(rep, jv_string("picked")), 0);
    jv at = jv_array_get(first, 0);
    CHECK(jv_get_kind(at) == JV_KIND_NUMBER && jv_number_value(at) == 0,
          "a blank pool case is near nothing, and may be picked");
    jv_free(leaks);
    jv_free(at);
    ev_gaps_tally_free(&t);
    ev_pick_free(p);
    unit_file_remove(pool);
}

int
main(void)
{
    ev_text_locale();
    test_pick();
    test_blank();
    UNIT_DONE();
}
