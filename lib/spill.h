/*
 * spill.h: a temporary file for what a tool must hold until the end of its
 * input but need not keep in memory, such as the lines of a split or the
 * sections of a review sheet. Ownership: json.h.
 */
#ifndef EV_SPILL_H
#define EV_SPILL_H

#include <stdio.h>

#include <jv.h>

/* ev_spill_open returns a new, empty file in $TMPDIR (else /tmp), open for
 * reading and writing and already unlinked, so it goes away when closed or
 * when the program ends. Returns NULL and sets '*err' to a message when the
 * file cannot be made. */
FILE *ev_spill_open(jv *err);

#endif
