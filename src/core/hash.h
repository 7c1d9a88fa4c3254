/*
 * A 64-bit non-cryptographic hash: XXH64, the 64-bit variant of Yann Collet's xxHash
 * (https://github.com/Cyan4973/xxHash, doc/xxhash_spec.md), written from its specification.
 * Its output is fixed by that specification and independent of the host: the same bytes give the
 * same value on every machine, and tests/unit/test_core_hash.c holds it to the published vectors.
 *
 * For telling inputs apart (file identities, content keys for caches), not against an adversary:
 * anyone can make two inputs with the same hash on purpose.
 *
 * Incremental use (the bytes may arrive in any split; the result is that of the one-shot call):
 *
 *   g4_hash h;  g4_hash_init(&h, 0);
 *   g4_hash_update(&h, part1, n1);  g4_hash_update(&h, part2, n2);
 *   uint64_t v = g4_hash_final(&h);
 */
#ifndef G4_CORE_HASH_H
#define G4_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct g4_hash {
    uint64_t acc[4]; /* the four lanes, once 32 bytes have been seen */
    uint64_t seed;
    uint64_t total;      /* bytes hashed so far */
    uint8_t pending[32]; /* the start of a stripe not yet complete */
    size_t n_pending;
} g4_hash;

void g4_hash_init(g4_hash *h, uint64_t seed);
void g4_hash_update(g4_hash *h, const void *p, size_t n); /* p may be NULL when n is 0 */

/* The hash of everything given so far. Does not change h, so more bytes may follow. */
uint64_t g4_hash_final(const g4_hash *h);

/* XXH64 of n bytes in one call. */
uint64_t g4_hash64(const void *p, size_t n, uint64_t seed);

#endif
