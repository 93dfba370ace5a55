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
#ifndef EV_LEARNER_H
#define EV_LEARNER_H

#include <stddef.h>
#include <stdint.h>

/* The tag of examples and cases that have none, or that match no case. */
#define EV_LEARNER_OTHER "(other)"

typedef struct ev_learner {
    double floor, gain, ceiling, scale, noise;
    uint64_t seed;
} ev_learner;

/* ev_learner_defaults returns the parameters above, with seed 0. */
ev_learner ev_learner_defaults(void);

/* ev_learner_curve returns min(ceiling, floor + gain * log2(1 + n / scale)),
 * the accuracy before noise, for 'n' >= 0 examples. */
double ev_learner_curve(const ev_learner *p, double n);

/* ev_learner_noise returns the noise of job 'job' on tag 'tag', in
 * [-noise, +noise]. */
double ev_learner_noise(const ev_learner *p, const char *job, const char *tag);

/* ev_learner_accuracy returns the accuracy on tag 'tag' (NULL reads as
 * EV_LEARNER_OTHER) of the model tuned by job 'job' on 'n' examples of the
 * tag: the curve plus the noise, clamped to [0, 1]. With 'job' NULL it is
 * the base model's accuracy, 'floor'. */
double ev_learner_accuracy(const ev_learner *p, const char *job, const char *tag, double n);

/* A count of examples by tag. */
typedef struct ev_tally ev_tally;

ev_tally *ev_tally_new(void);

/* ev_tally_add counts 'n' more examples of 'tag' (NULL: EV_LEARNER_OTHER). */
void ev_tally_add(ev_tally *t, const char *tag, double n);

/* ev_tally_get returns the count of 'tag' (NULL: EV_LEARNER_OTHER), 0 when
 * the tag was never counted. */
double ev_tally_get(const ev_tally *t, const char *tag);

/* ev_tally_size returns how many tags were counted; ev_tally_at gives the
 * 'i'th, in the order they were first counted, and its count. */
size_t ev_tally_size(const ev_tally *t);
const char *ev_tally_at(const ev_tally *t, size_t i, double *n);

void ev_tally_free(ev_tally *t);

#endif
