#include "cache.h"
#include "alloc.h"
#include "diag.h"
#include "json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#define ENTRY_MAX (64L * 1024 * 1024)
#define STATE_MAX (1L << 30)
#define LOCK_TRIES 100 /* a file swept away under a lock is made again */

static const char hexdigits[] = "0123456789abcdef";

struct ev_cache {
    char *dir;
    unsigned char made[256 / 8]; /* subdirectories made and swept this run */
    bool batches_made;
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
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char head[64];
    int hn = snprintf(head, sizeof(head), "\n%d\n", sample);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL)
        ev_diag_out_of_memory();
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
        out[2 * i] = hexdigits[md[i] >> 4];
        out[2 * i + 1] = hexdigits[md[i] & 15];
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
    return strlen(key) == EV_CACHE_KEY_LEN && strspn(key, hexdigits) == EV_CACHE_KEY_LEN;
}

/* Files. */

static const char *
kind_of(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISCHR(m) || S_ISBLK(m))
        return "a device";
    if (S_ISLNK(m))
        return "a symbolic link";
    return "not a regular file";
}

/* unreadable returns, for a file that could not be looked at, invalid
 * when errno says it is not there, else invalid with errno's message. */
static jv
unreadable(void)
{
    if (errno == ENOENT)
        return jv_invalid();
    return jv_invalid_with_msg(jv_string_fmt("cannot read it: %s", strerror(errno)));
}

/* read_json returns the JSON text of the regular file 'path', of at most
 * 'max' bytes, parsed. When there is no such file it returns invalid; when
 * something else is there, invalid with a message saying what: not a
 * regular file, unreadable, empty, too large or not JSON. It opens no
 * file but a regular one (a FIFO would block, a device could do anything)
 * and follows no symbolic link; the file is checked again once open, in
 * case it was replaced in between. */
static jv
read_json(const char *path, off_t max)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return unreadable();
    if (!S_ISREG(st.st_mode))
        return jv_invalid_with_msg(jv_string_fmt("it is %s", kind_of(st.st_mode)));
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return unreadable();
    jv bad = jv_null();
    if (fstat(fd, &st) != 0)
        bad = jv_string_fmt("cannot read it: %s", strerror(errno));
    else if (!S_ISREG(st.st_mode))
        bad = jv_string_fmt("it is %s", kind_of(st.st_mode));
    else if (st.st_size == 0)
        bad = jv_string("it is empty");
    else if (st.st_size > max)
        bad = jv_string("it is too large");
    if (jv_get_kind(bad) == JV_KIND_STRING) {
        close(fd);
        return jv_invalid_with_msg(bad);
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *buf = ev_alloc(size + 1);
    int e = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            e = n < 0 ? errno : 0;
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    jv v;
    if (got < size)
        v = jv_invalid_with_msg(jv_string_fmt("cannot read it: %s", e ? strerror(e) : "cut short"));
    else if (!jv_is_valid(v = jv_parse_sized(buf, (int)got))) {
        jv_free(v);
        v = jv_invalid_with_msg(jv_string("it is not JSON"));
    }
    free(buf);
    return v;
}

/* same_file says whether 'path' is still the file open as 'fd'. */
static bool
same_file(int fd, int dirfd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && fstatat(dirfd, path, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* What lock_file found. */
enum lock { LOCK_HELD, LOCK_BUSY, LOCK_STALE, LOCK_NONE };

/* lock_file takes the lock of the file open as 'fd', named 'path', waiting
 * for it with 'wait': LOCK_HELD when this process now holds it and 'path'
 * still names the file; LOCK_BUSY when another open file holds it;
 * LOCK_STALE when 'path' was removed, or made again, before the lock was
 * had (open it again); LOCK_NONE when this file system has no locks, which
 * leaves the file unlocked. */
static enum lock
lock_file(int fd, const char *path, bool wait)
{
    int rc;
    while ((rc = flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB))) != 0 && errno == EINTR)
        ;
    if (rc != 0 && errno != EWOULDBLOCK)
        return LOCK_NONE;
    if (!same_file(fd, AT_FDCWD, path))
        return LOCK_STALE;
    return rc == 0 ? LOCK_HELD : LOCK_BUSY;
}

