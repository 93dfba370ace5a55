#include "cache.h"
#include "alloc.h"
#include "diag.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#define ENTRY_MAX (64L * 1024 * 1024)

struct ev_cache {
    char *dir;
    unsigned char made[256 / 8]; /* subdirectories known to exist */
};

jv
ev_cache_default_dir(void)
{
    const char *d = getenv("EV_CACHE_DIR");
    if (d != NULL && *d != '\0')
        return jv_string(d);
    d = getenv("XDG_CACHE_HOME");
    if (d != NULL && *d == '/')
        return jv_string_fmt("%s/ev", d);
    d = getenv("HOME");
    if (d != NULL && *d != '\0')
        return jv_string_fmt("%s/.cache/ev", d);
    return jv_invalid_with_msg(jv_string("no cache directory: set EV_CACHE_DIR or HOME"));
}

/* mkdirs makes 'path' and its missing parents with mode 0700. */
static int
mkdirs(const char *path)
{
    char *p = ev_alloc_strdup(path);
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            int e = errno;
            free(p);
            errno = e;
            return -1;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    free(p);
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

ev_cache *
ev_cache_open(const char *dir, jv *err)
{
    if (dir == NULL || *dir == '\0') {
        *err = jv_invalid_with_msg(jv_string("the cache directory is empty"));
        return NULL;
    }
    if (mkdirs(dir) != 0) {
        *err = jv_invalid_with_msg(
            jv_string_fmt("cannot make cache directory '%s': %s", dir, strerror(errno)));
        return NULL;
    }
    ev_cache *c = ev_alloc_zero(1, sizeof(*c));
    c->dir = ev_alloc_strdup(dir);
    size_t n = strlen(c->dir);
    while (n > 1 && c->dir[n - 1] == '/')
        c->dir[--n] = '\0';
    return c;
}

const char *
ev_cache_dir(const ev_cache *c)
{
    return c->dir;
}

void
ev_cache_key(const char *provider, const char *base, int sample, const char *body, size_t len,
             char out[EV_CACHE_KEY_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char head[64];
    int hn = snprintf(head, sizeof(head), "\n%d\n", sample);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL)
        ev_out_of_memory();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, "ev-call cache 1\n", 16);
    EVP_DigestUpdate(ctx, provider, strlen(provider));
    EVP_DigestUpdate(ctx, "\n", 1);
    EVP_DigestUpdate(ctx, base, strlen(base));
    EVP_DigestUpdate(ctx, head, (size_t)hn);
    EVP_DigestUpdate(ctx, body, len);
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    for (unsigned int i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[EV_CACHE_KEY_LEN] = '\0';
}

/* entry_path returns DIR/ab/KEY.json. */
static jv
entry_path(const ev_cache *c, const char *key)
{
    return jv_string_fmt("%s/%.2s/%s.json", c->dir, key, key);
}

static bool
valid_key(const char *key)
{
    return strlen(key) == EV_CACHE_KEY_LEN && strspn(key, "0123456789abcdef") == EV_CACHE_KEY_LEN;
}

/* read_json returns the JSON text of the regular file 'path', of at most
 * 'max' bytes, parsed; invalid when it cannot. */
static jv
read_json(const char *path, off_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return jv_invalid();
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > max) {
        close(fd);
        return jv_invalid();
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *buf = ev_alloc(size + 1);
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    jv v = got == size ? jv_parse_sized(buf, (int)got) : jv_invalid();
    free(buf);
    return v;
}

jv
ev_cache_get(ev_cache *c, const char *key)
{
    if (!valid_key(key))
        return jv_invalid();
    jv path = entry_path(c, key);
    jv v = read_json(jv_string_value(path), ENTRY_MAX);
    jv_free(path);
    jv out = jv_get_kind(v) == JV_KIND_OBJECT ? jv_object_get(jv_copy(v), jv_string("output"))
                                              : jv_invalid();
    bool ok = jv_get_kind(out) == JV_KIND_STRING;
    jv_free(out);
    if (!ok) {
        jv_free(v);
        return jv_invalid();
    }
    return v;
}

bool
ev_cache_has(ev_cache *c, const char *key)
{
    jv v = ev_cache_get(c, key);
    bool yes = jv_is_valid(v);
    jv_free(v);
    return yes;
}

/* subdir makes DIR/ab once per run. */
static bool
subdir(ev_cache *c, const char *key, jv *err)
{
    unsigned b = (unsigned)strtoul((char[3]){key[0], key[1], '\0'}, NULL, 16);
    if (c->made[b / 8] & (1u << (b % 8)))
        return true;
    jv d = jv_string_fmt("%s/%.2s", c->dir, key);
    bool ok = mkdir(jv_string_value(d), 0700) == 0 || errno == EEXIST;
    if (!ok)
        *err = jv_invalid_with_msg(jv_string_fmt("cannot make cache directory '%s': %s",
                                                 jv_string_value(d), strerror(errno)));
    jv_free(d);
    if (ok)
        c->made[b / 8] |= (unsigned char)(1u << (b % 8));
    return ok;
}

static bool
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* write_atomic writes 'text' to 'path' through a temporary file made from
 * the mkstemp pattern 'tmp' in the same directory, so that no reader ever
 * sees half of it; with 'durable', it is on disk before the rename. */
static bool
write_atomic(const char *path, const char *tmp, const char *text, bool durable, jv *err)
{
    char *t = ev_alloc_strdup(tmp);
    int fd = t ? mkstemp(t) : -1;
    bool ok = fd >= 0;
    int e = errno;
    if (ok) {
        ok = write_all(fd, text, strlen(text)) && (!durable || fsync(fd) == 0);
        e = errno;
        if (close(fd) != 0 && ok) {
            ok = false;
            e = errno;
        }
        if (ok && rename(t, path) != 0) {
            ok = false;
            e = errno;
        }
        if (!ok)
            unlink(t);
    }
    if (!ok)
        *err = jv_invalid_with_msg(
            jv_string_fmt("cannot write '%s': %s", path, strerror(e ? e : EIO)));
    free(t);
    return ok;
}

bool
ev_cache_put(ev_cache *c, const char *key, jv entry, jv *err)
{
    if (!valid_key(key)) {
        jv_free(entry);
        *err = jv_invalid_with_msg(jv_string("bad cache key"));
        return false;
    }
    if (!subdir(c, key, err)) {
        jv_free(entry);
        return false;
    }
    jv text = jv_string_append_str(jv_dump_string(entry, 0), "\n");
    jv path = entry_path(c, key);
    jv tmp = jv_string_fmt("%s/%.2s/.%s.XXXXXX", c->dir, key, key);
    bool ok = write_atomic(jv_string_value(path), jv_string_value(tmp), jv_string_value(text),
                           false, err);
    jv_free(tmp);
    jv_free(path);
    jv_free(text);
    return ok;
}

/* Batch states. */

static jv
state_path(const ev_cache *c, const char *name)
{
    return jv_string_fmt("%s/batches/%s.json", c->dir, name);
}

jv
ev_cache_state_get(ev_cache *c, const char *name)
{
    if (!valid_key(name))
        return jv_invalid();
    jv path = state_path(c, name);
    errno = 0;
    jv v = read_json(jv_string_value(path), 1L << 30);
    int e = errno;
    if (jv_get_kind(v) != JV_KIND_OBJECT) {
        jv_free(v);
        v = e == ENOENT ? jv_invalid()
                        : jv_invalid_with_msg(jv_string_fmt(
                              "cannot read the batch state '%s': it exists, but is not readable "
                              "JSON%s%s",
                              jv_string_value(path), e ? ": " : "", e ? strerror(e) : ""));
    }
    jv_free(path);
    return v;
}

bool
ev_cache_state_put(ev_cache *c, const char *name, jv state, jv *err)
{
    if (!valid_key(name)) {
        jv_free(state);
        *err = jv_invalid_with_msg(jv_string("bad batch state name"));
        return false;
    }
    jv d = jv_string_fmt("%s/batches", c->dir);
    if (mkdir(jv_string_value(d), 0700) != 0 && errno != EEXIST) {
        *err = jv_invalid_with_msg(
            jv_string_fmt("cannot make directory '%s': %s", jv_string_value(d), strerror(errno)));
        jv_free(d);
        jv_free(state);
        return false;
    }
    jv text = jv_string_append_str(jv_dump_string(state, 0), "\n");
    jv path = state_path(c, name);
    jv tmp = jv_string_fmt("%s/.%s.XXXXXX", jv_string_value(d), name);
    bool ok =
        write_atomic(jv_string_value(path), jv_string_value(tmp), jv_string_value(text), true, err);
    jv_free(tmp);
    jv_free(path);
    jv_free(text);
    jv_free(d);
    return ok;
}

void
ev_cache_state_remove(ev_cache *c, const char *name)
{
    if (!valid_key(name))
        return;
    jv path = state_path(c, name);
    unlink(jv_string_value(path));
    jv_free(path);
}

void
ev_cache_close(ev_cache *c)
{
    if (c == NULL)
        return;
    free(c->dir);
    free(c);
}
