/* report.h - RUN/report.html: what a run did, as one self-contained page.
 *
 * The page is built from the journal alone (RUN/run.db, opened read-only
 * in spirit: nothing is written to it), so it can be made while the run is
 * still writing (WAL) and again at any time after. It holds
 *   - the summary: task, metric and direction, status, best validation
 *     score, whether a valid submission was written, wall time, script
 *     time, and LLM calls, tokens and cost per stage;
 *   - the score over time: an inline SVG plot with one line per lane (the
 *     best score so far, under the metric's direction), every scored
 *     attempt as a dot, ensemble rounds and the submission marked;
 *   - the lineage: per lane, retrieval, candidates, merges, the data-usage
 *     check, and each outer step (the ablation script, its result table
 *     and summary, the chosen block and every inner plan with its score
 *     and the diff of its block); the ensemble plans; the submission; each
 *     node with the debug attempts behind it;
 *   - the final solution's code.
 * No network, no external assets, no JavaScript: CSS and SVG are inline,
 * and every piece of journal text (code, plans, errors, names) is HTML
 * escaped, so a script's content can never become markup.
 *
 * Thread-safety: report_render/report_write open their own connection to
 * the journal; they may run while another thread or process writes it. */
#ifndef MLESTAR_REPORT_REPORT_H
#define MLESTAR_REPORT_REPORT_H

#include "util/buf.h"
#include "util/err.h"

#define REPORT_FILE_NAME "report.html"

/* Appends the page for the run in run_dir to out. 0, or -1 with err naming
 * the journal and what is wrong (no journal, unreadable, no run). */
int report_render(const char *run_dir, struct buf *out, struct err *err);
/* Renders the page and writes it atomically to RUN/report.html. 0, or -1
 * with err. */
int report_write(const char *run_dir, struct err *err);
/* The same, to out_path (NULL = RUN/report.html). */
int report_write_file(const char *run_dir, const char *out_path, struct err *err);

#endif
