/* Unit tests of lib/cache: keys, entries written and read back, the files
 * that may stand in an entry's place and the entries that lie, a cache that
 * cannot be written, claims (and claims of a process that died), the
 * leftovers of killed runs, and batch states. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache.h"
#include "unit.h"

static char root[256];

static const char K1[] = "ecd15aef05ae01b3b099f102a16f03ece2dd12ac932fe9e6cd2b0f22ef201d6c";
static const char K2[] = "5bcfb6c91af6725040d3cd2f68ec98b90c79d77db20ec4cbf14491470d022bae";

/* path_of writes DIR/ab/PREFIX KEY SUFFIX, a file in the directory of 'key'. */
static void
path_of(char *buf, size_t size, const char *dir, const char *key, const char *prefix,
        const char *suffix)
{
    snprintf(buf, size, "%s/%.2s/%s%s%s", dir, key, prefix, key, suffix);
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

static bool
exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* msg_has says whether 'v' (consumed) is invalid with a message holding
 * 'want'. */
static bool
msg_has(jv v, const char *want)
{
    jv m = jv_invalid_get_msg(v);
    bool yes = jv_get_kind(m) == JV_KIND_STRING && strstr(jv_string_value(m), want) != NULL;
    if (!yes)
        printf("#   message: %s\n",
               jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "(none)");
    jv_free(m);
    return yes;
}

static jv
entry(const char *output)
{
    jv e = jv_object_set(jv_object(), jv_string("version"), jv_number(1));
    e = jv_object_set(e, jv_string("output"), jv_string(output));
    e = jv_object_set(e, jv_string("attempts"), jv_number(2));
    e = jv_object_set(e, jv_string("latency_ms"), jv_number(12.5));
    e = jv_object_set(e, jv_string("input_tokens"), jv_number(10));
    return jv_object_set(e, jv_string("finish_reason"), jv_null());
}

static ev_cache *
open_cache(const char *name)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/%s", root, name);
    jv err;
    ev_cache *c = ev_cache_open(dir, &err);
    if (c == NULL) {
        jv m = jv_invalid_get_msg(err);
        printf("# %s\n", jv_string_value(m));
        exit(2);
    }
    return c;
}

static void
test_keys(void)
{
    char key[EV_CACHE_KEY_LEN + 1];
    ev_cache_key("openai", "http://127.0.0.1:8080/v1", 0, "{\"model\":\"m\"}", 13, key);
    CHECK_STR(key, K1, "the key is the SHA-256 of the prefix, provider, base, sample and body");
    ev_cache_key("cmd", "", 2, "hello", 5, key);
    CHECK_STR(key, K2, "a cmd key has an empty base and its sample number");
    ev_cache_key("cmd", "", 3, "hello", 5, key);
    CHECK(strcmp(key, K2) != 0, "another sample is another key");
    ev_cache_key("cmd", "", 2, "hello", 4, key);
    CHECK(strcmp(key, K2) != 0, "the body's length counts");
}

static void
test_default_dir(void)
{
    setenv("EV_CACHE_DIR", "/x/ev", 1);
    setenv("XDG_CACHE_HOME", "/xdg", 1);
    setenv("HOME", "/home/u", 1);
    jv d = ev_cache_default_dir();
    CHECK_STR(jv_string_value(d), "/x/ev", "EV_CACHE_DIR comes first");
    jv_free(d);
    unsetenv("EV_CACHE_DIR");
    d = ev_cache_default_dir();
    CHECK_STR(jv_string_value(d), "/xdg/ev", "then XDG_CACHE_HOME/ev");
    jv_free(d);
    setenv("XDG_CACHE_HOME", "relative", 1);
    d = ev_cache_default_dir();
    CHECK_STR(jv_string_value(d), "/home/u/.cache/ev", "a relative XDG_CACHE_HOME is ignored");
    jv_free(d);
    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME");
    CHECK(msg_has(ev_cache_default_dir(), "set EV_CACHE_DIR or HOME"), "no directory at all");
}

