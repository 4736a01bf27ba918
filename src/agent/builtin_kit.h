/* builtin_kit.h - the builtin planner's solution kit: catalog, snippets,
 * composition and parsing of scripts (templates/builtin/README.md is the
 * contract; this is its C side).
 *
 * A composition is a JSON object {block: [{"name", "params"}...]} for the
 * blocks load, features, model, validation, predict. Composing renders the
 * header, the CONFIG line and each block between its markers; inside each
 * block the first line is a compose record
 *     # [compose] {"block":"model","snippets":[{"name":"xgboost","params":{...}}]}
 * so a script carries its own composition: the planner reads it back from
 * the code it is given (stateless, hence deterministic and resumable) and a
 * block replaced by a refinement carries its new record with it.
 *
 * The kit is loaded once from the embedded templates and is read-only after,
 * so it may be shared between threads. */
#ifndef MLESTAR_AGENT_BUILTIN_KIT_H
#define MLESTAR_AGENT_BUILTIN_KIT_H

#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"

struct kit {
    json_t *catalog;          /* templates/builtin/catalog.json */
    const char *header;       /* header.py text */
};

/* The process-wide kit (loaded on first use); NULL + err when broken. */
const struct kit *kit_get(struct err *err);

extern const char *const kit_blocks[5]; /* load, features, model, validation, predict */

/* The catalog entry of a snippet, or NULL. */
json_t *kit_snippet(const struct kit *k, const char *block, const char *name);
/* Snippet params: defaults from the catalog (new reference). */
json_t *kit_default_params(const struct kit *k, const char *block, const char *name);

/* Python literal of a JSON value, as the README renders params. malloc'd. */
char *kit_python_literal(json_t *v);

/* One block's text (compose line + snippets in catalog order), no markers.
 * tried (may be NULL) lists the moves already tried on the block; it is
 * kept in the compose record. */
char *kit_render_block(const struct kit *k, const char *block, json_t *snippets, json_t *tried,
                       struct err *err);
/* A whole script. */
char *kit_render_script(const struct kit *k, json_t *config, json_t *composition, struct err *err);
/* A runner script (`file` relative to templates/builtin/, e.g. ablation.py)
 * with {{<placeholder>}} replaced by the Python literal of `value`.
 * malloc'd; NULL + err when the file or its placeholder is missing. */
char *kit_render_runner(const struct kit *k, const char *file, const char *placeholder, json_t *value,
                        struct err *err);
/* The ensemble script of catalog method `method` ("mean", ...): the shared
 * part (catalog "ensemble_common", its {{SOLUTIONS}} replaced by the Python
 * list of the `solutions` strings) followed by the method's file (its
 * "ensembles" entry). One self-contained script. malloc'd; NULL + err for an
 * unknown method or a missing file. */
char *kit_render_ensemble(const struct kit *k, const char *method, json_t *solutions, struct err *err);

/* Reads the CONFIG object of a script (new reference) or NULL. */
json_t *kit_parse_config(const char *code);
/* Reads the composition of a script from its compose records (new
 * reference) or NULL when the script was not composed by the kit. */
json_t *kit_parse_composition(const char *code);
/* The compose record at the start of a block's text (new reference):
 * {"block", "snippets", "tried"}; NULL when there is none. */
json_t *kit_parse_block_record(const char *block_text);
/* The text of a block between its markers (malloc'd) or NULL. */
char *kit_block_text(const char *code, const char *block);
/* Which block holds 1-based line `line` of code ("model"), or NULL. */
const char *kit_block_at_line(const char *code, long line);
/* The script with its CONFIG line replaced (malloc'd). */
char *kit_replace_config(const char *code, json_t *config);

/* Applies a param change ("x2", "+1", absolute) to `params` (in place).
 * Returns the number of params changed. */
int kit_apply_param_changes(json_t *params, json_t *changes);

#endif
