/* Matmul and the scalar reference dot products, for every weight type we compute with:
 *
 *  - the activation quantizers on hand-made blocks (ties to even, scales, q8_1 sums, q8_K bsums);
 *  - each dot product against a double-precision dot of the dequantized weights (g4_dequantize_row)
 *    and the dequantized quantized activations. Tolerance: |got - want| <= tol * sum_i |w_i x_i|
 *    with tol = 1e-7 for f32/f16/bf16 (only the final rounding and f32 products differ) and 1e-6
 *    for the block types (one f32 rounding of each block's scale product and integer sum, and the
 *    f32 running sum; observed worst ~1.5e-8); q4_1/q5_1 add sum_b |m_b * d_b * sum(q_b)| * 2^-11,
 *    since ggml's q8_1 keeps s = d * sum(q) as a half;
 *  - each integer dot product bit for bit against a naive per-element evaluation of the same
 *    formula (vec_dot.h), with the weight bits decoded independently, element by element;
 *  - g4_matmul: every output equal bit for bit to g4_vec_dot_ref on the quantized activations,
 *    whether run without a pool or on 1..4 threads, for 1 and several tokens.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "kernels/blocks.h"
#include "kernels/dispatch.h"
#include "kernels/matmul.h"
#include "kernels/quants.h"
#include "testkit.h"

static const g4_type k_types[] = {G4_TYPE_F32,  G4_TYPE_F16,  G4_TYPE_BF16, G4_TYPE_Q4_0, G4_TYPE_Q4_1,
                                  G4_TYPE_Q5_0, G4_TYPE_Q5_1, G4_TYPE_Q8_0, G4_TYPE_Q2_K, G4_TYPE_Q3_K,
                                  G4_TYPE_Q4_K, G4_TYPE_Q5_K, G4_TYPE_Q6_K};
#define N_TYPES (sizeof k_types / sizeof k_types[0])

static size_t row_bytes(g4_type t, int64_t n) {
    size_t b = 0;
    assert_true(g4_type_row_bytes(t, n, &b));
    return b;
}

static g4_half rand_half(g4t_rng *r, float lo, float hi) {
    float v = g4t_rng_uniform(r, lo, hi);
    return g4_float_to_half((g4t_rng_u64(r) & 1) ? v : -v);
}

/* n_rows random rows of type t: random quant bits with finite, realistic scales (q8_0 quants kept
 * off -128, which ggml's quantizer never writes). */
