#include "curvefile.h"

#include <math.h>
#include <string.h>

#include "curve.h"
#include "json.h"
#include "projection.h"
#include "report.h"

static jv
set_number(jv obj, const char *key, double x)
{
    return isfinite(x) ? ev_json_set(obj, key, jv_number(x)) : obj;
}

static bool
fit_model(const char *name, enum ev_curve_model *m)
{
    const enum ev_curve_model models[] = {EV_CURVE_LOGLINEAR, EV_CURVE_LOGIT, EV_CURVE_POWER};
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
        if (strcmp(name, ev_curve_model_name(models[i])) == 0) {
            *m = models[i];
            return true;
        }
    return false;
}

/* fit_line returns the fitted accuracy at 'npts' sizes spread evenly on a
 * log scale over [lo, hi], as [n, accuracy] pairs, or null when the fit
 * 'f' (borrowed, from the report) is not one curve.h draws. */
static jv
fit_line(jv f, double lo, double hi)
{
    enum ev_curve_model m;
    jv model = ev_json_field(f, "model");
    bool known = jv_get_kind(model) == JV_KIND_STRING && fit_model(jv_string_value(model), &m) &&
                 ev_json_true(f, "ok");
    jv_free(model);
    ev_curve_fit fit = {.ok = true,
                        .a = ev_json_number(f, "params.a"),
                        .b = ev_json_number(f, "params.b"),
                        .c = ev_json_number(f, "params.c")};
    if (!known || isnan(fit.a) || isnan(fit.b) || (m == EV_CURVE_POWER && isnan(fit.c)))
        return jv_null();
    fit.model = m;
    const int npts = 48;
    jv line = jv_array();
    for (int i = 0; i < npts; i++) {
        double n = lo * pow(hi / lo, (double)i / (npts - 1));
        double acc = ev_curve_predict(&fit, n);
        if (isfinite(acc))
            line = jv_array_append(line, JV_ARRAY(jv_number(n), jv_number(acc)));
    }
    return line;
}

/* curve_of reduces the ev-curve report 'rep' (consumed) to the chart's data,
 * or returns invalid with a message when it is not one. */
static jv
curve_of(jv rep)
{
    jv points = ev_json_field(rep, "points");
    double nmin = INFINITY, nmax = 0;
    jv pts = jv_array();
    if (jv_get_kind(points) == JV_KIND_ARRAY) {
        jv_array_foreach(points, i, p)
        {
            double n = ev_json_number(p, "n"), acc = ev_json_number(p, "accuracy");
            if (n >= 1 && acc >= 0 && acc <= 1) {
                nmin = n < nmin ? n : nmin;
                nmax = n > nmax ? n : nmax;
                jv q = ev_json_set(jv_object(), "n", jv_number(n));
                q = ev_json_set(q, "accuracy", jv_number(acc));
                q = set_number(q, "lo", ev_json_number(p, "ci.0"));
                q = set_number(q, "hi", ev_json_number(p, "ci.1"));
                pts = jv_array_append(pts, q);
            }
            jv_free(p);
            (void)i;
        }
    }
    jv_free(points);
    if (jv_array_length(jv_copy(pts)) == 0) {
        jv_free(pts);
        jv_free(rep);
        return jv_invalid_with_msg(
            jv_string("not an ev-curve report: it has no 'points' with "
                      "'n' and 'accuracy' (write one with ev-curve -f json)"));
    }
    jv fits = ev_json_field(rep, "fits"), primary = ev_json_field(rep, "primary");
    double lo = nmin / 1.5, hi = nmax * 1.5;
    if (jv_get_kind(fits) == JV_KIND_ARRAY) {
        jv_array_foreach(fits, i, f)
        {
            jv model = ev_json_field(f, "model");
            double nstar = ev_json_number(f, "n_star");
            if ((jv_equal(jv_copy(model), jv_copy(primary)) || i == 0) && nstar * 1.3 > hi)
                hi = fmin(nstar * 1.3, nmax * 64);
            jv_free(model);
            jv_free(f);
        }
    }
    jv out = ev_json_set(jv_object(), "points", pts);
    out = ev_json_set(out, "domain", JV_ARRAY(jv_number(lo), jv_number(hi)));
    jv lines = jv_array();
    if (jv_get_kind(fits) == JV_KIND_ARRAY) {
        jv_array_foreach(fits, i, f)
        {
            jv g =
                ev_json_set(jv_object(), "model", ev_json_field_kind(f, "model", JV_KIND_STRING));
            g = ev_json_set(g, "primary",
                            jv_bool(jv_equal(ev_json_field(f, "model"), jv_copy(primary))));
            g = set_number(g, "n_star", ev_json_number(f, "n_star"));
            g = ev_json_set(g, "text", ev_projection_fit_words(f, nmin));
            g = ev_json_set(g, "line", fit_line(f, lo, hi));
            lines = jv_array_append(lines, g);
            jv_free(f);
            (void)i;
        }
    }
    jv_free(fits);
    jv_free(primary);
    out = ev_json_set(out, "fits", lines);
    double target = ev_json_number(rep, "target.accuracy");
    if (!isnan(target)) {
        char b[32];
        jv t = ev_json_set(jv_object(), "accuracy", jv_number(target));
        t = set_number(t, "lo", ev_json_number(rep, "target.ci.0"));
        t = set_number(t, "hi", ev_json_number(rep, "target.ci.1"));
        t = ev_json_set(t, "text", jv_string(ev_report_pct(target, b, sizeof(b))));
        out = ev_json_set(out, "target", t);
    }
    out = ev_json_set(out, "reached", jv_bool(ev_json_true(rep, "reached")));
    jv_free(rep);
    return out;
}

jv
ev_curvefile_read(const char *path)
{
    jv all = jv_load_file(path, 0);
    if (!jv_is_valid(all)) {
        jv msg = jv_invalid_get_msg(all);
        jv e = jv_string_fmt("%s: cannot read an ev-curve report: %s", path,
                             ev_json_str(msg, "not JSON"));
        jv_free(msg);
        return jv_invalid_with_msg(e);
    }
    jv rep = jv_array_length(jv_copy(all)) == 1 ? jv_array_get(jv_copy(all), 0) : jv_invalid();
    jv_free(all);
    if (jv_get_kind(rep) != JV_KIND_OBJECT) {
        jv_free(rep);
        return jv_invalid_with_msg(
            jv_string_fmt("%s: not an ev-curve report: it is not one JSON object (write one "
                          "with ev-curve -f json)",
                          path));
    }
    jv c = curve_of(rep);
    if (jv_is_valid(c))
        return c;
    jv msg = jv_invalid_get_msg(c);
    jv e = jv_string_fmt("%s: %s", path, jv_string_value(msg));
    jv_free(msg);
    return jv_invalid_with_msg(e);
}
