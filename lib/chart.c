#include "chart.h"

#include <math.h>
#include <string.h>

/* The plot area: the data ranges (log2 n and accuracy) and where they go on
 * the page. */
typedef struct axis {
    double x0, x1, y0, y1; /* data ranges: log2 n and accuracy */
    double left, right, top, bottom;
} axis;

static double
sx(const axis *ax, double n)
{
    return ax->left + (log2(n) - ax->x0) / (ax->x1 - ax->x0) * (ax->right - ax->left);
}

static double
sy(const axis *ax, double acc)
{
    return ax->bottom - (acc - ax->y0) / (ax->y1 - ax->y0) * (ax->bottom - ax->top);
}

void
ev_chart_svg(FILE *f, const ev_chart *c)
{
    const ev_curve_point *p = c->p;
    const ev_curve_fit *fit = c->fit;
    double nstar = c->nstar;
    ev_curve_range range = c->range;
    ev_interval tci = c->target_ci;
    double nmin = p[0].n, nmax = p[c->np - 1].n;
    double xhi = nmax * 2;
    if (isfinite(nstar))
        xhi = fmax(xhi, fmin(nstar * 1.5, nmax * 64));
    if (isfinite(range.hi))
        xhi = fmax(xhi, fmin(range.hi * 1.2, nmax * 64));
    axis ax = {log2(nmin / 1.5), log2(xhi), 0, 1, 70, 690, 50, 380};
    double ymax = c->target, ymin = 1;
    for (size_t i = 0; i < c->np; i++) {
        ev_interval w = ev_curve_point_ci(&p[i]);
        ymax = fmax(ymax, w.hi);
        ymin = fmin(ymin, w.lo);
    }
    ymax = fmax(ymax, tci.hi);
    ax.y0 = fmax(0, floor((ymin - 0.05) * 10) / 10);
    ax.y1 = fmin(1, ceil((ymax + 0.05) * 10) / 10);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"440\" "
               "viewBox=\"0 0 720 440\" font-family=\"sans-serif\" font-size=\"12\">\n");
    fprintf(f, "<title>Learning curve: accuracy against training examples</title>\n");
    fprintf(f, "<rect width=\"720\" height=\"440\" fill=\"white\"/>\n");
    fprintf(f,
            "<text x=\"360\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">"
            "Accuracy against training examples (%s fit)</text>\n",
            ev_curve_model_name(fit->model));
    /* Projection range and target band first, so the data sits on top. */
    if (isfinite(range.lo)) {
        double x0 = fmax(ax.left, sx(&ax, range.lo));
        double x1 = isfinite(range.hi) ? fmin(ax.right, sx(&ax, range.hi)) : ax.right;
        fprintf(f,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f4a261\" "
                "fill-opacity=\"0.18\"/>\n",
                x0, ax.top, fmax(0, x1 - x0), ax.bottom - ax.top);
    }
    if (isfinite(tci.lo))
        fprintf(f,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#2a9d8f\" "
                "fill-opacity=\"0.15\"/>\n",
                ax.left, sy(&ax, fmin(tci.hi, ax.y1)), ax.right - ax.left,
                sy(&ax, fmax(tci.lo, ax.y0)) - sy(&ax, fmin(tci.hi, ax.y1)));
    /* Axes, ticks at powers of two, grid. */
    fprintf(f,
            "<g stroke=\"#333\"><line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
            "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/></g>\n",
            ax.left, ax.bottom, ax.right, ax.bottom, ax.left, ax.top, ax.left, ax.bottom);
    for (double e = ceil(ax.x0); e <= ax.x1; e++) {
        double x = sx(&ax, exp2(e));
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#ddd\"/>"
                "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.0f</text>\n",
                x, ax.top, x, ax.bottom, x, ax.bottom + 16, exp2(e));
    }
    for (double y = ax.y0; y <= ax.y1 + 1e-9; y += 0.1) {
        fprintf(f,
                "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.0f%%</text>\n",
                ax.left, sy(&ax, y), ax.right, sy(&ax, y), ax.left - 6, sy(&ax, y) + 4, 100 * y);
    }
    fprintf(f,
            "<text x=\"380\" y=\"%.0f\" text-anchor=\"middle\">training examples "
            "(log scale)</text>\n",
            ax.bottom + 36);
    fprintf(f, "<text x=\"18\" y=\"215\" text-anchor=\"middle\" "
               "transform=\"rotate(-90 18 215)\">eval accuracy</text>\n");
    /* Target line. */
    fprintf(f,
            "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#2a9d8f\" "
            "stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n",
            ax.left, sy(&ax, c->target), ax.right, sy(&ax, c->target));
    fprintf(f,
            "<text x=\"%.0f\" y=\"%.1f\" fill=\"#2a9d8f\" text-anchor=\"end\">target "
            "%.1f%%%s</text>\n",
            ax.right - 4, sy(&ax, c->target) - 6, 100 * c->target,
            isfinite(tci.lo) ? " (band: 95% interval)" : "");
    /* Fitted curve. */
    if (fit->ok) {
        fprintf(f, "<polyline fill=\"none\" stroke=\"#264653\" stroke-width=\"2\" points=\"");
        for (int i = 0; i <= 200; i++) {
            double n = exp2(ax.x0 + (ax.x1 - ax.x0) * i / 200.0);
            double y = ev_curve_predict(fit, n);
            if (y >= ax.y0 && y <= ax.y1)
                fprintf(f, "%.1f,%.1f ", sx(&ax, n), sy(&ax, y));
        }
        fprintf(f, "\"/>\n");
    }
    /* Points with Wilson 95% error bars. */
    for (size_t i = 0; i < c->np; i++) {
        ev_interval w = ev_curve_point_ci(&p[i]);
        double x = sx(&ax, p[i].n);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e76f51\"/>"
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#e76f51\"/>\n",
                x, sy(&ax, w.lo), x, sy(&ax, w.hi), x, sy(&ax, p[i].k / p[i].N));
    }
    /* Projection. */
    if (isfinite(nstar) && nstar <= exp2(ax.x1)) {
        double x = sx(&ax, nstar);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#f4a261\" "
                "stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" "
                "fill=\"#b5651d\">n* = %.0f",
                x, ax.top, x, ax.bottom, x, ax.top - 6, ceil(nstar));
        if (isfinite(range.lo) && isfinite(range.hi))
            fprintf(f, " (95%% range %.0f to %.0f)", ceil(range.lo), ceil(range.hi));
        fprintf(f, "</text>\n");
    }
    fprintf(f,
            "<text x=\"%.0f\" y=\"430\" fill=\"#555\">Points: accuracy with 95%% Wilson "
            "intervals. Shaded: the 95%% bootstrap range of n* (seed %llu).</text>\n",
            ax.left, (unsigned long long)c->seed);
    fprintf(f, "</svg>\n");
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
