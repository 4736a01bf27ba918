/* splice.h - replacing one block of a script with another.
 *
 * The refinement and debug stages ask the LLM for "the block to change" and
 * "its replacement". code_replace_block() puts the replacement in place only
 * when the block can be found without doubt:
 *
 *  1. both blocks must hold something besides whitespace;
 *  2. an exact match of old_block in code, which must be unique;
 *  3. else a match of old_block's non-blank lines against the script's
 *     non-blank lines, comparing lines with leading/trailing whitespace
 *     removed and inner runs of whitespace folded to one space; it must be
 *     unique too, and the replacement covers the whole original lines from
 *     the first matched line to the last.
 *
 * Indentation: when old_block was given less (or more) indented than the
 * script's lines it matched, new_block is shifted by the same amount. For an
 * exact match that starts after a line's indentation (the model copied the
 * first line without its indent), the lines of a multi-line new_block after
 * the first get that indentation when they have less of it. new_block's
 * final newline is made to agree with old_block's (exact) or with the
 * replaced lines' (fuzzy).
 *
 * Failures are phrased to be sent back to the LLM as they are ("the block
 * occurs 2 times (lines 10 and 40); include more lines to make it unique"),
 * so the caller can ask again with the reason.
 *
 * Pure functions, thread-safe. */
#ifndef MLESTAR_CODE_SPLICE_H
#define MLESTAR_CODE_SPLICE_H

#include <stdbool.h>

#include "code/diff.h"
#include "util/err.h"

struct code_splice {
    char *code;        /* the new full script (owned) */
    char *diff;        /* unified diff a/solution.py -> b/solution.py, 3 lines of context (owned) */
    int start_line;    /* 1-based first line of old_block in the original */
    int end_line;      /* 1-based last line of old_block in the original */
    bool fuzzy;        /* matched whitespace-insensitively */
    bool reindented;   /* new_block's indentation was adjusted */
};

/* Replaces the one occurrence of old_block in code by new_block. On success
 * returns 0 and fills *out (free with code_splice_free); on failure returns
 * -1, leaves *out zeroed and sets err to a message for the LLM. */
int code_replace_block(const char *code, const char *old_block, const char *new_block,
                       struct code_splice *out, struct err *err);

/* True when block spans (nearly) the whole script: at least 90% of its
 * non-blank lines, for a script of 4 or more such lines. A "block" to
 * refine or fix must be a part: rewriting it would rewrite the script. */
bool code_block_is_whole_script(const char *code, const char *block);

/* Frees what *s owns and zeroes it; NULL-safe. */
void code_splice_free(struct code_splice *s);

#endif
