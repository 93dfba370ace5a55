/* Unit tests of lib/readahead: records read in a thread, in order, with
 * their text and position, and a stop that ends even a blocked read. */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "jsonl.h"
#include "readahead.h"
#include "unit.h"

static int wakes;

static void
wake(void *ctx)
{
    (void)ctx;
    __atomic_add_fetch(&wakes, 1, __ATOMIC_SEQ_CST);
}

/* next_item waits for the next item. */
static ev_readahead_item
next_item(ev_readahead *r)
{
    ev_readahead_item it;
    while (!ev_readahead_next(r, &it))
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    return it;
}

static void
test_order(void)
{
    char path[64];
    unit_file(path, "in.jsonl", "{\"id\":\"a\"}\n\n{\"id\": \"b\"}  \nnot json\n{\"id\":\"c\"}");
    char *paths[] = {path};
    jv err;
    ev_readahead *r = ev_readahead_start(paths, 1, wake, NULL, &err);
    CHECK(r != NULL, "the thread starts");
    ev_readahead_item it = next_item(r);
    CHECK(it.rc == EV_JSONL_OK && it.line == 1 && strcmp(it.raw, "{\"id\":\"a\"}") == 0,
          "the first record, with its text and line");
    CHECK_STR(it.name, path, "and the operand it came from");
    jv_free(it.rec);
    free(it.raw);
    it = next_item(r);
    CHECK(it.rc == EV_JSONL_OK && it.line == 3 && strcmp(it.raw, "{\"id\": \"b\"}") == 0,
          "a blank line is skipped, and the text keeps its bytes without trailing blanks");
    jv_free(it.rec);
    free(it.raw);
    it = next_item(r);
    CHECK(it.rc == EV_JSONL_BAD && it.raw == NULL, "a bad line comes as an error");
    jv m = jv_invalid_get_msg(it.rec);
    CHECK(strstr(jv_string_value(m), ":4: ") != NULL, "naming its line");
    jv_free(m);
    it = next_item(r);
    CHECK(it.rc == EV_JSONL_OK && it.line == 5, "a last line without a newline is read");
    jv_free(it.rec);
    free(it.raw);
    it = next_item(r);
    CHECK(it.rc == EV_JSONL_EOF, "then the end");
    CHECK(__atomic_load_n(&wakes, __ATOMIC_SEQ_CST) >= 1, "the caller was woken for them");
    ev_readahead_stop(r);
    unit_file_remove(path);
}

static void
test_stop_blocked(void)
{
    int fd[2];
    if (pipe(fd) != 0)
        abort();
    int saved = dup(STDIN_FILENO);
    dup2(fd[0], STDIN_FILENO);
    jv err;
    ev_readahead *r = ev_readahead_start(NULL, 0, NULL, NULL, &err);
    if (write(fd[1], "{\"id\":1}\n", 9) != 9)
        abort();
    ev_readahead_item it = next_item(r);
    CHECK(it.rc == EV_JSONL_OK, "a record from a pipe");
    jv_free(it.rec);
    free(it.raw);
    ev_readahead_stop(r); /* the thread waits for more, on a pipe still open */
    CHECK(true, "a stop ends a read blocked on a pipe");
    dup2(saved, STDIN_FILENO);
    close(saved);
    close(fd[0]);
    close(fd[1]);
}

int
main(void)
{
    test_order();
    test_stop_blocked();
    UNIT_DONE();
}
