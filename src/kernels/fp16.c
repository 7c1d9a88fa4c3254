/*
 * IEEE half and bfloat16 <-> float, bit-exact with ggml's scalar conversions
 * (ggml_compute_fp16_to_fp32 / ggml_compute_fp32_to_fp16 / ggml_compute_fp32_to_bf16).
 *
 * Every block scale in a GGUF is a half, so these decide the bytes a quantizer writes: the
 * narrowing conversions must round to nearest, ties to even, exactly where ggml does, and treat
 * NaN the way ggml does (the tests hold all 65536 halves and a million floats against ggml).
 * Integer arithmetic only, so the result cannot depend on compiler flags or FPU modes.
 */
#include <string.h>

#include "kernels/quants.h"

static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float float_of(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* float: 1 sign, 8 exponent (bias 127), 23 mantissa bits; half: 1, 5 (bias 15), 10. */
enum {
    HALF_EXP_MASK = 0x7C00,
    HALF_MANT_MASK = 0x03FF,
    HALF_QUIET_NAN = 0x7E00,
    F32_QUIET_BIT = 0x00400000,
    EXP_REBIAS = 127 - 15,
    DROPPED_BITS = 23 - 10, /* mantissa bits a float loses on the way to half */
};

float g4_half_to_float(g4_half h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h & HALF_EXP_MASK) >> 10;
    uint32_t mant = h & HALF_MANT_MASK;

    if (exp == 0x1F) {
        /* Inf keeps its sign; a NaN keeps its payload but comes out quiet, because ggml builds
         * the float with a multiplication and IEEE arithmetic quiets signalling NaNs. */
        uint32_t nan_quiet = mant ? F32_QUIET_BIT : 0;
        return float_of(sign | 0x7F800000u | mant << DROPPED_BITS | nan_quiet);
    }
    if (exp == 0) {
        /* Zero or subnormal: mant * 2^-24, exact in float (a normal float once mant != 0). */
        return float_of(sign | bits_of((float)mant * 0x1p-24f));
    }
    return float_of(sign | (exp + EXP_REBIAS) << 23 | mant << DROPPED_BITS);
}

g4_half g4_float_to_half(float f) {
    uint32_t u = bits_of(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t mag = u & 0x7FFFFFFFu;

    if (mag > 0x7F800000u) {
        return sign | HALF_QUIET_NAN; /* ggml drops the payload: every NaN becomes the canonical one */
    }
    if (mag >= 0x477FF000u) {
        return sign | HALF_EXP_MASK; /* >= 65520 (halfway past the largest half, 65504) and inf */
    }
    if (mag >= 0x38800000u) {
        /* Normal half (>= 2^-14). Round the 13 dropped bits to nearest even: adding just under
         * half an ulp, plus one when the kept lsb is odd, carries exactly when it should; a carry
         * out of the mantissa bumps the exponent, which is the right answer too. */
        uint32_t kept_lsb = (mag >> DROPPED_BITS) & 1;
        uint32_t rounded = mag + ((1u << (DROPPED_BITS - 1)) - 1) + kept_lsb;
        return sign | (uint16_t)((rounded >> DROPPED_BITS) - (EXP_REBIAS << 10));
    }
    if (mag <= 0x33000000u) {
        return sign; /* <= 2^-25, half the smallest subnormal: rounds (ties to even) to zero */
    }
    /* Subnormal half: the value in units of 2^-24 is the full 24-bit mantissa shifted right by
     * (126 - exponent), 14..24 places; round what falls off to nearest even. */
    uint32_t exp = mag >> 23;
    uint32_t mant = (mag & 0x007FFFFFu) | 0x00800000u;
    uint32_t shift = 126 - exp;
    uint32_t q = mant >> shift;
    uint32_t rest = mant & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (q & 1))) {
        q++; /* may reach 0x400, which is the encoding of the smallest normal: still right */
    }
    return sign | (uint16_t)q;
}

float g4_bf16_to_float(g4_bf16 h) {
    return float_of((uint32_t)h << 16);
}

g4_bf16 g4_float_to_bf16(float f) {
    uint32_t u = bits_of(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) {
        /* NaN: truncate, then set bf16's quiet bit so the payload cut cannot leave an infinity. */
        return (g4_bf16)((u >> 16) | 0x0040);
    }
    /* Round the low 16 bits to nearest even; overflow past the largest bf16 carries into inf. */
    uint32_t kept_lsb = (u >> 16) & 1;
    return (g4_bf16)((u + 0x7FFFu + kept_lsb) >> 16);
}
