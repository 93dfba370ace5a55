#include "secret.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "alloc.h"
#include "url.h"

/* read_line reads the first line of 'path' without its line end and
 * trailing blanks into '*out'; false with '*err' set when it cannot. */
static bool
read_line(const char *path, char **out, jv *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        *err = jv_invalid_with_msg(
            jv_string_fmt("--api-key-file: cannot open '%s': %s", path, strerror(errno)));
        return false;
    }
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
        line = NULL;
    }
    while (n > 0 && strchr("\r\n \t", line[n - 1]) != NULL)
        n--;
    if (bad || n <= 0) {
        if (n >= 0)
            ev_secret_free(line);
        *err = jv_invalid_with_msg(bad ? jv_string_fmt("--api-key-file: cannot read '%s'", path)
                                       : jv_string_fmt("--api-key-file: '%s' is empty", path));
        return false;
    }
    line[n] = '\0';
    *out = line;
    return true;
}

bool
ev_secret_read(const char *file, const char *env, const char *default_env, char **key,
               const char **source, jv *err)
{
    const char *name = file != NULL ? file : env != NULL ? env : default_env;
    if (source != NULL)
        *source = name;
    *key = NULL;
    char *k;
    if (file != NULL) {
        if (!read_line(file, &k, err))
            return false;
    } else {
        const char *v = getenv(name);
        if (v == NULL || *v == '\0') {
            if (env == NULL)
                return true;
            *err = jv_invalid_with_msg(
                jv_string_fmt("--api-key-env: environment variable '%s' is not set", env));
            return false;
        }
        k = ev_alloc_strdup(v);
    }
    for (const char *p = k; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            ev_secret_free(k);
            *err = jv_invalid_with_msg(
                jv_string_fmt("the API key from '%s' contains a control character", name));
            return false;
        }
    }
    /* No core dump from now on: it would hold the key. Lowering a limit
     * cannot fail for a valid resource. */
    struct rlimit none = {0, 0};
    (void)setrlimit(RLIMIT_CORE, &none);
    *key = k;
    return true;
}

void
ev_secret_free(char *key)
{
    if (key == NULL)
        return;
    explicit_bzero(key, strlen(key));
    free(key);
}

jv
ev_secret_redact(jv text, const char *key)
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
ev_secret_may_send(const char *url, bool insecure_ok)
{
    return ev_url_is_https(url) || ev_url_is_loopback(url) || insecure_ok;
}

bool
ev_secret_may_proxy(const char *url)
{
    return ev_url_is_https(url) && !ev_url_is_loopback(url);
}

bool
ev_secret_check(const char *base, const char *key, bool insecure_ok, const char *remedy, jv *err)
{
    if (key == NULL || ev_secret_may_send(base, insecure_ok))
        return true;
    jv host = ev_url_host(base);
    *err = jv_invalid_with_msg(
        jv_string_fmt("refusing to send the API key over plain http to '%s': use https, or %s",
                      jv_is_valid(host) ? jv_string_value(host) : base, remedy));
    jv_free(host);
    return false;
}

jv
ev_secret_base(const char *given, const char *env, const char *fallback)
{
    const char *base = given;
    if (base == NULL && env != NULL)
        base = getenv(env);
    if (base == NULL || *base == '\0')
        base = fallback;
    jv norm = ev_url_normalize(base);
    if (jv_is_valid(norm))
        return norm;
    jv m = jv_invalid_get_msg(norm);
    jv out = jv_invalid_with_msg(jv_string_fmt(
        "bad base URL '%s': %s", base,
        jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "not an http or https URL"));
    jv_free(m);
    return out;
}
