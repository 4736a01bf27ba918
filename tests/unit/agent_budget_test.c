/* agent_budget_test.c - the run's clock (agent/budget.c): the parts of the
 * time in order, the final step's reserve from measured times (and its skip
 * when it cannot fit), planned script times within exec.timeout and the
 * part's end, and parts closing as the deadline nears. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/agent.h"
#include "util/timeutil.h"

/* An agent with the default pipeline and a time limit, started `elapsed`
 * seconds ago; task_facts says how many training rows there are. */
static struct agent *make_agent(double limit, double elapsed, long train_rows)
{
    struct agent *a = calloc(1, sizeof *a);
    pthread_mutex_init(&a->lock, NULL);
    config_defaults(&a->cfg);
    a->cfg.run.time_limit = limit;
    a->cfg.exec.timeout = 3600;
    a->cfg.exec.grace = 5;
    a->slots = 2;
    a->deadline = time_mono() - elapsed + limit;
    a->task_facts = json_pack("{s:I}", "train_rows", (json_int_t)train_rows);
    budget_init(a);
    return a;
}

static void free_agent(struct agent *a)
{
    json_decref(a->task_facts);
    config_free(&a->cfg);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

static void test_parts_in_order(void **state)
{
    (void)state;
    struct agent *a = make_agent(480, 0, 1000);
    double init = budget_part_deadline(a, BUDGET_INIT);
    double refine = budget_part_deadline(a, BUDGET_REFINE);
    double ensemble = budget_part_deadline(a, BUDGET_ENSEMBLE);
    double final = budget_part_deadline(a, BUDGET_FINAL);
    /* candidates may run until the search ends (merges only start in its first part) */
    assert_true(init == refine);
    assert_true(refine < ensemble);
    assert_true(ensemble < final);
    assert_true(final <= a->deadline - BUDGET_END_MARGIN_S + 1e-6);
    /* unmeasured: 15% kept for the final step, 10% for an ensemble round */
    assert_true(final - ensemble > 0.14 * 480 && final - ensemble < 0.16 * 480);
    assert_true(ensemble - refine > 0.09 * 480 && ensemble - refine < 0.11 * 480);
    assert_true(budget_part_open(a, BUDGET_INIT));
    assert_true(budget_part_open(a, BUDGET_REFINE));
    free_agent(a);
}

static void test_final_reserve_from_measured_times(void **state)
{
    (void)state;
    /* 90,000 rows, searched on 30,000: the full-data step is predicted at 3x the best's time */
    struct agent *a = make_agent(600, 0, 90000);
    budget_note(a, "candidate", 10.0, true, true, 0.8);
    budget_note(a, "candidate", 20.0, true, true, 0.7); /* worse score: not the one scaled */
    assert_true(budget_predict_final(a) > 29.9 && budget_predict_final(a) < 30.1);
    double reserve = budget_part_deadline(a, BUDGET_FINAL) - budget_part_deadline(a, BUDGET_ENSEMBLE);
    assert_true(reserve > 30.0 * 1.25 && reserve < 30.0 * 1.25 + 5);
    assert_true(budget_final_fits(a));
    /* a best script so slow that the full-data step would need more than 35% of the limit:
     * nothing is reserved (the fallback stands) */
    budget_note(a, "merge", 100.0, true, true, 0.9);
    double none = budget_part_deadline(a, BUDGET_FINAL) - budget_part_deadline(a, BUDGET_ENSEMBLE);
    assert_true(none < 1e-6);
    free_agent(a);
}

static void test_failed_and_unscored_scripts_do_not_count(void **state)
{
    (void)state;
    struct agent *a = make_agent(600, 0, 1000);
    budget_note(a, "candidate", 50.0, false, false, 0);
    budget_note(a, "ablation", 40.0, true, false, 0);
    assert_true(budget_predict_final(a) == 0);
    budget_note(a, "candidate", 4.0, true, true, 0.5);
    assert_true(budget_predict_final(a) > 3.9 && budget_predict_final(a) < 4.1);
    free_agent(a);
}

static void test_plans_within_limits(void **state)
{
    (void)state;
    struct agent *a = make_agent(480, 0, 1000);
    const char *stages[] = {"candidate", "merge", "ablation", "refine", "ensemble", "submission", "debug"};
    for (size_t i = 0; i < sizeof stages / sizeof *stages; i++) {
        double plan = budget_script_plan(a, stages[i]);
        double end = budget_part_deadline(a, budget_part_of(stages[i])) - time_mono();
        assert_true(plan >= 5.0);
        assert_true(plan <= end + 1e-6);
    }
    /* 8 candidates on 2 slots: 4 rounds share half the first part */
    double cand = budget_script_plan(a, "candidate");
    assert_true(cand < (budget_part_deadline(a, BUDGET_INIT) - time_mono()) / 4);
    a->cfg.exec.timeout = 10;
    assert_true(budget_script_plan(a, "submission") <= 10);
    free_agent(a);
}

static void test_parts_close_near_the_deadline(void **state)
{
    (void)state;
    struct agent *a = make_agent(100, 92, 1000); /* 8 s left */
    assert_false(budget_part_open(a, BUDGET_INIT));
    assert_false(budget_part_open(a, BUDGET_REFINE));
    assert_false(budget_part_open(a, BUDGET_ENSEMBLE));
    free_agent(a);
    a = make_agent(100, 55, 1000); /* past the first part of the search, before its end */
    assert_false(budget_part_open(a, BUDGET_INIT));
    assert_true(budget_part_open(a, BUDGET_REFINE));
    free_agent(a);
}

static void test_no_limit(void **state)
{
    (void)state;
    struct agent *a = make_agent(0, 0, 1000);
    a->deadline = 0;
    assert_true(budget_part_deadline(a, BUDGET_FINAL) == 0);
    assert_true(budget_part_open(a, BUDGET_REFINE));
    assert_true(budget_script_plan(a, "candidate") == 3600);
    free_agent(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts_in_order),
        cmocka_unit_test(test_final_reserve_from_measured_times),
        cmocka_unit_test(test_failed_and_unscored_scripts_do_not_count),
        cmocka_unit_test(test_plans_within_limits),
        cmocka_unit_test(test_parts_close_near_the_deadline),
        cmocka_unit_test(test_no_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