/* is_leftover says whether 'name' is a temporary file (.KEY.XXXXXX) or a
 * claim (.KEY.claim) of this module. */
static bool
is_leftover(const char *name)
{
    if (name[0] != '.' || strspn(name + 1, hexdigits) != EV_CACHE_KEY_LEN ||
        name[EV_CACHE_KEY_LEN + 1] != '.')
        return false;
    const char *tail = name + EV_CACHE_KEY_LEN + 2;
    return strcmp(tail, "claim") == 0 ||
           (strlen(tail) == 6 && strspn(tail, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789") == 6);
}

/* sweep removes from directory 'dir' the temporary files and claims that
 * no process holds: what a killed run left. One that a live process holds
 * is locked, and stays. */
static void
sweep(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    int dfd = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_leftover(e->d_name))
            continue;
        int fd = openat(dfd, e->d_name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
            same_file(fd, dfd, e->d_name))
            unlinkat(dfd, e->d_name, 0);
        close(fd);
    }
    closedir(d);
}

/* subdir makes DIR/ab when 'make', and sweeps it, once per run. Without
 * 'make' it only sweeps, for a reader that found an entry there. */
static bool
subdir(ev_cache *c, const char *key, bool make, jv *err)
{
    unsigned b = (unsigned)(strchr(hexdigits, key[0]) - hexdigits) * 16 +
                 (unsigned)(strchr(hexdigits, key[1]) - hexdigits);
    if (c->made[b / 8] & (1u << (b % 8)))
        return true;
    jv d = jv_string_fmt("%s/%.2s", c->dir, key);
    bool ok = !make || mkdir(jv_string_value(d), 0700) == 0 || errno == EEXIST;
    if (ok)
        sweep(jv_string_value(d));
    else
        *err = jv_invalid_with_msg(jv_string_fmt("cannot make cache directory '%s': %s",
                                                 jv_string_value(d), strerror(errno)));
    jv_free(d);
    if (ok)
        c->made[b / 8] |= (unsigned char)(1u << (b % 8));
    return ok;
}

/* batches_dir makes DIR/batches, and sweeps it, once per run. */
static jv
batches_dir(ev_cache *c, jv *err)
{
    jv d = jv_string_fmt("%s/batches", c->dir);
    if (c->batches_made)
        return d;
    if (mkdir(jv_string_value(d), 0700) != 0 && errno != EEXIST) {
        *err = jv_invalid_with_msg(
            jv_string_fmt("cannot make directory '%s': %s", jv_string_value(d), strerror(errno)));
        jv_free(d);
        return jv_invalid();
    }
    sweep(jv_string_value(d));
    c->batches_made = true;
    return d;
}

static bool
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* make_temp makes a temporary file from the mkstemp pattern 'tmp' (which
 * it fills in) and locks it, so that no other run's sweep takes it for a
 * leftover; -1 when it cannot. */
static int
make_temp(char *tmp)
{
    size_t n = strlen(tmp);
    for (int i = 0; i < LOCK_TRIES; i++) {
        memcpy(tmp + n - 6, "XXXXXX", 6);
        int fd = mkstemp(tmp);
        if (fd < 0)
            return -1;
        if (lock_file(fd, tmp, true) != LOCK_STALE)
            return fd;
        close(fd); /* swept before it was locked */
    }
    errno = EAGAIN;
    return -1;
}

/* write_atomic writes 'text' to 'path' through a temporary file made from
 * the mkstemp pattern 'tmp' in the same directory, so that no reader ever
 * sees half of it; with 'durable', it is on disk before the rename. */
static bool
write_atomic(const char *path, const char *tmp, const char *text, bool durable, jv *err)
{
    char *t = ev_alloc_strdup(tmp);
    int fd = make_temp(t);
    bool ok = fd >= 0;
    int e = errno;
    if (ok) {
        ok = write_all(fd, text, strlen(text)) && (!durable || fsync(fd) == 0);
        e = errno;
        if (ok && rename(t, path) != 0) {
            ok = false;
            e = errno;
        }
        if (!ok)
            unlink(t);
        if (close(fd) != 0 && ok) { /* a write-back error, on some file systems */
            ok = false;
            e = errno;
        }
    }
    if (!ok)
        *err = jv_invalid_with_msg(
            jv_string_fmt("cannot write '%s': %s", path, strerror(e ? e : EIO)));
    free(t);
    return ok;
}

