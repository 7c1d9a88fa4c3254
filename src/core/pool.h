/*
 * Thread pool owned by a session: persistent worker threads that split one operation (the rows of
 * a matmul, the heads of attention) between them. Kernels take a `struct g4_pool *` that may be
 * NULL, meaning "run on the calling thread".
 */
#ifndef G4_CORE_POOL_H
#define G4_CORE_POOL_H

struct g4_pool;
typedef struct g4_pool g4_pool;

#endif
