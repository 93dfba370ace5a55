/* lib/chart: the learning-curve chart as SVG and as text. The SVG is parsed
 * back: its x ticks must be the sizes measured, its accuracy range must hold
 * the data and the target, and no label may lie on a line or a point. */
#include <stdlib.h>

#include "chart.h"
#include "unit.h"

static const ev_curve_point worked[] = {
    {25, 78, 200}, {50, 92, 200}, {100, 104, 200}, {200, 112, 200}};
static const ev_curve_point steep[] = {
    {10, 20, 100}, {20, 45, 100}, {40, 62, 100}, {80, 75, 100}, {160, 84, 100}};
static const ev_curve_point falling[] = {
    {10, 60, 100}, {20, 58, 100}, {40, 57, 100}, {80, 55, 100}};

/* render draws the chart of 'np' points for 'target' with the fit 'model'
 * (and the target's band when 'band'), as SVG or text; the text is to free. */
static char *
render(const ev_curve_point *p, size_t np, enum ev_curve_model model, double target, bool band,
       bool svg)
{
    ev_curve_fit fit = ev_curve_fit_points(model, p, np);
    ev_curve_range range = ev_curve_bootstrap(&fit, p, np, target, 0, 200, 1);
    ev_stats_interval ci = {NAN, NAN};
    if (band) {
        ev_curve_point t = {0, round(target * 200), 200};
        ci = ev_curve_point_ci(&t);
    }
    ev_chart c = {p, np, &fit, target, ci, ev_curve_solve(&fit, target, p[0].n), range, 1};
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

/* --- a reader for the few SVG elements the chart writes ----------------- */

/* attr returns the number in attribute 'name' of the element starting at
 * 'e' (up to its '>'), or NAN. */
static double
attr(const char *e, const char *name)
{
    char key[32];
    snprintf(key, sizeof(key), " %s=\"", name);
    const char *end = strchr(e, '>'), *a = strstr(e, key);
    return a != NULL && a < end ? strtod(a + strlen(key), NULL) : NAN;
}

/* is says whether the element at 'e' has the class 'cls'. */
static bool
is(const char *e, const char *cls)
{
    char key[48];
    snprintf(key, sizeof(key), "class=\"%s\"", cls);
    const char *end = strchr(e, '>'), *a = strstr(e, key);
    return a != NULL && a < end;
}

typedef struct box {
    double x0, y0, x1, y1;
} box;

typedef struct seg {
    double x1, y1, x2, y2;
} seg;

/* The marks read back: segments of lines, boxes of points. */
typedef struct marks {
    seg s[1024];
    size_t ns;
    box b[64];
    size_t nb;
} marks;

static void
read_marks(const char *svg, marks *m)
{
    m->ns = m->nb = 0;
    for (const char *e = strstr(svg, "<line"); e != NULL; e = strstr(e + 1, "<line"))
        if ((is(e, "ci") || is(e, "nstar") || is(e, "target")) && m->ns < 1024)
            m->s[m->ns++] = (seg){attr(e, "x1"), attr(e, "y1"), attr(e, "x2"), attr(e, "y2")};
    for (const char *e = strstr(svg, "<circle"); e != NULL; e = strstr(e + 1, "<circle")) {
        double x = attr(e, "cx"), y = attr(e, "cy"), r = attr(e, "r");
        if (m->nb < 64)
            m->b[m->nb++] = (box){x - r, y - r, x + r, y + r};
    }
    for (const char *e = strstr(svg, "<polyline"); e != NULL; e = strstr(e + 1, "<polyline")) {
        const char *q = strstr(e, "points=\"") + 8;
        double px = NAN, py = NAN, x, y;
        int used;
        while (sscanf(q, "%lf,%lf %n", &x, &y, &used) == 2) {
            if (!isnan(px) && m->ns < 1024)
                m->s[m->ns++] = (seg){px, py, x, y};
            px = x;
            py = y;
            q += used;
        }
    }
}

/* text_box is the box of the text element at 'e', whose content goes to
 * 'buf': 0.6 em a character, 0.8 em above the baseline and 0.25 below. */
static box
text_box(const char *e, char *buf, size_t n)
{
    const char *c = strchr(e, '>') + 1, *end = strstr(c, "</text>");
    snprintf(buf, n, "%.*s", (int)(end - c), c);
    double x = attr(e, "x"), y = attr(e, "y"), size = attr(e, "font-size");
    size = isnan(size) ? 12 : size;
    double w = 0.6 * size * (double)strlen(buf);
    const char *anchor = strstr(e, "text-anchor=\"");
    if (anchor != NULL && anchor < strchr(e, '>'))
        x -= strncmp(anchor + 13, "middle", 6) == 0 ? w / 2
             : strncmp(anchor + 13, "end", 3) == 0  ? w
                                                    : 0;
    return (box){x, y - 0.8 * size, x + w, y + 0.25 * size};
}

/* crosses says whether the segment 's' passes through the box 'b': by
 * sampling it finely, a method unlike the chart's own. */
static bool
crosses(seg s, box b)
{
    for (int i = 0; i <= 400; i++) {
        double x = s.x1 + (s.x2 - s.x1) * i / 400.0, y = s.y1 + (s.y2 - s.y1) * i / 400.0;
        if (x > b.x0 && x < b.x1 && y > b.y0 && y < b.y1)
            return true;
    }
    return false;
}

static bool
meet(box a, box b)
{
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/* check_svg checks the structure of one chart, named 'name'. */
static void
check_svg(const char *name, const ev_curve_point *p, size_t np, enum ev_curve_model model,
          double target, bool band)
{
    char *svg = render(p, np, model, target, band, true), what[320], text[160], want[32];
    marks m;
    read_marks(svg, &m);

    /* The x ticks are the sizes measured, in order. */
    size_t k = 0;
    bool same = true;
    for (const char *e = strstr(svg, "<text"); e != NULL; e = strstr(e + 1, "<text")) {
        if (!is(e, "xtick"))
            continue;
        text_box(e, text, sizeof(text));
        snprintf(want, sizeof(want), "%g", k < np ? p[k].n : NAN);
        same = same && k < np && strcmp(text, want) == 0;
        k++;
    }
    snprintf(what, sizeof(what), "%s: the x ticks are the sizes measured", name);
    CHECK(same && k == np, what);

    /* The accuracy range holds every point, its interval and the target. */
    double lo = INFINITY, hi = -INFINITY, dlo = target, dhi = target;
    for (const char *e = strstr(svg, "<text"); e != NULL; e = strstr(e + 1, "<text")) {
        if (!is(e, "ytick"))
            continue;
        text_box(e, text, sizeof(text));
        lo = fmin(lo, strtod(text, NULL) / 100);
        hi = fmax(hi, strtod(text, NULL) / 100);
    }
    for (size_t i = 0; i < np; i++) {
        ev_stats_interval w = ev_curve_point_ci(&p[i]);
        dlo = fmin(dlo, w.lo);
        dhi = fmax(dhi, w.hi);
    }
    snprintf(what, sizeof(what), "%s: the y axis, %.3f to %.3f, holds %.3f to %.3f", name, lo, hi,
             dlo, dhi);
    CHECK(lo <= dlo && hi >= dhi && hi - lo <= 2 * (dhi - dlo) + 0.1, what);

    /* No label lies on a line or a point, or off the page. */
    size_t labels = 0;
    for (const char *e = strstr(svg, "<text"); e != NULL; e = strstr(e + 1, "<text")) {
        if (!is(e, "target-label") && !is(e, "nstar-label"))
            continue;
        box b = text_box(e, text, sizeof(text));
        size_t hits = 0;
        for (size_t i = 0; i < m.ns; i++)
            hits += crosses(m.s[i], b);
        for (size_t i = 0; i < m.nb; i++)
            hits += meet(m.b[i], b);
        snprintf(what, sizeof(what), "%s: '%s' is clear of every line and point (%zu)", name, text,
                 hits);
        CHECK(hits == 0, what);
        snprintf(what, sizeof(what), "%s: '%s' is on the page", name, text);
        CHECK(b.x0 >= 0 && b.x1 <= 720 && b.y0 >= 0 && b.y1 <= 440, what);
        labels++;
    }
    snprintf(what, sizeof(what), "%s: the target is labelled", name);
    CHECK(labels >= 1 && strstr(svg, "class=\"target-label\"") != NULL, what);
    free(svg);
}

static void
test_svg(void)
{
    char *s = render(worked, 4, EV_CURVE_LOGLINEAR, 0.60, false, true);
    CHECK(strncmp(s, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0, "an SVG document");
    CHECK(strstr(s, "</svg>\n") != NULL, "closed");
    CHECK(strstr(s, "Accuracy against training examples (loglinear fit)") != NULL,
          "the title names the fit");
    CHECK(strstr(s, ">target 60.0%</text>") != NULL, "the target is labelled with its value");
    CHECK(strstr(s, ">n* = 296 (95% range ") != NULL, "n* and its range are labelled");
    CHECK(strstr(s, "(seed 1)") != NULL, "the caption names the seed");
    size_t circles = 0;
    for (const char *c = strstr(s, "<circle"); c != NULL; c = strstr(c + 1, "<circle"))
        circles++;
    CHECK(circles == 4, "one circle a point");
    free(s);

    /* The worked example's fit crossed the old label at the right end. */
    check_svg("worked", worked, 4, EV_CURVE_LOGLINEAR, 0.60, false);
    check_svg("worked, logit, a measured target", worked, 4, EV_CURVE_LOGIT, 0.60, true);
    check_svg("worked, power law", worked, 4, EV_CURVE_POWER, 0.60, false);
    check_svg("worked, a target below the data", worked, 4, EV_CURVE_LOGLINEAR, 0.20, false);
    check_svg("steep, power law, n* within the data", steep, 5, EV_CURVE_POWER, 0.62, false);
    check_svg("steep, a high target", steep, 5, EV_CURVE_LOGLINEAR, 0.90, true);
    check_svg("steep, a target through the points", steep, 5, EV_CURVE_LOGLINEAR, 0.45, false);
    check_svg("falling", falling, 4, EV_CURVE_LOGLINEAR, 0.54, false);

    /* A falling fit has no n* to mark. */
    s = render(falling, 4, EV_CURVE_LOGLINEAR, 0.54, false, true);
    CHECK(strstr(s, "class=\"nstar\"") == NULL, "no n* line on a falling curve");
    free(s);
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
test_text(void)
{
    char *s = render(worked, 4, EV_CURVE_LOGLINEAR, 0.60, false, false);
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