static void *random_weights(g4t_rng *r, g4_type t, int64_t n, int64_t n_rows) {
    const size_t rb = row_bytes(t, n), total = rb * (size_t)n_rows;
    uint8_t *w = malloc(total);
    assert_non_null(w);
    for (size_t i = 0; i < total; i++) w[i] = (uint8_t)g4t_rng_u64(r);
    const int64_t nb = (int64_t)total / (int64_t)g4_type_get(t)->type_size;
    for (int64_t b = 0; b < nb; b++) {
        void *blk = w + (size_t)b * g4_type_get(t)->type_size;
        switch (t) {
        case G4_TYPE_F32:
            ((float *)w)[b] = g4t_rng_normal(r);
            break;
        case G4_TYPE_F16:
            ((g4_half *)w)[b] = g4_float_to_half(g4t_rng_normal(r));
            break;
        case G4_TYPE_BF16:
            ((g4_bf16 *)w)[b] = g4_float_to_bf16(g4t_rng_normal(r));
            break;
        case G4_TYPE_Q4_0:
            ((g4_block_q4_0 *)blk)->d = rand_half(r, 1e-3f, 2e-2f);
            break;
        case G4_TYPE_Q4_1:
            ((g4_block_q4_1 *)blk)->d = rand_half(r, 1e-3f, 2e-2f);
            ((g4_block_q4_1 *)blk)->m = rand_half(r, 1e-2f, 1e-1f);
            break;
        case G4_TYPE_Q5_0:
            ((g4_block_q5_0 *)blk)->d = rand_half(r, 1e-3f, 2e-2f);
            break;
        case G4_TYPE_Q5_1:
            ((g4_block_q5_1 *)blk)->d = rand_half(r, 1e-3f, 2e-2f);
            ((g4_block_q5_1 *)blk)->m = rand_half(r, 1e-2f, 1e-1f);
            break;
        case G4_TYPE_Q8_0: {
            g4_block_q8_0 *q = blk;
            q->d = rand_half(r, 1e-4f, 1e-3f);
            for (int j = 0; j < 32; j++)
                if (q->qs[j] == -128) q->qs[j] = -127;
            break;
        }
        case G4_TYPE_Q2_K:
            ((g4_block_q2_K *)blk)->d = rand_half(r, 1e-3f, 2e-2f);
            ((g4_block_q2_K *)blk)->dmin = rand_half(r, 1e-3f, 2e-2f);
            break;
        case G4_TYPE_Q3_K:
            ((g4_block_q3_K *)blk)->d = rand_half(r, 1e-3f, 2e-2f);
            break;
        case G4_TYPE_Q4_K:
            ((g4_block_q4_K *)blk)->d = rand_half(r, 1e-4f, 2e-3f);
            ((g4_block_q4_K *)blk)->dmin = rand_half(r, 1e-4f, 2e-3f);
            break;
        case G4_TYPE_Q5_K:
            ((g4_block_q5_K *)blk)->d = rand_half(r, 1e-4f, 2e-3f);
            ((g4_block_q5_K *)blk)->dmin = rand_half(r, 1e-4f, 2e-3f);
            break;
        case G4_TYPE_Q6_K:
            ((g4_block_q6_K *)blk)->d = rand_half(r, 1e-5f, 1e-4f);
            break;
        default:
            fail_msg("no generator for %s", g4_type_name(t));
        }
    }
    return w;
}

static void random_activations(g4t_rng *r, float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = g4t_rng_normal(r) * (i % 97 == 0 ? 8.0f : 1.0f); /* a few outliers */
}

/* The value each quantized activation stands for. */
static void dequantize_act(g4_type act, const void *q, float *out, int64_t n) {
    switch (act) {
    case G4_TYPE_F32:
        memcpy(out, q, (size_t)n * sizeof(float));
        break;
    case G4_TYPE_F16:
        for (int64_t i = 0; i < n; i++) out[i] = g4_half_to_float(((const g4_half *)q)[i]);
        break;
    case G4_TYPE_BF16:
        for (int64_t i = 0; i < n; i++) out[i] = g4_bf16_to_float(((const g4_bf16 *)q)[i]);
        break;
    case G4_TYPE_Q8_0:
        for (int64_t i = 0; i < n; i++) {
            const g4_block_q8_0 *b = (const g4_block_q8_0 *)q + i / 32;
            out[i] = g4_half_to_float(b->d) * b->qs[i % 32];
        }
        break;
    case G4_TYPE_Q8_1:
        for (int64_t i = 0; i < n; i++) {
            const g4_block_q8_1 *b = (const g4_block_q8_1 *)q + i / 32;
            out[i] = g4_half_to_float(b->d) * b->qs[i % 32];
        }
        break;
    case G4_TYPE_Q8_K:
        for (int64_t i = 0; i < n; i++) {
            const g4_block_q8_K *b = (const g4_block_q8_K *)q + i / 256;
            out[i] = b->d * b->qs[i % 256];
        }
        break;
    default:
        fail_msg("no activation dequantizer for %s", g4_type_name(act));
    }
}

/* ---------------------------------------------------------------------------------------------- */

