/* lib/chart: the learning-curve chart as SVG and as text. */
#include <stdlib.h>

#include "chart.h"
#include "unit.h"

static const ev_curve_point points[] = {
    {25, 78, 200}, {50, 92, 200}, {100, 104, 200}, {200, 112, 200}};

/* render writes the chart of the worked example (STATS.md §8.5) with 'svg'
 * or as text, and returns the text, to free. */
static char *
render(bool svg, double target)
{
    ev_curve_fit fit = ev_curve_fit_points(EV_CURVE_LOGLINEAR, points, 4);
    ev_curve_range range = {160, 291, 1796, 0, 1000};
    ev_chart c = {points, 4, &fit, target, {NAN, NAN}, ev_curve_solve(&fit, target, 25), range, 1};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (svg)
        ev_chart_svg(f, &c);
    else
        ev_chart_text(f, &c);
    fclose(f);
    return text;
}

static size_t
count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p != NULL; p = strstr(p + 1, what))
        n++;
    return n;
}

static void
test_svg(void)
{
    char *s = render(true, 0.60);
    CHECK(strncmp(s, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0, "an SVG document");
    CHECK(strstr(s, "</svg>\n") != NULL, "closed");
    CHECK(count(s, "<circle") == 4, "one circle a point");
    CHECK(strstr(s, "Accuracy against training examples (loglinear fit)") != NULL,
          "the title names the fit");
    CHECK(strstr(s, "target 60.0%") != NULL, "the target is labelled");
    CHECK(strstr(s, "n* = 296 (95% range 160 to 1796)") != NULL, "n* and its range are labelled");
    CHECK(strstr(s, "(seed 1)") != NULL, "the caption names the seed");
    free(s);
}

static void
test_text(void)
{
    char *s = render(false, 0.60);
    char *axis = strstr(s, "      +");
    CHECK(axis != NULL, "an x axis");
    if (axis != NULL)
        *axis = '\0';
    CHECK(count(s, "o") == 4, "one 'o' a point above the axis");
    CHECK(strstr(s, "|----------") != NULL, "the target is a row of dashes");
    if (axis != NULL)
        *axis = ' ';
    CHECK(count(s, "\n") == 16, "12 rows, an axis, its labels, a legend and a blank line");
    CHECK(strstr(s, "examples (log scale)") != NULL, "the x axis is labelled");
    free(s);
}

int
main(void)
{
    test_svg();
    test_text();
    UNIT_DONE();
}
