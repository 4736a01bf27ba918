/* agent_callkey_test.c - the registry that refuses a second, different
 * request under a journal key already asked (agent/callkey.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "agent/callkey.h"

static struct llm_request request(const char *stage, const char *call_id, struct llm_message *msgs, size_t n)
{
    struct llm_request req = {.stage = stage, .call_id = call_id, .messages = msgs, .nmessages = n,
                              .temperature = -1};
    return req;
}

static void test_two_prompts_under_one_key_are_refused(void **state)
{
    (void)state;
    struct callkey_registry *r = callkey_new();
    struct llm_message first[2] = {{LLM_SYSTEM, "time left: 1h"}, {LLM_USER, "fix block A"}};
    struct llm_message second[2] = {{LLM_SYSTEM, "time left: 1h"}, {LLM_USER, "fix block B"}};
    struct llm_request a = request("leakage_fix", "lane0/cand0/leakage_fix", first, 2);
    struct llm_request b = request("leakage_fix", "lane0/cand0/leakage_fix", second, 2);
    assert_int_equal(callkey_register(r, &a), 0);
    assert_int_equal(callkey_register(r, &b), -1);
    callkey_free(r);
}

static void test_same_prompt_again_and_other_keys_pass(void **state)
{
    (void)state;
    struct callkey_registry *r = callkey_new();
    struct llm_message m1[2] = {{LLM_SYSTEM, "time left: 1h"}, {LLM_USER, "fix block A"}};
    struct llm_message m2[2] = {{LLM_SYSTEM, "time left: 5m"}, {LLM_USER, "fix block A"}};
    struct llm_message m3[2] = {{LLM_SYSTEM, "time left: 5m"}, {LLM_USER, "fix block B"}};
    struct llm_request a = request("leakage_fix", "k", m1, 2);
    struct llm_request again = request("leakage_fix", "k", m2, 2);   /* only the clock moved */
    struct llm_request other_id = request("leakage_fix", "k2", m3, 2);
    struct llm_request other_stage = request("debug", "k", m3, 2);
    struct llm_request cheap = request("leakage_fix", "k", m3, 2);
    cheap.cheap = true;
    struct llm_request no_id = request("leakage_fix", NULL, m3, 2);
    assert_int_equal(callkey_register(r, &a), 0);
    assert_int_equal(callkey_register(r, &again), 0);
    assert_int_equal(callkey_register(r, &other_id), 0);
    assert_int_equal(callkey_register(r, &other_stage), 0);
    assert_int_equal(callkey_register(r, &cheap), 0);
    assert_int_equal(callkey_register(r, &no_id), 0);
    assert_int_equal(callkey_register(r, &no_id), 0);
    callkey_free(r);
}

static void test_feedback_turns_count(void **state)
{
    (void)state;
    struct callkey_registry *r = callkey_new();
    struct llm_message one[4] = {{LLM_SYSTEM, "s"}, {LLM_USER, "q"}, {LLM_ASSISTANT, "bad 1"}, {LLM_USER, "error"}};
    struct llm_message two[4] = {{LLM_SYSTEM, "s"}, {LLM_USER, "q"}, {LLM_ASSISTANT, "bad 2"}, {LLM_USER, "error"}};
    struct llm_request a = request("extract", "x#again", one, 4);
    struct llm_request b = request("extract", "x#again", two, 4);
    assert_int_equal(callkey_register(r, &a), 0);
    assert_int_equal(callkey_register(r, &b), -1);
    callkey_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_prompts_under_one_key_are_refused),
        cmocka_unit_test(test_same_prompt_again_and_other_keys_pass),
        cmocka_unit_test(test_feedback_turns_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
