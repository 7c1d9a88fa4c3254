/*
 * Exhaustive check of libgemma4's half / bf16 conversions (src/kernels/fp16.c) against ggml's:
 * all 2^32 float bit patterns narrowed to half and to bf16, all 65536 halves and bf16s widened.
 * Too slow for the unit suite (tens of seconds), so run by hand when fp16.c changes; the unit
 * test checks digests of a million-input sample instead. Build and run: see README.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ggml.h"
#include "kernels/quants.h"

static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

int main(void) {
    uint64_t bad_h2f = 0, bad_b2f = 0, bad_f2h = 0, bad_f2b = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        bad_h2f += bits_of(g4_half_to_float((g4_half)h)) != bits_of(ggml_fp16_to_fp32((ggml_fp16_t)h));
        ggml_bf16_t b = {(uint16_t)h};
        bad_b2f += bits_of(g4_bf16_to_float((g4_bf16)h)) != bits_of(ggml_bf16_to_fp32(b));
    }
    uint32_t u = 0;
    do {
        float f;
        memcpy(&f, &u, 4);
        if (g4_float_to_half(f) != ggml_fp32_to_fp16(f)) {
            if (bad_f2h++ < 5) printf("f32->f16 differs at 0x%08x\n", u);
        }
        if (g4_float_to_bf16(f) != ggml_fp32_to_bf16(f).bits) {
            if (bad_f2b++ < 5) printf("f32->bf16 differs at 0x%08x\n", u);
        }
    } while (++u != 0);
    printf("half->f32 mismatches: %llu of 65536\n", (unsigned long long)bad_h2f);
    printf("bf16->f32 mismatches: %llu of 65536\n", (unsigned long long)bad_b2f);
    printf("f32->half mismatches: %llu of 4294967296\n", (unsigned long long)bad_f2h);
    printf("f32->bf16 mismatches: %llu of 4294967296\n", (unsigned long long)bad_f2b);
    return (bad_h2f | bad_b2f | bad_f2h | bad_f2b) ? 1 : 0;
}
