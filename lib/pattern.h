/*
 * pattern.h: the regular expressions of the regex scorer, refused when
 * compiling or matching them may not end.
 *
 * Ownership: json.h.
 *
 * A pattern is a POSIX extended regular expression, which a record may
 * give. glibc writes its repetitions out when it compiles it ("a{3}" as
 * "aaa", "a+" as "aa*"), and takes time and memory that grow as the square
 * of the pieces that come out, so a short pattern can take them all. So a
 * pattern is compiled only when:
 * - it has at most EV_PATTERN_MAX_PIECES pieces once written out, and
 *   groups nested at most 64 deep;
 * - no repetition follows a repetition ("a*+", "s??"), which POSIX leaves
 *   undefined and on which glibc's regcomp can take seconds or forever;
 * - it has no back-reference ("\1"), which POSIX leaves undefined in an
 *   extended expression and which glibc matches by trying every way, in
 *   time that grows exponentially with the text.
 * What is left still takes time to match that grows with the square of the
 * text's length times the pattern's pieces: ev_pattern_cost prices it, and
 * the caller decides where a dear match runs.
 */
#ifndef EV_PATTERN_H
#define EV_PATTERN_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

#include "memo.h"

/* A pattern of more pieces than this, written out, is refused (about 100
 * MB for regcomp). */
#define EV_PATTERN_MAX_PIECES 4096

typedef struct ev_pattern {
    regex_t re;
    double pieces; /* once its repetitions are written out */
} ev_pattern;

/* ev_pattern_pieces returns a bound on the pieces of the extended regular
 * expression 'p' once its repetitions are written out, or infinity for
 * groups nested past 64. '*stacked' says whether a repetition follows a
 * repetition, and '*backref' whether it holds a back-reference. */
double ev_pattern_pieces(const char *p, bool *stacked, bool *backref);

/* ev_pattern_new compiles 'text' when it is safe to (above), for matching
 * only; else it returns NULL and sets '*err' to an invalid with a message
 * that quotes the pattern ("bad regex '(a': parentheses not balanced"). */
ev_pattern *ev_pattern_new(const char *text, jv *err);

/* ev_pattern_cached returns the pattern 'text' from 'memo', or compiled now
 * and kept there; when the memo is full, '*own' is set and the caller frees
 * the pattern after use. Errors as for ev_pattern_new. */
ev_pattern *ev_pattern_cached(ev_memo *memo, const char *text, bool *own, jv *err);

/* ev_pattern_match says whether 'text' matches 'p' anywhere. */
bool ev_pattern_match(const ev_pattern *p, const char *text);

/* ev_pattern_cost bounds the work of matching 'p' on a text of 'len'
 * bytes, in glibc's steps: len * len * (pieces + 1). */
double ev_pattern_cost(const ev_pattern *p, size_t len);

/* ev_pattern_free frees 'p' (a void * for ev_memo_new). NULL is allowed. */
void ev_pattern_free(void *p);

#endif
