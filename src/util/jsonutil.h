/* jsonutil.h - small accessors over jansson values that tolerate absence.
 *
 * Replies and contexts come from outside (LLMs, files); these read a field
 * with a default instead of crashing on a missing or mistyped key. */
#ifndef MLESTAR_UTIL_JSONUTIL_H
#define MLESTAR_UTIL_JSONUTIL_H

#include <jansson.h>
#include <stdbool.h>

/* obj[key] as a string, or dflt when absent or not a string. */
const char *json_str(const json_t *obj, const char *key, const char *dflt);
/* obj[key] as a number (integer or real), or dflt. */
double json_num(const json_t *obj, const char *key, double dflt);
long long json_int(const json_t *obj, const char *key, long long dflt);
bool json_bool(const json_t *obj, const char *key, bool dflt);
/* True when the array `list` holds the string s. */
bool json_list_has(const json_t *list, const char *s);

#endif
