/* assets.h - files embedded in the binary at build time.
 *
 * cmake/embed_assets.cmake turns the .txt files under prompts/, the .md
 * files under catalog/ and the .py files under templates/ into the table below. assets_get() finds one by its path
 * relative to the source root ("prompts/retrieve.txt"). Read-only, static
 * storage, thread-safe. */
#ifndef MLESTAR_UTIL_ASSETS_H
#define MLESTAR_UTIL_ASSETS_H

#include <stddef.h>

struct asset {
    const char *path;  /* e.g. "prompts/retrieve.txt"; NULL ends the table */
    const char *data;  /* NUL-terminated */
    size_t len;
};

extern const struct asset assets_table[];

/* Returns the asset at `path`, or NULL. */
const struct asset *assets_get(const char *path);

#endif
