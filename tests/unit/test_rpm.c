/* Unit tests of mock/rpm, the sliding window of ev-mock's --rpm. Times are
 * given, so the window is checked at exact moments. */
#include "mock/rpm.h"
#include "unit.h"

static void
test_window(void)
{
    evm_rpm *r = evm_rpm_new(2, 1000);
    long left, reset;
    CHECK(evm_rpm_admit(r, 100, &left, &reset) == 0 && left == 1 && reset == 1000,
          "the first request is admitted; one more may come");
    CHECK(evm_rpm_admit(r, 400, &left, &reset) == 0 && left == 0 && reset == 700,
          "the second too; the window resets when the first leaves it");
    CHECK(evm_rpm_admit(r, 500, &left, &reset) == 600 && left == 0 && reset == 600,
          "a third is refused until the oldest leaves");
    CHECK(evm_rpm_admit(r, 1099, &left, &reset) == 1, "a millisecond short, still refused");
    CHECK(evm_rpm_admit(r, 1100, &left, &reset) == 0 && left == 0,
          "once the oldest left, a request is admitted");
    CHECK(evm_rpm_admit(r, 1399, &left, &reset) == 1, "and the window is full again");
    evm_rpm_reset(r);
    CHECK(evm_rpm_admit(r, 1399, &left, &reset) == 0 && left == 1, "a reset empties the window");
    evm_rpm_free(r);
}

int
main(void)
{
    test_window();
    UNIT_DONE();
}
