#include "extract.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "json.h"

/* ASCII classes on purpose: the digits and words read here are ASCII, and a
 * byte of a UTF-8 sequence must never pass for a letter. */
static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_alnum(char c)
{
    return is_digit(c) || is_alpha(c);
}

static bool
is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

#define MINUS_SIGN "\xE2\x88\x92" /* U+2212 */

/* sign_before returns -1 when the number at 'p' has a minus sign that stands
 * apart from any word before it ("-3", "x = -3", but not "A-3"), else 1. */
static double
sign_before(const char *s, const char *p)
{
    const char *m = NULL;
    double sign = 1;

    if (p > s && (p[-1] == '-' || p[-1] == '+')) {
        m = p - 1;
        sign = p[-1] == '-' ? -1 : 1;
    } else if (p - s >= 3 && memcmp(p - 3, MINUS_SIGN, 3) == 0) {
        m = p - 3;
        sign = -1;
    }
    if (m == NULL || (m > s && is_alnum(m[-1])))
        return 1;
    return sign;
}

/* digits_at reads the number written in digits that starts at 'p' (a digit,
 * or a '.' before one). */
static double
digits_at(const char *s, const char *p)
{
    const char *q = p;
    while (is_digit(*q))
        q++;
    if (q - p >= 1 && q - p <= 3) {
        while (q[0] == ',' && is_digit(q[1]) && is_digit(q[2]) && is_digit(q[3]) && !is_digit(q[4]))
            q += 4;
    }
    if (q[0] == '.' && is_digit(q[1])) {
        q++;
        while (is_digit(*q))
            q++;
    }
    if (q[0] == 'e' || q[0] == 'E') {
        const char *e = q + 1;
        if (*e == '+' || *e == '-')
            e++;
        if (is_digit(*e)) {
            q = e;
            while (is_digit(*q))
                q++;
        }
    }
    char *clean = ev_alloc((size_t)(q - p) + 1);
    size_t n = 0;
    for (const char *c = p; c < q; c++) {
        if (*c != ',')
            clean[n++] = *c;
    }
    clean[n] = '\0';
    double v = strtod(clean, NULL);
    free(clean);
    return sign_before(s, p) * v;
}

enum word_kind { W_NONE, W_UNIT, W_TEEN, W_TEN, W_HUNDRED, W_SCALE, W_AND, W_MINUS };

static const struct number_word {
    const char *word;
    enum word_kind kind;
    double value;
} number_words[] = {
    {"zero", W_UNIT, 0},       {"one", W_UNIT, 1},          {"two", W_UNIT, 2},
    {"three", W_UNIT, 3},      {"four", W_UNIT, 4},         {"five", W_UNIT, 5},
    {"six", W_UNIT, 6},        {"seven", W_UNIT, 7},        {"eight", W_UNIT, 8},
    {"nine", W_UNIT, 9},       {"ten", W_TEEN, 10},         {"eleven", W_TEEN, 11},
    {"twelve", W_TEEN, 12},    {"thirteen", W_TEEN, 13},    {"fourteen", W_TEEN, 14},
    {"fifteen", W_TEEN, 15},   {"sixteen", W_TEEN, 16},     {"seventeen", W_TEEN, 17},
    {"eighteen", W_TEEN, 18},  {"nineteen", W_TEEN, 19},    {"twenty", W_TEN, 20},
    {"thirty", W_TEN, 30},     {"forty", W_TEN, 40},        {"fifty", W_TEN, 50},
    {"sixty", W_TEN, 60},      {"seventy", W_TEN, 70},      {"eighty", W_TEN, 80},
    {"ninety", W_TEN, 90},     {"hundred", W_HUNDRED, 100}, {"thousand", W_SCALE, 1e3},
    {"million", W_SCALE, 1e6}, {"billion", W_SCALE, 1e9},   {"trillion", W_SCALE, 1e12},
    {"and", W_AND, 0},         {"minus", W_MINUS, 0},       {"negative", W_MINUS, 0},
};

static enum word_kind
word_kind(const char *w, size_t n, double *value)
{
    for (size_t i = 0; i < sizeof(number_words) / sizeof(number_words[0]); i++) {
        if (strlen(number_words[i].word) == n && strncasecmp(w, number_words[i].word, n) == 0) {
            *value = number_words[i].value;
            return number_words[i].kind;
        }
    }
    return W_NONE;
}

