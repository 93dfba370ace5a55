/* Unit tests of lib/spill: a temporary file in $TMPDIR (else /tmp), already
 * unlinked, that gives back what was written, whole and in order. */
#include <dirent.h>
#include <stdlib.h>

#include "spill.h"
#include "unit.h"

/* entries returns how many names other than "." and ".." 'dir' holds. */
static int
entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int n = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* where returns the path the file open as 'f' had, from /proc, into 'buf'. */
static const char *
where(FILE *f, char *buf, size_t size)
{
    char link[64];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fileno(f));
    ssize_t n = readlink(link, buf, size - 1);
    buf[n < 0 ? 0 : n] = '\0';
    return buf;
}

static void
test_round_trip(void)
{
    char dir[] = "/tmp/ev-unit-XXXXXX";
    if (mkdtemp(dir) == NULL)
        abort();
    setenv("TMPDIR", dir, 1);
    jv err = jv_invalid();
    FILE *f = ev_spill_open(&err);
    CHECK(f != NULL, "a spill file opens in $TMPDIR");
    char path[4096];
    CHECK(strncmp(where(f, path, sizeof(path)), dir, strlen(dir)) == 0, "it was made in $TMPDIR");
    CHECK(entries(dir) == 0, "and is gone from the directory once open");
    /* 20000 numbered lines: more than any stdio buffer holds */
    for (int i = 0; i < 20000; i++)
        fprintf(f, "line %d of the spill\n", i);
    CHECK(ftell(f) > 0, "what is written is in the file");
    rewind(f);
    char line[64], want[64];
    int in_order = 0;
    for (int i = 0; i < 20000 && fgets(line, sizeof(line), f) != NULL; i++) {
        snprintf(want, sizeof(want), "line %d of the spill\n", i);
        in_order += strcmp(line, want) == 0;
    }
    CHECK(in_order == 20000, "every line is read back, in the order written");
    CHECK(fgetc(f) == EOF, "and nothing more");
    fclose(f);
    CHECK(entries(dir) == 0, "nothing is left behind when it is closed");
    rmdir(dir);
}

static void
test_default_dir(void)
{
    setenv("TMPDIR", "", 1);
    jv err = jv_invalid();
    FILE *f = ev_spill_open(&err);
    char path[4096];
    CHECK(f != NULL && strncmp(where(f, path, sizeof(path)), "/tmp/ev.", 8) == 0,
          "an empty $TMPDIR means /tmp");
    if (f != NULL)
        fclose(f);
    unsetenv("TMPDIR");
    f = ev_spill_open(&err);
    CHECK(f != NULL && strncmp(where(f, path, sizeof(path)), "/tmp/ev.", 8) == 0,
          "as does no $TMPDIR");
    if (f != NULL)
        fclose(f);
}

static void
test_cannot(void)
{
    setenv("TMPDIR", "/nonexistent/ev-unit", 1);
    jv err = jv_invalid();
    FILE *f = ev_spill_open(&err);
    CHECK(f == NULL, "a $TMPDIR that does not exist gives no file");
    CHECK(jv_get_kind(err) == JV_KIND_STRING, "and a message");
    if (jv_get_kind(err) == JV_KIND_STRING)
        CHECK_STR(jv_string_value(err),
                  "cannot create a temporary file in '/nonexistent/ev-unit': No such file or "
                  "directory",
                  "that names the directory and why");
    jv_free(err);
    unsetenv("TMPDIR");
}

int
main(void)
{
    test_round_trip();
    test_default_dir();
    test_cannot();
    UNIT_DONE();
}
