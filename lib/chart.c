#include "chart.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* The page and the plot area on it, in SVG units. */
#define WIDTH 720
#define HEIGHT 440
#define LEFT 70
#define RIGHT 690
#define TOP 50
#define BOTTOM 380
#define FONT 12
/* The width of a character of the sans-serif font, in ems, and what a text
 * box reaches above and below its baseline: generous, so that a label placed
 * clear of the marks stays clear in any common font. */
#define CHAR_EM 0.62
#define ASCENT 0.8
#define DESCENT 0.25

/* The data ranges of the plot: log2 n and accuracy. */
typedef struct axis {
    double x0, x1, y0, y1;
} axis;

static double
sx(const axis *ax, double n)
{
    return LEFT + (log2(n) - ax->x0) / (ax->x1 - ax->x0) * (RIGHT - LEFT);
}

static double
sy(const axis *ax, double acc)
{
    return BOTTOM - (acc - ax->y0) / (ax->y1 - ax->y0) * (BOTTOM - TOP);
}

typedef struct box {
    double x0, y0, x1, y1;
} box;

typedef struct seg {
    double x1, y1, x2, y2;
} seg;

/* What a label must keep clear of: the segments of the lines drawn and the
 * boxes of the points and of the labels placed already. */
typedef struct marks {
    seg *s;
    size_t ns, caps;
    box *b;
    size_t nb, capb;
} marks;

static void
add_seg(marks *m, double x1, double y1, double x2, double y2)
{
    if (m->ns == m->caps) {
        m->caps = m->caps ? 2 * m->caps : 64;
        m->s = ev_alloc_resize(m->s, m->caps * sizeof(*m->s));
    }
    m->s[m->ns++] = (seg){x1, y1, x2, y2};
}

static void
add_box(marks *m, box b)
{
    if (m->nb == m->capb) {
        m->capb = m->capb ? 2 * m->capb : 16;
        m->b = ev_alloc_resize(m->b, m->capb * sizeof(*m->b));
    }
    m->b[m->nb++] = b;
}

/* text_box is the box of 'len' characters of text at font size 'size'
 * whose anchor (start, middle or end: 0, 1, 2) is at x and baseline at y. */
static box
text_box(double x, double y, int anchor, double size, size_t len)
{
    double w = CHAR_EM * size * (double)len, x0 = x - w * anchor / 2;
    return (box){x0, y - ASCENT * size, x0 + w, y + DESCENT * size};
}

static bool
boxes_meet(box a, box b)
{
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/* crosses says whether the segment 's' passes through the box 'b'
 * (Liang-Barsky clipping). */
static bool
crosses(seg s, box b)
{
    double t0 = 0, t1 = 1, dx = s.x2 - s.x1, dy = s.y2 - s.y1;
    double p[4] = {-dx, dx, -dy, dy};
    double q[4] = {s.x1 - b.x0, b.x1 - s.x1, s.y1 - b.y0, b.y1 - s.y1};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0)
                return false;
            continue;
        }
        double t = q[i] / p[i];
        if (p[i] < 0)
            t0 = fmax(t0, t);
        else
            t1 = fmin(t1, t);
        if (t0 > t1)
            return false;
    }
    return true;
}

/* collisions counts the marks that the box 'b' meets. */
static size_t
collisions(const marks *m, box b)
{
    size_t n = 0;
    for (size_t i = 0; i < m->ns; i++)
        n += crosses(m->s[i], b);
    for (size_t i = 0; i < m->nb; i++)
        n += boxes_meet(m->b[i], b);
    return n;
}

/* nice is a tick step for an accuracy span: the smallest of 1, 2, 2.5, 5,
 * 10, 20 and 25 points that gives at most 8 steps. */