/* word_follows says whether a word of kind 'k' may follow one of kind 'last'
 * in a number, given the value 'cur' of the group below a thousand so far. */
static bool
word_follows(enum word_kind last, enum word_kind k, double cur)
{
    switch (k) {
    case W_UNIT:
        return last != W_UNIT && last != W_TEEN;
    case W_TEEN:
        return last != W_UNIT && last != W_TEEN && last != W_TEN;
    case W_TEN:
        return last == W_NONE || last == W_MINUS || last == W_HUNDRED || last == W_SCALE ||
               last == W_AND;
    case W_HUNDRED:
        return last == W_NONE || last == W_MINUS ||
               ((last == W_UNIT || last == W_TEEN || last == W_TEN) && cur < 100);
    case W_SCALE:
        return last == W_UNIT || last == W_TEEN || last == W_TEN || last == W_HUNDRED;
    case W_AND:
        return last == W_HUNDRED || last == W_SCALE;
    case W_MINUS:
        return last == W_NONE;
    default:
        return false;
    }
}

/* words_at reads the number written in English words that starts at 'p',
 * a word boundary. */
static bool
words_at(const char *p, double *out)
{
    double total = 0, cur = 0, sign = 1, last_scale = INFINITY;
    enum word_kind last = W_NONE;
    bool any = false;

    for (const char *q = p;;) {
        size_t n = 0;
        while (is_alpha(q[n]))
            n++;
        double v = 0;
        enum word_kind k = n > 0 ? word_kind(q, n, &v) : W_NONE;
        if (k == W_NONE || !word_follows(last, k, cur) || (k == W_SCALE && v >= last_scale))
            break;
        if (k == W_MINUS) {
            sign = -1;
        } else if (k == W_HUNDRED) {
            cur = (cur == 0 ? 1 : cur) * 100;
        } else if (k == W_SCALE) {
            total += cur * v;
            cur = 0;
            last_scale = v;
        } else {
            cur += v;
        }
        any = any || (k != W_AND && k != W_MINUS);
        last = k;
        q += n;
        if (q[0] == '-' && is_alpha(q[1])) {
            q++;
        } else {
            while (*q == ' ')
                q++;
        }
    }
    if (any)
        *out = sign * (total + cur);
    return any;
}

bool
ev_extract_number(const char *s, double *out)
{
    for (const char *p = s; *p; p++) {
        if (is_digit(*p) || (*p == '.' && is_digit(p[1]) && (p == s || !is_digit(p[-1])))) {
            *out = digits_at(s, p);
            return true;
        }
    }
    for (const char *p = s; *p;) {
        if (is_alpha(*p) && (p == s || !is_alpha(p[-1]))) {
            if (words_at(p, out))
                return true;
            while (is_alpha(*p))
                p++;
        } else {
            p++;
        }
    }
    return false;
}

/* Characters that wrap a bare answer: brackets, Markdown emphasis, quotes. */
static bool
is_wrapper(char c)
{
    return c != '\0' && strchr("()[]{}*_\"'`", c) != NULL;
}

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* at_end says whether only blanks, wrappers and closing punctuation remain. */
static bool
at_end(const char *p)
{
    while (*p && (is_blank(*p) || is_wrapper(*p) || strchr(".!:;,", *p) != NULL))
        p++;
    return *p == '\0';
}

static char
upper(char c)
{
    return is_upper(c) ? c : (char)(c - 'a' + 'A');
}

/* lone_letter: the whole text is one letter, bare or wrapped. */
static bool
lone_letter(const char *s, char *out)
{
    while (*s && (is_blank(*s) || is_wrapper(*s)))
        s++;
    if (!is_alpha(s[0]) || !at_end(s + 1))
        return false;
    *out = upper(s[0]);
    return true;
}

/* letter_at accepts the letter at 'p' as an answer: it must stand alone, and
 * outside a wrapper a lower-case letter or "I" must also end the text. */
static bool
letter_at(const char *p, bool wrapped, char *out)
{
    if (!is_alpha(p[0]) || is_alnum(p[1]))
        return false;
    if (!wrapped && !at_end(p + 1) && (!is_upper(p[0]) || p[0] == 'I'))
        return false;
    *out = upper(p[0]);
    return true;
}

