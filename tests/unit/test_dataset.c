/* Unit tests of lib/dataset: the statistics of a training file's
 * examples. */
#include <stdlib.h>

#include "dataset.h"
#include "unit.h"

static void
test_stats(void)
{
    ev_dataset_stats s;
    ev_dataset_stats_init(&s, 20);
    ev_example_measure a = {10, 2, 2, true, true}, b = {30, 4, 3, false, true},
                       c = {20, 3, 4, false, false};
    ev_dataset_stats_add(&s, &a);
    ev_dataset_stats_add(&s, &b);
    ev_dataset_stats_add(&s, &c);
    CHECK_JV(ev_dataset_stats_json(&s),
             "{\"assistant_tokens\":{\"max\":4,\"median\":3,\"min\":2,\"total\":9},"
             "\"billing_tokens\":50,\"examples\":3,"
             "\"messages\":{\"max\":4,\"median\":3,\"min\":2,\"total\":9},"
             "\"missing_system\":2,\"missing_user\":1,\"over_token_limit\":1,"
             "\"tokens\":{\"max\":30,\"median\":20,\"min\":10,\"total\":60}}",
             "statistics: distributions, and billing tokens cut at the limit");
    ev_dataset_stats_free(&s);
}

int
main(void)
{
    test_stats();
    UNIT_DONE();
}
