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

/* read_line returns the first line of 'path' without its line end and
 * trailing blanks. */
static char *
read_line(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        ev_usage_error("--api-key-file: cannot open '%s': %s", path, strerror(errno));
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
            ev_usage_error("--api-key-file: cannot read '%s'", path);
        ev_usage_error("--api-key-file: '%s' is empty", path);
    }
    if (bad) {
        ev_key_free(line);
        ev_usage_error("--api-key-file: cannot read '%s'", path);
    }
    while (n > 0 && strchr("\r\n \t", line[n - 1]) != NULL)
        n--;
    if (n == 0) {
        ev_key_free(line);
        ev_usage_error("--api-key-file: '%s' is empty", path);
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
                ev_usage_error("--api-key-env: environment variable '%s' is not set", env);
            return NULL;
        }
        key = ev_alloc_strdup(v);
    }
    for (const char *p = key; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            ev_key_free(key);
            ev_usage_error("the API key from '%s' contains a control character", name);
        }
    /* No core dump from now on: it would hold the key. */
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_CORE, &none) != 0)
        ev_warn("cannot turn off core dumps: %s", strerror(errno));
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
