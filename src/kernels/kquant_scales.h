/*
 * Unpacking of the packed K-quant sub-block scales, shared by the SIMD kernels (the scalar
 * reference in vec_dot_kquants.c decodes them one at a time). Done with 32-bit masks over four
 * bytes at once, which is cheap next to the 256 quants each super-block carries.
 */
#ifndef G4_KERNELS_KQUANT_SCALES_H
#define G4_KERNELS_KQUANT_SCALES_H

#include <stdint.h>
#include <string.h>

#include "kernels/blocks.h"

/* Q4_K/Q5_K: 8 6-bit scales and 8 6-bit mins from 12 bytes. Pairs 0-3 are the low 6 bits of
 * bytes 0-3 (scales) and 4-7 (mins); pairs 4-7 keep their low 4 bits in the nibbles of bytes 8-11
 * and their top 2 bits in the spare top bits of bytes 0-7. */
static inline void g4_k4_scales_mins(const uint8_t s12[G4_K_SCALE_SIZE], uint8_t scales[8], uint8_t mins[8]) {
    uint32_t u[3], out[4];
    memcpy(u, s12, 12);
    out[0] = u[0] & 0x3f3f3f3f;
    out[1] = (u[2] & 0x0f0f0f0f) | (((u[0] >> 6) & 0x03030303) << 4);
    out[2] = u[1] & 0x3f3f3f3f;
    out[3] = ((u[2] >> 4) & 0x0f0f0f0f) | (((u[1] >> 6) & 0x03030303) << 4);
    memcpy(scales, &out[0], 8);
    memcpy(mins, &out[2], 8);
}

/* Q3_K: 16 signed 6-bit scales (stored +32). Scale k keeps its low 4 bits in a nibble of bytes
 * 0-7 (low nibbles for k < 8) and its top 2 bits in bytes 8-11. */
static inline void g4_k3_scales(const uint8_t s12[12], int8_t scales[16]) {
    uint32_t u[3], out[4];
    memcpy(u, s12, 12);
    out[0] = (u[0] & 0x0f0f0f0f) | ((u[2] & 0x03030303) << 4);
    out[1] = (u[1] & 0x0f0f0f0f) | (((u[2] >> 2) & 0x03030303) << 4);
    out[2] = ((u[0] >> 4) & 0x0f0f0f0f) | (((u[2] >> 4) & 0x03030303) << 4);
    out[3] = ((u[1] >> 4) & 0x0f0f0f0f) | (((u[2] >> 6) & 0x03030303) << 4);
    uint8_t raw[16];
    memcpy(raw, out, 16);
    for (int k = 0; k < 16; k++) scales[k] = (int8_t)(raw[k] - 32);
}

#endif
