/*
 * XXH64 (see hash.h). The input is read as little-endian 64- and 32-bit words whatever the host,
 * one byte at a time into the word, so that the value is the specification's everywhere and no
 * load is unaligned; compilers turn the byte assembly into a single load on little-endian hosts.
 */
#include "core/hash.h"

#include <string.h>

static const uint64_t P1 = 0x9E3779B185EBCA87ull;
static const uint64_t P2 = 0xC2B2AE3D27D4EB4Full;
static const uint64_t P3 = 0x165667B19E3779F9ull;
static const uint64_t P4 = 0x85EBCA77C2B2AE63ull;
static const uint64_t P5 = 0x27D4EB2F165667C5ull;

static uint64_t rotl(uint64_t x, int r) {
    return (x << r) | (x >> (64 - r));
}

static uint64_t read64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static uint64_t read32(const uint8_t *p) {
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
}

/* One lane absorbing one 8-byte word. */
static uint64_t lane_round(uint64_t acc, uint64_t word) {
    acc += word * P2;
    acc = rotl(acc, 31);
    return acc * P1;
}

/* Folds a lane into the final value (the specification's "merge"). */
static uint64_t merge_lane(uint64_t h, uint64_t lane) {
    h ^= lane_round(0, lane);
    return h * P1 + P4;
}

static void stripe(uint64_t acc[4], const uint8_t *p) {
    for (int i = 0; i < 4; i++) acc[i] = lane_round(acc[i], read64(p + 8 * i));
}

void g4_hash_init(g4_hash *h, uint64_t seed) {
    memset(h, 0, sizeof *h);
    h->seed = seed;
    h->acc[0] = seed + P1 + P2;
    h->acc[1] = seed + P2;
    h->acc[2] = seed;
    h->acc[3] = seed - P1;
}

void g4_hash_update(g4_hash *h, const void *data, size_t n) {
    if (n == 0) return; /* data may be NULL then, and memcpy must not see it */
    const uint8_t *p = data;
    h->total += n;
    if (h->n_pending > 0) { /* complete the stripe begun by an earlier call */
        const size_t take = n < 32 - h->n_pending ? n : 32 - h->n_pending;
        memcpy(h->pending + h->n_pending, p, take);
        h->n_pending += take;
        p += take;
        n -= take;
        if (h->n_pending < 32) return;
        stripe(h->acc, h->pending);
        h->n_pending = 0;
    }
    for (; n >= 32; p += 32, n -= 32) stripe(h->acc, p);
    if (n > 0) memcpy(h->pending, p, n);
    h->n_pending = n;
}

uint64_t g4_hash_final(const g4_hash *h) {
    uint64_t v;
    if (h->total >= 32) {
        const uint64_t *a = h->acc;
        v = rotl(a[0], 1) + rotl(a[1], 7) + rotl(a[2], 12) + rotl(a[3], 18);
        for (int i = 0; i < 4; i++) v = merge_lane(v, a[i]);
    } else {
        v = h->seed + P5;
    }
    v += h->total;

    /* the tail: what is left after the last whole stripe, 8, 4, then 1 byte at a time */
    const uint8_t *p = h->pending;
    size_t n = h->n_pending;
    for (; n >= 8; p += 8, n -= 8) v = rotl(v ^ lane_round(0, read64(p)), 27) * P1 + P4;
    if (n >= 4) {
        v = rotl(v ^ (read32(p) * P1), 23) * P2 + P3;
        p += 4;
        n -= 4;
    }
    for (; n > 0; p++, n--) v = rotl(v ^ (*p * P5), 11) * P1;

    /* avalanche: every input bit reaches every output bit */
    v ^= v >> 33;
    v *= P2;
    v ^= v >> 29;
    v *= P3;
    v ^= v >> 32;
    return v;
}

uint64_t g4_hash64(const void *p, size_t n, uint64_t seed) {
    g4_hash h;
    g4_hash_init(&h, seed);
    g4_hash_update(&h, p, n);
    return g4_hash_final(&h);
}
