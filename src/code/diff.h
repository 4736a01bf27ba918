/* diff.h - unified diffs of two texts, line by line.
 *
 * The journal records every change the agent makes to a script as a unified
 * diff (3 lines of context, ---/+++ headers, "\ No newline at end of file"
 * where it applies), readable by people and by `patch`. The common head and
 * tail are stripped first; the middle is compared with an LCS table when it
 * is small enough (DIFF_MAX_CELLS) and otherwise shown as a whole
 * replacement, so time and memory stay bounded on big inputs.
 *
 * Pure function, thread-safe. */
#ifndef MLESTAR_CODE_DIFF_H
#define MLESTAR_CODE_DIFF_H

/* The largest LCS table (lines of a x lines of b, after the common head and
 * tail are removed) computed exactly. */
#define DIFF_MAX_CELLS (4u * 1024 * 1024)

/* Returns a malloc'd unified diff turning a into b ("" when they are equal),
 * headed "--- name_a" / "+++ name_b". Caller frees. */
char *code_unified_diff(const char *a, const char *b, const char *name_a, const char *name_b);

#endif
