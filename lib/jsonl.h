/*
 * jsonl.h: reading and writing records, one JSON object per line.
 *
 * Ownership: json.h.
 *
 * The reader walks a list of operands ("-" is standard input) and reads each
 * line whole, so a line has no length limit but memory. Each line is parsed
 * on its own, so a bad line costs only itself and line numbers stay right.
 * Blank lines, CRLF endings and a UTF-8 byte order mark are accepted. A line
 * is bad, and reported as "file:line: ...", when it is not a JSON object or
 * holds what no JSON text holds: a NUL byte, bytes that are not UTF-8, a
 * number literal that is not JSON (jq 1.6 reads NaN, Infinity, 01, .5, +1
 * and 1. as numbers; records pass through byte for byte, so such a line
 * would make the output no longer JSON), or an 'id' that is neither a
 * string nor a number (record.h). A line too large to hold in memory, or
 * longer than 2 GiB, is skipped unread and reported the same way.
 *
 * A file that is not JSONL at all is said so once, not line by line: when
 * the first line of an operand is bad and looks like CSV or TSV (it is no
 * JSON and holds a comma or a tab), a JSON array (it starts with '[') or
 * pretty-printed JSON (it is a lone '{'), that line is reported as "not
 * JSONL", with what it looks like and how to convert it. The operand's
 * other lines are then counted, not read (a pretty-printed array would
 * otherwise give its last element alone), and the count comes as one more
 * bad line at the operand's end ("data.csv: and 1,998 more lines not read:
 * the file is not JSONL"). Any other first line is read as ever.
 *
 * The reader tells diag.h which line it read last, so that running out of
 * memory names it. When the tool has called ev_interrupt_catch
 * (interrupt.h), the reader ends the input as soon as SIGINT or SIGTERM
 * arrives, even while it waits on a pipe: the line it was reading is
 * dropped.
 *
 * The writer prints compact JSON, one record per line. Output is flushed after
 * every record when stdout is a terminal, and whenever the reader is about to
 * wait for more input, so pipelines stream without a syscall per record on
 * bulk input.
 */
#ifndef EV_JSONL_H
#define EV_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jv.h>

#include "log.h"

typedef struct ev_jsonl_reader {
    char **paths; /* operands; NULL or empty means standard input */
    int npaths;
    int next_path;      /* index of the operand to open next */
    FILE *fp;           /* current input, NULL between files; read with read(2) */
    const char *name;   /* current operand as the user wrote it, or "-" */
    unsigned long line; /* line number of the last line read */
    char *buf;          /* bytes read from 'fp' and not yet consumed */
    size_t cap;
    size_t start, len;    /* the last line, NUL-terminated, without its ending */
    size_t next;          /* where the next line starts */
    size_t scanned;       /* bytes from 'next' known to hold no newline */
    size_t end;           /* the end of the bytes read */
    bool at_eof;          /* 'fp' has no more bytes */
    bool seen;            /* a line of the operand was read, not blank */
    bool foreign;         /* the operand is not JSONL: its bad lines are counted */
    unsigned long hidden; /* lines counted and not yet reported */
    bool skipping;        /* the rest of a line too long to hold is being skipped */
    bool may_block;       /* input is a pipe or terminal: flush before waiting */
    FILE *flush;          /* stream to flush before waiting for input */
} ev_jsonl_reader;

enum { EV_JSONL_EOF = 0, EV_JSONL_OK = 1, EV_JSONL_BAD = -1 };

/* ev_jsonl_init prepares to read the 'npaths' operands in 'paths' (borrowed;
 * they must outlive the reader). With none it reads standard input. 'flush',
 * when not NULL, is flushed before the reader waits on a pipe or terminal. */
void ev_jsonl_init(ev_jsonl_reader *r, char **paths, int npaths, FILE *flush);

/* ev_jsonl_next reads the next record into '*rec'.
 * EV_JSONL_OK: '*rec' is an object, owned by the caller.
 * EV_JSONL_BAD: '*rec' is invalid with a message that starts "file:line: " or
 *   names the file; the caller reports it and may call again to go on.
 * EV_JSONL_EOF: every operand has been read, or the run was interrupted
 *   (ev_interrupt_pending says which). */
