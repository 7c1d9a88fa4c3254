#include "core/pool.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

/*
 * How a run works: the caller publishes fn/ctx, sets `pending` to the worker count and bumps
 * `generation`. Each worker notices the new generation (spinning for a while, then asleep on
 * `wake`), runs its share, and decrements `pending`; the last one to finish signals `done`.
 * The generation and pending counters are changed under `mu` whenever a sleeper might be waiting
 * on them, so no wake-up is lost; the spin loops read them without the lock.
 */

/* Spin iterations before sleeping. Each iteration is one pause/yield hint, roughly 10-150 cycles
 * depending on the core, so this is a few tens of microseconds: longer than the gap between two
 * ops of a decode step, far shorter than the gap between tokens of an interactive session. */
#define G4_POOL_SPIN 4096

typedef struct g4_worker {
    struct g4_pool *pool;
    int ith;
    pthread_t thread;
} g4_worker;

struct g4_pool {
    int n_threads;
    int spin;           /* 0 when there are more threads than CPUs: spinning would only steal time */
    g4_worker *workers; /* n_threads - 1 */

    pthread_mutex_t run_lock; /* one run at a time: sessions sharing the pool take turns per run */
    pthread_mutex_t mu;
    pthread_cond_t wake; /* generation changed or stop set */
    pthread_cond_t done; /* pending reached 0 */

    g4_pool_fn fn;
    void *ctx;
    atomic_uint generation;
    atomic_int pending;
    atomic_bool stop;
};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

/* Waits until the generation differs from `seen` (or stop); returns false on stop. */
static bool wait_for_job(g4_pool *p, unsigned seen) {
    for (int i = 0; i < p->spin; i++) {
        if (atomic_load_explicit(&p->generation, memory_order_acquire) != seen) return true;
        if (atomic_load_explicit(&p->stop, memory_order_relaxed)) return false;
        cpu_relax();
    }
    pthread_mutex_lock(&p->mu);
    while (atomic_load_explicit(&p->generation, memory_order_acquire) == seen &&
           !atomic_load_explicit(&p->stop, memory_order_relaxed)) {
        pthread_cond_wait(&p->wake, &p->mu);
    }
    bool stop = atomic_load_explicit(&p->stop, memory_order_relaxed);
    pthread_mutex_unlock(&p->mu);
    return !stop;
}

static void *worker_main(void *arg) {
    g4_worker *w = arg;
    g4_pool *p = w->pool;
    unsigned seen = 0; /* generation starts at 0 and the first run makes it 1 */
    while (wait_for_job(p, seen)) {
        seen = atomic_load_explicit(&p->generation, memory_order_acquire);
        p->fn(p->ctx, w->ith, p->n_threads);
        if (atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) == 1) {
            /* Taking the lock orders this signal after the caller's check-then-wait. */
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
    return NULL;
}

static void stop_workers(g4_pool *p, int n_started) {
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, true);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < n_started; i++) pthread_join(p->workers[i].thread, NULL);
}

g4_pool *g4_pool_new(int n_threads) {
    if (n_threads < 1 || n_threads > G4_POOL_MAX_THREADS) return NULL;
    g4_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n_threads = n_threads;
    long n_cpu = sysconf(_SC_NPROCESSORS_ONLN);
    p->spin = (n_cpu > 0 && n_threads <= n_cpu) ? G4_POOL_SPIN : 0;
    atomic_init(&p->generation, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->stop, false);
    if (n_threads > 1) {
        p->workers = calloc((size_t)n_threads - 1, sizeof *p->workers);
        if (!p->workers) {
            free(p);
            return NULL;
        }
    }
    if (pthread_mutex_init(&p->run_lock, NULL) != 0) goto fail_run_lock;
    if (pthread_mutex_init(&p->mu, NULL) != 0) goto fail_mu;
    if (pthread_cond_init(&p->wake, NULL) != 0) goto fail_wake;
    if (pthread_cond_init(&p->done, NULL) != 0) goto fail_done;

    /* Workers start with every signal blocked, so the application's handlers run on its own
     * threads, never on ours. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int started = 0;
    for (; started < n_threads - 1; started++) {
        g4_worker *w = &p->workers[started];
        w->pool = p;
        w->ith = started + 1;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) break;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started == n_threads - 1) return p;

    stop_workers(p, started);
    pthread_cond_destroy(&p->done);
fail_done:
    pthread_cond_destroy(&p->wake);
fail_wake:
    pthread_mutex_destroy(&p->mu);
fail_mu:
    pthread_mutex_destroy(&p->run_lock);
fail_run_lock:
    free(p->workers);
    free(p);
    return NULL;
}

void g4_pool_free(g4_pool *p) {
    if (!p) return;
    stop_workers(p, p->n_threads - 1);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->run_lock);
    free(p->workers);
    free(p);
}

int g4_pool_size(const g4_pool *p) {
    return p ? p->n_threads : 1;
}

void g4_pool_run(g4_pool *p, g4_pool_fn fn, void *ctx) {
    if (!p || p->n_threads == 1) {
        fn(ctx, 0, 1);
        return;
    }
    /* Uncontended (one session) this costs a few nanoseconds per run; contended, the second
     * session's thread sleeps until the run in progress has finished. */
    pthread_mutex_lock(&p->run_lock);
    p->fn = fn;
    p->ctx = ctx;
    atomic_store_explicit(&p->pending, p->n_threads - 1, memory_order_relaxed);
    /* The release store publishes fn, ctx and pending to the spinning workers; the lock and
     * broadcast reach the sleeping ones (a broadcast with no waiters costs no system call). */
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);

    fn(ctx, 0, p->n_threads);

    bool finished = false;
    for (int i = 0; i < p->spin && !finished; i++) {
        finished = atomic_load_explicit(&p->pending, memory_order_acquire) == 0;
        if (!finished) cpu_relax();
    }
    if (!finished) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load_explicit(&p->pending, memory_order_acquire) != 0) pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
    pthread_mutex_unlock(&p->run_lock);
}
