/*
 * metric.h: graded similarity between a model's answer and the expected one.
 *
 * The functions take NUL-terminated UTF-8; ev_metric_f1 and
 * ev_metric_similarity return a value in [0, 1], where 1 means the texts
 * agree fully. Two empty texts agree fully.
 */
#ifndef EV_METRIC_H
#define EV_METRIC_H

/* ev_metric_f1 is the token-level F1 of 'answer' against 'gold' as SQuAD computes
 * it: both are case-folded, stripped of punctuation and of the articles "a",
 * "an" and "the", and split on white space; the overlap counts each token as
 * often as it occurs in both. When either has no tokens, F1 is 1 if both
 * have none and 0 otherwise. */
double ev_metric_f1(const char *answer, const char *gold);

/* ev_metric_similarity is 1 - d / max(m, n), where d is the Levenshtein distance
 * between the two texts counted in code points and m and n their lengths in
 * code points. It takes time proportional to m * n. */
double ev_metric_similarity(const char *a, const char *b);

/* ev_metric_nearest returns the one of the 'n' 'names' nearest to 'word',
 * for a "did you mean" after a typo, or NULL when none is near enough:
 * its similarity, plus 0.5 when 'word' begins it, must reach 0.5. */
const char *ev_metric_nearest(const char *word, const char *const *names, int n);

#endif
