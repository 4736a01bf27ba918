/* prompt.h - prompt templates and their rendering.
 *
 * Templates are the files prompts/<name>.txt, embedded in the binary at
 * build time; prompts.dir (or --prompts DIR) overrides any of them with a
 * file of the same name. A template holds {{variable}} placeholders, filled
 * from a JSON object of strings (numbers are printed, other values as JSON).
 * A placeholder with no value is an error naming the template and the
 * variable, so a typo never silently sends "{{profle}}" to a model.
 *
 * Each template's first lines state its output contract; the pipeline's
 * parsers (code/) enforce it. Rendering is pure and thread-safe. */
#ifndef MLESTAR_AGENT_PROMPT_H
#define MLESTAR_AGENT_PROMPT_H

#include <jansson.h>

#include "util/err.h"

/* Returns the template text (malloc'd) for `name` ("retrieve"), from dir
 * when it has prompts/<name>.txt, else the embedded copy. */
char *prompt_template(const char *dir, const char *name, struct err *err);

/* Renders template `name` with `vars` (an object). malloc'd result. */
char *prompt_render(const char *dir, const char *name, json_t *vars, struct err *err);

/* Renders a template text directly (for tests). */
char *prompt_render_text(const char *tmpl_name, const char *text, json_t *vars, struct err *err);

#endif
