/*
 * near.h: near-duplicate inputs, the one notion ev-split and ev-gaps use.
 *
 * Two inputs are the same when, case-folded and with white space collapsed
 * (text.h), they are equal and not empty. They are near duplicates when
 * they are the same, or when the Jaccard similarity of their sets of word
 * 3-grams reaches a threshold (minhash.h): words are runs of letters and
 * digits, case-folded, so case, punctuation and spacing never matter, and
 * an input of fewer than three words is one 3-gram of all its words. An
 * input with no words is near nothing but an input that is the same.
 *
 * An index (ev_near) holds many inputs and finds those near a new one
 * without comparing it with each, through MinHash and locality-sensitive
 * hashing; every candidate is confirmed with its exact similarity, so
 * nothing below the threshold is reported, and a pair at the threshold is
 * missed with a chance below 1% (minhash.h). Memory is about 1 KB an input
 * of 20 words. Running out of memory ends the program (alloc.h).
 */
#ifndef EV_NEAR_H
#define EV_NEAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "minhash.h"

/* ev_near_key sets '*key' to a hash of 'text' case-folded and with white
 * space collapsed, so two inputs with the same key are the same. It returns
 * false for an empty input, which is the same as nothing. */
bool ev_near_key(const char *text, uint64_t *key);

typedef struct ev_near ev_near;

typedef struct ev_near_match {
    uint32_t item;     /* the number ev_near_add gave the indexed input */
    double similarity; /* 1 for the same input, else the exact Jaccard similarity */
    bool same;         /* the two inputs are the same */
} ev_near_match;

/* ev_near_new returns an empty index of near duplicates from 'threshold',
 * from 0.01 to 1. */
ev_near *ev_near_new(double threshold);
void ev_near_free(ev_near *ix);

/* ev_near_find finds the indexed inputs that 'text' is a near duplicate of:
 * the same ones first, in the order they were added, then the others, most
 * similar first and ties by number. It stores them in '*out', growing the
 * buffer ('*out' and its capacity '*cap', which start as NULL and 0 and
 * belong to the caller), and returns how many. */
size_t ev_near_find(ev_near *ix, const char *text, ev_near_match **out, size_t *cap);

/* ev_near_sketch returns the word 3-gram sketch of 'text' (minhash.h), for
 * other measures of likeness. It belongs to the index and lasts until the
 * next call with another text. */
const ev_minhash_sketch *ev_near_sketch(ev_near *ix, const char *text);

/* ev_near_empty says whether 'text' is empty, case-folded and with white
 * space collapsed: near nothing, and so no evidence of a leak or its
 * absence. The next ev_near_find or ev_near_add of it reuses its sketch. */
bool ev_near_empty(ev_near *ix, const char *text);

/* ev_near_add indexes 'text' and returns its number: 0 for the first input
 * added, then 1, 2 and so on. Adding the text of the last ev_near_find
 * reuses its sketch. An index holds at most EV_MINHASH_MAX inputs; past
 * them it adds nothing and returns UINT32_MAX. */
uint32_t ev_near_add(ev_near *ix, const char *text);

#endif
