/* kernel-bench's attention case (attention_bench.c). */
#ifndef G4_KERNEL_BENCH_ATTENTION_BENCH_H
#define G4_KERNEL_BENCH_ATTENTION_BENCH_H

#include <stdint.h>

#include "core/pool.h"
#include "kernels/dispatch.h"

/* Times one bidirectional attention call of n_tok tokens, n_head heads of head_dim (an encoder's
 * self-attention over all its tokens, scale 1) for each of the nt tables, heads split over the
 * pool's threads as the model splits them, and prints seconds, GFLOP/s (4 n_tok^2 head_dim
 * n_head flops: the q.k and the weighted V sums) and the speedup over the first table.
 * Returns 0, or 1 when memory cannot be had. */
int kb_bench_bidirectional_attention(const g4_kernels *const *tables, int nt, g4_pool *pool, int64_t n_tok,
                                     int64_t n_head, int64_t head_dim);

#endif
