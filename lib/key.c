#include "key.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "alloc.h"
#include "diag.h"
#include "ev.h"
#include "url.h"

/* read_line returns the first line of 'path' without its line end and
 * trailing blanks. */
static char *
read_line(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        ev_diag_usage_error("--api-key-file: cannot open '%s': %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    bool bad = ferror(f);
    fclose(f);
    if (n < 0) {
        /* getline leaves its buffer unterminated when nothing is read */
        if (line != NULL)
            explicit_bzero(line, cap);
        free(line);
        if (bad)
            ev_diag_usage_error("--api-key-file: cannot read '%s'", path);
        ev_diag_usage_error("--api-key-file: '%s' is empty", path);
    }
    if (bad) {
        ev_key_free(line);
        ev_diag_usage_error("--api-key-file: cannot read '%s'", path);
    }
    while (n > 0 && strchr("\r\n \t", line[n - 1]) != NULL)
        n--;
    if (n == 0) {
        ev_key_free(line);
        ev_diag_usage_error("--api-key-file: '%s' is empty", path);
    }
    line[n] = '\0';
    return line;
}

char *
ev_key_read(const char *file, const char *env, const char *default_env, const char **source)
{
    const char *name = file != NULL ? file : env != NULL ? env : default_env;
    if (source != NULL)
        *source = name;
    char *key;
    if (file != NULL) {
        key = read_line(file);
    } else {
        const char *v = getenv(name);
        if (v == NULL || *v == '\0') {
            if (env != NULL)
                ev_diag_usage_error("--api-key-env: environment variable '%s' is not set", env);
            return NULL;
        }
        key = ev_alloc_strdup(v);
    }
    for (const char *p = key; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            ev_key_free(key);
            ev_diag_usage_error("the API key from '%s' contains a control character", name);
        }
    /* No core dump from now on: it would hold the key. */
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_CORE, &none) != 0)
        ev_diag_warn("cannot turn off core dumps: %s", strerror(errno));
    return key;
}

void
ev_key_free(char *key)
{
    if (key == NULL)
        return;
    explicit_bzero(key, strlen(key));
    free(key);
}

jv
ev_key_redact(jv text, const char *key)
{
    size_t n = key != NULL ? strlen(key) : 0;
    if (n == 0 || jv_get_kind(text) != JV_KIND_STRING)
        return text;
    /* A prefix shorter than the key would cut ordinary words. */
    size_t prefix = n < 8 ? n : 8;
    const char *s = jv_string_value(text);
    int len = jv_string_length_bytes(jv_copy(text));
    const char *end = s + len, *p = s;
    jv out = jv_string("");
    while (p < end) {
        const char *hit = memmem(p, (size_t)(end - p), key, prefix);
        if (hit == NULL) {
            out = jv_string_append_buf(out, p, (int)(end - p));
            break;
        }
        out = jv_string_append_buf(out, p, (int)(hit - p));
        out = jv_string_append_str(out, "[redacted]");
        if ((size_t)(end - hit) >= n && memcmp(hit, key, n) == 0)
            p = hit + n;
        else
            p = hit + prefix + strcspn(hit + prefix, " \t\r\n\"',;");
        if (p > end)
            p = end;
    }
    jv_free(text);
    return out;
}

bool
ev_key_may_send(const char *url, bool insecure_ok)
{
    return ev_url_is_https(url) || ev_url_is_loopback(url) || insecure_ok;
}

bool
ev_key_may_proxy(const char *url)
{
    return ev_url_is_https(url) && !ev_url_is_loopback(url);
}
