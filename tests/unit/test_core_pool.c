/* Thread pool: every thread index runs exactly once per run, results do not depend on the thread
 * count, thousands of back-to-back runs neither deadlock nor lose work, and workers that went to
 * sleep wake up again. An alarm turns a deadlock into a failure instead of a hung test. */
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/pool.h"
#include "testkit.h"

#define DEADLOCK_SECONDS 120

static void arm_deadlock_alarm(void) {
    alarm(DEADLOCK_SECONDS);
}

typedef struct {
    atomic_int hits[G4_POOL_MAX_THREADS];
    atomic_int nth_seen;
} census;

static void count_threads(void *ctx, int ith, int nth) {
    census *c = ctx;
    atomic_fetch_add(&c->hits[ith], 1);
    atomic_store(&c->nth_seen, nth);
}

static void test_null_pool_runs_on_caller(void **state) {
    (void)state;
    census c;
    memset(&c, 0, sizeof c);
    g4_pool_run(NULL, count_threads, &c);
    assert_int_equal(atomic_load(&c.hits[0]), 1);
    assert_int_equal(atomic_load(&c.nth_seen), 1);
    assert_int_equal(g4_pool_size(NULL), 1);
    g4_pool_free(NULL);
}

static void test_rejects_bad_sizes(void **state) {
    (void)state;
    assert_null(g4_pool_new(0));
    assert_null(g4_pool_new(-3));
    assert_null(g4_pool_new(G4_POOL_MAX_THREADS + 1));
}

static void test_each_index_once(void **state) {
    (void)state;
    arm_deadlock_alarm();
    for (int n = 1; n <= 6; n++) { /* 5 and 6 oversubscribe a 2-4 core machine on purpose */
        g4_pool *p = g4_pool_new(n);
        assert_non_null(p);
        assert_int_equal(g4_pool_size(p), n);
        for (int run = 0; run < 50; run++) {
            census c;
            memset(&c, 0, sizeof c);
            g4_pool_run(p, count_threads, &c);
            assert_int_equal(atomic_load(&c.nth_seen), n);
            for (int i = 0; i < n; i++) assert_int_equal(atomic_load(&c.hits[i]), 1);
            assert_int_equal(atomic_load(&c.hits[n]), 0);
        }
        g4_pool_free(p);
    }
    alarm(0);
}

/* A job whose output depends only on the index range each thread is given, the way the kernels
 * split rows: the result must be the same array whatever the thread count. */
#define N_ITEMS 10007
typedef struct {
    double out[N_ITEMS];
    int round;
} split_job;

static void fill_split(void *ctx, int ith, int nth) {
    split_job *j = ctx;
    int64_t per = (N_ITEMS + nth - 1) / nth, lo = per * ith, hi = lo + per > N_ITEMS ? N_ITEMS : lo + per;
    for (int64_t i = lo; i < hi; i++) j->out[i] = 1.0 / (double)(i + 1 + j->round) + (double)(i % 7);
}

static void test_results_identical_across_thread_counts(void **state) {
    (void)state;
    arm_deadlock_alarm();
    static split_job ref, got;
    memset(&ref, 0, sizeof ref);
    fill_split(&ref, 0, 1);
    g4_pool_run(NULL, fill_split, &got);
    assert_memory_equal(ref.out, got.out, sizeof ref.out);
    for (int n = 1; n <= 4; n++) {
        g4_pool *p = g4_pool_new(n);
        assert_non_null(p);
        memset(&got, 0, sizeof got);
        g4_pool_run(p, fill_split, &got);
        assert_memory_equal(ref.out, got.out, sizeof ref.out);
        g4_pool_free(p);
    }
    alarm(0);
}

/* Non-atomic per-thread slots: the pool's completion must publish them to the caller. */
typedef struct {
    long slot[8][16]; /* padded so threads do not share a cache line */
} tally;

static void bump(void *ctx, int ith, int nth) {
    (void)nth;
    tally *t = ctx;
    t->slot[ith][0]++;
}

static void test_many_short_runs(void **state) {
    (void)state;
    arm_deadlock_alarm();
    enum { RUNS = 20000 };
    for (int n = 2; n <= 4; n++) {
        g4_pool *p = g4_pool_new(n);
        assert_non_null(p);
        static tally t;
        memset(&t, 0, sizeof t);
        for (int r = 0; r < RUNS; r++) {
            g4_pool_run(p, bump, &t);
            for (int i = 0; i < n; i++) {
                if (t.slot[i][0] != r + 1)
                    fail_msg("run %d, %d threads: thread %d ran %ld times", r, n, i, t.slot[i][0]);
            }
        }
        g4_pool_free(p);
    }
    alarm(0);
}

/* Workers that gave up spinning sleep on the condition variable; a run must still wake them all. */
static void test_wakes_sleeping_workers(void **state) {
    (void)state;
    arm_deadlock_alarm();
    g4_pool *p = g4_pool_new(3);
    assert_non_null(p);
    for (int r = 0; r < 5; r++) {
        struct timespec ts = {0, 30 * 1000 * 1000};
        nanosleep(&ts, NULL);
        census c;
        memset(&c, 0, sizeof c);
        g4_pool_run(p, count_threads, &c);
        for (int i = 0; i < 3; i++) assert_int_equal(atomic_load(&c.hits[i]), 1);
    }
    g4_pool_free(p);
    alarm(0);
}

static void test_create_and_free_repeatedly(void **state) {
    (void)state;
    arm_deadlock_alarm();
    for (int i = 0; i < 100; i++) {
        g4_pool *p = g4_pool_new(1 + i % 4);
        assert_non_null(p);
        if (i % 2) {
            census c;
            memset(&c, 0, sizeof c);
            g4_pool_run(p, count_threads, &c);
            assert_int_equal(atomic_load(&c.hits[0]), 1);
        }
        g4_pool_free(p); /* half of them freed without ever running */
    }
    alarm(0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_pool_runs_on_caller),
        cmocka_unit_test(test_rejects_bad_sizes),
        cmocka_unit_test(test_each_index_once),
        cmocka_unit_test(test_results_identical_across_thread_counts),
        cmocka_unit_test(test_many_short_runs),
        cmocka_unit_test(test_wakes_sleeping_workers),
        cmocka_unit_test(test_create_and_free_repeatedly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
