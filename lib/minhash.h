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
 * (ev_minhash_index) holds many texts and finds those near a query without comparing it
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

#define EV_MINHASH_SIZE 128             /* hashes in a signature */
#define EV_MINHASH_SHINGLE_WORDS 3      /* words in a shingle */
#define EV_MINHASH_MAX (UINT32_MAX - 1) /* texts in an index */

typedef struct ev_minhash_sketch {
    uint64_t *shingle; /* hashes of the shingles, sorted, distinct */
    size_t n;
    size_t cap;
    uint64_t sig[EV_MINHASH_SIZE]; /* per hash function, the least shingle */
} ev_minhash_sketch;

/* ev_minhash_sketch_text makes '*s' the sketch of 'text' (UTF-8,
 * NUL-terminated). A sketch starts zeroed ('ev_minhash_sketch s = {0};') and
 * can be refilled for text after text; ev_minhash_sketch_free releases it. */
void ev_minhash_sketch_text(ev_minhash_sketch *s, const char *text);
void ev_minhash_sketch_free(ev_minhash_sketch *s);

/* ev_minhash_jaccard returns the exact similarity of the shingle sets of 'a'
 * and 'b', from 0 to 1; 0 when either has none. */
double ev_minhash_jaccard(const ev_minhash_sketch *a, const ev_minhash_sketch *b);

/* ev_minhash_estimate returns the MinHash estimate of that similarity: the
 * share of signature positions where 'a' and 'b' agree. */
double ev_minhash_estimate(const ev_minhash_sketch *a, const ev_minhash_sketch *b);

typedef struct ev_minhash_index ev_minhash_index;

typedef struct ev_minhash_match {
    uint32_t item;     /* the number ev_minhash_index_add gave the indexed text */
    double similarity; /* exact Jaccard similarity of the shingle sets */
} ev_minhash_match;

/* ev_minhash_index_new returns an empty index that finds texts whose similarity to a
 * query is at least 'threshold', from 0.01 to 1. */
ev_minhash_index *ev_minhash_index_new(double threshold);
void ev_minhash_index_free(ev_minhash_index *ix);

/* ev_minhash_index_add indexes the text sketched in 's' (the index keeps a
 * copy of its shingles, not the signature) and returns its number: 0 for the
 * first text added, then 1, 2 and so on. An index holds at most
 * EV_MINHASH_MAX texts; past them it adds nothing and returns UINT32_MAX. */
uint32_t ev_minhash_index_add(ev_minhash_index *ix, const ev_minhash_sketch *s);

/* ev_minhash_index_query finds the indexed texts whose similarity to the text sketched
 * in 's' reaches the threshold. It stores them in '*out', most similar first
 * and ties by number, growing the buffer ('*out' and its capacity '*cap', which
 * start as NULL and 0 and belong to the caller), and returns how many. */
size_t ev_minhash_index_query(ev_minhash_index *ix, const ev_minhash_sketch *s,
                              ev_minhash_match **out, size_t *cap);

/* ev_minhash_index_bands returns the number of bands, and in '*rows' the signature
 * positions in each, that the index chose for its threshold. */
int ev_minhash_index_bands(const ev_minhash_index *ix, int *rows);

#endif
