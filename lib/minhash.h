/*
 * minhash.h: near-duplicate texts, by MinHash over word shingles with LSH.
 *
 * Two texts are near duplicates when their word 3-grams (shingles) overlap:
 * the Jaccard similarity of the two sets, shared shingles over all shingles,
 * reaches a threshold. Words are those of ev_text_words: runs of letters and
 * digits, case-folded, so case, punctuation and spacing never matter. A text
 * of one or two words has a single shingle, its whole word sequence; a text
 * with no words has none and is near nothing.
 *
 * As a rule of thumb, changing one word in the middle of a text of n words
 * changes three of its n - 2 shingles, for a similarity of (n - 5) / (n + 1):
 * 0.71 at 20 words, 0.85 at 40.
 *
 * A sketch holds a text's shingles and its MinHash signature. An index
 * (ev_lsh) holds many texts and finds those near a query without comparing it
 * with each: it cuts signatures into bands and files each text under a hash of
 * each band, so texts that agree on a whole band meet as candidates. Every
 * candidate is then checked with the exact similarity of the shingle sets, so
 * nothing below the threshold is reported. The bands are chosen from the
 * threshold so that a pair exactly at it is missed with a probability below 1%
 * (0.2% at 0.8); the odds fall fast above it.
 *
 * Nothing is seeded: the same texts give the same answers on every run. Running
 * out of memory ends the program (alloc.h).
 */
#ifndef EV_MINHASH_H
#define EV_MINHASH_H

#include <stddef.h>
#include <stdint.h>

#define EV_MINHASH_SIZE 128 /* hashes in a signature */
#define EV_SHINGLE_WORDS 3  /* words in a shingle */

typedef struct ev_sketch {
    uint64_t *shingle; /* hashes of the shingles, sorted, distinct */
    size_t n;
    size_t cap;
    uint64_t sig[EV_MINHASH_SIZE]; /* per hash function, the least shingle */
} ev_sketch;

/* ev_sketch_text makes '*s' the sketch of 'text' (UTF-8, NUL-terminated). A
 * sketch starts zeroed ('ev_sketch s = {0};') and can be refilled for text
 * after text; ev_sketch_free releases it. */
void ev_sketch_text(ev_sketch *s, const char *text);
void ev_sketch_free(ev_sketch *s);

/* ev_sketch_jaccard returns the exact similarity of the shingle sets of 'a'
 * and 'b', from 0 to 1; 0 when either has none. */
double ev_sketch_jaccard(const ev_sketch *a, const ev_sketch *b);

/* ev_sketch_estimate returns the MinHash estimate of that similarity: the
 * share of signature positions where 'a' and 'b' agree. */
double ev_sketch_estimate(const ev_sketch *a, const ev_sketch *b);

typedef struct ev_lsh ev_lsh;

typedef struct ev_match {
    uint32_t item;     /* the number ev_lsh_add gave the indexed text */
    double similarity; /* exact Jaccard similarity of the shingle sets */
} ev_match;

/* ev_lsh_new returns an empty index that finds texts whose similarity to a
 * query is at least 'threshold', from 0.01 to 1. */
ev_lsh *ev_lsh_new(double threshold);
void ev_lsh_free(ev_lsh *ix);

/* ev_lsh_add indexes the text sketched in 's' (borrowed; the index keeps a
 * copy of its shingles, not the signature) and returns its number: 0 for the
 * first text added, then 1, 2 and so on. */
uint32_t ev_lsh_add(ev_lsh *ix, const ev_sketch *s);

/* ev_lsh_query finds the indexed texts whose similarity to the text sketched
 * in 's' reaches the threshold. It stores them in '*out', most similar first
 * and ties by number, growing the buffer ('*out' and its capacity '*cap', which
 * start as NULL and 0 and belong to the caller), and returns how many. */
size_t ev_lsh_query(ev_lsh *ix, const ev_sketch *s, ev_match **out, size_t *cap);

/* ev_lsh_bands returns the number of bands, and in '*rows' the signature
 * positions in each, that the index chose for its threshold. */
int ev_lsh_bands(const ev_lsh *ix, int *rows);

#endif
