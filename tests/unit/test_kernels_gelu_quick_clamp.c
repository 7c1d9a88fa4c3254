/* gelu_quick and clamp (kernels/ops.h) in every kernel table this CPU can run:
 *
 *  - the scalar g4_gelu_quick against x / (1 + e^(-1.702 x)) in double, over [-70, 70], random
 *    normal values of three scales, and the edges (+-inf, NaN, +-0, the -60 cut-off);
 *  - every SIMD table's gelu_quick against the scalar one, on lengths 1..2053 (tails included);
 *  - g4_clamp against the definition, and every SIMD clamp bit-identical to it, NaN included
 *    (ggml's MAX(MIN(x, hi), lo) sends a NaN to hi).
 *
 * Tolerance of gelu_quick, against the double reference and SIMD against scalar:
 *   |got - want| <= 4 FLT_EPSILON (1 + 1.702 |x|) |want| + 1e-36.
 * The (1 + 1.702 |x|) term is the rounding of the exponent's argument -1.702 x, which e^ turns into
 * a relative error of the result of |arg| eps; the 1e-36 covers the inputs near the cut-off, where
 * expf overflows to inf (result -0) and the SIMD e^x saturates at e^88 (result ~ -1e-37).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/dispatch.h"
#include "kernels/ops.h"
#include "testkit.h"

static const char *const k_names[] = {"avx2", "neon", "neon-dotprod"};
#define N_NAMES (sizeof k_names / sizeof k_names[0])
#define MAXN 2053

static double gelu_quick_bound(float x, double want) {
    return 4.0 * FLT_EPSILON * (1.0 + 1.702 * fabs((double)x)) * fabs(want) + 1e-36;
}

/* Inputs: a ramp over [-70, 70] (pattern 0) or normal values times 1, 8 or 0.01. */
static void fill(float *x, int64_t n, int pattern, g4t_rng *r) {
    for (int64_t i = 0; i < n; i++) {
        if (pattern == 0)
            x[i] = n > 1 ? -70.0f + 140.0f * (float)i / (float)(n - 1) : 0.5f;
        else
            x[i] = g4t_rng_normal(r) * (pattern == 1 ? 1.0f : pattern == 2 ? 8.0f : 0.01f);
    }
}

/* Largest error / bound of got against want (NaN must meet NaN); fails past 1. */
static double check(const char *what, const float *in, const float *got, const double *want, int64_t n) {
    double worst = 0.0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(want[i]) || isnan(got[i])) {
            if (!(isnan(want[i]) && isnan(got[i])))
                fail_msg("%s gelu_quick(%.9g) = %.9g, want %.9g", what, (double)in[i], (double)got[i], want[i]);
            continue;
        }
        if ((double)got[i] == want[i]) continue; /* infinities too */
        const double err = fabs((double)got[i] - want[i]), b = gelu_quick_bound(in[i], want[i]);
        if (!(err <= b))
            fail_msg("%s gelu_quick(%.9g) = %.9g, want %.9g (error %.3g > %.3g)", what, (double)in[i], (double)got[i],
                     want[i], err, b);
        if (err / b > worst) worst = err / b;
    }
    return worst;
}

static void test_gelu_quick_scalar_vs_double(void **state) {
    (void)state;
    static float x[MAXN], y[MAXN];
    static double want[MAXN];
    g4t_rng r;
    g4t_rng_seed(&r, 1702);
    double worst = 0.0;
    for (int pattern = 0; pattern < 4; pattern++) {
        fill(x, MAXN, pattern, &r);
        memcpy(y, x, sizeof x);
        g4_gelu_quick_inplace(y, MAXN);
        for (int64_t i = 0; i < MAXN; i++) {
            want[i] = (double)x[i] / (1.0 + exp(-1.702 * (double)x[i]));
            assert_true(g4_gelu_quick(x[i]) == y[i] || (isnan(y[i]) && isnan(g4_gelu_quick(x[i]))));
        }
        const double e = check("scalar vs double", x, y, want, MAXN);
        if (e > worst) worst = e;
    }
    /* edges: the limits, and exactly 0 at and below the cut-off */
    assert_true(g4_gelu_quick(INFINITY) == INFINITY);
    assert_true(g4_gelu_quick(-INFINITY) == 0.0f);
    assert_true(isnan(g4_gelu_quick(NAN)));
    assert_true(g4_gelu_quick(0.0f) == 0.0f);
    assert_true(g4_gelu_quick(-60.0f) == 0.0f && g4_gelu_quick(-1e30f) == 0.0f);
    assert_true(fabs(g4_gelu_quick(1.0f) - 1.0 / (1.0 + exp(-1.702))) < 1e-7);
    print_message("gelu_quick scalar vs double: worst error / bound %.3f\n", worst);
}