static double
nice(double span)
{
    static const double steps[] = {0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        if (span / steps[i] <= 8)
            return steps[i];
    return 0.25;
}

/* percent writes a tick of accuracy 'v': whole percents, unless the
 * 'step' is not a whole percent. */
static const char *
percent(double v, double step, char *buf, size_t n)
{
    bool whole = fabs(step * 100 - round(step * 100)) < 1e-9;
    snprintf(buf, n, "%.*f%%", whole ? 0 : 1, 100 * v);
    return buf;
}

/* y_range sets the accuracy range of the plot from the data: every point
 * with its interval, and the target with its band, padded and widened to
 * whole tick steps within [0, 1]; it returns the step. */
static double
y_range(axis *ax, const ev_chart *c)
{
    double lo = c->target, hi = c->target;
    for (size_t i = 0; i < c->np; i++) {
        ev_stats_interval w = ev_curve_point_ci(&c->p[i]);
        lo = fmin(lo, w.lo);
        hi = fmax(hi, w.hi);
    }
    if (isfinite(c->target_ci.lo)) {
        lo = fmin(lo, c->target_ci.lo);
        hi = fmax(hi, c->target_ci.hi);
    }
    double pad = fmax(0.01, 0.05 * (hi - lo));
    double step = nice(hi - lo + 2 * pad);
    ax->y0 = fmax(0, floor((lo - pad) / step + 1e-9) * step);
    ax->y1 = fmin(1, ceil((hi + pad) / step - 1e-9) * step);
    return step;
}

/* x_range sets the log2 range of training examples: from below the
 * smallest size to past the largest, n* and the range's upper end, within
 * 64 times the largest size. */
static void
x_range(axis *ax, const ev_chart *c)
{
    double nmin = c->p[0].n, nmax = c->p[c->np - 1].n, xhi = nmax * 2;
    if (isfinite(c->nstar))
        xhi = fmax(xhi, fmin(c->nstar * 1.5, nmax * 64));
    if (isfinite(c->range.hi))
        xhi = fmax(xhi, fmin(c->range.hi * 1.2, nmax * 64));
    ax->x0 = log2(nmin / 1.5);
    ax->x1 = log2(xhi);
}

/* line draws the segment 's' with class 'cls' and the attributes 'style',
 * and marks it. */
static void
line(FILE *f, marks *m, seg s, const char *cls, const char *style)
{
    fprintf(f, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" %s/>\n", cls,
            s.x1, s.y1, s.x2, s.y2, style);
    add_seg(m, s.x1, s.y1, s.x2, s.y2);
}

/* label writes 'text' at x, y with 'anchor' and class 'cls', and marks its
 * box as taken. */
static void
label(FILE *f, marks *m, double x, double y, int anchor, const char *cls, const char *fill,
      const char *text)
{
    static const char *anchors[] = {"start", "middle", "end"};
    fprintf(f,
            "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"%s\">%s</text>\n",
            cls, x, y, anchors[anchor], fill, text);
    add_box(m, text_box(x, y, anchor, FONT, strlen(text)));
}

/* place_target puts the target's label beside its line where it meets no
 * mark: at either end or along it, above or below; failing that, where it
 * meets the fewest. */
static void
place_target(FILE *f, marks *m, double yt, const char *text)
{
    double best_x = RIGHT - 6, best_y = yt - 6;
    int best_anchor = 2;
    size_t best = SIZE_MAX, len = strlen(text);
    for (int k = 0; k < 18 && best > 0; k++) {
        int at = k / 2; /* 0: the right end, 1: the left end, 2..8: along */
        int anchor = at == 0 ? 2 : at == 1 ? 0 : 1;
        double x = at == 0   ? RIGHT - 6
                   : at == 1 ? LEFT + 6
                             : LEFT + (RIGHT - LEFT) * (at - 1) / 8.0;
        double y = k % 2 == 0 ? yt - 6 : yt + 6 + ASCENT * FONT;
        box b = text_box(x, y, anchor, FONT, len);
        if (b.x0 < LEFT || b.x1 > RIGHT || b.y0 < TOP || b.y1 > BOTTOM)
            continue;
        size_t n = collisions(m, b);
        if (n < best) {
            best = n;
            best_x = x;
            best_y = y;
            best_anchor = anchor;
        }
    }
    label(f, m, best_x, best_y, best_anchor, "target-label", "#2a9d8f", text);
}

/* fit_line draws the fitted curve where it lies within the plot, as
 * polylines cut where it leaves the accuracy range. */
static void
fit_line(FILE *f, marks *m, const axis *ax, const ev_curve_fit *fit)
{
    enum { STEPS = 240 };
    bool open = false;
    double px = 0, py = 0;
    for (int i = 0; i <= STEPS; i++) {
        double n = exp2(ax->x0 + (ax->x1 - ax->x0) * i / STEPS);
        double y = ev_curve_predict(fit, n), x = sx(ax, n);
        bool in = y >= ax->y0 && y <= ax->y1;
        double yc = sy(ax, fmin(fmax(y, ax->y0), ax->y1));
        if (in && !open) {
            fprintf(f, "<polyline class=\"fit\" fill=\"none\" stroke=\"#264653\" "
                       "stroke-width=\"2\" points=\"");
            open = true;
            if (i > 0) { /* where the curve enters, on the edge */
                fprintf(f, "%.1f,%.1f ", px, py);
                px = x;
                py = yc;
            }
        }
        if (open) {
            fprintf(f, "%.1f,%.1f ", x, yc);
            if (i > 0)
                add_seg(m, px, py, x, yc);
        }
        if (!in && open) {
            fprintf(f, "\"/>\n");
            open = false;
        }
        px = x;
        py = yc;
    }
    if (open)
        fprintf(f, "\"/>\n");
}

/* end writes an end of the range of n*, or "never". */
static const char *
end(double x, char *buf, size_t n)
{
    if (isfinite(x))
        snprintf(buf, n, "%.0f", ceil(x));
    else
        snprintf(buf, n, "never");
    return buf;
}

void
ev_chart_svg(FILE *f, const ev_chart *c)
{
    const ev_curve_point *p = c->p;
    ev_curve_range range = c->range;
    ev_stats_interval tci = c->target_ci;
    axis ax;
    x_range(&ax, c);
    double step = y_range(&ax, c);
    marks m = {0};
    char text[160], a[32], b[32];
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"%d\">\n",
            WIDTH, HEIGHT, WIDTH, HEIGHT, FONT);
    fprintf(f, "<title>Learning curve: accuracy against training examples</title>\n");
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", WIDTH, HEIGHT);
    fprintf(f,
            "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">"
            "Accuracy against training examples (%s fit)</text>\n",
            WIDTH / 2, ev_curve_model_name(c->fit->model));
    /* The range of n* and the target's band first, so the data sit on top. */
    if (isfinite(range.lo) && range.lo <= exp2(ax.x1)) {
        double x0 = fmax(LEFT, sx(&ax, range.lo));
        double x1 = isfinite(range.hi) ? fmin(RIGHT, sx(&ax, range.hi)) : RIGHT;
        fprintf(f,
                "<rect class=\"range\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                "fill=\"#f4a261\" fill-opacity=\"0.18\"/>\n",
                x0, TOP, fmax(0, x1 - x0), BOTTOM - TOP);
    }
    if (isfinite(tci.lo)) {
        double y0 = sy(&ax, fmin(tci.hi, ax.y1)), y1 = sy(&ax, fmax(tci.lo, ax.y0));
        fprintf(f,
                "<rect class=\"band\" x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" "
                "fill=\"#2a9d8f\" fill-opacity=\"0.15\"/>\n",
                LEFT, y0, RIGHT - LEFT, y1 - y0);
    }
    /* Grid and ticks: the sizes measured on x, whole steps of accuracy on y. */
    double last = -INFINITY;
    for (size_t i = 0; i < c->np; i++) {
        double x = sx(&ax, p[i].n);
        if (i > 0 && p[i].n == p[i - 1].n)
            continue;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e4e4e4\"/>"
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>\n",
                x, TOP, x, BOTTOM, x, BOTTOM, x, BOTTOM + 4);
        snprintf(text, sizeof(text), "%.15g", p[i].n);
        box tb = text_box(x, BOTTOM + 17, 1, FONT, strlen(text));
        if (tb.x0 < last + 4) /* too near the size before: the tick alone */
            continue;
        fprintf(f, "<text class=\"xtick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                x, BOTTOM + 17, text);
        last = tb.x1;
    }
    for (int k = 0; ax.y0 + k * step <= ax.y1 + 1e-9; k++) {
        double v = ax.y0 + k * step, y = sy(&ax, v);
        fprintf(f,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>"
                "<text class=\"ytick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                LEFT, y, RIGHT, y, LEFT - 6, y + 4, percent(v, step, a, sizeof(a)));
    }
    fprintf(f,
            "<g stroke=\"#333\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/></g>\n",
            LEFT, BOTTOM, RIGHT, BOTTOM, LEFT, TOP, LEFT, BOTTOM);
    add_seg(&m, LEFT, BOTTOM, RIGHT, BOTTOM);
    add_seg(&m, LEFT, TOP, LEFT, BOTTOM);
    fprintf(f,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">training examples (log scale)</text>\n",
            (LEFT + RIGHT) / 2, BOTTOM + 36);
    fprintf(f,
            "<text x=\"18\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 18 %d)\">eval "
            "accuracy</text>\n",
            (TOP + BOTTOM) / 2, (TOP + BOTTOM) / 2);
    /* The target line, the fit, the points with their Wilson 95% intervals,
     * and n* where a rising fit crosses the target within the plot. */
    double yt = sy(&ax, c->target);
    line(f, &m, (seg){LEFT, yt, RIGHT, yt}, "target",
         "stroke=\"#2a9d8f\" stroke-width=\"2\" stroke-dasharray=\"6 4\"");
    if (c->fit->ok)
        fit_line(f, &m, &ax, c->fit);
    for (size_t i = 0; i < c->np; i++) {
        ev_stats_interval w = ev_curve_point_ci(&p[i]);
        double x = sx(&ax, p[i].n), y = sy(&ax, p[i].k / p[i].N);
        line(f, &m, (seg){x, sy(&ax, w.lo), x, sy(&ax, w.hi)}, "ci", "stroke=\"#e76f51\"");
        fprintf(f, "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#e76f51\"/>\n",
                x, y);
        add_box(&m, (box){x - 5, y - 5, x + 5, y + 5});
    }
    bool nstar = c->fit->ok && ev_curve_trend(c->fit) == EV_CURVE_RISING && isfinite(c->nstar) &&
                 c->nstar > p[0].n && c->nstar <= exp2(ax.x1);
    if (nstar) {
        double x = sx(&ax, c->nstar);
        line(f, &m, (seg){x, TOP, x, BOTTOM}, "nstar", "stroke=\"#f4a261\" stroke-width=\"2\"");
    }
    snprintf(text, sizeof(text), "target %.1f%%%s", 100 * c->target,
             isfinite(tci.lo) ? " (band: 95% interval)" : "");
    place_target(f, &m, yt, text);
    if (nstar) {
        /* Above the plot, centred on its line, kept on the page. */
        int len = snprintf(text, sizeof(text), "n* = %.0f", ceil(c->nstar));
        if (isfinite(range.lo))
            snprintf(text + len, sizeof(text) - (size_t)len, " (95%% range %s to %s)",
                     end(range.lo, a, sizeof(a)), end(range.hi, b, sizeof(b)));
        double w = CHAR_EM * FONT * (double)strlen(text);
        double x = fmin(fmax(sx(&ax, c->nstar), 4 + w / 2), WIDTH - 4 - w / 2);
        label(f, &m, x, TOP - 8, 1, "nstar-label", "#b5651d", text);
    }
    fprintf(f,
            "<text x=\"%d\" y=\"430\" fill=\"#555\">Points: accuracy with 95%% Wilson "
            "intervals. Shaded: the 95%% bootstrap range of n* (seed %llu).</text>\n",
            LEFT, (unsigned long long)c->seed);
    fprintf(f, "</svg>\n");
    free(m.s);
    free(m.b);
}

void
ev_chart_text(FILE *f, const ev_chart *ch)
{
    const ev_curve_point *p = ch->p;
    const ev_curve_fit *fit = ch->fit;
    size_t np = ch->np;
    enum { W = 56, H = 12 };
    char g[H][W + 1];
    double x0 = log2(p[0].n / 1.5), x1 = log2(p[np - 1].n * 4);
    for (int r = 0; r < H; r++) {
        memset(g[r], ' ', W);
        g[r][W] = '\0';
    }
    int tr = (int)lround((1 - ch->target) * (H - 1));
    for (int c = 0; c < W; c++)
        if (tr >= 0 && tr < H)
            g[tr][c] = '-';
    for (int c = 0; c < W && fit->ok; c++) {
        double y = ev_curve_predict(fit, exp2(x0 + (x1 - x0) * c / (W - 1)));
        int r = (int)lround((1 - y) * (H - 1));
        if (r >= 0 && r < H)
            g[r][c] = '.';
    }
    for (size_t i = 0; i < np; i++) {
        int c = (int)lround((log2(p[i].n) - x0) / (x1 - x0) * (W - 1));
        int r = (int)lround((1 - p[i].k / p[i].N) * (H - 1));
        if (c >= 0 && c < W && r >= 0 && r < H)
            g[r][c] = 'o';
    }
    fprintf(f, "\n");
    for (int r = 0; r < H; r++)
        fprintf(f, "%4.0f%% |%s\n", 100 * (1 - (double)r / (H - 1)), g[r]);
    fprintf(f, "      +%.*s\n       %-10.0f%*s%.0f examples (log scale)\n", W,
            "--------------------------------------------------------------", p[0].n / 1.5, W - 24,
            "", p[np - 1].n * 4);
    fprintf(f, "       o points   . fit   - target\n");
}
