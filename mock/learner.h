/*
 * learner.h: ev-mock's SIMULATION of a small model that learns from
 * fine-tuning. It is a formula, not a model: it says how often a tuned model
 * answers a case right, given how many training examples of the case's tag
 * it was tuned on.
 *
 * For a tag with n training examples the accuracy is
 *
 *     p(n) = min(ceiling, floor + gain * log2(1 + n / scale)) + noise
 *
 * clamped to [0, 1], where noise is uniform in [-noise, +noise] and fixed by
 * a hash of the seed, the job id and the tag, so the same job on the same
 * tag always gets the same accuracy. The base model (no job) answers at
 * 'floor' on every tag, without noise. With the defaults (floor 0.25, gain
 * 0.072, scale 5, ceiling 0.9, noise 0.02) 10 examples of a tag give about
 * 0.36, 50 about 0.50, 200 about 0.64 and 400 about 0.71: a log-like curve
 * with diminishing returns, as fine-tuning curves tend to be.
 *
 * A tally counts examples by tag. It is filled once and then only read, so
 * it may be read by many threads at once.
 */
#ifndef EVM_LEARNER_H
#define EVM_LEARNER_H

#include <stddef.h>
#include <stdint.h>

/* The tag of examples and cases that have none, or that match no case. */
#define EVM_LEARNER_OTHER "(other)"

typedef struct evm_learner {
    double floor, gain, ceiling, scale, noise;
    uint64_t seed;
} evm_learner;

/* evm_learner_defaults returns the parameters above, with seed 0. */
evm_learner evm_learner_defaults(void);

/* evm_learner_curve returns min(ceiling, floor + gain * log2(1 + n / scale)),
 * the accuracy before noise, for 'n' >= 0 examples. */
double evm_learner_curve(const evm_learner *p, double n);

/* evm_learner_noise returns the noise of job 'job' on tag 'tag', in
 * [-noise, +noise]. */
double evm_learner_noise(const evm_learner *p, const char *job, const char *tag);

/* evm_learner_accuracy returns the accuracy on tag 'tag' (NULL reads as
 * EVM_LEARNER_OTHER) of the model tuned by job 'job' on 'n' examples of the
 * tag: the curve plus the noise, clamped to [0, 1]. With 'job' NULL it is
 * the base model's accuracy, 'floor'. */
double evm_learner_accuracy(const evm_learner *p, const char *job, const char *tag, double n);

/* A count of examples by tag. */
typedef struct evm_learner_tally evm_learner_tally;

/* A model tuned by job 'job' on the examples counted in 'tally', with the
 * learner 'params': what evm_learner_tuned_accuracy reads. What it points
 * to must outlive every answer made with it. */
typedef struct evm_learner_tuned {
    const evm_learner *params;
    const char *job;
    const evm_learner_tally *tally;
} evm_learner_tuned;

/* evm_learner_base_accuracy and evm_learner_tuned_accuracy are the
 * accuracies of model.h's evm_model_as, for the learner's models:
 * the base model's (its 'ctx' is an evm_learner) on every tag, and a tuned
 * model's (its 'ctx' is an evm_learner_tuned) on tag 'tag'. */
double evm_learner_base_accuracy(const void *ctx, const char *tag);
double evm_learner_tuned_accuracy(const void *ctx, const char *tag);

evm_learner_tally *evm_learner_tally_new(void);

/* evm_learner_tally_add counts 'n' more examples of 'tag' (NULL:
 * EVM_LEARNER_OTHER). */
void evm_learner_tally_add(evm_learner_tally *t, const char *tag, double n);

/* evm_learner_tally_get returns the count of 'tag' (NULL: EVM_LEARNER_OTHER),
 * 0 when the tag was never counted. */
double evm_learner_tally_get(const evm_learner_tally *t, const char *tag);

/* evm_learner_tally_size returns how many tags were counted;
 * evm_learner_tally_at gives the 'i'th, in the order they were first
 * counted, and its count. */
size_t evm_learner_tally_size(const evm_learner_tally *t);
const char *evm_learner_tally_at(const evm_learner_tally *t, size_t i, double *n);

void evm_learner_tally_free(evm_learner_tally *t);

#endif