static void test_vec_dot_type(void **state) {
    (void)state;
    assert_int_equal(g4_vec_dot_type(G4_TYPE_F32), G4_TYPE_F32);
    assert_int_equal(g4_vec_dot_type(G4_TYPE_F16), G4_TYPE_F16);
    assert_int_equal(g4_vec_dot_type(G4_TYPE_BF16), G4_TYPE_BF16);
    assert_int_equal(g4_vec_dot_type(G4_TYPE_Q4_0), G4_TYPE_Q8_0);
    assert_int_equal(g4_vec_dot_type(G4_TYPE_Q5_0), G4_TYPE_Q8_0);
    assert_int_equal(g4_vec_dot_type(G4_TYPE_Q8_0), G4_TYPE_Q8_0);
    assert_int_equal(g4_vec_dot_type(G4_TYPE_Q4_1), G4_TYPE_Q8_1); /* as ggml: the min needs sum(q) */
    assert_int_equal(g4_vec_dot_type(G4_TYPE_Q5_1), G4_TYPE_Q8_1);
    const g4_type k[] = {G4_TYPE_Q2_K, G4_TYPE_Q3_K, G4_TYPE_Q4_K, G4_TYPE_Q5_K, G4_TYPE_Q6_K};
    for (size_t i = 0; i < 5; i++) assert_int_equal(g4_vec_dot_type(k[i]), G4_TYPE_Q8_K);
    const g4_type unsupported[] = {G4_TYPE_Q8_1, G4_TYPE_Q8_K, G4_TYPE_IQ4_NL, G4_TYPE_I32, G4_TYPE_MXFP4};
    for (size_t i = 0; i < 5; i++) {
        assert_false(g4_matmul_supports(unsupported[i]));
        assert_int_equal(g4_vec_dot_type(unsupported[i]), G4_TYPE_COUNT);
    }
    assert_false(g4_matmul_supports((g4_type)999));
    for (size_t i = 0; i < N_TYPES; i++) assert_true(g4_matmul_supports(k_types[i]));
}

static void test_quantize_q8_0_rounding(void **state) {
    (void)state;
    /* amax 127 gives d = 1 and multiplier 1: the quants are the inputs rounded half to even */
    float x[32] = {127.0f, 2.5f, 3.5f, -2.5f, -3.5f, 0.5f, 1.5f, -0.5f, 126.6f, -127.0f, 0.49f, 10.0f};
    g4_block_q8_0 q;
    g4_quantize_activations(G4_TYPE_Q4_0, x, &q, 32);
    assert_true(g4_half_to_float(q.d) == 1.0f);
    const int8_t want[12] = {127, 2, 4, -2, -4, 0, 2, 0, 127, -127, 0, 10};
    for (int i = 0; i < 12; i++) assert_int_equal(q.qs[i], want[i]);
    for (int i = 12; i < 32; i++) assert_int_equal(q.qs[i], 0);

    /* scale from amax / 127 rounded to half; an all-zero block has d = 0 and zero quants */
    float y[32] = {0};
    y[5] = -0.254f;
    g4_quantize_activations(G4_TYPE_Q8_0, y, &q, 32);
    assert_true(q.d == g4_float_to_half(0.254f / 127.0f));
    assert_int_equal(q.qs[5], -127);
    memset(y, 0, sizeof y);
    g4_quantize_activations(G4_TYPE_Q8_0, y, &q, 32);
    assert_true(q.d == 0);
    for (int i = 0; i < 32; i++) assert_int_equal(q.qs[i], 0);
}

static void test_quantize_q8_1_sum(void **state) {
    (void)state;
    float x[64];
    for (int i = 0; i < 64; i++) x[i] = (float)(i % 13) - 4.0f;
    g4_block_q8_1 q[2];
    g4_quantize_activations(G4_TYPE_Q5_1, x, q, 64);
    for (int b = 0; b < 2; b++) {
        int sum = 0;
        for (int j = 0; j < 32; j++) sum += q[b].qs[j];
        float d = g4_half_to_float(q[b].d);
        assert_true(q[b].s == g4_float_to_half((8.0f / 127.0f) * (float)sum));
        assert_true(fabsf(d - 8.0f / 127.0f) <= 8.0f / 127.0f * 0x1p-11f);
    }
}