static void
test_put_get(void)
{
    ev_cache *c = open_cache("a/b/c");
    struct stat st;
    CHECK(stat(ev_cache_dir(c), &st) == 0 && (st.st_mode & 0777) == 0700,
          "the directory and its parents are made, mode 0700");
    jv v = ev_cache_get(c, K1);
    CHECK(!jv_is_valid(v) && !jv_invalid_has_msg(jv_copy(v)), "a missing entry: no message");
    jv_free(v);
    CHECK(!ev_cache_has(c, K1), "a missing entry is not had");
    jv err;
    CHECK(ev_cache_put(c, K1, entry("Paris"), &err), "an entry is stored");
    v = ev_cache_get(c, K1);
    jv out = jv_is_valid(v) ? jv_object_get(jv_copy(v), jv_string("output")) : jv_invalid();
    CHECK(jv_get_kind(out) == JV_KIND_STRING && strcmp(jv_string_value(out), "Paris") == 0,
          "and read back");
    jv_free(out);
    jv_free(v);
    CHECK(ev_cache_has(c, K1), "and had");
    char path[512];
    path_of(path, sizeof(path), ev_cache_dir(c), K1, "", ".json");
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "an entry has mode 0600");
    CHECK(ev_cache_put(c, K1, entry("Lyon"), &err), "an entry is replaced");
    v = ev_cache_get(c, K1);
    out = jv_is_valid(v) ? jv_object_get(jv_copy(v), jv_string("output")) : jv_invalid();
    CHECK(jv_get_kind(out) == JV_KIND_STRING && strcmp(jv_string_value(out), "Lyon") == 0,
          "by the new answer");
    jv_free(out);
    jv_free(v);
    char shard[512];
    snprintf(shard, sizeof(shard), "%s/%.2s", ev_cache_dir(c), K1);
    DIR *d = opendir(shard);
    int n = 0;
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d != NULL)
        closedir(d);
    CHECK(n == 1, "nothing else is left in its directory: no temporary, no claim");
    CHECK(!ev_cache_put(c, "not-a-key", entry("x"), &err) && msg_has(err, "bad cache key"),
          "a key that is not 64 hex digits is refused");
    ev_cache_close(c);
}

static void
test_bad_entries(void)
{
    ev_cache *c = open_cache("bad");
    jv err;
    CHECK(ev_cache_put(c, K1, entry("x"), &err), "an entry to spoil");
    char path[512], name[640];
    path_of(path, sizeof(path), ev_cache_dir(c), K1, "", ".json");
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"{\"output\":\"x\",\"attempts\":1e300}",
         "'attempts' is not a whole number from 1 to 1000"},
        {"{\"output\":\"x\",\"attempts\":nan}", "'attempts' is not a whole number"},
        {"{\"output\":\"x\",\"attempts\":0}", "'attempts' is not a whole number"},
        {"{\"output\":\"x\",\"attempts\":1.5}", "'attempts' is not a whole number"},
        {"{\"output\":\"x\",\"attempts\":\"2\"}", "'attempts' is not a whole number"},
        {"{\"output\":\"x\",\"sample\":-1}", "'sample' is not a whole number from 0 to 9999"},
        {"{\"output\":\"x\",\"latency_ms\":-0.5}", "'latency_ms' is not a number from 0"},
        {"{\"output\":\"x\",\"latency_ms\":1e300}", "'latency_ms' is not a number from 0"},
        {"{\"output\":\"x\",\"input_tokens\":-1}", "'input_tokens' is not a whole number"},
        {"{\"output\":\"x\",\"output_tokens\":1e13}", "'output_tokens' is not a whole number"},
        {"{\"output\":\"x\",\"cached_tokens\":[]}", "'cached_tokens' is not a whole number"},
        {"{\"output\":\"x\",\"version\":2}", "'version' is not a whole number from 1 to 1"},
        {"{\"output\":\"x\",\"model\":7}", "'model' is not a string"},
        {"{\"output\":\"x\",\"batch\":{}}", "'batch' is not a string"},
        {"{\"output\":5}", "'output' is not a string"},
        {"{\"attempts\":1}", "'output' is not a string"},
        {"[\"x\"]", "it is not a JSON object"},
        {"{\"output\": \"trunc", "it is not JSON"},
        {"", "it is empty"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_file(path, bad[i].text);
        snprintf(name, sizeof(name), "'%s' is a bad entry: %s", bad[i].text, bad[i].why);
        CHECK(msg_has(ev_cache_get(c, K1), bad[i].why), name);
    }
    snprintf(name, sizeof(name), "bad cache entry '%s': it is empty; it is ignored", path);
    CHECK(msg_has(ev_cache_get(c, K1), name), "the message names the entry's file");
    CHECK(!ev_cache_has(c, K1), "a bad entry is not had");
    write_file(path, "{\"output\":\"x\",\"attempts\":null,\"finish_reason\":null,\"latency_ms\":0,"
                     "\"extra\":[1e300]}");
    jv v = ev_cache_get(c, K1);
    CHECK(jv_is_valid(v), "null fields, and fields not ev's, are fine");
    jv_free(v);

    /* Files that are not regular: read never, and replaced by a put. */
    unlink(path);
    mkfifo(path, 0600);
    alarm(20); /* a read that blocks on the FIFO ends the test */
    CHECK(msg_has(ev_cache_get(c, K1), "it is a FIFO"), "a FIFO is a bad entry, and not read");
    alarm(0);
    CHECK(ev_cache_put(c, K1, entry("y"), &err) && ev_cache_has(c, K1), "a FIFO is replaced");
    char other[600];
    snprintf(other, sizeof(other), "%s/elsewhere.json", ev_cache_dir(c));
    write_file(other, "{\"output\":\"from elsewhere\"}");
    unlink(path);
    CHECK(symlink(other, path) == 0, "a symbolic link in an entry's place");
    CHECK(msg_has(ev_cache_get(c, K1), "it is a symbolic link"),
          "a symbolic link is a bad entry, even to a good one");
    CHECK(ev_cache_put(c, K1, entry("z"), &err) && ev_cache_has(c, K1),
          "a symbolic link is replaced");
    struct stat st;
    CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode), "by a regular file");
    unlink(path);
    mkdir(path, 0700);
    CHECK(msg_has(ev_cache_get(c, K1), "it is a directory"), "a directory is a bad entry");
    CHECK(!ev_cache_put(c, K1, entry("z"), &err) && msg_has(err, "cannot write '"),
          "a directory cannot be replaced: the put fails, and says where");
    rmdir(path);
    ev_cache_close(c);
}

