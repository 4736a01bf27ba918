/* lane.h - the L independent search lanes, run as threads (lane.c). */
#ifndef MLESTAR_AGENT_LANE_H
#define MLESTAR_AGENT_LANE_H

#include <pthread.h>
#include <stdbool.h>

#include "agent/agent.h"

struct lane {
    struct agent *agent;
    int index;
    pthread_t thread;
    bool started;
    struct solution result;   /* the lane's final solution */
};

/* Runs every lane to its end (concurrently). */
void lanes_run(struct agent *a, struct lane *lanes, size_t n);

#endif
