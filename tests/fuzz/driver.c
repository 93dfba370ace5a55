/*
 * driver.c: runs a fuzz target without libFuzzer, once for each file named
 * on the command line, so the test suite replays the committed corpus with
 * the normal compiler (and under the sanitizers with SAN=1). Prints
 * "replayed N inputs" and exits 0, or names the file it cannot read and
 * exits 2. A target that finds a broken promise aborts.
 */
#include <errno.h>
#include <stdbool.h>

#include "fuzz.h"

/* slurp reads the file 'path' into a buffer of exactly its size (NULL for
 * an empty file) and sets '*size'. Returns false when it cannot be read. */
static bool
slurp(const char *path, uint8_t **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *nb = realloc(buf, cap);
            if (nb == NULL)
                abort();
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    bool ok = !ferror(f);
    fclose(f);
    if (!ok || len == 0) {
        free(buf);
        buf = NULL;
    } else if ((buf = realloc(buf, len)) == NULL) {
        abort();
    }
    *data = buf;
    *size = len;
    return ok;
}

int
main(int argc, char **argv)
{
    int n = 0;
    for (int i = 1; i < argc; i++) {
        uint8_t *data;
        size_t size;
        if (!slurp(argv[i], &data, &size)) {
            fprintf(stderr, "%s: cannot read '%s': %s\n", argv[0], argv[i], strerror(errno));
            return 2;
        }
        LLVMFuzzerTestOneInput(data, size);
        free(data);
        n++;
    }
    printf("replayed %d inputs\n", n);
    return fclose(stdout) == 0 ? 0 : 2;
}
