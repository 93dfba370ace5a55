/* Unit tests of lib/labels: a reviewer's review.jsonl. */
#include "labels.h"
#include "unit.h"

static void
test_labels(void)
{
    char path[64];
    unit_file(path, "review.jsonl",
              "{\"id\":\"a\",\"label\":\"ok\"}\n"
              "{\"id\":\"b\",\"label\":\"expected-wrong\",\"corrected\":\"Rome\",\"note\":\"x\"}\n"
              "{\"id\":\"c\",\"label\":\"wrong\"}\n"
              "{\"label\":\"ok\"}\n"
              "{\"id\":\"d\",\"label\":\"ambiguous\",\"corrected\":7}\n"
              "not json\n"
              "{\"id\":\"a\",\"label\":\"model-wrong\"}\n"
              "{\"id\":7,\"label\":\"ambiguous\"}\n");
    ev_labels l = {0};
    unit_said[0] = '\0';
    ev_log log = {.warn = unit_hear, .ctx = ""};
    CHECK(ev_labels_load(&l, path, &log) == 4, "four bad lines are counted");
    CHECK(strstr(unit_said, "review.jsonl:3: 'label' is 'wrong': give one of model-wrong, "
                            "expected-wrong, ambiguous, ok") != NULL,
          "an unknown label is named, with the ones there are");
    CHECK(strstr(unit_said, "review.jsonl:4: ") != NULL, "a line without an id is a problem");
    CHECK(strstr(unit_said, "review.jsonl:5: 'corrected' is not a string") != NULL,
          "a corrected answer must be text");
    CHECK(strstr(unit_said, "review.jsonl:6: ") != NULL, "a line that is not JSON is a problem");
    jv a = jv_string("a"), b = jv_string("b"), d = jv_string("d"), n = jv_string("7");
    CHECK(ev_labels_find(&l, a, NULL) == EV_LABELS_MODEL_WRONG, "a later line of an id wins");
    jv entry;
    CHECK(ev_labels_find(&l, b, &entry) == EV_LABELS_EXPECTED_WRONG, "expected-wrong is read");
    CHECK_JV(entry,
             "{\"corrected\":\"Rome\",\"id\":\"b\",\"label\":\"expected-wrong\",\"note\":\"x\"}",
             "with its line");
    CHECK(ev_labels_find(&l, d, NULL) == EV_LABELS_NONE, "a bad line labels nothing");
    CHECK_STR(ev_labels_name(EV_LABELS_AMBIGUOUS), "ambiguous", "labels are named as written");
    CHECK(ev_labels_unused(&l) == 1, "the numeric id 7 was never looked up");
    CHECK(ev_labels_find(&l, n, NULL) == EV_LABELS_AMBIGUOUS, "a numeric id is its JSON text");
    CHECK(ev_labels_unused(&l) == 0, "and now every label was used");
    jv_free(a);
    jv_free(b);
    jv_free(d);
    jv_free(n);
    ev_labels_free(&l);
    ev_labels none = {0};
    CHECK(ev_labels_find(&none, d = jv_string("d"), NULL) == EV_LABELS_NONE,
          "no labels label nothing");
    jv_free(d);
    ev_labels_free(&none);
    unit_file_remove(path);
}

int
main(void)
{
    test_labels();
    UNIT_DONE();
}
