/*
 * Thread pool of a session (its own, or one shared by several sessions): persistent worker threads that split one
 * operation (the rows of a matmul, the heads of attention) between them. Kernels take a `struct g4_pool *` that may be
 * NULL, meaning "run on the calling thread".
 *
 * A decode step issues hundreds of small parallel operations per token, so handing out work must
 * cost microseconds, not a thread wake-up: between runs the workers spin briefly on the job
 * counter and only then sleep on a condition variable (an idle pool burns no CPU).
 */
#ifndef G4_CORE_POOL_H
#define G4_CORE_POOL_H

struct g4_pool;
typedef struct g4_pool g4_pool;

/* A job: called once on each of the nth threads with ith = 0 .. nth-1 (the caller is ith 0). */
typedef void (*g4_pool_fn)(void *ctx, int ith, int nth);

/* A pool of n_threads threads in total, counting the thread that will call g4_pool_run (so
 * n_threads - 1 workers are started). NULL when n_threads < 1 or > G4_POOL_MAX_THREADS, or when
 * memory or threads cannot be had. */
#define G4_POOL_MAX_THREADS 512
g4_pool *g4_pool_new(int n_threads);

/* Stops and joins the workers. NULL is a no-op. Not while a run is in progress. */
void g4_pool_free(g4_pool *p);

/* Threads taking part in a run: n_threads, or 1 for NULL. */
int g4_pool_size(const g4_pool *p);

/* Runs fn(ctx, ith, nth) on every thread of the pool, the caller included, and returns when all
 * have returned; memory written by any of them is then visible to the caller. NULL pool runs
 * fn(ctx, 0, 1). Several threads may run the same pool (sessions sharing it): their runs take
 * turns, one at a time. fn must not call g4_pool_run on the same pool. */
void g4_pool_run(g4_pool *p, g4_pool_fn fn, void *ctx);

#endif
