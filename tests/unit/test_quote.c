/* Unit tests of lib/quote: the cookbook's default epochs. */
#include <stdlib.h>

#include "quote.h"
#include "unit.h"

static void
test_epochs(void)
{
    const char *why;
    CHECK(ev_quote_default_epochs(12, &why) == 8 && strcmp(why, "raised") == 0,
          "12 examples: 3 raised to 100 / 12 = 8");
    CHECK(ev_quote_default_epochs(1, NULL) == 25, "1 example: raised, at most 25");
    CHECK(ev_quote_default_epochs(40, &why) == 3 && strcmp(why, "default") == 0,
          "40 examples: 3, since 120 is within 100..25000");
    CHECK(ev_quote_default_epochs(10000, &why) == 2 && strcmp(why, "lowered") == 0,
          "10000 examples: lowered to 25000 / 10000 = 2");
    CHECK(ev_quote_default_epochs(100000, NULL) == 1, "100000 examples: at least 1");
}

int
main(void)
{
    test_epochs();
    UNIT_DONE();
}
