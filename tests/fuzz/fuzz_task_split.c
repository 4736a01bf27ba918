/* fuzz_task_split.c - libFuzzer target: a CSV profiled in one pass and
 * split between threads must give the same profile.
 *
 * The input is written to a file (the split reads a file by byte ranges)
 * and profiled twice: on one thread, then cut into ranges of a few bytes
 * on four threads, so cuts land anywhere: inside quoted fields, between a
 * CR and its LF, in ragged or malformed records. Both profiles must agree
 * in everything tests/common/profile_compare.h checks, and both must
 * succeed or fail together. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/profile_compare.h"
#include "task/profile.h"

static char path[64];

static void write_input(const uint8_t *data, size_t len)
{
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/mlestar-fuzz-split-%d.csv", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    if (size < 2)
        return 0;
    size_t range = 1 + input[0] % 32;   /* bytes per range at least */
    write_input(input + 1, size - 1);

    struct err err = {{0}};
    struct profile_file *one = NULL, *split = NULL;
    profile_csv_tune(0, 1);
    int rc_one = profile_csv_file(path, &one, &err);
    profile_csv_tune(range, 4);
    int rc_split = profile_csv_file(path, &split, &err);
    profile_csv_tune(0, 0);
    if (rc_one != rc_split)
        abort();
    if (rc_one == 0) {
        const char *diff = profile_diff(one, split);
        if (diff) {
            fprintf(stderr, "split profile: %s\n", diff);
            abort();
        }
    }
    profile_file_free(one);
    profile_file_free(split);
    unlink(path);
    return 0;
}