/* Entries. */

/* What a number of an entry may be. */
static const struct {
    const char *name;
    double lo, hi;
    bool whole;
} entry_numbers[] = {
    {"version", 1, 1, true},
    {"sample", 0, EV_CACHE_MAX_SAMPLE, true},
    {"attempts", 1, EV_CACHE_MAX_ATTEMPTS, true},
    {"latency_ms", 0, EV_CACHE_MAX_LATENCY_MS, false},
    {"input_tokens", 0, EV_CACHE_MAX_TOKENS, true},
    {"output_tokens", 0, EV_CACHE_MAX_TOKENS, true},
    {"cached_tokens", 0, EV_CACHE_MAX_TOKENS, true},
};

static const char *const entry_strings[] = {"provider", "model", "finish_reason", "batch", "time"};

/* entry_problem says what is wrong with the entry 'v' (borrowed), or
 * returns null when nothing is. */
static jv
entry_problem(jv v)
{
    if (jv_get_kind(v) != JV_KIND_OBJECT)
        return jv_string("it is not a JSON object");
    jv out = ev_json_field(v, "output");
    bool text = jv_get_kind(out) == JV_KIND_STRING;
    jv_free(out);
    if (!text)
        return jv_string("'output' is not a string");
    for (size_t i = 0; i < sizeof(entry_numbers) / sizeof(entry_numbers[0]); i++) {
        jv x = ev_json_field(v, entry_numbers[i].name);
        jv_kind k = jv_get_kind(x);
        double d = k == JV_KIND_NUMBER ? jv_number_value(x) : NAN;
        jv_free(x);
        if (k == JV_KIND_INVALID || k == JV_KIND_NULL)
            continue;
        if (!(d >= entry_numbers[i].lo && d <= entry_numbers[i].hi) ||
            (entry_numbers[i].whole && d != floor(d)))
            return jv_string_fmt("'%s' is not a %s from %.15g to %.15g", entry_numbers[i].name,
                                 entry_numbers[i].whole ? "whole number" : "number",
                                 entry_numbers[i].lo, entry_numbers[i].hi);
    }
    for (size_t i = 0; i < sizeof(entry_strings) / sizeof(entry_strings[0]); i++) {
        jv x = ev_json_field(v, entry_strings[i]);
        jv_kind k = jv_get_kind(x);
        jv_free(x);
        if (k != JV_KIND_INVALID && k != JV_KIND_NULL && k != JV_KIND_STRING)
            return jv_string_fmt("'%s' is not a string", entry_strings[i]);
    }
    return jv_null();
}

/* lookup reads the entry of 'key': see ev_cache_get. */
static jv
lookup(ev_cache *c, const char *key)
{
    if (!valid_key(key))
        return jv_invalid();
    jv path = entry_path(c, key);
    jv v = read_json(jv_string_value(path), ENTRY_MAX);
    jv why = jv_is_valid(v) ? entry_problem(v) : jv_invalid_get_msg(jv_copy(v));
    if (jv_get_kind(why) == JV_KIND_STRING) {
        jv_free(v);
        v = jv_invalid_with_msg(jv_string_fmt("bad cache entry '%s': %s; it is ignored, and the "
                                              "answer fetched now replaces it",
                                              jv_string_value(path), jv_string_value(why)));
    }
    jv_free(why);
    jv_free(path);
    return v;
}

jv
ev_cache_get(ev_cache *c, const char *key)
{
    jv v = lookup(c, key);
    if (!jv_is_valid(v))
        return v;
    /* A hit: the subdirectory is there. A run killed after it stored the
     * answer and before it gave its claim back left a claim that no run
     * writing would come to sweep: this run, which reads it, does. */
    subdir(c, key, false, NULL);
    return v;
}

bool
ev_cache_has(ev_cache *c, const char *key)
{
    jv v = lookup(c, key);
    bool yes = jv_is_valid(v);
    jv_free(v);
    return yes;
}

