/*
 * libgemma4: run Google's Gemma 4 models from GGUF files on CPUs.
 *
 * The one public header. Conventions (SQLite/libcurl style):
 *  - opaque handles: gemma4_model (immutable weights, shareable across threads), gemma4_session
 *    (KV cache, sampler, scratch; one thread at a time);
 *  - every fallible call returns a gemma4_status; the object involved keeps a human-readable
 *    description of the last error (gemma4_model_errmsg / gemma4_session_errmsg). Calls that create
 *    an object write their error text into a caller buffer because there is no object yet;
 *  - the library never prints, never exits and has no global mutable state; logging goes through
 *    an optional callback.
 */
#ifndef GEMMA4_H
#define GEMMA4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(GEMMA4_BUILDING_LIBRARY)
#define GEMMA4_API __attribute__((visibility("default")))
#else
#define GEMMA4_API
#endif

#define GEMMA4_VERSION_MAJOR 0
#define GEMMA4_VERSION_MINOR 1
#define GEMMA4_VERSION_PATCH 0

/* ---------------------------------------------------------------------------------------------- */
/* Status codes                                                                                    */
/* ---------------------------------------------------------------------------------------------- */

typedef enum gemma4_status {
    GEMMA4_OK = 0,
    GEMMA4_ERR_INVALID_ARG,   /* a NULL pointer, an out-of-range number, a token id outside the vocab */
    GEMMA4_ERR_IO,            /* a file could not be opened, read, mapped or written */
    GEMMA4_ERR_FORMAT,        /* malformed input: a GGUF, image, WAV or tool-call text that breaks its format */
    GEMMA4_ERR_UNSUPPORTED,   /* well-formed but not supported: an unknown architecture or tensor type */
    GEMMA4_ERR_NOMEM,         /* an allocation failed or a size overflowed */
    GEMMA4_ERR_CONTEXT_FULL,  /* the session's context has no room for more tokens */
    GEMMA4_ERR_VALIDATION,    /* tool-call arguments do not satisfy the tool's JSON Schema */
    GEMMA4_ERR_INTERNAL       /* a bug: please report it with the error text */
} gemma4_status;

/* A short constant name for a status ("GEMMA4_ERR_FORMAT"). */
GEMMA4_API const char *gemma4_status_name(gemma4_status status);

/* The library version as "MAJOR.MINOR.PATCH". */
GEMMA4_API const char *gemma4_version(void);

/* ---------------------------------------------------------------------------------------------- */
/* Logging                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

typedef enum gemma4_log_level {
    GEMMA4_LOG_DEBUG = 0,
    GEMMA4_LOG_INFO,
    GEMMA4_LOG_WARN,
    GEMMA4_LOG_ERROR
} gemma4_log_level;

typedef void (*gemma4_log_fn)(void *user, gemma4_log_level level, const char *message);

/* ---------------------------------------------------------------------------------------------- */
/* Inspecting a GGUF file without loading a model                                                  */
/* ---------------------------------------------------------------------------------------------- */

/*
 * Reads the GGUF at `path` (header, metadata, tensor directory; tensor data is only bounds-checked)
 * and returns a JSON description in *json_out (free with gemma4_free). The object has:
 *   "path", "gguf_version", "alignment", "file_bytes", "n_kv", "n_tensors",
 *   "n_params", "n_params_effective" (without token and per-layer embedding tables),
 *   "tensor_types"  { "q4_K": count, ... }, "bytes_per_type" { "q4_K": bytes, ... },
 *   "metadata"      { key: value, ... } (arrays longer than `max_array` items are abbreviated to
 *                    { "type": "array", "elem_type": "string", "count": N, "head": [first items] }),
 *   "tensors"       [ { "name", "type", "shape": [ne0, ne1, ...], "offset", "bytes" }, ... ],
 *   "engine"        what libgemma4 will do with the file: architecture recognised or not, and the
 *                    hyperparameters it read.
 * max_array <= 0 prints every array in full. On failure *json_out is NULL and errbuf (if given)
 * holds the reader's message, naming the key/tensor and byte offset that was wrong.
 */
GEMMA4_API gemma4_status gemma4_inspect(const char *path, int max_array, char **json_out,
                                        char *errbuf, size_t errbuf_size);

/* Frees memory the library returned (JSON text, token arrays). NULL is fine. */
GEMMA4_API void gemma4_free(void *ptr);

#ifdef __cplusplus
}
#endif

#endif /* GEMMA4_H */