static void test_quantize_q8_K(void **state) {
    (void)state;
    float x[256];
    g4t_rng r;
    g4t_rng_seed(&r, 3);
    for (int i = 0; i < 256; i++) x[i] = g4t_rng_uniform(&r, -1.0f, 1.0f);
    x[77] = 2.0f; /* the largest magnitude, positive: it becomes -127 and d comes out negative */
    g4_block_q8_K q;
    g4_quantize_activations(G4_TYPE_Q4_K, x, &q, 256);
    assert_int_equal(q.qs[77], -127);
    assert_true(q.d == 1.0f / (-127.0f / 2.0f));
    for (int k = 0; k < 16; k++) {
        int sum = 0;
        for (int j = 0; j < 16; j++) sum += q.qs[16 * k + j];
        assert_int_equal(q.bsums[k], sum);
    }
    for (int i = 0; i < 256; i++) {
        assert_true(q.qs[i] >= -127 && q.qs[i] <= 127);
        assert_true(fabsf(q.d * q.qs[i] - x[i]) <= fabsf(q.d) * 0.5f * (1.0f + 1e-5f));
    }
    /* magnitude ties keep the first: -2 at 10 beats +2 at 20, so d is positive */
    memset(x, 0, sizeof x);
    x[10] = -2.0f;
    x[20] = 2.0f;
    g4_quantize_activations(G4_TYPE_Q6_K, x, &q, 256);
    assert_true(q.d > 0 && q.qs[10] == -127 && q.qs[20] == 127);
    /* zero super-block */
    memset(x, 0, sizeof x);
    g4_quantize_activations(G4_TYPE_Q6_K, x, &q, 256);
    assert_true(q.d == 0.0f && q.bsums[3] == 0 && q.qs[100] == 0);
}

/* ---------------------------------------------------------------------------------------------- */

/* The part of a q4_1/q5_1 dot product error that comes from q8_1 storing s as a half. */
static double q8_1_sum_slack(g4_type t, const void *w, const void *xq, int64_t n) {
    double slack = 0;
    for (int64_t b = 0; b < n / 32; b++) {
        const g4_block_q8_1 *x = (const g4_block_q8_1 *)xq + b;
        float m = t == G4_TYPE_Q4_1 ? g4_half_to_float(((const g4_block_q4_1 *)w)[b].m)
                                    : g4_half_to_float(((const g4_block_q5_1 *)w)[b].m);
        int sum = 0;
        for (int j = 0; j < 32; j++) sum += x->qs[j];
        slack += fabs((double)m * g4_half_to_float(x->d) * sum) * 0x1p-11;
    }
    return slack;
}

