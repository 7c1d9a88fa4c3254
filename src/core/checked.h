/*
 * Overflow-checked size arithmetic for numbers that come from files. Every count, length and
 * offset read from a GGUF, WAV or image goes through these before it sizes an allocation or
 * indexes memory.
 */
#ifndef G4_CORE_CHECKED_H
#define G4_CORE_CHECKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Each returns false (and leaves *out unspecified) when the exact result does not fit. */
static inline bool g4_add_u64(uint64_t a, uint64_t b, uint64_t *out) {
    return !__builtin_add_overflow(a, b, out);
}
static inline bool g4_mul_u64(uint64_t a, uint64_t b, uint64_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool g4_mul_i64(int64_t a, int64_t b, int64_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool g4_add_size(size_t a, size_t b, size_t *out) {
    return !__builtin_add_overflow(a, b, out);
}
static inline bool g4_mul_size(size_t a, size_t b, size_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}

/* Rounds x up to a multiple of align (a power of two or any positive number); false on overflow. */
static inline bool g4_align_up_u64(uint64_t x, uint64_t align, uint64_t *out) {
    uint64_t r = x % align;
    if (r == 0) {
        *out = x;
        return true;
    }
    return g4_add_u64(x, align - r, out);
}

#endif
