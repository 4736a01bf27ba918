/* cmd_llm.c - `mlestar llm`: sends one prompt through the configured LLM
 * provider and prints the reply and what it cost.
 *
 * The way to check a provider setup (key, base URL, model, web search)
 * before a long run. The reply goes to stdout and the usage lines to stderr,
 * so `mlestar llm "..." > answer.txt` keeps only the answer; --json prints
 * one JSON object with both instead. A prompt of "-" is read from stdin.
 * It goes through the same client as a run: retries, <think> stripping,
 * llm.record, prices and budgets all apply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent/agent.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "llm/llm.h"
#include "util/buf.h"

static char *read_stdin(void)
{
    struct buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        buf_append(&b, chunk, n);
    return buf_detach(&b);
}

static json_t *reply_json(const struct llm_client *c, const struct llm_reply *r, int rc, const char *error)
{
    json_t *sources = json_array();
    for (size_t i = 0; i < r->nsources; i++)
        json_array_append_new(sources, json_pack("{s:s, s:s}", "title", r->sources[i].title, "url", r->sources[i].url));
    json_t *out = json_pack("{s:s, s:s, s:s, s:s, s:{s:I, s:I, s:I}, s:f, s:f, s:i, s:s, s:o}", "provider",
                            llm_client_provider(c), "model", r->model ? r->model : "", "text", r->text ? r->text : "",
                            "finish", llm_finish_name(r->finish), "usage", "input_tokens",
                            (json_int_t)r->usage.input_tokens, "output_tokens", (json_int_t)r->usage.output_tokens,
                            "cached_tokens", (json_int_t)r->usage.cached_tokens, "cost_usd", r->cost_usd,
                            "latency_s", r->latency_s, "tries", r->tries, "request_id",
                            r->request_id ? r->request_id : "", "sources", sources);
    if (!out) /* text that is not UTF-8 */
        out = json_pack("{s:s}", "provider", llm_client_provider(c));
    if (rc)
        json_object_set_new(out, "error", json_pack("{s:s, s:s}", "code", llm_error_name(rc), "message", error));
    else
        json_object_set_new(out, "error", json_null());
    return out;
}

static void print_usage_lines(const struct llm_client *c, const struct llm_reply *r, const char *stage)
{
    fprintf(stderr, "provider %s, model %s, stage %s\n", llm_client_provider(c), r->model, stage);
    fprintf(stderr, "tokens: %ld in (%ld cached), %ld out; cost $%.6f; latency %.2fs; tries %d; request id %s\n",
            r->usage.input_tokens, r->usage.cached_tokens, r->usage.output_tokens, r->cost_usd, r->latency_s,
            r->tries, *r->request_id ? r->request_id : "(none)");
    if (r->nsources)
        fprintf(stderr, "sources:\n");
    for (size_t i = 0; i < r->nsources; i++)
        fprintf(stderr, "  %zu. %s <%s>\n", i + 1, *r->sources[i].title ? r->sources[i].title : "(untitled)",
                r->sources[i].url);
}

static int send_prompt(const struct config *cfg, const char *prompt, const char *system, const char *stage,
                       bool web_search, bool cheap, bool as_json)
{
    struct err err = {{0}};
    agent_register_builtin();
    struct llm_client *c = llm_client_new(cfg, &err);
    if (!c) {
        cli_error("%s", err.msg);
        return CLI_FAIL;
    }
    struct llm_message msgs[2];
    size_t n = 0;
    if (system && *system)
        msgs[n++] = (struct llm_message){LLM_SYSTEM, system};
    msgs[n++] = (struct llm_message){LLM_USER, prompt};
    struct llm_request req = {.stage = stage, .call_id = "cli", .messages = msgs, .nmessages = n,
                              .temperature = -1, .web_search = web_search, .cheap = cheap};
    if (web_search && !llm_client_can_web_search(c, cheap))
        fprintf(stderr, "mlestar: note: provider %s with model %s has no web search tool; asking without it\n",
                llm_client_provider(c), llm_client_model(c, cheap));
    struct llm_reply reply;
    int rc = llm_chat(c, &req, &reply, &err);
    if (as_json) {
        json_t *out = reply_json(c, &reply, rc, err.msg);
        json_dumpf(out, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(8));
        fputc('\n', stdout);
        json_decref(out);
    } else {
        if (reply.text) {
            fputs(reply.text, stdout);
            fputc('\n', stdout);
            fflush(stdout);
            print_usage_lines(c, &reply, stage);
        }
        if (rc)
            cli_error("%s", err.msg);
    }
    llm_reply_free(&reply);
    llm_client_free(c);
    return rc ? CLI_FAIL : CLI_OK;
}

int cmd_llm(int argc, char **argv)
{
    bool web_search = false, as_json = false, cheap = false;
    const char *system = NULL, *stage = "cli";
    const struct cli_opt opts[] = {
        {"provider", 'p', "NAME", "llm.provider", NULL, NULL, "openai, gemini, anthropic, replay or builtin"},
        {"model", 'm', "MODEL", "llm.model", NULL, NULL, "model name"},
        {"base-url", 0, "URL", "llm.base_url", NULL, NULL, "API base URL (OpenAI-compatible servers too)"},
        {"web-search", 'w', NULL, NULL, &web_search, NULL, "let the model search the web (gemini, anthropic, "
                                                           "OpenAI search models)"},
        {"system", 's', "TEXT", NULL, NULL, &system, "a system prompt to send first"},
        {"cheap", 0, NULL, NULL, &cheap, NULL, "use llm.cheap_model"},
        {"stage", 0, "NAME", NULL, NULL, &stage, "stage name for accounting and recording (default: cli)"},
        {"json", 'j', NULL, NULL, &as_json, NULL, "print the reply and its usage as one JSON object"},
        {0},
    };
    const struct cli_spec spec = {
        "llm", "[--provider P] [--model M] [--base-url U] [--web-search] [--json] PROMPT",
        "Sends one prompt (\"-\" reads it from stdin) to the configured LLM provider and prints\n"
        "the reply on stdout, then its usage on stderr: tokens, cost, latency, tries, the\n"
        "provider's request id and, with --web-search, the sources. API keys come from\n"
        "OPENAI_API_KEY, GEMINI_API_KEY (or GOOGLE_API_KEY) and ANTHROPIC_API_KEY.",
        opts, 1, 1,
    };
    struct cli_args args;
    if (cli_parse(&spec, argc, argv, &args) < 0) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    if (!args.help_shown) {
        const char *prompt = args.positional[0];
        char *from_stdin = !strcmp(prompt, "-") ? read_stdin() : NULL;
        rc = send_prompt(&args.cfg, from_stdin ? from_stdin : prompt, system, stage, web_search, cheap, as_json);
        free(from_stdin);
    }
    cli_args_free(&args);
    return rc;
}
