/* Unit tests of lib/log: each kind of line reaches its own callback,
 * formatted, and a missing callback or log drops it. */
#include <stdlib.h>

#include "log.h"
#include "unit.h"

static void
test_log(void)
{
    ev_log l = {unit_hear, NULL, unit_hear, "> "};
    ev_log_warn(&l, "%s:%d: %s", "f", 3, "bad");
    CHECK_STR(unit_said, "> f:3: bad\n", "a warning is formatted as printf does");
    unit_said[0] = '\0';
    ev_log_warn_jv(&l, jv_invalid_with_msg(jv_string("gone")));
    ev_log_warn_jv(&l, jv_string("plain"));
    ev_log_warn_jv(&l, jv_invalid());
    CHECK_STR(unit_said, "> gone\n> plain\n> unknown error\n",
              "an error's message, a string, or 'unknown error' for neither");
    unit_said[0] = '\0';
    ev_log_progress(&l, "step %d", 1);
    ev_log_progress_jv(&l, jv_string("x"));
    CHECK_STR(unit_said, "", "progress without its callback is dropped");
    ev_log_warn(NULL, "nobody listens");
    CHECK_STR(unit_said, "", "and so is anything without a log");
    l = (ev_log){NULL, unit_hear, NULL, "- "};
    ev_log_progress(&l, "step %d", 2);
    ev_log_warn(&l, "dropped");
    CHECK_STR(unit_said, "- step 2\n", "each kind goes to its own callback");
}

int
main(void)
{
    test_log();
    UNIT_DONE();
}
