/*
 * reason.h: the wording of scores' reasons and scorers' messages.
 *
 * Ownership: json.h.
 *
 * A reason is short and stays on one line: a text it quotes is cut to
 * EV_REASON_QUOTE_MAX bytes, on a UTF-8 boundary and marked "..." when cut,
 * with newlines, tabs and carriage returns written \n, \t and \r, so that
 * the white space that made a difference shows. The functions write into a
 * buffer the caller gives, of the size named for each.
 */
#ifndef EV_REASON_H
#define EV_REASON_H

#include <stddef.h>

#include <jv.h>

#define EV_REASON_QUOTE_MAX 40 /* bytes of a text quoted in a reason or a message */

/* A buffer for ev_reason_clip: a cut text, each byte of which may be
 * written as two, and "...". */
#define EV_REASON_CLIP_SIZE (2 * EV_REASON_QUOTE_MAX + 4)

/* A buffer for ev_reason_show: a cut text and its quotes. */
#define EV_REASON_SHOW_SIZE (EV_REASON_CLIP_SIZE + 2)

/* A buffer for ev_reason_others. */
#define EV_REASON_OTHERS_SIZE 32

/* ev_reason_clip_to copies at most 'max' bytes of 's' into 'buf' (of 'size'
 * >= 2 * max + 4 bytes) as a reason quotes them, and returns 'buf'. Control
 * characters other than the three above are written '?'. */
const char *ev_reason_clip_to(const char *s, size_t max, char *buf, size_t size);

/* ev_reason_clip is ev_reason_clip_to with EV_REASON_QUOTE_MAX bytes. */
const char *ev_reason_clip(const char *s, char buf[EV_REASON_CLIP_SIZE]);

/* ev_reason_show writes 'v' into 'buf' as a reason shows a value: a string
 * in single quotes, anything else as compact JSON, both cut short. */
const char *ev_reason_show(jv v /* borrowed */, char buf[EV_REASON_SHOW_SIZE]);

/* ev_reason_fmt formats a reason or a message of at most 1023 bytes, which
 * holds what it quotes, since every quoted text is cut short. */
jv ev_reason_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ev_reason_plural returns "s" unless 'n' is 1. */
const char *ev_reason_plural(int n);

/* ev_reason_others words how many other answers a failed any-of accepted:
 * " or 2 others", and "" for none. */
const char *ev_reason_others(int others, char buf[EV_REASON_OTHERS_SIZE]);

#endif