int ev_jsonl_next(ev_jsonl_reader *r, jv *rec);

/* ev_jsonl_raw returns the text of the line last returned as a record, with
 * the BOM, line ending and trailing blanks removed. Valid until the next call. */
const char *ev_jsonl_raw(const ev_jsonl_reader *r, size_t *len);

/* ev_jsonl_where returns "file:line" for the last line, owned by the caller. */
jv ev_jsonl_where(const ev_jsonl_reader *r);

/* ev_jsonl_at returns 'msg', a string or an invalid with a message, as the
 * string "file:line: msg" of the last line. */
jv ev_jsonl_at(const ev_jsonl_reader *r, jv msg);

/* ev_jsonl_good reads the next record into '*rec', as ev_jsonl_next does,
 * but warns of each bad line through 'log' (log.h), counts it in
 * '*problems' and reads on. Returns false at the end. */
bool ev_jsonl_good(ev_jsonl_reader *r, jv *rec, const ev_log *log, unsigned long *problems);

/* ev_jsonl_next_case reads the next case of 'r' into '*rec' and its id
 * (ev_record_id) into '*id', both owned by the caller. A bad line, a case
 * that has no id and cannot derive one, and one in which 'problem' (when not
 * NULL) finds a problem (a string; invalid for none) is a warning to 'log'
 * and counts in '*problems', and the reading goes on. Returns false at the
 * end of the input. */
bool ev_jsonl_next_case(ev_jsonl_reader *r, jv *rec, jv *id, jv (*problem)(jv rec /* borrowed */),
                        const ev_log *log, unsigned long *problems);

void ev_jsonl_free(ev_jsonl_reader *r);

/* ev_jsonl_same_input returns the operand of the 'npaths' of 'paths' (none,
 * or "-": standard input) that is the regular file 'out', which opening
 * 'out' for writing would empty before it is read; "-" for standard input.
 * NULL when none is, or 'out' is not a regular file. */
const char *ev_jsonl_same_input(const char *out, char **paths, int npaths);

/* ev_jsonl_count_lines counts the lines that are not empty in the 'npaths'
 * operands 'paths' (none: standard input), for a progress total, when all
 * are regular files; else it returns 0, for unknown. It reads them with
 * pread(2), and leaves standard input where it was. */
unsigned long ev_jsonl_count_lines(char **paths, int npaths);

/* ev_jsonl_excerpt returns at most 'max' bytes of 's', cut on a UTF-8 boundary and
 * marked with "..." when cut, for quoting input in diagnostics. */
jv ev_jsonl_excerpt(const char *s, size_t len, size_t max);

/* ev_jsonl_write prints 'rec' compactly on one line of 'out' and consumes it.
 * Returns 0, or -1 when the stream has an error. */
int ev_jsonl_write(FILE *out, jv rec);

/* ev_jsonl_write_extended prints the record whose text is 'raw' (as from
 * ev_jsonl_raw) with the fields of 'add' (an object, consumed) appended, so
 * every original byte passes through untouched. The record must not already
 * have any key of 'add'. Returns 0, or -1 when the stream has an error. */
int ev_jsonl_write_extended(FILE *out, const char *raw, size_t len, jv add);

/* ev_jsonl_write_merged writes 'rec' (consumed), the record 'r' read last, with the
 * fields of 'add' (an object, consumed): appended to the record's original
 * text when it has none of them, so every original byte passes through, or
 * set in place, keeping key order, when it has (re-scoring a scored run, say).
 * Returns 0, or -1 when the stream has an error. */
int ev_jsonl_write_merged(FILE *out, const ev_jsonl_reader *r, jv rec, jv add);

/* ev_jsonl_output_setup gives stdout a large buffer, or line buffering when it is a
 * terminal. Call it before the first write. */
void ev_jsonl_output_setup(void);

#endif