static void
test_unwritable(void)
{
    ev_cache *c = open_cache("unwritable");
    char shard[512];
    snprintf(shard, sizeof(shard), "%s/%.2s", ev_cache_dir(c), K2);
    write_file(shard, "a file where a directory should be");
    jv err;
    CHECK(!ev_cache_put(c, K2, entry("x"), &err) && msg_has(err, "Not a directory"),
          "a put that cannot write says why");
    int fd = -1;
    CHECK(ev_cache_claim(c, K2, &fd, &err) == EV_CACHE_FAILED && msg_has(err, "cannot claim '"),
          "nor can the key be claimed");
    ev_cache_close(c);
    char bad[600];
    snprintf(bad, sizeof(bad), "%s/ev", shard);
    CHECK(ev_cache_open(bad, &err) == NULL && msg_has(err, "cannot make cache directory"),
          "a cache directory that cannot be made is refused");
}

static void
test_claims(void)
{
    ev_cache *c = open_cache("claims");
    jv err;
    int fd = -1, fd2 = -1;
    char claim[512];
    path_of(claim, sizeof(claim), ev_cache_dir(c), K1, ".", ".claim");
    CHECK(ev_cache_claim(c, K1, &fd, &err) == EV_CACHE_CLAIMED && fd >= 0, "a key is claimed");
    CHECK(exists(claim), "in a claim file next to its entry");
    CHECK(ev_cache_claim(c, K1, &fd2, &err) == EV_CACHE_BUSY,
          "a claimed key is busy, in the same process too");
    ev_cache_unclaim(c, K1, fd);
    CHECK(!exists(claim), "a claim given back is removed");
    CHECK(ev_cache_claim(c, K1, &fd, &err) == EV_CACHE_CLAIMED, "and the key may be claimed again");
    ev_cache_unclaim(c, K1, fd);

    /* A claim held by another process, then by one that died. */
    int up[2], down[2];
    if (pipe(up) != 0 || pipe(down) != 0)
        exit(2);
    pid_t pid = fork();
    if (pid == 0) {
        jv e;
        int f = -1;
        char ok = ev_cache_claim(c, K2, &f, &e) == EV_CACHE_CLAIMED ? 'y' : 'n';
        if (write(up[1], &ok, 1) != 1)
            _exit(2);
        char go;
        if (read(down[0], &go, 1) != 1)
            _exit(2);
        ev_cache_close(c);
        _exit(0); /* dies holding it */
    }
    char ok = 'n';
    CHECK(read(up[0], &ok, 1) == 1 && ok == 'y', "another process claims a key");
    CHECK(ev_cache_claim(c, K2, &fd, &err) == EV_CACHE_BUSY, "which is busy for this one");
    if (write(down[1], "x", 1) != 1)
        exit(2);
    waitpid(pid, NULL, 0);
    path_of(claim, sizeof(claim), ev_cache_dir(c), K2, ".", ".claim");
    CHECK(exists(claim), "a process that dies leaves its claim file");
    CHECK(ev_cache_claim(c, K2, &fd, &err) == EV_CACHE_CLAIMED,
          "but not its claim: the key is free once it is gone");
    ev_cache_unclaim(c, K2, fd);
    CHECK(!exists(claim), "and the file goes with the next claim given back");
    close(up[0]);
    close(up[1]);
    close(down[0]);
    close(down[1]);
    ev_cache_close(c);
}

