/* Unit tests of lib/curvefile: an ev-curve report read back for a chart. */
#include <math.h>
#include <stdlib.h>

#include "curve.h"
#include "curvefile.h"
#include "json.h"
#include "unit.h"
#include "unitjson.h"

/* read_text reads 'report' as an ev-curve report from a file. */
static jv
read_text(const char *report)
{
    char path[64];
    unit_file(path, "curve.json", report);
    jv c = ev_curvefile_read(path);
    unit_file_remove(path);
    return c;
}

static void
test_report(void)
{
    jv c = read_text(
        "{\"points\":[{\"n\":100,\"k\":50,\"N\":100,\"accuracy\":0.5,\"ci\":[0.4,0.6]},\n"
        "  {\"n\":400,\"accuracy\":0.6}, {\"n\":0,\"accuracy\":0.1}, {\"n\":50}],\n"
        " \"target\":{\"accuracy\":0.7,\"ci\":[0.65,0.75]},\"reached\":false,\n"
        " \"primary\":\"loglinear\",\n"
        " \"fits\":[{\"model\":\"loglinear\",\"ok\":true,\"params\":{\"a\":-0.164,\"b\":0.1},\n"
        "   \"n_star\":1600,\"examples_needed\":1600,\"range\":{\"lo\":800.2,\"hi\":null,\n"
        "   \"unreachable\":0.03},\"trend\":\"rising\",\"gain_per_doubling\":0.1},\n"
        "  {\"model\":\"power\",\"ok\":true,\"params\":{\"a\":0.9,\"b\":1.2,\"c\":0.3},\n"
        "   \"n_star\":3000.4,\"examples_needed\":3001,\"range\":{\"lo\":1000,\"hi\":9000.5,\n"
        "   \"unreachable\":0.012}},\n"
        "  {\"model\":\"logit\",\"ok\":false,\"note\":\"needs 2 sizes\"},\n"
        "  {\"model\":\"offset\",\"ok\":true,\"params\":{\"a\":1}}]}\n");
    CHECK(jv_is_valid(c), "an ev-curve report is read");
    CHECK_STR(unit_json_at(c, "points"),
              "[{\"accuracy\":0.5,\"hi\":0.6,\"lo\":0.4,\"n\":100},{\"accuracy\":0.6,\"n\":400}]",
              "each point with its interval; a point without a size of 1 or more, or without "
              "an accuracy, is left out");
    CHECK_NEAR(ev_json_number(c, "domain.0"), 100 / 1.5, 1e-9,
               "the chart starts below the smallest size");
    CHECK_NEAR(ev_json_number(c, "domain.1"), 1600 * 1.3, 1e-9,
               "and reaches past the headline fit's n*");
    ev_curve_fit lin = {.model = EV_CURVE_LOGLINEAR, .ok = true, .a = -0.164, .b = 0.1};
    ev_curve_fit pow_ = {.model = EV_CURVE_POWER, .ok = true, .a = 0.9, .b = 1.2, .c = 0.3};
    CHECK_STR(unit_json_at(c, "fits.0.line.47.0"), unit_json_at(c, "domain.1"),
              "a fit's line spans the domain");
    double n = ev_json_number(c, "fits.0.line.10.0");
    CHECK_NEAR(ev_json_number(c, "fits.0.line.10.1"), ev_curve_predict(&lin, n), 1e-12,
               "the loglinear line is curve.h's prediction");
    n = ev_json_number(c, "fits.1.line.30.0");
    CHECK_NEAR(ev_json_number(c, "fits.1.line.30.1"), ev_curve_predict(&pow_, n), 1e-12,
               "and so is the power law's");
    CHECK_STR(unit_json_at(c, "fits.0.primary"), "true", "the headline fit is marked");
    CHECK_STR(unit_json_at(c, "fits.1.primary"), "false", "the others are not");
    CHECK_STR(unit_json_at(c, "fits.0.text"),
              "\"n* = 1600, 95% range [801, never], unreachable in 3.0% of resamples, +10.0 points "
              "per doubling\"",
              "each fit is worded as ev-curve's table words it, the range rounded up");
    CHECK_STR(unit_json_at(c, "fits.1.text"),
              "\"n* = 3001, 95% range [1000, 9001], unreachable in 1.2% of resamples\"",
              "with the share of resamples that never reach the target");
    CHECK_STR(unit_json_at(c, "fits.2.text"), "\"no fit: needs 2 sizes\"",
              "a fit that failed says why");
    CHECK_STR(unit_json_at(c, "fits.2.line"), "null", "and has no line");
    CHECK_STR(unit_json_at(c, "fits.3.line"), "null", "nor has a fit curve.h does not know");
    CHECK_STR(unit_json_at(c, "target"),
              "{\"accuracy\":0.7,\"hi\":0.75,\"lo\":0.65,\"text\":\"70.0%\"}",
              "the target, with its interval");
    CHECK_STR(unit_json_at(c, "reached"), "false", "and whether it is reached");
    jv_free(c);

    c = read_text("{\"points\":[{\"n\":10,\"accuracy\":0.5}],\"primary\":\"loglinear\",\"fits\":"
                  "[{\"model\":\"loglinear\",\"ok\":true,\"params\":{\"a\":0,\"b\":0.01},"
                  "\"n_star\":1e9}]}");
    CHECK_NEAR(ev_json_number(c, "domain.1"), 640, 1e-9,
               "a far n* takes the chart to 64 times the largest size, no further");
    CHECK_STR(unit_json_at(c, "target"), "(none)", "a report without a target has none");
    jv_free(c);
}

static void
test_bad(void)
{
    const char *bad[][2] = {
        {"", "not an ev-curve report: it is not one JSON object"},
        {"{\"points\": [", "cannot read an ev-curve report"},
        {"[1, 2]", "not an ev-curve report: it is not one JSON object"},
        {"{} {}", "not an ev-curve report: it is not one JSON object"},
        {"{\"points\": []}", "not an ev-curve report: it has no 'points'"},
        {"{\"n\": 3}", "not an ev-curve report: it has no 'points'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        jv c = read_text(bad[0 + i][0]);
        jv msg = jv_invalid_get_msg(c);
        const char *m = ev_json_str(msg, "");
        CHECK(strstr(m, "curve.json: ") != NULL && strstr(m, bad[i][1]) != NULL, bad[i][1]);
        if (strstr(m, bad[i][1]) == NULL)
            printf("#   got '%s'\n", m);
        jv_free(msg);
    }
    jv c = ev_curvefile_read("/nonexistent/curve.json");
    jv msg = jv_invalid_get_msg(c);
    CHECK(strncmp(ev_json_str(msg, ""), "/nonexistent/curve.json: cannot read", 36) == 0,
          "a file that cannot be opened is named");
    jv_free(msg);
}

int
main(void)
{
    test_report();
    test_bad();
    UNIT_DONE();
}
