/* llm_testlib.h - what the llm unit tests share: starting the scripted test
 * server (tests/tools/llm_test_server.py) with fork/exec of /usr/bin/python3,
 * reading back the requests it received, and building configs and requests.
 *
 * The client under test is the real one talking HTTP to that server; the
 * fake API keys below are set in the environment so tests can check that
 * the key reaches the server and never an error, a log or a recording. */
#ifndef MLESTAR_TESTS_LLM_TESTLIB_H
#define MLESTAR_TESTS_LLM_TESTLIB_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "llm/llm.h"
#include "util/config.h"
#include "util/fs.h"

#define TEST_OPENAI_KEY "sk-test-SECRET-openai-0123456789"
#define TEST_GEMINI_KEY "AIza-test-SECRET-gemini-98765"
#define TEST_ANTHROPIC_KEY "sk-ant-test-SECRET-anthropic-555"

struct test_server {
    pid_t pid;
    int port;
    char dir[64];
    char script[128];
    char log[128];
    char base[64];     /* http://127.0.0.1:PORT */
};

/* Servers still running when the test exits (a failed assertion jumps past
 * server_stop): killed at exit so no test leaves a process behind. */
static pid_t test_server_pids[32];

static inline void test_kill_servers(void)
{
    for (size_t i = 0; i < 32; i++)
        if (test_server_pids[i] > 0) {
            kill(test_server_pids[i], SIGKILL);
            waitpid(test_server_pids[i], NULL, 0);
        }
}

static inline void test_env_setup(void)
{
    atexit(test_kill_servers);
    setenv("MLESTAR_LLM_BACKOFF_BASE", "0.01", 1);
    setenv("OPENAI_API_KEY", TEST_OPENAI_KEY, 1);
    setenv("GEMINI_API_KEY", TEST_GEMINI_KEY, 1);
    setenv("ANTHROPIC_API_KEY", TEST_ANTHROPIC_KEY, 1);
    unsetenv("GOOGLE_API_KEY");
    unsetenv("OPENAI_BASE_URL");
    unsetenv("ANTHROPIC_BASE_URL");
}

/* A fresh temporary folder (path into buf). */
static inline void test_tmpdir(char *buf, size_t bufsz)
{
    snprintf(buf, bufsz, "/tmp/mlestar-llm-XXXXXX");
    if (!mkdtemp(buf)) {
        perror("mkdtemp");
        abort();
    }
}

static inline void test_write(const char *path, const char *text)
{
    struct err err = {{0}};
    if (fs_write_file(path, text, strlen(text), &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        abort();
    }
}

static inline char *test_read(const char *path)
{
    char *text = NULL;
    struct err err = {{0}};
    if (fs_read_file(path, 0, &text, NULL, &err) < 0)
        return strdup("");
    return text;
}

static inline const char *test_source_dir(void)
{
    const char *env = getenv("MLESTAR_SOURCE_DIR");
    return env && *env ? env : MLESTAR_SOURCE_DIR;
}

/* Starts the server with the given script (a JSON text). Aborts on failure. */
static inline void server_start(struct test_server *s, const char *script_json)
{
    memset(s, 0, sizeof *s);
    test_tmpdir(s->dir, sizeof s->dir);
    snprintf(s->script, sizeof s->script, "%s/script.json", s->dir);
    snprintf(s->log, sizeof s->log, "%s/requests.jsonl", s->dir);
    test_write(s->script, script_json);
    char server_py[1024];
    snprintf(server_py, sizeof server_py, "%s/tests/tools/llm_test_server.py", test_source_dir());
    int fds[2];
    if (pipe(fds) < 0)
        abort();
    pid_t pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl("/usr/bin/python3", "python3", server_py, s->script, s->log, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *out = fdopen(fds[0], "r");
    char line[64] = "";
    if (!out || !fgets(line, sizeof line, out)) {
        fprintf(stderr, "llm test server did not start (%s)\n", server_py);
        abort();
    }
    fclose(out);
    s->pid = pid;
    for (size_t i = 0; i < 32; i++)
        if (test_server_pids[i] <= 0) {
            test_server_pids[i] = pid;
            break;
        }
    s->port = atoi(line);
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
}

static inline void server_stop(struct test_server *s)
{
    if (s->pid > 0) {
        for (size_t i = 0; i < 32; i++)
            if (test_server_pids[i] == s->pid)
                test_server_pids[i] = 0;
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
    if (s->dir[0])
        fs_rm_rf(s->dir, NULL);
}

/* The requests the server received, as a JSON array (new reference). */
static inline json_t *server_requests(const struct test_server *s)
{
    json_t *all = json_array();
    FILE *f = fopen(s->log, "r");
    if (!f)
        return all;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *r = json_loads(line, 0, NULL);
        if (r)
            json_array_append_new(all, r);
    }
    free(line);
    fclose(f);
    return all;
}

static inline size_t server_count(const struct test_server *s)
{
    json_t *all = server_requests(s);
    size_t n = json_array_size(all);
    json_decref(all);
    return n;
}

/* Request i's body parsed as JSON (new reference), or NULL. */
static inline json_t *server_body(const struct test_server *s, size_t i)
{
    json_t *all = server_requests(s);
    const char *text = json_string_value(json_object_get(json_array_get(all, i), "body"));
    json_t *body = text ? json_loads(text, 0, NULL) : NULL;
    json_decref(all);
    return body;
}

/* Request i's header (lower-case name), malloc'd, or NULL. */
static inline char *server_header(const struct test_server *s, size_t i, const char *name)
{
    json_t *all = server_requests(s);
    const char *v = json_string_value(json_object_get(json_object_get(json_array_get(all, i), "headers"), name));
    char *copy = v ? strdup(v) : NULL;
    json_decref(all);
    return copy;
}

static inline void cfg_set(struct config *cfg, const char *name, const char *value)
{
    struct err err = {{0}};
    if (config_set(cfg, name, value, "test", &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        abort();
    }
}

/* Defaults, then provider and base URL, with test-friendly limits. */
static inline void test_config(struct config *cfg, const char *provider, const char *base_url)
{
    config_defaults(cfg);
    cfg_set(cfg, "llm.provider", provider);
    cfg_set(cfg, "llm.base_url", base_url ? base_url : "");
    cfg_set(cfg, "llm.timeout", "10s");
    cfg_set(cfg, "llm.max_tries", "4");
}

/* A one-turn request (system + user) for stage/call_id. */
struct test_request {
    struct llm_message msgs[2];
    struct llm_request req;
};

static inline void test_request_init(struct test_request *t, const char *stage, const char *call_id, const char *user)
{
    memset(t, 0, sizeof *t);
    t->msgs[0].role = LLM_SYSTEM;
    t->msgs[0].content = "You are a careful ML engineer.";
    t->msgs[1].role = LLM_USER;
    t->msgs[1].content = user;
    t->req.stage = stage;
    t->req.call_id = call_id;
    t->req.messages = t->msgs;
    t->req.nmessages = 2;
    t->req.temperature = -1;
    t->req.max_tokens = 0;
}

#endif
