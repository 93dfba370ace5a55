/*
 * review.h: the Markdown review sheet of ev-gaps --review.
 *
 * Each failure gets a section: its id and kind of gap, the scorer's reason,
 * its tags, its input, expected answer and output (or error) in fences
 * that its own text cannot break, the baseline's output right after the
 * candidate's when a baseline is given, and a checklist for the reviewer. A
 * section is filed under each of the case's tags on a sheet (sheet.h), and
 * the sheet prints the tags worst first, each tag's failures in input
 * order.
 */
#ifndef EV_REVIEW_H
#define EV_REVIEW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jv.h>

#include "gaps.h"
#include "sheet.h"

/* ev_review_add writes the section of the failure 'rec', whose gap is 'gap'
 * and whose tags are 'tags' (their numbers in the tally are the 'ntags' of
 * 'num'), and files it under each of them. 'beside' is the baseline's output
 * for the case (a string; invalid when there is none), shown after the
 * candidate's. 'where' names the case when it has no id. */
void ev_review_add(ev_sheet *sheet, jv rec /* borrowed */, jv gap /* borrowed */, jv beside,
                   jv tags /* borrowed */, const uint32_t *num, size_t ntags, jv where);

/* ev_review_print writes the sheet to 'out': a title naming 'run', a line
 * with 'failures' of 'cases', then the failing tags of 't' worst first.
 * Returns 0, or -1 with '*err' set to a message when the sheet cannot be
 * read back or written. */
int ev_review_print(ev_sheet *sheet, FILE *out, const ev_gaps_tally *t, const char *run,
                    long failures, long cases, jv *err);

#endif
