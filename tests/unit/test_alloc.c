/* Unit tests of lib/alloc: what each function returns, and its one
 * out-of-memory behaviour, "prog: [file:line: ]out of memory" and status 2,
 * seen from a child through a pipe on its standard error. The failures are
 * made so that they fail on every machine, however much memory it has: a
 * product that overflows size_t, and a request of 2^62 bytes, more than any
 * 64-bit address space maps. (Lowering RLIMIT_AS instead would not be
 * deterministic: ASan and valgrind reserve memory of their own.) jq's
 * handler is not checked here: jq 1.6 refuses an array index or a string
 * large enough to fail on every machine before it allocates, and what it
 * would allocate below those limits some machines can give. */
#include <stdint.h>
#include <sys/wait.h>

#include "alloc.h"
#include "diag.h"
#include "unit.h"

#if defined(__SANITIZE_ADDRESS__)
/* ASan reports a request it cannot meet and ends the program, unless told
 * to return NULL as malloc does: the test is of ev's handling of NULL. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}
#endif

static void
test_returns(void)
{
    unsigned char *z = ev_alloc_zero(1000, 8);
    int zero = 0;
    for (size_t i = 0; i < 8000; i++)
        zero += z[i] == 0;
    CHECK(zero == 8000, "ev_alloc_zero gives n * size zero bytes");
    free(z);

    char *p = ev_alloc(16);
    memcpy(p, "0123456789abcdef", 16);
    p = ev_alloc_resize(p, 1 << 20);
    CHECK(memcmp(p, "0123456789abcdef", 16) == 0, "growing keeps the contents");
    p = ev_alloc_resize(p, 4);
    CHECK(memcmp(p, "0123", 4) == 0, "shrinking keeps what fits");
    free(p);

    int *a = ev_alloc_array(NULL, 3, sizeof(int));
    a[0] = 7, a[1] = 8, a[2] = 9;
    a = ev_alloc_array(a, 100000, sizeof(int));
    a[99999] = 1;
    CHECK(a[0] == 7 && a[1] == 8 && a[2] == 9, "ev_alloc_array grows from NULL, keeping elements");
    free(a);

    void *t = ev_alloc_try_resize(NULL, 10);
    CHECK(t != NULL, "ev_alloc_try_resize gives what can be had");
    memcpy(t, "kept", 5);
    void *none = ev_alloc_try_resize(t, (size_t)1 << 62);
    CHECK(none == NULL, "and NULL for what cannot");
    CHECK(strcmp(t, "kept") == 0, "leaving the block as it was");
    free(t);

    void *e1 = ev_alloc(0), *e2 = ev_alloc(0), *e3 = ev_alloc_zero(0, 0);
    CHECK(e1 != NULL && e2 != NULL && e1 != e2, "a zero size gives unique pointers");
    free(e1), free(e2), free(e3);
    free(ev_alloc_resize(NULL, 0));

    char *s = ev_alloc_strdup("a copy");
    CHECK_STR(s, "a copy", "ev_alloc_strdup copies");
    free(s);
    s = ev_alloc_strndup("abcdef", 3);
    CHECK_STR(s, "abc", "ev_alloc_strndup copies the first n bytes");
    free(s);
    s = ev_alloc_strndup("ab", 10);
    CHECK_STR(s, "ab", "and fewer when the string ends sooner");
    free(s);
    const char unterminated[3] = {'x', 'y', 'z'};
    s = ev_alloc_strndup(unterminated, 2);
    CHECK_STR(s, "xy", "reading no further than n bytes");
    free(s);
    s = ev_alloc_printf("%s:%d: %.2f%%", "cases.jsonl", 12, 99.5);
    CHECK_STR(s, "cases.jsonl:12: 99.50%", "ev_alloc_printf formats as printf");
    free(s);
    char big[5000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    s = ev_alloc_printf("[%s]", big);
    CHECK(strlen(s) == 5001 && s[0] == '[' && s[5000] == ']', "of any length");
    free(s);
}

/* out_of_memory runs 'fail' in a child, having set the input position to
 * 'name' line 7 when 'name' is not NULL, and says whether the child exited
 * 2 having written exactly 'want' on its standard error (after ASan's
 * warnings, lines that begin with "=="). */
static int
out_of_memory(void (*fail)(void), const char *name, const char *want)
{
    int fds[2];
    if (pipe(fds) != 0)
        abort();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        if (name != NULL)
            ev_diag_position(name, 7);
        fail();
        _exit(0); /* not reached when the test passes */
    }
    close(fds[1]);
    char got[256];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof(got) - 1 && (n = read(fds[0], got + len, sizeof(got) - 1 - len)) > 0)
        len += (size_t)n;
    got[len] = '\0';
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    /* ASan warns of the request it refused on a line of its own first */
    const char *last = got;
    while (strncmp(last, "==", 2) == 0 && strchr(last, '\n') != NULL)
        last = strchr(last, '\n') + 1;
    if (strcmp(last, want) != 0)
        printf("#   got '%s', want '%s'\n", got, want);
    return WIFEXITED(status) && WEXITSTATUS(status) == 2 && strcmp(last, want) == 0;
}

static void
overflow_array(void)
{
    ev_alloc_array(NULL, SIZE_MAX / 2 + 1, 2);
}

static void
overflow_zero(void)
{
    ev_alloc_zero(SIZE_MAX / 2 + 1, 2);
}

static void
too_big(void)
{
    ev_alloc((size_t)1 << 62);
}

static void
too_big_resize(void)
{
    ev_alloc_resize(NULL, (size_t)1 << 62);
}

static void
test_out_of_memory(void)
{
    const char *plain = "test_alloc: out of memory\n";
    CHECK(out_of_memory(overflow_array, NULL, plain),
          "an array whose size overflows is out of memory: status 2 and the message");
    CHECK(out_of_memory(overflow_zero, NULL, plain), "as is ev_alloc_zero's");
    CHECK(out_of_memory(too_big, NULL, plain), "as is a request no machine can meet");
    CHECK(out_of_memory(too_big_resize, NULL, plain), "to ev_alloc_resize too");
    CHECK(out_of_memory(too_big, "cases.jsonl", "test_alloc: cases.jsonl:7: out of memory\n"),
          "the input line being read is named first");
}

int
main(void)
{
    test_returns();
    test_out_of_memory();
    UNIT_DONE();
}