static void test_gelu_quick_simd_vs_scalar(void **state) {
    (void)state;
    static float x[MAXN], a[MAXN], b[MAXN];
    static double want[MAXN];
    const int64_t sizes[] = {1, 3, 4, 7, 8, 9, 64, 72, 3072, MAXN};
    int checked = 0;
    g4t_rng r;
    g4t_rng_seed(&r, 17020);
    for (size_t k = 0; k < N_NAMES; k++) {
        const g4_kernels *v = g4_kernels_by_name(k_names[k]);
        if (!v) continue;
        double worst = 0.0;
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            const int64_t n = sizes[si] < MAXN ? sizes[si] : MAXN;
            for (int pattern = 0; pattern < 4; pattern++) {
                fill(x, n, pattern, &r);
                memcpy(a, x, sizeof(float) * (size_t)n);
                memcpy(b, x, sizeof(float) * (size_t)n);
                g4_gelu_quick_inplace(a, n);
                v->gelu_quick(b, n);
                for (int64_t i = 0; i < n; i++) want[i] = a[i];
                const double e = check(v->name, x, b, want, n);
                if (e > worst) worst = e;
            }
        }
        const float edge[11] = {INFINITY, -INFINITY, NAN, 0.0f, -0.0f, -60.0f, -59.9f, -52.0f, 88.0f, 1e-30f, -1e-30f};
        memcpy(a, edge, sizeof edge);
        memcpy(b, edge, sizeof edge);
        g4_gelu_quick_inplace(a, 11);
        v->gelu_quick(b, 11);
        for (int i = 0; i < 11; i++) want[i] = a[i];
        check(v->name, edge, b, want, 11);
        print_message("gelu_quick %s vs scalar: worst error / bound %.3f\n", v->name, worst);
        checked++;
    }
    if (!checked) print_message("no SIMD table on this CPU: no SIMD gelu_quick to check\n");
}

/* The clamp by its definition, for lo <= hi (every case below); a NaN goes to hi as in ggml. */
static float clamp_def(float x, float lo, float hi) {
    if (isnan(x)) return hi;
    return x < lo ? lo : x > hi ? hi : x;
}

static void test_clamp(void **state) {
    (void)state;
    static float x[MAXN], a[MAXN], b[MAXN];
    const float bounds[][2] = {{-1.5f, 2.0f}, {-FLT_MAX, FLT_MAX}, {0.0f, 0.0f}, {-INFINITY, 0.25f}, {-3.0f, INFINITY}};
    const int64_t sizes[] = {1, 5, 8, 13, 768, MAXN};
    g4t_rng r;
    g4t_rng_seed(&r, 99);
    for (size_t bi = 0; bi < sizeof bounds / sizeof bounds[0]; bi++) {
        const float lo = bounds[bi][0], hi = bounds[bi][1];
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            const int64_t n = sizes[si];
            for (int64_t i = 0; i < n; i++) x[i] = g4t_rng_normal(&r) * 3.0f;
            if (n > 4) x[0] = NAN, x[1] = INFINITY, x[2] = -INFINITY, x[3] = -0.0f;
            memcpy(a, x, sizeof(float) * (size_t)n);
            g4_clamp(a, n, lo, hi);
            for (int64_t i = 0; i < n; i++) {
                const float want = clamp_def(x[i], lo, hi);
                if (!(a[i] == want))
                    fail_msg("clamp(%.9g, %g, %g) = %.9g, want %.9g", (double)x[i], (double)lo, (double)hi,
                             (double)a[i], (double)want);
            }
            for (size_t k = 0; k < N_NAMES; k++) {
                const g4_kernels *v = g4_kernels_by_name(k_names[k]);
                if (!v) continue;
                memcpy(b, x, sizeof(float) * (size_t)n);
                v->clamp(b, n, lo, hi);
                if (memcmp(a, b, sizeof(float) * (size_t)n) != 0)
                    fail_msg("%s clamp to [%g, %g] over %lld values: not the scalar bits", v->name, (double)lo,
                             (double)hi, (long long)n);
            }
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gelu_quick_scalar_vs_double),
        cmocka_unit_test(test_gelu_quick_simd_vs_scalar),
        cmocka_unit_test(test_clamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
