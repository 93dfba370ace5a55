/* Unit tests of lib/coproc: a helper that answers each line with one, one
 * that ends early or cannot start, and one out of step with its records. */
#include "alloc.h"
#include "coproc.h"
#include "unit.h"

/* CHECK_ENDED checks that 'got' (consumed) is invalid with the message
 * 'want'. */
#define CHECK_ENDED(got, want, name)                                                               \
    do {                                                                                           \
        jv r_ = (got);                                                                             \
        jv m_ = jv_invalid_get_msg(r_);                                                            \
        CHECK_STR(jv_get_kind(m_) == JV_KIND_STRING ? jv_string_value(m_) : "(none)", want, name); \
        jv_free(m_);                                                                               \
    } while (0)

static ev_coproc *
start(const char *command)
{
    jv err = jv_invalid();
    ev_coproc *p = ev_coproc_start(command, NULL, &err);
    if (p == NULL) {
        printf("# cannot start '%s'\n", command);
        exit(1);
    }
    return p;
}

static void
test_answers(void)
{
    ev_coproc *p = start("cat");
    CHECK_JV(ev_coproc_ask(p, "one", 3), "\"one\"", "the helper's answer comes back");
    CHECK_JV(ev_coproc_ask(p, "two and more", 3), "\"two\"", "only the 'len' bytes are sent");
    CHECK_JV(ev_coproc_ask(p, "", 0), "\"\"", "an empty line is answered with an empty one");
    CHECK_JV(ev_coproc_ask(p, "dos\r", 4), "\"dos\"", "a carriage return ends a line too");
    int in_order = 0;
    char line[32];
    for (int i = 0; i < 500; i++) {
        int n = snprintf(line, sizeof(line), "record %d", i);
        jv got = ev_coproc_ask(p, line, (size_t)n);
        in_order += jv_is_valid(got) && strcmp(jv_string_value(got), line) == 0;
        jv_free(got);
    }
    CHECK(in_order == 500, "500 lines are each answered with their own, in order");
    /* Far more than a pipe holds: cat answers as it reads, so its answer
     * fills its output while the line is still being written; asking reads
     * while it writes, or both would wait for ever. */
    size_t big = 4 * 1024 * 1024;
    char *text = ev_alloc(big);
    memset(text, 'x', big);
    jv got = ev_coproc_ask(p, text, big);
    CHECK(jv_is_valid(got) && (size_t)jv_string_length_bytes(jv_copy(got)) == big,
          "a line of 4 MiB comes back whole");
    jv_free(got);
    free(text);
    CHECK_JV(ev_coproc_end(p), "null", "a helper that answered every line ends with null");
    CHECK_ENDED(ev_coproc_ask(p, "after", 5), "exited with status 0",
                "after the end, asking says how it ended");
    ev_coproc_close(p);
}

static void
test_early_end(void)
{
    ev_coproc *p = start("read l; echo \"$l\"; exit 3");
    CHECK_JV(ev_coproc_ask(p, "a", 1), "\"a\"", "a helper answers until it exits");
    CHECK_ENDED(ev_coproc_ask(p, "b", 1), "exited with status 3", "then asking says how it ended");
    CHECK_ENDED(ev_coproc_ask(p, "c", 1), "exited with status 3", "and every later call again");
    CHECK_JV(ev_coproc_end(p), "null", "its end is no error of its own");
    ev_coproc_close(p);

    p = start("kill -9 $$");
    CHECK_ENDED(ev_coproc_ask(p, "a", 1), "was killed by signal 9", "a signal is named");
    ev_coproc_close(p);

    /* it exits without reading: the write fails with EPIPE, and SIGPIPE,
     * ignored, does not end this test */
    p = start("exit 0");
    size_t big = 1 << 20;
    char *text = ev_alloc(big);
    memset(text, 'y', big);
    CHECK_ENDED(ev_coproc_ask(p, text, big), "exited with status 0",
                "a helper that reads nothing cannot kill us by SIGPIPE");
    free(text);
    ev_coproc_close(p);
}

static void
test_cannot_start(void)
{
    /* /bin/sh starts; what it cannot run ends it with status 127, which
     * the first question reports */
    ev_coproc *p = start("/nonexistent/ev-helper 2>/dev/null");
    CHECK_ENDED(ev_coproc_ask(p, "a", 1), "exited with status 127",
                "a command that cannot start says so when asked");
    ev_coproc_close(p);
}

static void
test_out_of_step(void)
{
    const char *why = "wrote a line it was not asked for (two for one record?): its answers "
                      "are out of step with the records, so it was stopped";
    /* both lines in one write, so that they are read together */
    ev_coproc *p = start("while read l; do printf '%s\\nextra\\n' \"$l\"; done");
    CHECK_ENDED(ev_coproc_ask(p, "a", 1), why, "two answers to one line stop the helper");
    CHECK_ENDED(ev_coproc_ask(p, "b", 1), why, "and every later call says so");
    CHECK_JV(ev_coproc_end(p), "null", "the end does not say it twice");
    ev_coproc_close(p);

    p = start("read l; echo \"$l\"; read l || echo late");
    CHECK_JV(ev_coproc_ask(p, "a", 1), "\"a\"", "a helper answers its one line");
    jv end = ev_coproc_end(p);
    CHECK_ENDED(end,
                "wrote 1 line more than the records it was sent: its answers were out of step "
                "with the records",
                "a line written after the last answer is found at the end");
    ev_coproc_close(p);

    ev_coproc_close(NULL);
    CHECK(1, "closing NULL does nothing");
}

int
main(void)
{
    test_answers();
    test_early_end();
    test_cannot_start();
    test_out_of_step();
    UNIT_DONE();
}