static void test_vec_dot_vs_dequantized_double(void **state) {
    (void)state;
    enum { N = 1024, ROWS = 24 };
    static float x[N], wf[N], xf[N];
    static uint8_t xq[N * 4 + 64];
    g4t_rng r;
    g4t_rng_seed(&r, 21);
    for (size_t ti = 0; ti < N_TYPES; ti++) {
        const g4_type t = k_types[ti], act = g4_vec_dot_type(t);
        const double tol = t == G4_TYPE_F32 || t == G4_TYPE_F16 || t == G4_TYPE_BF16 ? 1e-7 : 1e-6;
        uint8_t *w = random_weights(&r, t, N, ROWS);
        double worst = 0;
        for (int row = 0; row < ROWS; row++) {
            const void *wrow = w + (size_t)row * row_bytes(t, N);
            random_activations(&r, x, N);
            g4_quantize_activations(t, x, xq, N);
            dequantize_act(act, xq, xf, N);
            g4_dequantize_row(t, wrow, wf, N);
            double want = 0, mag = 0;
            for (int i = 0; i < N; i++) {
                want += (double)wf[i] * xf[i];
                mag += fabs((double)wf[i] * xf[i]);
            }
            double bound = tol * mag;
            if (act == G4_TYPE_Q8_1) bound += q8_1_sum_slack(t, wrow, xq, N);
            const float got = g4_vec_dot_ref(t, N, wrow, xq);
            const double err = fabs(got - want);
            if (!(err <= bound))
                fail_msg("%s row %d: got %.9g want %.9g (error %.3g > bound %.3g, sum|wx| %.4g)", g4_type_name(t), row,
                         got, want, err, bound, mag);
            if (err / mag > worst) worst = err / mag;
        }
        print_message("%-5s worst |error| / sum|w x| = %.2e\n", g4_type_name(t), worst);
        free(w);
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Naive per-element decoding, written independently of the kernels: for element e of a block, its
 * integer quant q, and for K-quants the integer scale and min of the sub-block holding it. */

typedef struct {
    int q, scale, min;
} elem;

static uint32_t le32(const uint8_t b[4]) {
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static int nibble(const uint8_t *qs, int e) { /* 32-element blocks: low nibbles first, then high */
    return e < 16 ? qs[e] & 15 : qs[e - 16] >> 4;
}

/* Q4_K/Q5_K: unpack the 12 scale bytes the way ggml does, with 32-bit masks over 4 bytes at a time. */
static void k4_scales_mins(const uint8_t s12[12], uint8_t scales[8], uint8_t mins[8]) {
    uint32_t u[3], out[4];
    memcpy(u, s12, 12);
    out[0] = u[0] & 0x3f3f3f3f;                                              /* scales 0-3 */
    out[2] = u[1] & 0x3f3f3f3f;                                              /* mins 0-3 */
    out[1] = (u[2] & 0x0f0f0f0f) | (((u[0] >> 6) & 0x03030303) << 4);        /* scales 4-7 */
    out[3] = ((u[2] >> 4) & 0x0f0f0f0f) | (((u[1] >> 6) & 0x03030303) << 4); /* mins 4-7 */
    memcpy(scales, &out[0], 8);
    memcpy(mins, &out[2], 8);
}

/* Q3_K: the 16 6-bit scales, again 4 bytes at a time. */
static void k3_scales(const uint8_t s12[12], int8_t scales[16]) {
    uint32_t u[3], out[4];
    memcpy(u, s12, 12);
    out[0] = (u[0] & 0x0f0f0f0f) | (((u[2] >> 0) & 0x03030303) << 4);
    out[1] = (u[1] & 0x0f0f0f0f) | (((u[2] >> 2) & 0x03030303) << 4);
    out[2] = ((u[0] >> 4) & 0x0f0f0f0f) | (((u[2] >> 4) & 0x03030303) << 4);
    out[3] = ((u[1] >> 4) & 0x0f0f0f0f) | (((u[2] >> 6) & 0x03030303) << 4);
    uint8_t raw[16];
    memcpy(raw, out, 16);
    for (int k = 0; k < 16; k++) scales[k] = (int8_t)(raw[k] - 32);
}

static elem decode(g4_type t, const void *blk, int e) {
    elem r = {0, 1, 0};
    switch (t) {
    case G4_TYPE_Q4_0:
        r.q = nibble(((const g4_block_q4_0 *)blk)->qs, e) - 8;
        break;
    case G4_TYPE_Q4_1:
        r.q = nibble(((const g4_block_q4_1 *)blk)->qs, e);
        break;
    case G4_TYPE_Q5_0: {
        const g4_block_q5_0 *b = blk;
        r.q = (nibble(b->qs, e) | (int)((le32(b->qh) >> e) & 1) << 4) - 16;
        break;
    }
    case G4_TYPE_Q5_1: {
        const g4_block_q5_1 *b = blk;
        r.q = nibble(b->qs, e) | (int)((le32(b->qh) >> e) & 1) << 4;
        break;
    }
    case G4_TYPE_Q8_0:
        r.q = ((const g4_block_q8_0 *)blk)->qs[e];
        break;
    case G4_TYPE_Q2_K: {
        const g4_block_q2_K *b = blk;
        r.q = (b->qs[32 * (e / 128) + e % 32] >> (2 * ((e / 32) % 4))) & 3;
        r.scale = b->scales[e / 16] & 15;
        r.min = b->scales[e / 16] >> 4;
        break;
    }
    case G4_TYPE_Q3_K: {
        const g4_block_q3_K *b = blk;
        int8_t sc[16];
        k3_scales(b->scales, sc);
        int low = (b->qs[32 * (e / 128) + e % 32] >> (2 * ((e / 32) % 4))) & 3;
        r.q = ((b->hmask[e % 32] >> (e / 32)) & 1) ? low : low - 4;
        r.scale = sc[e / 16];
        break;
    }
    case G4_TYPE_Q4_K:
    case G4_TYPE_Q5_K: {
        const uint8_t *qs = t == G4_TYPE_Q4_K ? ((const g4_block_q4_K *)blk)->qs : ((const g4_block_q5_K *)blk)->qs;
        const uint8_t *s12 =
            t == G4_TYPE_Q4_K ? ((const g4_block_q4_K *)blk)->scales : ((const g4_block_q5_K *)blk)->scales;
        uint8_t sc[8], mn[8];
        k4_scales_mins(s12, sc, mn);
        const uint8_t byte = qs[32 * (e / 64) + e % 32];
        r.q = (e / 32) % 2 ? byte >> 4 : byte & 15;
        if (t == G4_TYPE_Q5_K) r.q |= ((((const g4_block_q5_K *)blk)->qh[e % 32] >> (e / 32)) & 1) << 4;
        r.scale = sc[e / 32];
        r.min = mn[e / 32];
        break;
    }
    case G4_TYPE_Q6_K: {
        const g4_block_q6_K *b = blk;
        const int run = e / 32, half = run / 4, k = run % 4, l = e % 32;
        const uint8_t lo_byte = b->ql[64 * half + 32 * (k % 2) + l];
        const int lo = k >= 2 ? lo_byte >> 4 : lo_byte & 15;
        const int hi = (b->qh[32 * half + l] >> (2 * k)) & 3;
        r.q = (lo | hi << 4) - 32;
        r.scale = b->scales[e / 16];
        break;
    }
    default:
        fail_msg("no decoder for %s", g4_type_name(t));
    }
    return r;
}

static float naive_dot(g4_type t, int64_t n, const void *w, const void *xq) {
    const size_t wsize = g4_type_get(t)->type_size;
    const int64_t qk = g4_type_get(t)->block_size;
    float s = 0.0f;
    for (int64_t b = 0; b < n / qk; b++) {
        const void *blk = (const uint8_t *)w + (size_t)b * wsize;
        int64_t isum = 0, msum = 0;
        if (qk == 32) {
            const int8_t *y = g4_vec_dot_type(t) == G4_TYPE_Q8_1 ? ((const g4_block_q8_1 *)xq)[b].qs
                                                                 : ((const g4_block_q8_0 *)xq)[b].qs;
            for (int e = 0; e < 32; e++) isum += (int64_t)decode(t, blk, e).q * y[e];
        } else {
            const g4_block_q8_K *y = (const g4_block_q8_K *)xq + b;
            for (int e = 0; e < 256; e++) {
                elem el = decode(t, blk, e);
                isum += (int64_t)el.scale * el.q * y->qs[e];
                msum += (int64_t)el.min * y->qs[e];
            }
        }
        assert_true(isum == (int32_t)isum && msum == (int32_t)msum); /* the kernels may use int32 */
        switch (t) {
        case G4_TYPE_Q4_0:
        case G4_TYPE_Q5_0:
        case G4_TYPE_Q8_0: {
            const g4_half dw = *(const g4_half *)blk; /* d is the first field of these blocks */
            s += (g4_half_to_float(dw) * g4_half_to_float(((const g4_block_q8_0 *)xq)[b].d)) * (float)isum;
            break;
        }
        case G4_TYPE_Q4_1:
        case G4_TYPE_Q5_1: {
            const g4_half *dm = blk; /* d, m */
            const g4_block_q8_1 *y = (const g4_block_q8_1 *)xq + b;
            s += (g4_half_to_float(dm[0]) * g4_half_to_float(y->d)) * (float)isum +
                 g4_half_to_float(dm[1]) * g4_half_to_float(y->s);
            break;
        }
        default: {
            const float dy = ((const g4_block_q8_K *)xq)[b].d;
            float dw = 0, dmin = 0;
            if (t == G4_TYPE_Q2_K)
                dw = g4_half_to_float(((const g4_block_q2_K *)blk)->d),
                dmin = g4_half_to_float(((const g4_block_q2_K *)blk)->dmin);
            if (t == G4_TYPE_Q3_K) dw = g4_half_to_float(((const g4_block_q3_K *)blk)->d);
            if (t == G4_TYPE_Q4_K)
                dw = g4_half_to_float(((const g4_block_q4_K *)blk)->d),
                dmin = g4_half_to_float(((const g4_block_q4_K *)blk)->dmin);
            if (t == G4_TYPE_Q5_K)
                dw = g4_half_to_float(((const g4_block_q5_K *)blk)->d),
                dmin = g4_half_to_float(((const g4_block_q5_K *)blk)->dmin);
            if (t == G4_TYPE_Q6_K) dw = g4_half_to_float(((const g4_block_q6_K *)blk)->d);
            if (t == G4_TYPE_Q3_K || t == G4_TYPE_Q6_K)
                s += (dw * dy) * (float)isum;
            else
                s += (dw * dy) * (float)isum - (dmin * dy) * (float)msum;
        }
        }
    }
    return s;
}

static void test_integer_dots_bit_exact(void **state) {
    (void)state;
    enum { N = 2048, ROWS = 16 };
    static float x[N];
    static uint8_t xq[N * 2];
    g4t_rng r;
    g4t_rng_seed(&r, 31);
    for (size_t ti = 0; ti < N_TYPES; ti++) {
        const g4_type t = k_types[ti];
        if (t == G4_TYPE_F32 || t == G4_TYPE_F16 || t == G4_TYPE_BF16) continue;
        uint8_t *w = random_weights(&r, t, N, ROWS);
        for (int row = 0; row < ROWS; row++) {
            const void *wrow = w + (size_t)row * row_bytes(t, N);
            random_activations(&r, x, N);
            if (row == 0) /* saturate: activations at +-127 against every weight bit pattern */
                for (int i = 0; i < N; i++) x[i] = (i % 3) ? 1.0f : -1.0f;
            g4_quantize_activations(t, x, xq, N);
            const float got = g4_vec_dot_ref(t, N, wrow, xq), want = naive_dot(t, N, wrow, xq);
            if (memcmp(&got, &want, sizeof got) != 0)
                fail_msg("%s row %d: kernel %.9g, naive %.9g", g4_type_name(t), row, got, want);
        }
        free(w);
    }
}

/* ---------------------------------------------------------------------------------------------- */

static void test_matmul_threads_and_tokens(void **state) {
    (void)state;
    enum { N_IN = 512, N_OUT = 37, MAX_TOK = 5 };
    static float x[MAX_TOK * N_IN], y[MAX_TOK * N_OUT], want[MAX_TOK * N_OUT];
    static uint8_t xq[N_IN * 4 + 64];
    g4_pool *pools[4];
    for (int i = 0; i < 4; i++) assert_non_null(pools[i] = g4_pool_new(i + 1));
    g4t_rng r;
    g4t_rng_seed(&r, 41);
    for (size_t ti = 0; ti < N_TYPES; ti++) {
        const g4_type t = k_types[ti];
        g4_matrix w = {t, N_IN, N_OUT, row_bytes(t, N_IN), NULL};
        void *wdata = random_weights(&r, t, N_IN, N_OUT);
        w.data = wdata;
        const int64_t token_counts[] = {1, 2, MAX_TOK};
        for (size_t tc = 0; tc < 3; tc++) {
            const int64_t n_tok = token_counts[tc];
            random_activations(&r, x, n_tok * N_IN);
            for (int64_t tok = 0; tok < n_tok; tok++) {
                g4_quantize_activations(t, x + tok * N_IN, xq, N_IN);
                for (int o = 0; o < N_OUT; o++)
                    want[tok * N_OUT + o] =
                        g4_vec_dot_ref(t, N_IN, (const uint8_t *)wdata + (size_t)o * w.row_bytes, xq);
            }
            size_t sb = g4_matmul_scratch_bytes(t, N_IN, n_tok);
            void *scratch = sb ? malloc(sb) : NULL;
            for (int p = -1; p < 4; p++) {
                memset(y, 0xFF, sizeof y);
                g4_matmul(&w, x, n_tok, y, scratch, p < 0 ? NULL : pools[p]);
                if (memcmp(y, want, (size_t)(n_tok * N_OUT) * sizeof(float)) != 0)
                    fail_msg("%s, %lld tokens, %d threads: matmul differs from the reference dot products",
                             g4_type_name(t), (long long)n_tok, p < 0 ? 0 : p + 1);
            }
            memset(y, 0, sizeof y);
            g4_matmul_with(g4_kernels_scalar(), &w, x, n_tok, y, scratch, pools[1]);
            assert_memory_equal(y, want, (size_t)(n_tok * N_OUT) * sizeof(float));
            free(scratch);
        }
        free(wdata);
    }
    for (int i = 0; i < 4; i++) g4_pool_free(pools[i]);
}

static void test_scratch_sizes(void **state) {
    (void)state;
    assert_int_equal(g4_matmul_scratch_bytes(G4_TYPE_F32, 1536, 7), 0); /* f32 activations used in place */
    assert_int_equal(g4_matmul_scratch_bytes(G4_TYPE_Q4_0, 1536, 0), 0);
    /* one row of 1536 as q8_0 is 48 * 34 = 1632 bytes, padded to 1664 */
    assert_int_equal(g4_matmul_scratch_bytes(G4_TYPE_Q4_0, 1536, 3), 3 * 1664);
    assert_int_equal(g4_matmul_scratch_bytes(G4_TYPE_Q6_K, 1536, 1), 1792); /* 6 * 292 = 1752, padded */
    assert_int_equal(g4_matmul_scratch_bytes(G4_TYPE_F16, 1536, 2), 2 * 3072);
    assert_int_equal(g4_matmul_scratch_bytes(G4_TYPE_IQ4_NL, 1536, 2), 0);
    assert_int_equal(g4_matmul_scratch_bytes(G4_TYPE_Q4_0, 1000, 1), SIZE_MAX); /* not whole blocks */
}

static void test_unsupported_type_gives_nan(void **state) {
    (void)state;
    uint8_t data[18 * 2] = {0};
    g4_matrix w = {G4_TYPE_IQ4_NL, 32, 2, 18, data};
    float x[32] = {1}, y[2] = {0, 0};
    g4_matmul(&w, x, 1, y, NULL, NULL);
    assert_true(isnan(y[0]) && isnan(y[1]));
    assert_true(isnan(g4_vec_dot_ref(G4_TYPE_IQ4_NL, 32, data, x)));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vec_dot_type),
        cmocka_unit_test(test_quantize_q8_0_rounding),
        cmocka_unit_test(test_quantize_q8_1_sum),
        cmocka_unit_test(test_quantize_q8_K),
        cmocka_unit_test(test_vec_dot_vs_dequantized_double),
        cmocka_unit_test(test_integer_dots_bit_exact),
        cmocka_unit_test(test_matmul_threads_and_tokens),
        cmocka_unit_test(test_scratch_sizes),
        cmocka_unit_test(test_unsupported_type_gives_nan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
