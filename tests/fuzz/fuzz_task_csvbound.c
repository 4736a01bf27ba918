/* fuzz_task_csvbound.c - libFuzzer target for the CSV reader's bounds.
 *
 * The first input byte picks the record limit (64..4096 bytes) and the
 * field limit (4..67 fields), the second the block size; the rest is the
 * CSV. Checks: the reader's memory (csv_memory) never passes the bound its
 * limits promise (3 * record limit + 24 * field limit, plus the first
 * block), every record it returns respects both limits, and a read that
 * fails says which limit and which line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "task/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    if (size < 2)
        return 0;
    size_t record_max = 64 + (size_t)(input[0] & 0x3f) * 64;
    size_t fields_max = 4 + (size_t)(input[0] >> 2);
    size_t block = 4 + input[1] % 61;
    const char *data = (const char *)input + 2;
    size_t len = size - 2;
    struct csv_reader *r;
    csv_open_mem(data, len, &r);
    csv_set_block_size(r, block);
    csv_set_limits(r, record_max, fields_max);
    size_t bound = 3 * record_max + 3 * block + 2 * 16 + 64 + sizeof(struct csv_field) * (fields_max + 64);
    const struct csv_field *f;
    size_t n;
    struct err err = {{0}};
    unsigned long long last = 0;
    int rc;
    while ((rc = csv_next(r, &f, &n, &err)) == 1) {
        if (csv_memory(r) > bound || n > fields_max)
            abort();
        if (csv_offset(r) - last > record_max + 3) /* + a BOM */
            abort();
        last = csv_offset(r);
    }
    if (csv_memory(r) > bound)
        abort();
    if (rc < 0 && !strstr(err.msg, "longer than") && !strstr(err.msg, "fields"))
        abort();
    if (rc < 0 && !strstr(err.msg, "line "))
        abort();
    csv_close(r);
    return 0;
}
