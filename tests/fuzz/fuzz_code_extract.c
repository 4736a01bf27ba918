/* fuzz_code_extract.c - the reply parsers on arbitrary bytes.
 *
 * Runs code_extract_python(), code_extract_json(), code_extract_json_list()
 * and code_trim_output() on the input and checks what must always hold:
 *  - extracted code is non-empty, ends with '\n' and holds no CRLF;
 *  - extracted JSON is an array or object, and its strict dump parses back
 *    to an equal value (the normalizer is idempotent on strict JSON);
 *  - json_list always yields an array;
 *  - code_strip_fence never returns NULL, never grows the text and leaves
 *    no CRLF;
 *  - trimmed output never exceeds its budget, and equals the input when the
 *    input fits. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "code/extract.h"
#include "code/jsontext.h"
#include "code/trim.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "invariant broken: %s\n", what);
        abort();
    }
}

static void check_python(const char *text)
{
    struct err err = {{0}};
    char *code = code_extract_python(text, &err);
    if (!code) {
        check(err.msg[0] != '\0', "failure without a message");
        return;
    }
    size_t len = strlen(code);
    check(len > 0 && code[len - 1] == '\n', "code ends with a newline");
    check(strstr(code, "\r\n") == NULL, "no CRLF in code");
    free(code);
}

static void check_json(const char *text)
{
    struct err err = {{0}};
    json_t *value = code_extract_json(text, &err);
    if (!value) {
        check(err.msg[0] != '\0', "failure without a message");
    } else {
        check(json_is_array(value) || json_is_object(value), "array or object");
        char *dumped = json_dumps(value, JSON_COMPACT);
        check(dumped != NULL, "dump");
        json_t *again = code_extract_json(dumped, &err);
        check(again != NULL && json_equal(value, again), "strict dump round-trips");
        json_decref(again);
        free(dumped);
        json_decref(value);
    }
    json_t *list = code_extract_json_list(text, &err);
    check(list == NULL || json_is_array(list), "json_list gives an array");
    json_decref(list);
}

static void check_trim(const char *text, size_t max)
{
    char *t = code_trim_output(text, max);
    check(strlen(t) <= max || strlen(t) == strlen(text), "trim respects the budget");
    if (strlen(text) <= max)
        check(strcmp(t, text) == 0, "short text unchanged");
    else
        check(strlen(t) <= max, "trim respects the budget");
    free(t);
}

static void check_strip(const char *text)
{
    char *out = code_strip_fence(text);
    check(out != NULL, "strip_fence returns text");
    check(strlen(out) <= strlen(text), "strip_fence never grows the text");
    check(strstr(out, "\r\n") == NULL, "no CRLF after strip_fence");
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    check_python(text);
    check_json(text);
    check_strip(text);
    size_t max = size ? (size_t)data[0] * 4 : 0;
    check_trim(text, max);
    free(text);
    return 0;
}
