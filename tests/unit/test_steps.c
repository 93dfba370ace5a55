/* Unit tests of mock/steps, the clock of ev-mock's jobs and deployments:
 * steps by time at exact moments, one step a poll, and stopping. */
#include "mock/steps.h"
#include "unit.h"

static void
test_by_time(void)
{
    static const int fifths[] = {1, 2, 5};
    evm_steps s;
    evm_steps_start(&s, 4, 1000, 500, false, fifths);
    CHECK(s.at[0] == 1000 && s.at[1] == 1100 && s.at[2] == 1200 && s.at[3] == 1500,
          "by time, step k is reached at its share of the time");
    CHECK(evm_steps_reached(&s, 1099) == 0 && evm_steps_reached(&s, 1100) == 1,
          "a step is reached at its moment, not before");
    CHECK(evm_steps_reached(&s, 1499) == 2 && !evm_steps_done(&s, 1499), "not done before the end");
    CHECK(evm_steps_done(&s, 1500) && evm_steps_ended(&s, 1500), "done at the end");
    CHECK(evm_steps_poll(&s, 2000) == -1, "an ended clock does not move on a poll");

    evm_steps_start(&s, 3, 0, 0, false, NULL);
    CHECK(s.at[1] == 1 && s.at[2] == 2, "with no time, each step still takes a millisecond");
    evm_steps_start(&s, 5, 0, 400, false, NULL);
    CHECK(s.at[1] == 100 && s.at[2] == 200 && s.at[3] == 300 && s.at[4] == 400,
          "NULL parts: even steps");
}

static void
test_by_poll(void)
{
    evm_steps s;
    evm_steps_start(&s, 3, 10, 3600000, true, NULL);
    CHECK(evm_steps_reached(&s, 1000000000) == 0, "by poll, time alone moves nothing");
    CHECK(evm_steps_poll(&s, 20) == 1 && s.at[1] == 20, "a poll reaches the next step now");
    CHECK(evm_steps_poll(&s, 30) == 2 && evm_steps_done(&s, 30), "the last poll ends it");
    CHECK(evm_steps_poll(&s, 40) == -1 && evm_steps_reached(&s, 40) == 2,
          "polls past the end change nothing");
}

static void
test_stop(void)
{
    evm_steps s;
    evm_steps_start(&s, 3, 0, 100, false, NULL);
    evm_steps_stop(&s, 60);
    CHECK(!evm_steps_stopped(&s, 59) && evm_steps_stopped(&s, 60), "stopped from its moment");
    CHECK(evm_steps_ended(&s, 70) && !evm_steps_done(&s, 70),
          "a stopped clock has ended, not done");
    CHECK(evm_steps_seen(&s, 50, 70) && !evm_steps_seen(&s, 100, 200),
          "what would come after the stop is never seen");
    CHECK(!evm_steps_seen(&s, -1, 70) && !evm_steps_seen(&s, 65, 62),
          "an unknown or later moment is not seen");
    CHECK(evm_steps_poll(&s, 80) == -1, "a stopped clock does not move on a poll");
}

int
main(void)
{
    test_by_time();
    test_by_poll();
    test_stop();
    UNIT_DONE();
}
