/*
 * Counter-based pseudo-random numbers: value i of a stream is a pure function of (key, i), so a
 * tensor can be generated in any chunking, in any order, and gives the same bytes on every
 * machine. Only integer arithmetic and exactly rounded double operations are used (no libm), and
 * each rounding step is its own statement so that no compiler can fuse it into an FMA.
 */
#ifndef G4_SYNTH_RNG_H
#define G4_SYNTH_RNG_H

#include <stdint.h>

/* splitmix64's output function: a bijective 64-bit mixer. */
static inline uint64_t synth_mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The i-th 64-bit word of stream key (splitmix64 with its counter made explicit). */
static inline uint64_t synth_u64_at(uint64_t key, uint64_t i) {
    return synth_mix64(key + (i + 1) * 0x9e3779b97f4a7c15ull);
}

/* A stream key from the user's seed and a name (FNV-1a of the name, mixed with the seed). */
static inline uint64_t synth_stream_key(uint64_t seed, const char *name) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
        h ^= *s;
        h *= 0x100000001b3ull;
    }
    return synth_mix64(h ^ synth_mix64(seed));
}

/* Element i of a standard-normal-like stream: the Irwin-Hall sum of four 32-bit uniforms,
 * centred and scaled to unit variance. Its tails stop at +-3.46, which suits weights. */
static inline double synth_normal_at(uint64_t key, uint64_t i) {
    const uint64_t a = synth_u64_at(key, 2 * i);
    const uint64_t b = synth_u64_at(key, 2 * i + 1);
    const uint64_t sum = (a & 0xffffffffu) + (a >> 32) + (b & 0xffffffffu) + (b >> 32); /* < 2^34: exact */
    const double u = (double)sum * (1.0 / 4294967296.0) - 2.0;                          /* exact */
    const double sqrt3 = 1.7320508075688772;
    return u * sqrt3;
}

/* A uniform integer in [0, n) from word i of stream key (n << 2^32, so the bias is negligible). */
static inline uint32_t synth_below_at(uint64_t key, uint64_t i, uint32_t n) {
    return (uint32_t)(((synth_u64_at(key, i) >> 32) * (uint64_t)n) >> 32);
}

#endif
