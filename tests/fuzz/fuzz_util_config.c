/* fuzz_util_config.c - the config file parser on arbitrary bytes: it must
 * either load or fail with a message naming a line, never crash or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct config cfg;
    struct err err = {{0}};
    config_defaults(&cfg);
    if (config_load_text(&cfg, "fuzz.ini", text, &err) < 0 && !strstr(err.msg, "fuzz.ini"))
        abort(); /* every error names the file */
    config_free(&cfg);
    free(text);
    return 0;
}
