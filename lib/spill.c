#include "spill.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"

FILE *
ev_spill_open(jv *err)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    char *p = ev_alloc_printf("%s/ev.XXXXXX", dir);
    int fd = mkstemp(p);
    FILE *f = fd >= 0 ? fdopen(fd, "w+") : NULL;
    int e = errno;
    if (fd >= 0)
        unlink(p);
    if (fd >= 0 && f == NULL)
        close(fd);
    free(p);
    if (f == NULL)
        *err = jv_string_fmt("cannot create a temporary file in '%s': %s", dir, strerror(e));
    return f;
}
