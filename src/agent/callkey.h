/* callkey.h - the journal keys a process has asked, and what under each.
 *
 * The journal answers an LLM call by its logical key (stage, call_id, role;
 * see llm_request_key), so that a resumed run gets its recorded replies
 * although the prompt's "time left" has changed. The flip side: two
 * different requests under one key get one reply, the second spliced where
 * it does not belong (issue 16: two leakage fixes of one script shared a
 * call id). The registry remembers, for every key asked in this process, a
 * hash of the request's user-side messages (the system message, which holds
 * the clock, is left out); asking a different request under a known key is
 * refused.
 *
 * Thread-safe (its own lock). */
#ifndef MLESTAR_AGENT_CALLKEY_H
#define MLESTAR_AGENT_CALLKEY_H

#include "llm/llm.h"

struct callkey_registry;

struct callkey_registry *callkey_new(void);
void callkey_free(struct callkey_registry *r);
/* 0 when req is new or the same request again (requests without a call_id
 * are not tracked); -1 when another request was asked under its key. */
int callkey_register(struct callkey_registry *r, const struct llm_request *req);

#endif
