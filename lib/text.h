/*
 * text.h: UTF-8 text as the scorers and the leak check see it.
 *
 * Strings are NUL-terminated UTF-8. Invalid bytes are read as U+FFFD. Case
 * folding and punctuation follow the C.UTF-8 locale's towlower and iswpunct,
 * so they cover Unicode letters, not only ASCII; tools call setlocale with
 * ev_text_locale() once at start.
 */
#ifndef EV_TEXT_H
#define EV_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include <jv.h>

enum ev_text_norm {
    EV_TEXT_NORM_CASE = 1,  /* fold case */
    EV_TEXT_NORM_SPACE = 2, /* trim, and collapse runs of white space to one space */
    EV_TEXT_NORM_PUNCT = 4, /* drop punctuation */
};

/* ev_text_locale sets LC_CTYPE to a UTF-8 locale (C.UTF-8 when available). */
void ev_text_locale(void);

/* ev_text_utf8_next decodes the code point at '*p' and advances '*p' past it. */
uint32_t ev_text_utf8_next(const char **p);

/* ev_text_utf8_valid_len returns the length of the longest prefix of the 'n' bytes
 * at 's' that is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), so it returns 'n' when all of it is.
 * A sequence cut short by the end counts as invalid. */
size_t ev_text_utf8_valid_len(const char *s, size_t n);

/* ev_text_normalize returns 's' normalised by the 'flags' of enum ev_text_norm. */
jv ev_text_normalize(const char *s, int flags);

/* ev_text_words returns the words of 's' as an array of strings: runs of letters
 * and digits, case-folded, with punctuation and white space as separators. */
jv ev_text_words(const char *s);

#endif
