/* fuzz_exec_slurm.c - libFuzzer target: the slurm backend's parsers of
 * outside input (src/exec/slurm_parse.c, slurm_json.c) on any bytes.
 *
 * The first byte picks the parser: srun's messages (line by line), `scontrol
 * show job -o`, `sacct -P`, the verdict JSON and the request JSON. Each must
 * not crash or read out of bounds (the input is copied into an exact-size
 * buffer with no terminating NUL); results are checked for consistency: a
 * parsed state is NUL-terminated and within its field, a parsed verdict
 * encodes back to JSON that parses again to the same status and score. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exec/slurm.h"

static void check_info(const struct slurm_job_info *info)
{
    if (memchr(info->state, '\0', sizeof info->state) == NULL ||
        memchr(info->reason, '\0', sizeof info->reason) == NULL ||
        memchr(info->nodes, '\0', sizeof info->nodes) == NULL)
        abort();
    (void)slurm_state_fate(info->state);
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    if (size < 1)
        return 0;
    int which = input[0] % 5;
    size_t len = size - 1;
    char *data = malloc(len ? len : 1);
    if (!data)
        return 0;
    memcpy(data, input + 1, len);
    struct slurm_job_info info;
    struct err err = {{0}};
    switch (which) {
    case 0: {
        size_t start = 0;
        for (size_t i = 0; i <= len; i++)
            if (i == len || data[i] == '\n') {
                long id = slurm_srun_job_id(data + start, i - start);
                if (id < 0)
                    abort();
                start = i + 1;
            }
        break;
    }
    case 1:
        if (slurm_parse_scontrol(data, len, &info) == 0 && !info.state[0])
            abort();
        check_info(&info);
        break;
    case 2:
        if (slurm_parse_sacct(data, len, &info) == 0 && !info.state[0])
            abort();
        check_info(&info);
        break;
    case 3: {
        struct exec_result r;
        if (slurm_result_parse(data, len, &r, &err) == 0) {
            char *json = slurm_result_to_json(&r);
            struct exec_result again;
            if (!json || slurm_result_parse(json, strlen(json), &again, &err) != 0)
                abort();
            if (again.status != r.status || again.has_score != r.has_score ||
                (r.has_score && again.score != r.score) || again.nfiles_read != r.nfiles_read)
                abort();
            exec_result_free(&again);
            free(json);
            exec_result_free(&r);
        }
        break;
    }
    case 4: {
        struct slurm_request rq;
        if (slurm_request_parse(data, len, &rq, &err) == 0) {
            if (!rq.script || !rq.attempt_dir || !rq.result_path || !rq.extra_env)
                abort();
            slurm_request_free(&rq);
        }
        break;
    }
    }
    free(data);
    return 0;
}
