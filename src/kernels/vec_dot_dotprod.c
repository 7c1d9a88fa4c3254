/*
 * The integer dot products with the Armv8.2 dotprod extension (SDOT: four int8 products summed
 * into each int32 lane in one instruction): Cortex-A76 (Raspberry Pi 5), A55, A78, Neoverse and
 * Apple cores. Compiled with +dotprod and used only when HWCAP_ASIMDDP says the CPU has it.
 */
#include <arm_neon.h>

#include "kernels/int_dots_arm.h"

/* int_dots_arm.h's int8 product-accumulate: one SDOT. */
static inline int32x4_t dot16(int32x4_t acc, int8x16_t a, int8x16_t b) {
    return vdotq_s32(acc, a, b);
}

float g4_vec_dot_q4_0_dotprod(int64_t n, const void *w, const void *x) {
    return int_dot_q4_0(n, w, x);
}
float g4_vec_dot_q4_1_dotprod(int64_t n, const void *w, const void *x) {
    return int_dot_q4_1(n, w, x);
}
float g4_vec_dot_q5_0_dotprod(int64_t n, const void *w, const void *x) {
    return int_dot_q5_0(n, w, x);
}
float g4_vec_dot_q5_1_dotprod(int64_t n, const void *w, const void *x) {
    return int_dot_q5_1(n, w, x);
}
float g4_vec_dot_q8_0_dotprod(int64_t n, const void *w, const void *x) {
    return int_dot_q8_0(n, w, x);
}
float g4_vec_dot_q2_K_dotprod(int64_t n, const void *w, const void *x) {
    return int_dot_q2_K(n, w, x);
}
float g4_vec_dot_q3_K_dotprod(int64_t n, const void *w, const void *x) {
    return int_dot_q3_K(n, w, x);
}
float g4_vec_dot_q4_K_dotprod(int64_t n, const void *w, const void *x) {
    return int_dot_q4_K(n, w, x);
}
float g4_vec_dot_q5_K_dotprod(int64_t n, const void *w, const void *x) {
    return int_dot_q5_K(n, w, x);
}
float g4_vec_dot_q6_K_dotprod(int64_t n, const void *w, const void *x) {
    return int_dot_q6_K(n, w, x);
}
