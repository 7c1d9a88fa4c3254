/* gemma4_threadpool's reference count: a session holds a reference to the pool it computes with. */
#ifndef G4_API_THREADPOOL_H
#define G4_API_THREADPOOL_H

#include "api/api_internal.h"

/* A new pool of n_threads (its handle's reference only). */
gemma4_status g4_threadpool_new(int32_t n_threads, gemma4_threadpool **out, g4_error *err);
gemma4_threadpool *g4_threadpool_retain(gemma4_threadpool *tp);
/* Drops one reference; the last one stops the threads. */
void g4_threadpool_release(gemma4_threadpool *tp);

#endif
