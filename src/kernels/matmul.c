/*
 * Matmul driver: converts the activations once into the weight type's partner format, then fills
 * y with one dot product per (token, output row), output rows handed out to the pool's threads in
 * chunks: small ones for prefill, a few long runs per thread for decode. Within a chunk the loop
 * runs over all tokens for the same few weight rows, so during prefill those rows stay in cache
 * while every token uses them. Tables with a tile kernel
 * (dispatch.h g4_dot_tile_fn) get up to G4_TILE_ROWS rows x G4_TILE_TOKENS tokens per call, with
 * the same bits as one vec_dot per pair.
 */
#include "kernels/matmul.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/checked.h"
#include "core/pool.h"
#include "kernels/dispatch.h"

/* Weight rows per work item: enough to amortize the atomic hand-out, small enough (a few KiB of
 * weights) to stay in L1 while every token of a prefill batch passes over them. */
#define G4_MATMUL_CHUNK_ROWS 16

/* Chunks per thread for a batch of at most G4_TILE_TOKENS tokens (decode), where every weight is
 * read once and there is nothing to keep in cache. */
#define G4_MATMUL_DECODE_CHUNKS_PER_THREAD 4

/* Activation rows start on 64-byte boundaries in the scratch, for the SIMD kernels' loads. */
#define G4_ACT_ROW_ALIGN 64

g4_type g4_vec_dot_type(g4_type t) {
    return g4_matmul_supports(t) ? g4_kernels_scalar()->dot[t].act_type : G4_TYPE_COUNT;
}

/* Bytes between consecutive activation rows in the scratch; 0 when none are needed. */
static size_t act_row_stride(g4_type t, int64_t n_in) {
    if (!g4_matmul_supports(t) || t == G4_TYPE_F32) return 0; /* f32 activations are used in place */
    size_t bytes;
    uint64_t aligned;
    if (!g4_type_row_bytes(g4_vec_dot_type(t), n_in, &bytes) || !g4_align_up_u64(bytes, G4_ACT_ROW_ALIGN, &aligned) ||
        aligned > SIZE_MAX)
        return SIZE_MAX;
    return (size_t)aligned;
}

size_t g4_matmul_scratch_bytes(g4_type t, int64_t n_in, int64_t n_tok) {
    size_t stride = act_row_stride(t, n_in), total;
    if (stride == 0 || n_tok <= 0) return 0;
    if (stride == SIZE_MAX || !g4_mul_size(stride, (size_t)n_tok, &total)) return SIZE_MAX; /* no allocation fits */
    return total;
}

float g4_vec_dot_ref(g4_type t, int64_t n, const void *w_row, const void *x_row) {
    if (!g4_matmul_supports(t)) return NAN;
    return g4_kernels_scalar()->dot[t].vec_dot(n, w_row, x_row);
}

void g4_quantize_activations(g4_type t, const float *x, void *out, int64_t n) {
    if (!g4_matmul_supports(t)) return;
    g4_kernels_scalar()->dot[t].quantize(x, out, n);
}

typedef struct matmul_job {
    const g4_dot_kernel *dk;
    const g4_matrix *w;
    const float *x;
    int64_t n_tok;
    float *y;
    char *act;         /* activation rows in the partner format (or x itself for f32) */
    size_t act_stride; /* bytes from one activation row to the next */
    int64_t chunk_rows;
    int64_t n_chunks;
    atomic_int_fast64_t next_chunk;
} matmul_job;

static void quantize_rows(void *ctx, int ith, int nth) {
    matmul_job *job = ctx;
    for (int64_t t = ith; t < job->n_tok; t += nth)
        job->dk->quantize(job->x + t * job->w->n_in, job->act + (size_t)t * job->act_stride, job->w->n_in);
}

