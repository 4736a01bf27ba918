/* csv.h - a streaming RFC 4180 CSV reader.
 *
 * One pass, bounded memory: the reader keeps one record at a time in a
 * buffer it owns, so files of any size stream through. It handles quoted
 * fields with embedded separators, newlines and doubled quotes, LF and CRLF
 * line ends, a UTF-8 byte-order mark, and a missing final newline. It never
 * fails on malformed content: a ragged row is returned as it is (the caller
 * compares the field count with the header's), and a record with invalid
 * UTF-8 or an unterminated quote is flagged, both with the line number where
 * the record started. Only I/O errors fail.
 *
 * Fields are unescaped (quotes removed, "" turned into ") and NUL-terminated;
 * they point into the reader's buffer and stay valid until the next call to
 * csv_next() or csv_close(). The fields of a record are stored back to
 * back in one buffer, each followed by its NUL (fields[i + 1].ptr ==
 * fields[i].ptr + fields[i].len + 1), so a caller may copy a whole record
 * with one memcpy. One reader per thread.
 *
 * Tab-separated files (TSV) are read by the same parser with '\t' as the
 * separator: csv_open(), csv_open_range() and csv_table_load() take it from
 * the file name (csv_separator_for(): ".tsv", any case), memory readers use
 * ',' until csv_set_separator() says otherwise. Quoting rules are the same.
 *
 * csv_table_load() is the convenience for small files (submissions,
 * answers): it loads every record into memory. */
#ifndef MLESTAR_TASK_CSV_H
#define MLESTAR_TASK_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct csv_reader;

struct csv_field {
    const char *ptr;  /* NUL-terminated, unescaped */
    size_t len;
    bool quoted;      /* the field was written in quotes */
};

/* Flags describing the record just returned by csv_next(). */
struct csv_record_info {
    size_t line;           /* 1-based physical line where the record starts */
    bool bad_utf8;         /* some field holds invalid UTF-8 */
    bool unterminated;     /* a quoted field ran to the end of the file */
    bool lenient;          /* text followed a closing quote ("ab"c): kept, but not RFC 4180 */
};

/* Bounds (a 50 MB one-line header once took 1.75 GB to reject): a record
 * longer than CSV_RECORD_MAX raw bytes, or with more than CSV_FIELDS_MAX
 * fields, makes csv_next() fail with "line N is longer than 16 MB" / "has
 * more than 1048576 fields". The reader then holds at most about
 * 3 * record_max + 24 * fields_max bytes (csv_memory()). */
#define CSV_RECORD_MAX ((size_t)16 << 20)
#define CSV_FIELDS_MAX ((size_t)1 << 20)

int csv_open(const char *path, struct csv_reader **out, struct err *err);
/* Reads the records of path that start in [start, stop): start must be where
 * a record begins (or 0), and the last record is read whole even when it
 * runs past stop. Line numbers count from start (the line there is 1);
 * csv_offset() counts from the beginning of the file. For splitting a file
 * between threads. */
int csv_open_range(const char *path, unsigned long long start, unsigned long long stop,
                   struct csv_reader **out, struct err *err);
/* Sets the offset at which csv_next() stops starting records (see above). */
void csv_set_stop(struct csv_reader *r, unsigned long long stop);
/* The separator a file of this name uses: '\t' for *.tsv, else ','. */
char csv_separator_for(const char *path);
/* Sets the field separator (before the first csv_next()); '"', CR, LF and
 * NUL are refused (the separator stays as it was). */
void csv_set_separator(struct csv_reader *r, char sep);
char csv_separator(const struct csv_reader *r);
/* Reads from memory (not copied: `data` must outlive the reader). */
int csv_open_mem(const char *data, size_t len, struct csv_reader **out);
/* Returns 1 and the record's fields, 0 at the end, -1 on a read error. */
int csv_next(struct csv_reader *r, const struct csv_field **fields, size_t *nfields, struct err *err);
const struct csv_record_info *csv_info(const struct csv_reader *r);
/* Other bounds than CSV_RECORD_MAX / CSV_FIELDS_MAX (0 keeps one). */
void csv_set_limits(struct csv_reader *r, size_t record_bytes, size_t fields);
/* Bytes the reader's buffers hold now. */
size_t csv_memory(const struct csv_reader *r);
/* Bytes consumed so far: the file offset where the next record starts. */
unsigned long long csv_offset(const struct csv_reader *r);
/* The physical line (1-based) where the next record starts. */
size_t csv_next_line(const struct csv_reader *r);
void csv_close(struct csv_reader *r);
/* Sets the input block size (default 1 MiB, at least 4) before the first csv_next();
 * tests and the fuzzer use tiny blocks to exercise records that straddle
 * blocks. Ignored once reading started. */
void csv_set_block_size(struct csv_reader *r, size_t bytes);
/* Strict UTF-8 check (no overlong forms, surrogates or values past U+10FFFF). */
bool csv_utf8_valid(const void *s, size_t n);
/* The longest length <= max that does not cut a UTF-8 sequence of s[0..len). */
size_t csv_utf8_clip(const char *s, size_t len, size_t max);

/* A whole file in memory. cells[row * ncols + col]; row 0 is NOT the header:
 * the header is in `header`. Ragged rows are an error here (with the line). */
struct csv_table {
    char **header;
    size_t ncols;
    char **cells;
    size_t nrows;
};
int csv_table_load(const char *path, struct csv_table **out, struct err *err);
/* Index of a header name, or -1. */
int csv_table_col(const struct csv_table *t, const char *name);
const char *csv_table_cell(const struct csv_table *t, size_t row, size_t col);
void csv_table_free(struct csv_table *t);

#endif
