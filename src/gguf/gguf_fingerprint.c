/*
 * A GGUF file's identity (gguf.h: g4_gguf_fingerprint), for refusing a saved session that was made
 * with another model file. The hashed stream is:
 *
 *   file size (u64 little-endian)
 *   bytes [0, data_offset): header, metadata, tensor directory, padding
 *   per tensor in directory order: its data whole if at most 2 * SAMPLE bytes, else its first and
 *   its last SAMPLE bytes
 *
 * The directory already pins every shape and type, so the samples only have to tell weights
 * apart: quantized or not, the first block of every tensor differs between two trainings or
 * fine-tunes. Touching two small pieces per tensor keeps the cost at a few page faults per tensor
 * on a cold file (E2B has about two thousand) instead of reading gigabytes.
 */
#include "gguf/gguf.h"

#include "core/hash.h"

#define SEED2 0x9E3779B97F4A7C15ull /* any constant other than 0: a second, independent stream */
#define SAMPLE G4_GGUF_FINGERPRINT_SAMPLE

typedef struct two_streams {
    g4_hash a, b;
} two_streams;

static void update(two_streams *s, const void *p, size_t n) {
    g4_hash_update(&s->a, p, n);
    g4_hash_update(&s->b, p, n);
}

static void store_le(uint8_t *out, uint64_t v) {
    for (int i = 0; i < 8; i++) out[i] = (uint8_t)(v >> (8 * i));
}

void g4_gguf_fingerprint(const g4_gguf *f, uint8_t out[G4_GGUF_FINGERPRINT_BYTES]) {
    two_streams s;
    g4_hash_init(&s.a, 0);
    g4_hash_init(&s.b, SEED2);

    uint8_t size_le[8];
    store_le(size_le, (uint64_t)g4_gguf_file_size(f));
    update(&s, size_le, sizeof size_le);
    update(&s, g4_gguf_bytes(f), (size_t)g4_gguf_data_offset(f));

    for (int64_t i = 0; i < g4_gguf_n_tensors(f); i++) {
        const g4_gguf_tensor *t = g4_gguf_tensor_at(f, i);
        const uint8_t *d = t->data;
        if (t->nbytes <= 2 * SAMPLE) {
            update(&s, d, t->nbytes);
        } else {
            update(&s, d, SAMPLE);
            update(&s, d + t->nbytes - SAMPLE, SAMPLE);
        }
    }
    store_le(out, g4_hash_final(&s.a));
    store_le(out + 8, g4_hash_final(&s.b));
}
