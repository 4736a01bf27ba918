/* fuzz_task_imghdr.c - libFuzzer target for the image / audio header parser
 * (task/imghdr.c). Any bytes are valid input: the parser must never read
 * outside the buffer (ASan checks that; the input is copied into an exact-size
 * heap block so an overread is caught), must be deterministic, and must
 * report sizes only with a recognised format. Every prefix of the input is
 * parsed too, since truncated headers are the common failure. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "task/imghdr.h"

static void parse_exact(const uint8_t *input, size_t size, struct imghdr *out)
{
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy)
        abort();
    memcpy(copy, input, size);
    imghdr_parse(copy, size, out);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    struct imghdr a, b;
    parse_exact(input, size, &a);
    parse_exact(input, size, &b);
    if (memcmp(&a, &b, sizeof a) != 0)
        abort();
    if (a.format == IMGHDR_UNKNOWN && (a.width || a.height || a.channels))
        abort();
    size_t step = size > 64 ? size / 32 : 1;
    for (size_t n = 0; n < size; n += step)
        parse_exact(input, n, &a);
    return 0;
}