bool
ev_cache_put(ev_cache *c, const char *key, jv entry, jv *err)
{
    if (!valid_key(key)) {
        jv_free(entry);
        *err = jv_invalid_with_msg(jv_string("bad cache key"));
        return false;
    }
    if (!subdir(c, key, true, err)) {
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

/* Claims. */

/* take_claim takes the claim file 'path': see ev_cache_claim. */
static enum ev_cache_claim
take_claim(const char *path, int *fdp, jv *err)
{
    for (int i = 0; i < LOCK_TRIES; i++) {
        int fd =
            open(path, O_RDWR | O_CREAT | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
        if (fd < 0) {
            *err =
                jv_invalid_with_msg(jv_string_fmt("cannot claim '%s': %s", path, strerror(errno)));
            return EV_CACHE_FAILED;
        }
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            close(fd);
            *err = jv_invalid_with_msg(
                jv_string_fmt("cannot claim '%s': it is not a regular file", path));
            return EV_CACHE_FAILED;
        }
        enum lock got = lock_file(fd, path, false);
        if (got == LOCK_HELD || got == LOCK_NONE) { /* without locks, runs do not cooperate */
            *fdp = fd;
            return EV_CACHE_CLAIMED;
        }
        close(fd);
        if (got == LOCK_BUSY)
            return EV_CACHE_BUSY;
        /* LOCK_STALE: given back and removed since it was opened; again */
    }
    return EV_CACHE_BUSY;
}

/* claim_path takes the claim file 'path' (consumed). */
static enum ev_cache_claim
claim_path(jv path, int *fd, jv *err)
{
    enum ev_cache_claim got = take_claim(jv_string_value(path), fd, err);
    jv_free(path);
    return got;
}

/* unclaim_path removes the claim file 'path' (consumed) held as 'fd', then
 * lets it go. */
static void
unclaim_path(jv path, int fd)
{
    if (same_file(fd, AT_FDCWD, jv_string_value(path)))
        unlink(jv_string_value(path));
    close(fd);
    jv_free(path);
}

static jv
claim_file(const ev_cache *c, const char *key)
{
    return jv_string_fmt("%s/%.2s/.%s.claim", c->dir, key, key);
}

enum ev_cache_claim
ev_cache_claim(ev_cache *c, const char *key, int *fd, jv *err)
{
    if (!valid_key(key)) {
        *err = jv_invalid_with_msg(jv_string("bad cache key"));
        return EV_CACHE_FAILED;
    }
    if (!subdir(c, key, true, err))
        return EV_CACHE_FAILED;
    return claim_path(claim_file(c, key), fd, err);
}

void
ev_cache_unclaim(ev_cache *c, const char *key, int fd)
{
    if (fd < 0 || !valid_key(key))
        return;
    unclaim_path(claim_file(c, key), fd);
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
    jv v = read_json(jv_string_value(path), STATE_MAX);
    jv why = jv_null();
    if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_OBJECT)
        why = jv_string("it is not a JSON object");
    else if (!jv_is_valid(v))
        why = jv_invalid_get_msg(jv_copy(v));
    if (jv_get_kind(why) == JV_KIND_STRING) {
        jv_free(v);
        v = jv_invalid_with_msg(jv_string_fmt("cannot read the batch state '%s': %s",
                                              jv_string_value(path), jv_string_value(why)));
    }
    jv_free(why);
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
    jv d = batches_dir(c, err);
    if (!jv_is_valid(d)) {
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

enum ev_cache_claim
ev_cache_state_claim(ev_cache *c, const char *name, int *fd, jv *err)
{
    if (!valid_key(name)) {
        *err = jv_invalid_with_msg(jv_string("bad batch state name"));
        return EV_CACHE_FAILED;
    }
    jv d = batches_dir(c, err);
    if (!jv_is_valid(d))
        return EV_CACHE_FAILED;
    jv_free(d);
    return claim_path(jv_string_fmt("%s/batches/.%s.claim", c->dir, name), fd, err);
}

void
ev_cache_state_unclaim(ev_cache *c, const char *name, int fd)
{
    if (fd < 0 || !valid_key(name))
        return;
    unclaim_path(jv_string_fmt("%s/batches/.%s.claim", c->dir, name), fd);
}

void
ev_cache_close(ev_cache *c)
{
    if (c == NULL)
        return;
    free(c->dir);
    free(c);
}
