/* limits.c - the limits of one script, from the exec.* settings.
 *
 * Defaults (src/util/config.c): timeout 1h, grace 5s, memory 0 = physical
 * RAM divided by the number of slots, 256 processes and threads, files up to
 * 8G, 64M of stdout+stderr kept on disk, no network, and the cores divided
 * by the slots as the thread count of the numeric libraries (at least 1). */
#include <unistd.h>

#include "exec/exec.h"

static long long physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES);
    long page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (long long)pages * page : 0;
}

struct exec_limits exec_limits_from_config(const struct config *cfg, int slots)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    if (slots < 1)
        slots = cfg->exec.slots > 0 ? (int)cfg->exec.slots : (int)cores;
    struct exec_limits l = {0};
    l.timeout_s = cfg->exec.timeout;
    l.grace_s = cfg->exec.grace;
    l.memory_bytes = cfg->exec.memory > 0 ? cfg->exec.memory : physical_memory() / slots;
    l.max_procs = cfg->exec.max_procs;
    l.max_file_bytes = cfg->exec.max_file_size;
    l.output_cap_bytes = cfg->exec.output_cap;
    l.network = cfg->exec.network;
    l.threads = (int)(cores / slots) > 0 ? (int)(cores / slots) : 1;
    return l;
}

const char *exec_status_name(enum exec_status s)
{
    switch (s) {
    case EXEC_OK: return "ok";
    case EXEC_FAILED: return "failed";
    case EXEC_SIGNALED: return "signaled";
    case EXEC_TIMEOUT: return "timeout";
    case EXEC_OOM: return "oom";
    case EXEC_CANCELLED: return "cancelled";
    }
    return "unknown";
}
