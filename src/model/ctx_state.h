/*
 * A context's evaluated state as a byte stream and back: its position and every stored K/V row of
 * every own-KV layer (KV-shared layers have none), so that a session can be saved (src/api puts
 * its own header and the token history around this section) and later loaded into a context of
 * the same model instead of evaluating the prompt again.
 *
 * The target may have another n_batch, a larger n_ctx or another swa_full than the saved one: rows
 * are stored by position, not by ring slot (a sliding ring has n_swa + n_batch - 1 slots), and
 * reading places position p at the target's slot for p. What each layer stores:
 *   global layers: every position 0 .. n_pos - 1;
 *   sliding layers: the positions the ring still holds intact, kv->swa_from .. n_pos - 1 (the last
 *     min(n_pos, n_slots) after plain evaluation; all of them with swa_full).
 * A sliding target ring smaller than what was saved keeps the newest positions it has room for:
 * always at least the n_swa - 1 that the next position attends to. Rewinding afterwards reaches
 * as far back as the rows kept allow, and g4_ctx_can_rewind says exactly how far: once n_pos is
 * past the rings, by the smaller of the saved and the loading context's n_batch (one of them
 * swa_full: the other's; both: anywhere).
 *
 * The stream (header numbers little-endian; one section, G4_CTX_STATE_VERSION):
 *
 *   "G4KV"  u32 version  u32 kv_type (ggml id)  u32 n_layer  u32 n_layer_kv  u32 n_swa  i64 n_pos
 *   n_layer_kv x { u32 layer  u32 sliding (0/1)  u32 n_head_kv  u32 head_dim  u64 row_bytes
 *                  i64 first_pos  i64 n_rows }
 *   per own-KV layer in order: n_rows K rows of row_bytes each (positions first_pos, first_pos+1,
 *   ...), then n_rows V rows the same way
 *
 * The rows are the cache's bytes as they are in memory: f16 halves, q8_0 blocks or f32 floats in
 * the host's byte order. Every host this library targets (x86-64, aarch64) is little-endian, so a
 * state moves between them; a big-endian host would have to swap the rows.
 *
 * The stream carries no logits: the caller that needs the last position's logits after loading
 * keeps them itself, or rewinds by one position and evaluates its last token again (always
 * possible after a load, see above).
 */
#ifndef G4_MODEL_CTX_STATE_H
#define G4_MODEL_CTX_STATE_H

#include <stddef.h>

#include "core/error.h"
#include "model/model.h"

#define G4_CTX_STATE_VERSION 1

/* Takes the next n bytes of the stream. Returns GEMMA4_OK, or a status with a message in *err
 * (e.g. GEMMA4_ERR_IO, "disk full"); the state writer then stops and reports where it was. */
typedef gemma4_status (*g4_state_write_fn)(void *user, const void *p, size_t n, g4_error *err);

/* Fills all n bytes with the next bytes of the stream, or fails: a stream that ends first is
 * GEMMA4_ERR_FORMAT (a message such as "the file ends after 1234 bytes" helps; the state reader
 * adds where in the state it was). */
typedef gemma4_status (*g4_state_read_fn)(void *user, void *p, size_t n, g4_error *err);

/* The exact number of bytes g4_ctx_state_write will produce for c as it is now. */
size_t g4_ctx_state_bytes(const g4_ctx *c);

/* Writes c's state through w, g4_ctx_state_bytes(c) bytes in a few large pieces (a header, then
 * the rows of each layer in at most two pieces per K or V). c is not changed. A failing w stops
 * the writing: its status, with its message prefixed by the byte offset and the part of the state
 * being written. No w: GEMMA4_ERR_INVALID_ARG. */
gemma4_status g4_ctx_state_write(const g4_ctx *c, g4_state_write_fn w, void *user, g4_error *err);

/* Replaces c's state with the one read through r. c must be a context of a model of the same
 * shape with the same KV cache type; everything in the header is checked against it first:
 *   GEMMA4_ERR_FORMAT       not a KV state, or one that contradicts itself, or a stream that ends
 *                           (or fails) early: the message names the byte offset and the part;
 *   GEMMA4_ERR_UNSUPPORTED  another version of the format;
 *   GEMMA4_ERR_INVALID_ARG  another model shape or KV type ("layer 3: head_dim 256 in the state,
 *                           512 in this model");
 *   GEMMA4_ERR_CONTEXT_FULL more positions than c's n_ctx;
 *   GEMMA4_ERR_NOMEM.
 * On any error c is left empty (position 0), never half-loaded. Reads exactly the bytes that
 * g4_ctx_state_write wrote, nothing past them. No r: GEMMA4_ERR_INVALID_ARG. */
gemma4_status g4_ctx_state_read(g4_ctx *c, g4_state_read_fn r, void *user, g4_error *err);

#endif
