/*
 * html.h: a self-contained HTML page with data embedded in it.
 *
 * A page (such as ev-view's review page) is a constant text holding one
 * marker where its data goes, inside a <script type="application/json">
 * element. The data is written there as JSON that no record can break out
 * of: every '<', '>' and '&' in it is written as a \u escape, so a string
 * holding "</script>" or "<!--" cannot close or change the element, and
 * JSON.parse of the element's text gives the data back unchanged.
 *
 * Ownership: json.h.
 */
#ifndef EV_HTML_H
#define EV_HTML_H

#include <stddef.h>
#include <stdio.h>

#include <jv.h>

/* ev_html_json writes 'data' (consumed) to 'out' as compact JSON with every
 * '<', '>' and '&' escaped, and U+2028 and U+2029 too. Returns 0, or -1
 * when 'out' has an error. */
int ev_html_json(FILE *out, jv data);

/* ev_html_page writes the 'len' bytes of 'page' (borrowed) to 'out' with the
 * first 'marker' in it replaced by 'data' (consumed), as ev_html_json
 * writes it. Returns 0, or -1 when 'out' has an error or 'page' holds no
 * marker. */
int ev_html_page(FILE *out, const unsigned char *page, size_t len, const char *marker, jv data);

#endif
