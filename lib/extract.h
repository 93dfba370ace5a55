/*
 * extract.h: answers pulled out of a model's free text.
 *
 * A model asked for a number, a letter or a JSON value rarely answers with
 * that alone: it says "The answer is 1,234.5.", "**B**" or wraps JSON in a
 * fenced code block. These functions find the answer the way a reader would,
 * and are shared by the scorers that compare answers rather than texts.
 */
#ifndef EV_EXTRACT_H
#define EV_EXTRACT_H

#include <stdbool.h>

#include <jv.h>

/* ev_extract_number finds the first number in 's' and sets '*out'. Numbers
 * written in digits win over numbers written in words, so "one of them is 7"
 * reads as 7. In digits: an optional sign (+, - or U+2212) not glued to a
 * word, thousands separated by commas in groups of three, a decimal point, an
 * exponent; a trailing '%' is ignored, so "50%" is 50. In English words:
 * "zero" to "nineteen", the tens, "hundred", "thousand", "million", "billion",
 * "trillion", joined by spaces, hyphens or "and", with "minus" or "negative"
 * in front: "twenty-one", "three hundred and five". Returns false when there
 * is no number. */
bool ev_extract_number(const char *s, double *out);

/* ev_extract_choice finds a multiple-choice letter in 's' and sets '*out' to
 * it in upper case. It accepts, in this order of preference: the whole text
 * being one letter, bare or wrapped ("B", "(b)", "**B**", "B)", "B."); the
 * letter after the last "answer", "option" or "choice" ("Answer: B", "The
 * answer is (C)."); a leading letter ("B) Paris", "C. Rome"); the first
 * letter in parentheses, brackets or bold anywhere. Outside a wrapper a
 * lower-case letter counts only at the very end, so the article "a" and the
 * pronoun "I" are not taken for answers. Returns false when there is none. */
bool ev_extract_choice(const char *s, char *out);

/* ev_extract_json parses 's' as JSON: the whole text, else the first fenced
 * code block (```json ... ```), else the span from the first '{' or '[' to
 * the last '}' or ']'. On failure it returns invalid with the parser's
 * message for the whole text. */
jv ev_extract_json(const char *s);

#endif
