#include "url.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* authority finds the host part of 'url': '*start' is where the authority
 * begins (after "scheme://" and any user info) and '*end' where it ends.
 * Returns false unless the scheme is http or https. */
static bool
authority(const char *url, const char **start, const char **end)
{
    const char *p;
    if (strncasecmp(url, "http://", 7) == 0)
        p = url + 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        p = url + 8;
    else
        return false;
    const char *e = p + strcspn(p, "/?#");
    const char *at = memchr(p, '@', (size_t)(e - p));
    if (at != NULL)
        p = at + 1;
    *start = p;
    *end = e;
    return true;
}

jv
ev_url_host(const char *url)
{
    const char *p, *e;
    if (url == NULL || !authority(url, &p, &e) || p == e)
        return jv_invalid_with_msg(jv_string("not an http:// or https:// URL with a host"));
    const char *hs = p, *he;
    if (*p == '[') {
        hs = p + 1;
        he = memchr(hs, ']', (size_t)(e - hs));
        if (he == NULL)
            return jv_invalid_with_msg(jv_string("unclosed '[' in the host"));
    } else {
        he = memchr(p, ':', (size_t)(e - p));
        if (he == NULL)
            he = e;
    }
    if (he == hs)
        return jv_invalid_with_msg(jv_string("the URL has no host"));
    jv h = jv_string("");
    for (const char *c = hs; c < he; c++) {
        char lc = (char)tolower((unsigned char)*c);
        h = jv_string_append_buf(h, &lc, 1);
    }
    return h;
}

jv
ev_url_normalize(const char *url)
{
    const char *p, *e;
    if (url == NULL || !authority(url, &p, &e))
        return jv_invalid_with_msg(jv_string("not an http:// or https:// URL"));
    jv host = ev_url_host(url);
    if (!jv_is_valid(host))
        return host;
    jv_free(host);
    if (e[0] == '?' || e[0] == '#' || strpbrk(e, "?#") != NULL)
        return jv_invalid_with_msg(jv_string("a base URL has no query or fragment"));
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return jv_invalid_with_msg(jv_string("the URL contains a space or control character"));
    jv out = jv_string("");
    for (const char *c = url; c < e; c++) {
        char lc = (char)tolower((unsigned char)*c);
        out = jv_string_append_buf(out, &lc, 1);
    }
    size_t n = strlen(e);
    while (n > 0 && e[n - 1] == '/')
        n--;
    return jv_string_append_buf(out, e, (int)n);
}

bool
ev_url_is_https(const char *url)
{
    return url != NULL && strncasecmp(url, "https://", 8) == 0;
}

bool
ev_url_is_loopback(const char *url)
{
    jv h = ev_url_host(url);
    if (!jv_is_valid(h)) {
        jv_free(h);
        return false;
    }
    const char *s = jv_string_value(h);
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '.')
        n--; /* "localhost." is localhost */
    bool yes = false;
    if ((n == 9 && strncmp(s, "localhost", 9) == 0) ||
        (n > 10 && strncmp(s + n - 10, ".localhost", 10) == 0))
        yes = true;
    else if (strcmp(s, "::1") == 0 || strcmp(s, "0:0:0:0:0:0:0:1") == 0)
        yes = true;
    else if (strncmp(s, "127.", 4) == 0) {
        /* Four dotted decimal parts, each 0-255. */
        int parts = 0, val = -1;
        yes = true;
        for (const char *c = s;; c++) {
            if (isdigit((unsigned char)*c)) {
                val = (val < 0 ? 0 : val * 10) + (*c - '0');
                if (val > 255)
                    yes = false;
            } else if (*c == '.' || *c == '\0') {
                if (val < 0)
                    yes = false;
                parts++;
                val = -1;
                if (*c == '\0')
                    break;
            } else {
                yes = false;
            }
        }
        yes = yes && parts == 4;
    }
    jv_free(h);
    return yes;
}

jv
ev_url_escape(const char *s, bool keep_slash)
{
    jv out = jv_string("");
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        char hex[4];
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL ||
                     (keep_slash && *p == '/');
        if (plain)
            out = jv_string_append_buf(out, (const char *)p, 1);
        else {
            snprintf(hex, sizeof(hex), "%%%02X", *p);
            out = jv_string_append_str(out, hex);
        }
    }
    return out;
}