static void
test_leftovers(void)
{
    ev_cache *c = open_cache("leftovers");
    jv err;
    CHECK(ev_cache_put(c, K2, entry("x"), &err), "an entry makes its directory");
    const char *dir = ev_cache_dir(c);
    char dead_tmp[512], dead_claim[512], live_tmp[512], foreign[512], other[512];
    path_of(dead_tmp, sizeof(dead_tmp), dir, K2, ".", ".aB3dE9");
    path_of(dead_claim, sizeof(dead_claim), dir, K2, ".", ".claim");
    path_of(live_tmp, sizeof(live_tmp), dir, K2, ".", ".Live01");
    path_of(foreign, sizeof(foreign), dir, K2, ".", ".not-ours");
    path_of(other, sizeof(other), dir, K2, "", ".json.bak");
    write_file(dead_tmp, "");
    write_file(dead_claim, "");
    write_file(live_tmp, "{\"output\":\"half");
    write_file(foreign, "");
    write_file(other, "");
    int held = open(live_tmp, O_RDONLY);
    CHECK(held >= 0 && flock(held, LOCK_EX) == 0, "a live run's temporary is locked");
    ev_cache_close(c);
    c = open_cache("leftovers");
    CHECK(ev_cache_put(c, K2, entry("y"), &err), "the next run writes in that directory");
    CHECK(!exists(dead_tmp), "a dead run's temporary is removed");
    CHECK(!exists(dead_claim), "so is its claim");
    CHECK(exists(live_tmp), "a live run's temporary stays");
    CHECK(exists(foreign) && exists(other), "files not ours stay");
    close(held);
    ev_cache_close(c);
    c = open_cache("leftovers");
    CHECK(ev_cache_put(c, K2, entry("z"), &err) && !exists(live_tmp),
          "once its run is gone, the next run removes it");
    ev_cache_close(c);

    /* A run killed after it stored an answer and before it gave the claim
     * back: a dead claim next to a good entry, in a directory the next run
     * may only read. */
    write_file(dead_claim, "");
    c = open_cache("leftovers");
    CHECK(ev_cache_has(c, K2) && exists(dead_claim), "a look for an entry changes nothing");
    jv v = ev_cache_get(c, K2);
    CHECK(jv_is_valid(v), "the entry is read");
    CHECK(!exists(dead_claim), "and the run that reads it removes the dead claim");
    jv_free(v);
    ev_cache_close(c);
}

static void
test_states(void)
{
    ev_cache *c = open_cache("states");
    jv err;
    jv v = ev_cache_state_get(c, K1);
    CHECK(!jv_is_valid(v) && !jv_invalid_has_msg(jv_copy(v)), "no state: invalid, no message");
    jv_free(v);
    jv s = jv_object_set(jv_object(), jv_string("parts"), jv_array());
    CHECK(ev_cache_state_put(c, K1, s, &err), "a state is stored");
    v = ev_cache_state_get(c, K1);
    CHECK(jv_get_kind(v) == JV_KIND_OBJECT, "and read back");
    jv_free(v);
    int fd = -1, fd2 = -1;
    CHECK(ev_cache_state_claim(c, K1, &fd, &err) == EV_CACHE_CLAIMED, "a state is claimed");
    CHECK(ev_cache_state_claim(c, K1, &fd2, &err) == EV_CACHE_BUSY, "once");
    ev_cache_state_unclaim(c, K1, fd);
    CHECK(ev_cache_state_claim(c, K1, &fd, &err) == EV_CACHE_CLAIMED, "and again when given back");
    ev_cache_state_unclaim(c, K1, fd);
    char path[512];
    snprintf(path, sizeof(path), "%s/batches/%s.json", ev_cache_dir(c), K1);
    write_file(path, "[]");
    CHECK(msg_has(ev_cache_state_get(c, K1), "it is not a JSON object"),
          "a state that is not an object is not taken for none");
    unlink(path);
    mkfifo(path, 0600);
    alarm(20);
    CHECK(msg_has(ev_cache_state_get(c, K1), "it is a FIFO"), "nor is a FIFO, which is not read");
    alarm(0);
    ev_cache_state_remove(c, K1);
    CHECK(!exists(path), "a state is removed");
    ev_cache_close(c);
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int
main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof(root), "%s/ev-cache-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    test_keys();
    test_default_dir();
    test_put_get();
    test_bad_entries();
    test_unwritable();
    test_claims();
    test_leftovers();
    test_states();
    nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    UNIT_DONE();
}
