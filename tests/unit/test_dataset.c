/* Unit tests of mock/dataset, the training data of ev-mock's fine-tuning:
 * which tag an example trains. */
#include <string.h>

#include "mock/dataset.h"
#include "mockunit.h"
#include "record.h"

/* count_line counts the example 'line' into 't' as OpenAI's jobs do. */
static void
count_line(evm_learner_tally *t, const evm_model *m, const char *line)
{
    jv rec = jv_parse(line);
    evm_dataset_count(t, m, rec, ev_rec_input(rec));
    jv_free(rec);
}

static void
test_count(void)
{
    static const char *const cases[] = {
        "{\"id\":\"a\",\"input\":\"1+1?\",\"expected\":\"2\",\"tags\":[\"math\"]}",
        "{\"id\":\"b\",\"input\":\"Capital of Peru?\",\"expected\":\"Lima\"}",
        NULL,
    };
    evm_model *m = model_of(cases, false);
    evm_model_freeze(m);
    evm_learner_tally *t = evm_learner_tally_new();
    count_line(t, m,
               "{\"messages\":[{\"role\":\"user\",\"content\":\"1+1?\"},"
               "{\"role\":\"assistant\",\"content\":\"2\"}]}");
    count_line(
        t, m,
        "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
        "{\"role\":\"user\",\"content\":\"1+1?\"},{\"role\":\"assistant\",\"content\":\"2\"}]}");
    CHECK(evm_learner_tally_get(t, "math") == 2,
          "an example counts toward its case's tag, by the whole prompt or the last user message");
    count_line(t, m,
               "{\"messages\":[{\"role\":\"user\",\"content\":\"1+1?\"},"
               "{\"role\":\"assistant\",\"content\":\"2\"}],\"tags\":[\"own\",\"x\"]}");
    CHECK(evm_learner_tally_get(t, "own") == 1 && evm_learner_tally_get(t, "math") == 2,
          "an example's own first tag comes first");
    count_line(t, m,
               "{\"messages\":[{\"role\":\"user\",\"content\":\"Capital of Peru?\"},"
               "{\"role\":\"assistant\",\"content\":\"Lima\"}]}");
    count_line(t, m,
               "{\"messages\":[{\"role\":\"user\",\"content\":\"unseen\"},"
               "{\"role\":\"assistant\",\"content\":\"x\"}]}");
    CHECK(evm_learner_tally_get(t, NULL) == 2,
          "a case without tags, or no case, counts as (other)");
    count_line(t, NULL, "{\"input\":\"1+1?\"}");
    CHECK(evm_learner_tally_get(t, NULL) == 3, "without cases every untagged example is (other)");
    jv rec = jv_parse("{\"text\":\"x\"}");
    evm_dataset_count(t, m, rec, jv_invalid());
    jv_free(rec);
    CHECK(evm_learner_tally_get(t, NULL) == 4, "an example without a prompt is (other)");
    evm_learner_tally_free(t);
    evm_model_free(m);
}

int
main(void)
{
    test_count();
    UNIT_DONE();
}