/* after_keyword reads the letter after "answer", "option" or "choice" at 'p'
 * (past the keyword): "Answer: B", "answer is (c)", "option - D". */
static bool
after_keyword(const char *p, char *out)
{
    bool wrapped = false;
    for (;;) {
        if (is_blank(*p) || *p == ':' || *p == '-' || *p == '=') {
            p++;
        } else if (strncasecmp(p, "is", 2) == 0 && !is_alnum(p[2])) {
            p += 2;
        } else if (is_wrapper(*p)) {
            wrapped = true;
            p++;
        } else {
            break;
        }
    }
    return letter_at(p, wrapped, out);
}

static bool
keyword_letter(const char *s, char *out)
{
    static const char *const keywords[] = {"answer", "option", "choice"};
    bool found = false;

    for (const char *p = s; *p; p++) {
        if (p > s && is_alpha(p[-1]))
            continue;
        for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
            size_t n = strlen(keywords[i]);
            char c;
            if (strncasecmp(p, keywords[i], n) == 0 && after_keyword(p + n, &c)) {
                *out = c;
                found = true;
            }
        }
    }
    return found;
}

/* leading_letter: "B) Paris", "(c) Rome", "D. Oslo", "**A**: Bern". */
static bool
leading_letter(const char *s, char *out)
{
    bool wrapped = false;
    while (is_blank(*s) || (is_wrapper(*s) && *s != ')' && *s != ']')) {
        wrapped = wrapped || is_wrapper(*s);
        s++;
    }
    if (!is_alpha(s[0]) || !(is_upper(s[0]) || wrapped))
        return false;
    char d = s[1];
    if (d == ')' || d == ']' || (d == '*' && wrapped) ||
        ((d == '.' || d == ':') && (is_blank(s[2]) || s[2] == '\0'))) {
        *out = upper(s[0]);
        return true;
    }
    return false;
}

/* wrapped_letter: the first "(B)", "[B]" or "*B*" anywhere. */
static bool
wrapped_letter(const char *s, char *out)
{
    static const char *const pairs[] = {"()", "[]", "**"};
    for (const char *p = s; p[0] && p[1] && p[2]; p++) {
        for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
            if (p[0] == pairs[i][0] && is_upper(p[1]) && p[2] == pairs[i][1]) {
                *out = p[1];
                return true;
            }
        }
    }
    return false;
}

bool
ev_extract_choice(const char *s, char *out)
{
    return lone_letter(s, out) || keyword_letter(s, out) || leading_letter(s, out) ||
           wrapped_letter(s, out);
}

static jv
parse_span(const char *p, size_t n)
{
    /* jv_parse_sized quotes its input on error as a C string, so it must be
     * NUL-terminated: parse a copy. */
    jv copy = jv_string_sized(p, (int)n);
    jv v = jv_parse_sized(jv_string_value(copy), jv_string_length_bytes(jv_copy(copy)));
    jv_free(copy);
    return v;
}

static jv
fenced(const char *s)
{
    const char *f = strstr(s, "```");
    if (f == NULL)
        return jv_invalid();
    const char *b = f + 3;
    while (is_alnum(*b) || *b == '_' || *b == '-')
        b++;
    const char *e = strstr(b, "```");
    return parse_span(b, e != NULL ? (size_t)(e - b) : strlen(b));
}

static jv
bracketed(const char *s)
{
    const char *open = strpbrk(s, "{[");
    const char *close = NULL;
    for (const char *p = s; *p; p++) {
        if (*p == '}' || *p == ']')
            close = p;
    }
    if (open == NULL || close == NULL || close < open)
        return jv_invalid();
    return parse_span(open, (size_t)(close - open) + 1);
}

jv
ev_extract_json(const char *s)
{
    jv whole = parse_span(s, strlen(s));
    if (jv_is_valid(whole))
        return whole;
    jv (*const fallbacks[])(const char *) = {fenced, bracketed};
    for (size_t i = 0; i < sizeof(fallbacks) / sizeof(fallbacks[0]); i++) {
        jv v = fallbacks[i](s);
        if (jv_is_valid(v)) {
            jv_free(whole);
            return v;
        }
        jv_free(v);
    }
    return jv_invalid_with_msg(ev_json_parse_error(whole));
}
