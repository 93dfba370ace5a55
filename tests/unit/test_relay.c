/* Unit tests of lib/relay: batches of requests to a child, answered in
 * order, and how a child that ends early is told. */
#include <stdio.h>
#include <string.h>

#include "relay.h"
#include "unit.h"

static void
test_answers(void)
{
    char *argv[] = {"cat", NULL};
    jv err = jv_invalid();
    ev_relay *r = ev_relay_start(argv, &err);
    CHECK(r != NULL, "a child starts");
    CHECK(jv_get_kind(ev_relay_next(r, false)) == JV_KIND_NULL, "with no batch, nothing is left");
    ev_relay_send(r, "a\nb\n", 4, 2);
    ev_relay_send(r, "c\n", 2, 1);
    CHECK(ev_relay_pending(r) == 2, "two batches wait");
    jv one = ev_relay_next(r, true);
    jv text = jv_dump_string(one, 0);
    CHECK_STR(jv_string_value(text), "[\"a\",\"b\"]", "the first batch gets the first lines");
    jv_free(text);
    ev_relay_end_input(r);
    jv two = ev_relay_next(r, true);
    text = jv_dump_string(two, 0);
    CHECK_STR(jv_string_value(text), "[\"c\"]", "the next batch the next line");
    jv_free(text);
    CHECK(ev_relay_finish(r) == 0, "the child's exit status comes back");
}

static void
test_early_end(void)
{
    char *argv[] = {"sh", "-c", "read x; echo one; exit 3", NULL};
    jv err = jv_invalid();
    ev_relay *r = ev_relay_start(argv, &err);
    ev_relay_send(r, "q\n", 2, 2);
    jv got = ev_relay_next(r, true);
    CHECK(!jv_is_valid(got), "a batch short of answers when the child ends is an error");
    jv m = jv_invalid_get_msg(got);
    CHECK_STR(jv_string_value(m), "exited with status 3 before answering",
              "that says how it ended");
    jv_free(m);
    CHECK(ev_relay_finish(r) == 3, "and the status is the child's");
    /* posix_spawn may fail at once for a program that cannot run, or (under
     * valgrind, which spawns by fork and exec) start a child that exits 127:
     * either way the caller is told, and nothing is answered. */
    char *none[] = {"/nonexistent/ev-call", NULL};
    /* Under valgrind the child is a fork that may flush a copy of our
     * stdout's buffer into the relay as it fails: nothing may be pending. */
    fflush(stdout);
    r = ev_relay_start(none, &err);
    if (r == NULL) {
        jv msg = jv_invalid_get_msg(err);
        CHECK(jv_get_kind(msg) == JV_KIND_STRING &&
                  strstr(jv_string_value(msg), "/nonexistent/ev-call") != NULL,
              "a program that cannot run is an error naming it");
        jv_free(msg);
    } else {
        ev_relay_send(r, "q\n", 2, 1);
        jv gone = ev_relay_next(r, true);
        CHECK(!jv_is_valid(gone), "a program that cannot run answers nothing");
        jv_free(gone);
        CHECK(ev_relay_finish(r) == 127, "and its child exits 127");
    }
}

int
main(void)
{
    test_answers();
    test_early_end();
    UNIT_DONE();
}
