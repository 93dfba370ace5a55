/* Unit tests of mock/learner, the formula by which ev-mock's tuned models
 * learn, and its tally of examples by tag. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mock/learner.h"
#include "unit.h"

static void
test_formula(void)
{
    evm_learner p = evm_learner_defaults();
    /* p(n) = min(0.9, 0.25 + 0.072 * log2(1 + n / 5)) */
    CHECK_NEAR(evm_learner_curve(&p, 0), 0.25, 1e-12, "no examples: the floor");
    CHECK_NEAR(evm_learner_curve(&p, 5), 0.322, 1e-12,
               "scale examples: one doubling, floor + gain");
    CHECK_NEAR(evm_learner_curve(&p, 10), 0.25 + 0.072 * log2(3), 1e-12, "10 examples: about 0.36");
    CHECK_NEAR(evm_learner_curve(&p, 50), 0.25 + 0.072 * log2(11), 1e-12, "50 examples");
    CHECK(fabs(evm_learner_curve(&p, 50) - 0.5) < 0.01,
          "about 50 examples of a tag reach about 0.5");
    CHECK(fabs(evm_learner_curve(&p, 400) - 0.7) < 0.01, "about 400 reach about 0.7");
    CHECK_NEAR(evm_learner_curve(&p, 1e12), 0.9, 1e-12, "the ceiling holds");
    CHECK(evm_learner_curve(&p, 20) > evm_learner_curve(&p, 10) &&
              evm_learner_curve(&p, 20) - evm_learner_curve(&p, 10) <
                  evm_learner_curve(&p, 10) - evm_learner_curve(&p, 0),
          "the curve rises with diminishing returns");

    double a = evm_learner_noise(&p, "ftjob-1", "geo");
    CHECK(a == evm_learner_noise(&p, "ftjob-1", "geo"), "the noise is fixed by job and tag");
    CHECK(a != evm_learner_noise(&p, "ftjob-2", "geo") &&
              a != evm_learner_noise(&p, "ftjob-1", "math"),
          "another job or tag gets other noise");
    bool within = true;
    for (int i = 0; i < 1000; i++) {
        char job[32];
        snprintf(job, sizeof(job), "ftjob-%d", i);
        double x = evm_learner_noise(&p, job, "t");
        within = within && x >= -p.noise && x <= p.noise;
    }
    CHECK(within, "the noise stays within +-noise");
    CHECK_NEAR(evm_learner_accuracy(&p, "ftjob-1", "geo", 50), evm_learner_curve(&p, 50) + a, 1e-12,
               "accuracy is the curve plus the noise");
    CHECK_NEAR(evm_learner_accuracy(&p, NULL, "geo", 1000), 0.25, 0, "the base model is the floor");
    CHECK_NEAR(evm_learner_accuracy(&p, "j", NULL, 0),
               0.25 + evm_learner_noise(&p, "j", EVM_LEARNER_OTHER), 1e-12,
               "no tag reads as (other)");
    evm_learner hi = p;
    hi.floor = hi.ceiling = 1;
    hi.noise = 0.5;
    CHECK(evm_learner_accuracy(&hi, "j", "t", 0) <= 1, "accuracy is clamped to 1");
    evm_learner seeded = p;
    seeded.seed = 7;
    CHECK(evm_learner_noise(&seeded, "ftjob-1", "geo") != a, "the seed changes the noise");
}

static void
test_tally(void)
{
    evm_learner_tally *t = evm_learner_tally_new();
    evm_learner_tally_add(t, "geo", 1);
    evm_learner_tally_add(t, NULL, 2);
    evm_learner_tally_add(t, "geo", 3);
    CHECK(evm_learner_tally_get(t, "geo") == 4 &&
              evm_learner_tally_get(t, EVM_LEARNER_OTHER) == 2 &&
              evm_learner_tally_get(t, NULL) == 2 && evm_learner_tally_get(t, "math") == 0,
          "a tally counts by tag, NULL as (other)");
    double n;
    CHECK(evm_learner_tally_size(t) == 2 && strcmp(evm_learner_tally_at(t, 0, &n), "geo") == 0 &&
              n == 4,
          "a tally keeps first-counted order");
    evm_learner_tally_free(t);
}

/* The accuracies the learner's models answer with (model.h's evm_model_as). */
static void
test_accuracies(void)
{
    evm_learner p = evm_learner_defaults();
    evm_learner_tally *t = evm_learner_tally_new();
    evm_learner_tally_add(t, "geo", 50);
    evm_learner_tuned tuned = {&p, "ftjob-1", t};
    CHECK_NEAR(evm_learner_base_accuracy(&p, "geo"), 0.25, 1e-12, "the base model: the floor");
    CHECK_NEAR(evm_learner_tuned_accuracy(&tuned, "geo"),
               evm_learner_accuracy(&p, "ftjob-1", "geo", 50), 1e-12,
               "a tuned model: the formula on its examples of the tag");
    CHECK_NEAR(evm_learner_tuned_accuracy(&tuned, "math"),
               evm_learner_accuracy(&p, "ftjob-1", "math", 0), 1e-12,
               "a tag it was not tuned on: the formula at 0 examples");
    evm_learner_tally_free(t);
}

int
main(void)
{
    test_formula();
    test_tally();
    test_accuracies();
    UNIT_DONE();
}
