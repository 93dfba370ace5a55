/*
 * jsonl.h: reading and writing records, one JSON object per line.
 *
 * Ownership: functions consume their jv arguments unless the parameter says
 * borrowed; returned jv values belong to the caller.
 *
 * The reader walks a list of operands ("-" is standard input) with getline, so
 * a line has no length limit. Each line is parsed on its own, so a bad line
 * costs only itself and line numbers stay right. Blank lines, CRLF endings and
 * a UTF-8 byte order mark are accepted; a line with a NUL byte or with bytes
 * that are not UTF-8 is bad, since no JSON text holds them and records pass
 * through byte for byte.
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

typedef struct ev_reader {
    char **paths; /* operands; NULL or empty means standard input */
    int npaths;
    int next_path;      /* index of the operand to open next */
    FILE *fp;           /* current input, NULL between files */
    const char *name;   /* current operand as the user wrote it, or "-" */
    unsigned long line; /* line number of the last line read */
    char *buf;          /* the last line, NUL-terminated, without its ending */
    size_t cap;
    size_t len;
    bool may_block; /* input is a pipe or terminal: flush before waiting */
    FILE *flush;    /* stream to flush before waiting for input */
} ev_reader;

enum { EV_READ_EOF = 0, EV_READ_OK = 1, EV_READ_BAD = -1 };

/* ev_reader_init prepares to read the 'npaths' operands in 'paths' (borrowed;
 * they must outlive the reader). With none it reads standard input. 'flush',
 * when not NULL, is flushed before the reader waits on a pipe or terminal. */
void ev_reader_init(ev_reader *r, char **paths, int npaths, FILE *flush);

/* ev_reader_next reads the next record into '*rec'.
 * EV_READ_OK: '*rec' is an object, owned by the caller.
 * EV_READ_BAD: '*rec' is invalid with a message that starts "file:line: " or
 *   names the file; the caller reports it and may call again to go on.
 * EV_READ_EOF: every operand has been read. */
int ev_reader_next(ev_reader *r, jv *rec);

/* ev_reader_raw returns the text of the line last returned as a record, with
 * the BOM, line ending and trailing blanks removed. Valid until the next call. */
const char *ev_reader_raw(const ev_reader *r, size_t *len);

/* ev_reader_where returns "file:line" for the last line, owned by the caller. */
jv ev_reader_where(const ev_reader *r);

void ev_reader_free(ev_reader *r);

/* ev_excerpt returns at most 'max' bytes of 's', cut on a UTF-8 boundary and
 * marked with "..." when cut, for quoting input in diagnostics. */
jv ev_excerpt(const char *s, size_t len, size_t max);

/* ev_write_record prints 'rec' compactly on one line of 'out' and consumes it.
 * Returns 0, or -1 when the stream has an error. */
int ev_write_record(FILE *out, jv rec);

/* ev_write_extended prints the record whose text is 'raw' (as from
 * ev_reader_raw) with the fields of 'add' (an object, consumed) appended, so
 * every original byte passes through untouched. The record must not already
 * have any key of 'add'. Returns 0, or -1 when the stream has an error. */
int ev_write_extended(FILE *out, const char *raw, size_t len, jv add);

/* ev_write_merged writes 'rec' (consumed), the record 'r' read last, with the
 * fields of 'add' (an object, consumed): appended to the record's original
 * text when it has none of them, so every original byte passes through, or
 * set in place, keeping key order, when it has (re-scoring a scored run, say).
 * Returns 0, or -1 when the stream has an error. */
int ev_write_merged(FILE *out, const ev_reader *r, jv rec, jv add);

/* ev_output_setup gives stdout a large buffer, or line buffering when it is a
 * terminal. Call it before the first write. */
void ev_output_setup(void);

#endif
