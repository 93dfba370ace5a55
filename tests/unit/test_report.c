/* Unit tests of lib/report: the cells every report prints. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "report.h"
#include "unit.h"

int
main(void)
{
    char b[64];
    CHECK_STR(ev_report_pct(0.6123, b, sizeof(b)), "61.2%", "a proportion reads in percent");
    CHECK_STR(ev_report_pct(NAN, b, sizeof(b)), "-", "a missing figure is a dash");
    CHECK_STR(ev_report_ci_pct(0.501, 0.6934, b, sizeof(b)), "[50.1, 69.3]",
              "an interval reads in percent");
    CHECK_STR(ev_report_ci_pct(0.5, NAN, b, sizeof(b)), "-", "an interval needs both ends");
    CHECK_STR(ev_report_points(-0.021, b, sizeof(b)), "-2.1", "a difference is signed points");
    CHECK_STR(ev_report_points(0.05, b, sizeof(b)), "+5.0", "a gain has its plus sign");
    CHECK_STR(ev_report_fixed(3.14159, 2, b, sizeof(b)), "3.14", "fixed decimals");
    CHECK_STR(ev_report_count(950, b, sizeof(b)), "950", "a small count is whole");
    CHECK_STR(ev_report_count(12345, b, sizeof(b)), "12.3k", "thousands are k");
    CHECK_STR(ev_report_count(4.5e6, b, sizeof(b)), "4.5M", "millions are M");
    CHECK_STR(ev_report_duration(42.4, b, sizeof(b)), "42s", "seconds");
    CHECK_STR(ev_report_duration(187, b, sizeof(b)), "3m07s", "minutes and seconds");
    CHECK_STR(ev_report_duration(7500, b, sizeof(b)), "2h05m", "hours and minutes");
    CHECK_STR(ev_report_raw(0.502003, b, sizeof(b)), "0.502003", "a raw number for TSV");
    CHECK_STR(ev_report_raw(1.0 / 3, b, sizeof(b)), "0.333333333", "to 9 significant digits");
    CHECK_STR(ev_report_raw(NAN, b, sizeof(b)), "", "a missing raw number is an empty cell");
    CHECK_STR(ev_report_money(0.00042, 0, b, sizeof(b)), "0.00042", "money, trailing zeros cut");
    CHECK_STR(ev_report_money(12, 0, b, sizeof(b)), "12", "whole money has no point");
    CHECK_STR(ev_report_money(-1e-12, 0, b, sizeof(b)), "0", "money below 1e-9 is 0, not -0");
    CHECK_STR(ev_report_money(0.00042, 6, b, sizeof(b)), "0.000420", "money to 6 places");
    CHECK_STR(ev_report_money(NAN, 6, b, sizeof(b)), "-", "missing money is a dash");
    {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        const char *cells[] = {"model", "1", "22"};
        static const int widths[] = {6, 3, 4};
        ev_report_header(f, EV_CLI_FORMAT_TABLE, cells, 3, widths);
        ev_report_header(f, EV_CLI_FORMAT_MARKDOWN, cells, 3, widths);
        ev_report_row(f, EV_CLI_FORMAT_TSV, cells, 3, NULL);
        fclose(f);
        CHECK_STR(out,
                  "model    1   22\n"
                  "| model | 1 | 22 |\n|---|--:|--:|\n"
                  "model\t1\t22\n",
                  "rows: aligned for a terminal, a pipe table in markdown, tabs in TSV");
        free(out);
    }
    char small[4];
    CHECK_STR(ev_report_pct(0.6123, small, sizeof(small)), "61.", "a cell is cut to its buffer");
    UNIT_DONE();
}
