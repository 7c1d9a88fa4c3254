/* gemma4_threadpool: a core/pool that sessions share, freed when its last user lets go. */
#include "api/threadpool.h"

#include <stdlib.h>

#include "core/cores.h"

gemma4_status g4_threadpool_new(int32_t n_threads, gemma4_threadpool **out, g4_error *err) {
    *out = NULL;
    if (n_threads < 0 || n_threads > G4_POOL_MAX_THREADS)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "thread pool: %d threads (1..%d, or 0 for one per core)",
                       (int)n_threads, G4_POOL_MAX_THREADS);
    if (n_threads == 0) n_threads = g4_physical_cores();
    gemma4_threadpool *tp = calloc(1, sizeof *tp);
    if (!tp) return g4_fail(err, GEMMA4_ERR_NOMEM, "thread pool: out of memory");
    /* One thread needs no pool: runs happen on the caller (g4_pool_run with NULL). */
    if (n_threads > 1 && !(tp->pool = g4_pool_new(n_threads))) {
        free(tp);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "thread pool: cannot start %d threads", (int)n_threads);
    }
    atomic_init(&tp->refs, 1);
    *out = tp;
    return GEMMA4_OK;
}

gemma4_threadpool *g4_threadpool_retain(gemma4_threadpool *tp) {
    atomic_fetch_add_explicit(&tp->refs, 1, memory_order_relaxed);
    return tp;
}

void g4_threadpool_release(gemma4_threadpool *tp) {
    if (!tp) return;
    if (atomic_fetch_sub_explicit(&tp->refs, 1, memory_order_acq_rel) != 1) return;
    g4_pool_free(tp->pool);
    free(tp);
}

GEMMA4_API gemma4_status gemma4_threadpool_new(int32_t n_threads, gemma4_threadpool **out, char *errbuf,
                                               size_t errbuf_size) {
    g4_error err = {0};
    if (!out)
        g4_fail(&err, GEMMA4_ERR_INVALID_ARG, "gemma4_threadpool_new: out is NULL");
    else
        g4_threadpool_new(n_threads, out, &err);
    g4_error_copy_out(err.status == GEMMA4_OK ? NULL : &err, errbuf, errbuf_size);
    return err.status;
}

GEMMA4_API void gemma4_threadpool_free(gemma4_threadpool *tp) {
    g4_threadpool_release(tp);
}

GEMMA4_API int32_t gemma4_threadpool_n_threads(const gemma4_threadpool *tp) {
    return tp ? g4_pool_size(tp->pool) : 0;
}
