#include "template.h"

#include "alloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A part is literal text, or a placeholder when 'path' is set. */
typedef struct part {
    char *text; /* the literal, or the placeholder's path as written */
    size_t len;
    jv path; /* array of names, or invalid for a literal */
} part;

struct ev_template {
    char *name;
    part *parts;
    size_t nparts;
};

static char *
xmemdup(const char *s, size_t n)
{
    char *p = ev_alloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void
add_part(ev_template *t, const char *text, size_t len, jv path)
{
    t->parts = ev_alloc_resize(t->parts, (t->nparts + 1) * sizeof(*t->parts));
    t->parts[t->nparts++] = (part){xmemdup(text, len), len, path};
}

static bool
name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* parse_path reads "name(.name)*" from the 'n' bytes at 's', trimmed of
 * spaces, into an array of names; invalid when malformed. */
static jv
parse_path(const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    jv names = jv_array();
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && name_char(s[j]))
            j++;
        if (j == i || (j < n && s[j] != '.')) {
            jv_free(names);
            return jv_invalid();
        }
        names = jv_array_append(names, jv_string_sized(s + i, (int)(j - i)));
        i = j + 1;
    }
    return names;
}

static unsigned long
line_of(const char *text, const char *at)
{
    unsigned long line = 1;
    for (const char *p = text; p < at; p++)
        line += *p == '\n';
    return line;
}

ev_template *
ev_template_parse(const char *name, const char *text, size_t len, jv *err)
{
    ev_template *t = ev_alloc(sizeof(*t));
    *t = (ev_template){xmemdup(name, strlen(name)), NULL, 0};
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *open = memmem(p, (size_t)(end - p), "{{", 2);
        if (open == NULL) {
            add_part(t, p, (size_t)(end - p), jv_invalid());
            break;
        }
        if (open > p)
            add_part(t, p, (size_t)(open - p), jv_invalid());
        const char *close = memmem(open + 2, (size_t)(end - open - 2), "}}", 2);
        const char *nl = memchr(open + 2, '\n', (size_t)(end - open - 2));
        jv path = close != NULL && (nl == NULL || nl > close)
                      ? parse_path(open + 2, (size_t)(close - open - 2))
                      : jv_invalid();
        if (!jv_is_valid(path)) {
            jv_free(path);
            /* Quote to the end of the line or of the text, which need not
             * end with a NUL. */
            size_t show = close != NULL && (nl == NULL || nl > close)
                              ? (size_t)(close + 2 - open)
                              : (size_t)((nl != NULL ? nl : end) - open);
            if (show > 60)
                show = 60;
            *err = jv_invalid_with_msg(
                jv_string_fmt("template '%s':%lu: bad placeholder '%.*s': want {{field}} or "
                              "{{field.name}}",
                              name, line_of(text, open), (int)show, open));
            ev_template_free(t);
            return NULL;
        }
        add_part(t, open, (size_t)(close + 2 - open), path);
        p = close + 2;
    }
    return t;
}

ev_template *
ev_template_load(const char *path, jv *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        *err = jv_invalid_with_msg(
            jv_string_fmt("cannot open template '%s': %s", path, strerror(errno)));
        return NULL;
    }
    char *buf = NULL;
    size_t cap = 0, len = 0, n;
    do {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = ev_alloc_resize(buf, cap);
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    bool bad = ferror(f);
    int e = errno;
    fclose(f);
    if (bad) {
        free(buf);
        *err =
            jv_invalid_with_msg(jv_string_fmt("cannot read template '%s': %s", path, strerror(e)));
        return NULL;
    }
    /* A text file ends with a newline; the prompt does not. */
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    ev_template *t = ev_template_parse(path, buf ? buf : "", len, err);
    free(buf);
    return t;
}

/* lookup follows the names of 'path' (borrowed) from 'rec' (borrowed). */
static jv
lookup(jv rec, jv path)
{
    jv cur = jv_copy(rec);
    jv_array_foreach(path, i, name)
    {
        const char *s = jv_string_value(name);
        if (jv_get_kind(cur) == JV_KIND_OBJECT) {
            cur = jv_object_get(cur, name);
        } else if (jv_get_kind(cur) == JV_KIND_ARRAY && isdigit((unsigned char)s[0]) &&
                   strspn(s, "0123456789") == strlen(s) && strlen(s) < 9) {
            int k = (int)strtol(s, NULL, 10);
            jv_free(name);
            if (k >= jv_array_length(jv_copy(cur))) {
                jv_free(cur);
                return jv_invalid();
            }
            cur = jv_array_get(cur, k);
        } else {
            jv_free(name);
            jv_free(cur);
            return jv_invalid();
        }
        if (!jv_is_valid(cur))
            return cur;
        (void)i;
    }
    return cur;
}

jv
ev_template_render(const ev_template *t, jv rec)
{
    jv out = jv_string("");
    for (size_t i = 0; i < t->nparts; i++) {
        const part *pt = &t->parts[i];
        if (!jv_is_valid(pt->path)) {
            out = jv_string_append_buf(out, pt->text, (int)pt->len);
            continue;
        }
        jv v = lookup(rec, pt->path);
        if (!jv_is_valid(v)) {
            jv_free(v);
            jv_free(out);
            return jv_invalid_with_msg(jv_string_fmt(
                "template '%s': the record has nothing for placeholder '%s'", t->name, pt->text));
        }
        out = jv_string_concat(out, jv_get_kind(v) == JV_KIND_STRING ? v : jv_dump_string(v, 0));
    }
    return out;
}

void
ev_template_free(ev_template *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nparts; i++) {
        free(t->parts[i].text);
        jv_free(t->parts[i].path);
    }
    free(t->parts);
    free(t->name);
    free(t);
}
