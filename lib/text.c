#include "text.h"

#include <locale.h>
#include <stdbool.h>
#include <wctype.h>

void
ev_text_locale(void)
{
    if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
        setlocale(LC_CTYPE, "");
}

uint32_t
ev_text_utf8_next(const char **pp)
{
    const unsigned char *p = (const unsigned char *)*pp;
    uint32_t c = p[0];
    int n = 0;

    if (c < 0x80) {
        *pp += 1;
        return c;
    } else if ((c & 0xE0) == 0xC0) {
        c &= 0x1F;
        n = 1;
    } else if ((c & 0xF0) == 0xE0) {
        c &= 0x0F;
        n = 2;
    } else if ((c & 0xF8) == 0xF0) {
        c &= 0x07;
        n = 3;
    } else {
        *pp += 1;
        return 0xFFFD;
    }
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *pp += i;
            return 0xFFFD;
        }
        c = (c << 6) | (p[i] & 0x3F);
    }
    *pp += n + 1;
    return c;
}

/* utf8_seq_len returns the length of the well-formed sequence at 'p', which
 * has 'left' bytes, or 0 when it is not one. */
static size_t
utf8_seq_len(const unsigned char *p, size_t left)
{
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        n = 2;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        n = 3;
        lo = p[0] == 0xE0 ? 0xA0 : 0x80; /* overlong */
        hi = p[0] == 0xED ? 0x9F : 0xBF; /* surrogates */
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        n = 4;
        lo = p[0] == 0xF0 ? 0x90 : 0x80; /* overlong */
        hi = p[0] == 0xF4 ? 0x8F : 0xBF; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (left < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

size_t
ev_text_utf8_valid_len(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq_len(p + i, n - i);
        if (k == 0)
            break;
        i += k;
    }
    return i;
}

static bool
is_space(uint32_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == 0xA0 ||
           iswspace((wint_t)c);
}

static bool
is_punct(uint32_t c)
{
    return !is_space(c) && !iswalnum((wint_t)c) && (iswpunct((wint_t)c) || c < 0x80);
}

jv
ev_text_normalize(const char *s, int flags)
{
    jv out = jv_string("");
    bool pending_space = false;
    bool started = false;

    while (*s) {
        uint32_t c = ev_text_utf8_next(&s);
        if ((flags & EV_TEXT_NORM_PUNCT) && is_punct(c))
            continue;
        if ((flags & EV_TEXT_NORM_SPACE) && is_space(c)) {
            pending_space = started;
            continue;
        }
        if (flags & EV_TEXT_NORM_CASE)
            c = (uint32_t)towlower((wint_t)c);
        if (pending_space)
            out = jv_string_append_codepoint(out, ' ');
        pending_space = false;
        started = true;
        out = jv_string_append_codepoint(out, c);
    }
    return out;
}

jv
ev_text_words(const char *s)
{
    jv words = jv_array();
    jv cur = jv_invalid();

    while (*s) {
        uint32_t c = ev_text_utf8_next(&s);
        if (iswalnum((wint_t)c)) {
            if (!jv_is_valid(cur))
                cur = jv_string("");
            cur = jv_string_append_codepoint(cur, (uint32_t)towlower((wint_t)c));
        } else if (jv_is_valid(cur)) {
            words = jv_array_append(words, cur);
            cur = jv_invalid();
        }
    }
    if (jv_is_valid(cur))
        words = jv_array_append(words, cur);
    return words;
}
