/*
 * curvefile.h: an ev-curve report read back, for a chart of it.
 *
 * Ownership: json.h.
 *
 * ev-curve -f json writes a report: its points (training size n, accuracy
 * and its interval), the target, and each fit with its parameters, its n*
 * and the range of n*. Another tool that shows the learning curve, such as
 * ev-view's page, reads that report rather than fitting again, so its
 * figures are ev-curve's own.
 */
#ifndef EV_CURVEFILE_H
#define EV_CURVEFILE_H

#include <jv.h>

/* ev_curvefile_read reads the ev-curve report at 'path' and returns what a
 * chart of it needs:
 *   points  [{n, accuracy, lo?, hi?}], the sizes of at least 1 example;
 *   domain  [lo, hi], the sizes the chart spans: from below the smallest
 *           to past the largest, and past the headline fit's n* (at most 64
 *           times the largest size);
 *   fits    [{model, primary, n_star?, text, line}], 'text' the fit's line
 *           of ev-curve's table without its name, 'line' the fitted
 *           accuracy at 48 sizes spread over the domain on a log scale as
 *           [n, accuracy] pairs (curve.h's prediction), or null for a fit
 *           that failed or that curve.h does not know;
 *   target  {accuracy, lo?, hi?, text}, when the report has one;
 *   reached whether the target is reached already.
 * Returns invalid with a message "path: what is wrong" when the file cannot
 * be read or is not such a report. */
jv ev_curvefile_read(const char *path);

#endif
