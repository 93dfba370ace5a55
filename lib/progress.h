/*
 * progress.h: a progress line that fits the terminal.
 *
 * Ownership: json.h.
 *
 * A line is made of fields, each a whole figure with its words ("12/40
 * (30%)", "ETA 2m05s", "tokens 12.3k in 4.5k out"), ranked by how much
 * they matter. When the line is wider than the terminal, the fields that
 * matter least go first, whole, so that no number is ever cut; the
 * others keep their order.
 */
#ifndef EV_PROGRESS_H
#define EV_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

/* The most fields a line has. */
#define EV_PROGRESS_FIELDS 16

typedef struct ev_progress_field {
    const char *text;  /* the field, kept whole or left out */
    int rank;          /* 0 matters most; the highest rank goes first */
    int group;         /* fields of one group are joined by 'joint', */
    const char *joint; /* groups by " | " */
} ev_progress_field;

/* ev_progress_fit returns the 'n' fields of 'f' joined into a line of at
 * most 'width' bytes (the fields are ASCII: a byte is a column), leaving
 * out the fields of the highest rank first, and of two of the same rank
 * the later. A field of rank 0 is never left out; when it alone is wider
 * than 'width' it is cut there, the one thing that can be. */
jv ev_progress_fit(const ev_progress_field *f, size_t n, int width);

/* ev_progress_width returns the width of the terminal on 'fd' in columns:
 * its window size (TIOCGWINSZ), else $COLUMNS, else 80. */
int ev_progress_width(int fd);

/* ev_progress_plain says whether the terminal takes no escape codes nor
 * carriage returns ($TERM is "dumb", as in an editor's shell): progress
 * then goes as plain lines, one at a time. */
bool ev_progress_plain(void);

#endif
