/*
 * sheet.h: a document of sections, each filed under one or more headings,
 * written grouped by heading once every section is known.
 *
 * The sections wait in a temporary file (spill.h), so memory holds about 20
 * bytes a section and heading however long the sections are: ev-gaps
 * --review files each failure under each of its tags this way. Headings are
 * the caller's numbers, such as tag numbers of an intern table. Ownership:
 * json.h.
 */
#ifndef EV_SHEET_H
#define EV_SHEET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jv.h>

typedef struct ev_sheet ev_sheet;

/* ev_sheet_new returns an empty sheet, or NULL with '*err' set to a message
 * when its temporary file cannot be made. */
ev_sheet *ev_sheet_new(jv *err);
void ev_sheet_free(ev_sheet *s);

/* ev_sheet_out returns the stream to write the next section to. */
FILE *ev_sheet_out(ev_sheet *s);

/* ev_sheet_file ends the section written since the last call and files it
 * under the 'n' headings 'heads'; a heading given twice files it once. */
void ev_sheet_file(ev_sheet *s, const uint32_t *heads, size_t n);

/* ev_sheet_copy writes the sections filed under 'head' to 'out', in the
 * order they were filed. After the first copy no section may be added.
 * Returns 0, or -1 with '*err' set when the temporary file could not be
 * written or read back, or 'out' fails. */
int ev_sheet_copy(ev_sheet *s, uint32_t head, FILE *out, jv *err);

#endif