static void dot_rows(void *ctx, int ith, int nth) {
    matmul_job *job = ctx;
    const g4_matrix *w = job->w;
    for (;;) {
        int64_t c = atomic_fetch_add_explicit(&job->next_chunk, 1, memory_order_relaxed);
        if (c >= job->n_chunks) break;
        int64_t o0 = c * job->chunk_rows, o1 = o0 + job->chunk_rows;
        if (o1 > w->n_out) o1 = w->n_out;
        if (job->dk->tile) {
            for (int64_t t = 0; t < job->n_tok; t += G4_TILE_TOKENS) {
                const int nt = (int)(job->n_tok - t < G4_TILE_TOKENS ? job->n_tok - t : G4_TILE_TOKENS);
                for (int64_t o = o0; o < o1; o += G4_TILE_ROWS) {
                    const int nr = (int)(o1 - o < G4_TILE_ROWS ? o1 - o : G4_TILE_ROWS);
                    job->dk->tile(w->n_in, (const char *)w->data + (size_t)o * w->row_bytes, w->row_bytes, nr,
                                  job->act + (size_t)t * job->act_stride, job->act_stride, nt,
                                  job->y + t * w->n_out + o, (size_t)w->n_out);
                }
            }
            continue;
        }
        for (int64_t t = 0; t < job->n_tok; t++) {
            const char *xq = job->act + (size_t)t * job->act_stride;
            float *yt = job->y + t * w->n_out;
            for (int64_t o = o0; o < o1; o++)
                yt[o] = job->dk->vec_dot(w->n_in, (const char *)w->data + (size_t)o * w->row_bytes, xq);
        }
    }
}

void g4_matmul_with(const g4_kernels *k, const g4_matrix *w, const float *x, int64_t n_tok, float *y, void *scratch,
                    struct g4_pool *pool) {
    if (n_tok <= 0 || w->n_out <= 0) return;
    if (!g4_matmul_supports(w->type) || !k->dot[w->type].vec_dot) {
        for (int64_t i = 0; i < n_tok * w->n_out; i++) y[i] = NAN;
        return;
    }
    matmul_job job = {
        .dk = &k->dot[w->type],
        .w = w,
        .x = x,
        .n_tok = n_tok,
        .y = y,
    };
    if (w->type == G4_TYPE_F32) {
        job.act = (char *)(uintptr_t)x; /* read only */
        job.act_stride = (size_t)w->n_in * sizeof(float);
    } else {
        job.act = scratch;
        job.act_stride = act_row_stride(w->type, w->n_in);
        if (n_tok == 1)
            quantize_rows(&job, 0, 1); /* a pool hand-off costs more than one row */
        else
            g4_pool_run(pool, quantize_rows, &job);
    }

    int nth = g4_pool_size(pool);
    int64_t chunk = G4_MATMUL_CHUNK_ROWS;
    if (n_tok <= G4_TILE_TOKENS) {
        /* Decode reads each weight once: long contiguous runs per thread keep the hardware
         * prefetchers streaming, where 16-row chunks taken in turn by the threads broke every
         * thread's stream into short pieces (E2B Q4_K_M generation 9.1 -> 11.2 tok/s on 2 cores).
         * A few chunks per thread still let a faster thread take over a slower one's share. */
        chunk = w->n_out / (nth * G4_MATMUL_DECODE_CHUNKS_PER_THREAD);
        chunk = (chunk + G4_TILE_ROWS - 1) / G4_TILE_ROWS * G4_TILE_ROWS;
        if (chunk < G4_MATMUL_CHUNK_ROWS) chunk = G4_MATMUL_CHUNK_ROWS;
    }
    if (w->n_out < chunk * nth) chunk = (w->n_out + nth - 1) / nth; /* every thread gets some rows */
    job.chunk_rows = chunk;
    job.n_chunks = (w->n_out + chunk - 1) / chunk;
    atomic_init(&job.next_chunk, 0);
    g4_pool_run(pool, dot_rows, &job);
}

void g4_matmul(const g4_matrix *w, const float *x, int64_t n_tok, float *y, void *scratch, struct g4_pool *pool) {
    g4_matmul_with(g4_kernels_best(), w, x, n_tok, y, scratch, pool);
}
