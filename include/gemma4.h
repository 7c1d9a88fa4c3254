/*
 * libgemma4: run Google's Gemma 4 models from GGUF files on CPUs.
 *
 * The one public header. Conventions (SQLite/libcurl style):
 *  - opaque handles: gemma4_model (immutable weights, shared by any number of threads),
 *    gemma4_session (KV cache, sampler, scratch; one thread at a time), gemma4_media (an encoded
 *    image or audio clip, immutable), gemma4_threadpool (worker threads sessions can share);
 *  - every fallible call returns a gemma4_status. Where the reason goes follows one rule:
 *      calls that create an object (gemma4_model_load, gemma4_session_new, gemma4_media_*,
 *      gemma4_threadpool_new) and calls on immutable, shared objects (a model's tokenizer, the
 *      model-free JSON helpers) write it into a caller buffer (errbuf, errbuf_size; may be NULL);
 *      every call on a session keeps it on that session (gemma4_session_errmsg).
 *    Sessions never share an error slot, so two threads using two sessions of one model never see
 *    each other's errors;
 *  - parameter structs start with struct_size and come from their *_default_params(): the library
 *    reads only the fields the caller's struct has, so an application built against an older,
 *    smaller struct keeps working when fields are added (fields it does not know take their
 *    defaults); a struct from a newer header is accepted when the fields this library does not
 *    know are zero;
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

/* ---------------------------------------------------------------------------------------------- */
/* Versions                                                                                        */
/* ---------------------------------------------------------------------------------------------- */

#define GEMMA4_VERSION_MAJOR 0
#define GEMMA4_VERSION_MINOR 2
#define GEMMA4_VERSION_PATCH 0
#define GEMMA4_VERSION "0.2.0"
/* MAJOR * 1000000 + MINOR * 1000 + PATCH, as SQLITE_VERSION_NUMBER: compare with < and >. */
#define GEMMA4_VERSION_NUMBER 2000

/* The library's version as "MAJOR.MINOR.PATCH" and as GEMMA4_VERSION_NUMBER; compare these with the
 * macros to tell the header an application was built with from the library it runs with. */
GEMMA4_API const char *gemma4_version(void);
GEMMA4_API int gemma4_version_number(void);

/* ---------------------------------------------------------------------------------------------- */
/* Status codes                                                                                    */
/* ---------------------------------------------------------------------------------------------- */

typedef enum gemma4_status {
    GEMMA4_OK = 0,
    GEMMA4_ERR_INVALID_ARG, /* a NULL pointer, an out-of-range number, a token id outside the vocab */
    GEMMA4_ERR_IO,          /* a file could not be opened, read, mapped or written */
    GEMMA4_ERR_FORMAT, /* malformed input: a GGUF, image, WAV, state file or tool-call text that breaks its format */
    GEMMA4_ERR_UNSUPPORTED,  /* well-formed but not supported: an unknown architecture or tensor type */
    GEMMA4_ERR_NOMEM,        /* an allocation failed or a size overflowed */
    GEMMA4_ERR_CONTEXT_FULL, /* the session's context has no room for more tokens */
    GEMMA4_ERR_VALIDATION,   /* tool-call arguments do not satisfy the tool's JSON Schema */
    GEMMA4_ERR_INTERNAL,     /* a bug: please report it with the error text */
    GEMMA4_ERR_INTERRUPTED   /* gemma4_session_interrupt stopped the evaluation of a prompt */
} gemma4_status;

/* A short constant name for a status ("GEMMA4_ERR_FORMAT"). */
GEMMA4_API const char *gemma4_status_name(gemma4_status status);

/* Frees memory the library returned (JSON text, token arrays, replies). NULL is fine. */
GEMMA4_API void gemma4_free(void *ptr);

/* ---------------------------------------------------------------------------------------------- */
/* Logging                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

typedef enum gemma4_log_level {
    GEMMA4_LOG_DEBUG = 0,
    GEMMA4_LOG_INFO,
    GEMMA4_LOG_WARN,
    GEMMA4_LOG_ERROR
} gemma4_log_level;

/* Called from the thread that made the call being logged. */
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
GEMMA4_API gemma4_status gemma4_inspect(const char *path, int max_array, char **json_out, char *errbuf,
                                        size_t errbuf_size);

/* ---------------------------------------------------------------------------------------------- */
/* Models                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

typedef struct gemma4_model gemma4_model;
typedef struct gemma4_session gemma4_session;
typedef struct gemma4_media gemma4_media;
typedef struct gemma4_threadpool gemma4_threadpool;

typedef struct gemma4_model_params {
    size_t struct_size;   /* sizeof(gemma4_model_params): set by gemma4_model_default_params */
    gemma4_log_fn log_fn; /* NULL: no logging */
    void *log_user;
    gemma4_log_level log_level; /* messages below this level are dropped */
    const char *kernels;        /* NULL or "auto": best for this CPU; "scalar", "avx2", "neon" force a path.
                                   The environment variable GEMMA4_KERNELS overrides "auto". */
} gemma4_model_params;

GEMMA4_API gemma4_model_params gemma4_model_default_params(void);

/* Loads a Gemma 4 GGUF (weights stay memory-mapped, read-only). On failure *out is NULL and errbuf
 * says what was wrong and where (file, key, tensor, byte offset). params may be NULL. */
GEMMA4_API gemma4_status gemma4_model_load(const char *path, const gemma4_model_params *params, gemma4_model **out,
                                           char *errbuf, size_t errbuf_size);
/* After every session and media object of the model is freed. NULL is fine. */
GEMMA4_API void gemma4_model_free(gemma4_model *model);

GEMMA4_API int32_t gemma4_model_n_vocab(const gemma4_model *model);
GEMMA4_API int32_t gemma4_model_n_ctx_train(const gemma4_model *model);
GEMMA4_API int32_t gemma4_model_n_layer(const gemma4_model *model);
GEMMA4_API int32_t gemma4_model_n_embd(const gemma4_model *model);
GEMMA4_API int32_t gemma4_token_bos(const gemma4_model *model);
GEMMA4_API int32_t gemma4_token_eos(const gemma4_model *model);
/* True for tokens that end a generation (<eos>, <turn|>, ...). */
GEMMA4_API bool gemma4_token_is_eog(const gemma4_model *model, int32_t token);

/* ---------------------------------------------------------------------------------------------- */
/* Tokens and text (on the shared model: errors go to the caller's buffer)                         */
/* ---------------------------------------------------------------------------------------------- */

/* Text (UTF-8, len bytes) to token ids, in a malloc'd array (*tokens_out, free with gemma4_free).
 * add_bos prepends <bos>; parse_special matches control tokens written as text ("<turn|>"). */
GEMMA4_API gemma4_status gemma4_tokenize(const gemma4_model *model, const char *text, size_t len, bool add_bos,
                                         bool parse_special, int32_t **tokens_out, size_t *n_out, char *errbuf,
                                         size_t errbuf_size);

/* Token ids to text in a malloc'd NUL-terminated string (free with gemma4_free). special: render
 * control tokens ("<turn|>") instead of dropping them. */
GEMMA4_API gemma4_status gemma4_detokenize(const gemma4_model *model, const int32_t *tokens, size_t n, bool special,
                                           char **text_out, char *errbuf, size_t errbuf_size);

/* ---------------------------------------------------------------------------------------------- */
/* Thread pools: worker threads that several sessions can share                                   */
/* ---------------------------------------------------------------------------------------------- */

/*
 * A pool of n_threads threads in all (the calling thread of a session counts as one, so n_threads - 1
 * workers start; 0: the number of physical cores). Hand it to sessions through
 * gemma4_session_params.threadpool so that N sessions in one process use these threads instead of
 * starting N pools. Sessions sharing a pool take turns operation by operation (each matmul or
 * attention call runs on the whole pool), so they all make progress. Between operations the
 * workers spin briefly, then sleep: an idle pool burns no CPU.
 * Freeing is safe at any time: the threads stop when the last session using the pool is freed.
 */
GEMMA4_API gemma4_status gemma4_threadpool_new(int32_t n_threads, gemma4_threadpool **out, char *errbuf,
                                               size_t errbuf_size);
GEMMA4_API void gemma4_threadpool_free(gemma4_threadpool *pool);
GEMMA4_API int32_t gemma4_threadpool_n_threads(const gemma4_threadpool *pool);

/* ---------------------------------------------------------------------------------------------- */
/* Sessions: a KV cache, a sampler and scratch memory; one thread at a time                        */
/* ---------------------------------------------------------------------------------------------- */

typedef enum gemma4_kv_type {
    GEMMA4_KV_F16 = 0, /* default */
    GEMMA4_KV_Q8_0     /* half the memory, slightly less exact */
} gemma4_kv_type;

typedef struct gemma4_sampling {
    size_t struct_size;      /* sizeof(gemma4_sampling): set by gemma4_sampling_default_params */
    float temperature;       /* <= 0: greedy */
    int32_t top_k;           /* <= 0: off */
    float top_p;             /* >= 1: off */
    float min_p;             /* <= 0: off */
    float repeat_penalty;    /* 1: off */
    float frequency_penalty; /* 0: off */
    float presence_penalty;  /* 0: off */
    int32_t penalty_last_n;  /* how many previous tokens the penalties look at (0..32767) */
    uint64_t seed;           /* the random sequence restarts from it whenever these settings are applied */
} gemma4_sampling;

/* Gemma's recommended sampling: temperature 1.0, top-k 64, top-p 0.95; penalties off; seed 0. */
GEMMA4_API gemma4_sampling gemma4_sampling_default_params(void);

typedef struct gemma4_session_params {
    size_t struct_size; /* sizeof(gemma4_session_params): set by gemma4_session_default_params */
    int32_t n_ctx;      /* context length in tokens; 0: 4096 (capped at the model's) */
    int32_t n_batch;    /* prompt tokens evaluated per forward pass; 0: 512 */
    int32_t n_threads;  /* threads of the session's own pool; 0: the number of physical cores.
                           Ignored when threadpool is set */
    gemma4_kv_type kv_type;
    gemma4_threadpool *threadpool;   /* NULL: the session starts its own pool of n_threads */
    const gemma4_sampling *sampling; /* NULL: gemma4_sampling_default_params() (copied) */
} gemma4_session_params;

GEMMA4_API gemma4_session_params gemma4_session_default_params(void);

/* A new session on a loaded model (the model must outlive it). Its KV cache and scratch are
 * allocated here, once. params may be NULL. On failure *out is NULL and errbuf says why. */
GEMMA4_API gemma4_status gemma4_session_new(gemma4_model *model, const gemma4_session_params *params,
                                            gemma4_session **out, char *errbuf, size_t errbuf_size);
GEMMA4_API void gemma4_session_free(gemma4_session *session);

/* The last error of a call on this session (valid until the next call on it). */
GEMMA4_API const char *gemma4_session_errmsg(const gemma4_session *session);

GEMMA4_API int32_t gemma4_session_n_ctx(const gemma4_session *session);
/* Positions currently in the context (tokens and media embeddings): the next token's position. */
GEMMA4_API int32_t gemma4_session_n_past(const gemma4_session *session);
/* Bytes of KV cache this session allocated. */
GEMMA4_API size_t gemma4_session_kv_bytes(const gemma4_session *session);

/* Replaces the session's sampling settings for the calls that follow (the random sequence restarts
 * from sampling->seed; the penalties' token history is kept). A single call can use other settings
 * without changing these: gemma4_generate_params.sampling. */
GEMMA4_API gemma4_status gemma4_session_set_sampling(gemma4_session *session, const gemma4_sampling *sampling);

/* Forgets everything in the context (and the sampler's history). */
GEMMA4_API void gemma4_session_reset(gemma4_session *session);
/* Keeps only the first n_past positions of the context. */
GEMMA4_API gemma4_status gemma4_session_rewind(gemma4_session *session, int32_t n_past);

/*
 * Asks the call running on this session to stop as soon as it can: between two micro-batches of a
 * prompt and between two generated tokens. Safe from any thread and from a signal handler (it only
 * sets an atomic flag). What is kept:
 *  - prompt evaluation (gemma4_eval, the prompt part of gemma4_generate / gemma4_chat*) returns
 *    GEMMA4_ERR_INTERRUPTED; the micro-batches already evaluated stay in the context
 *    (gemma4_session_n_past tells how far it got), the rest is not evaluated;
 *  - generation returns GEMMA4_OK with stop_reason GEMMA4_STOP_INTERRUPTED; every token passed to the
 *    callback is in the context, as for any other stop.
 * Every call that honours it starts by clearing the flag, so an interrupt sent while no call runs
 * has no effect on the next one.
 */
GEMMA4_API void gemma4_session_interrupt(gemma4_session *session);

/* Appends tokens to the context and runs the model over them. With all_logits the logits of every
 * one of them are kept, otherwise only the last one's. GEMMA4_ERR_CONTEXT_FULL if they don't fit
 * (nothing is evaluated then). */
GEMMA4_API gemma4_status gemma4_eval(gemma4_session *session, const int32_t *tokens, size_t n, bool all_logits);

/* Appends a media object's embeddings (one position each) to the context and runs the model over
 * them, exactly as they are (no markers around them: gemma4_chat adds <|image>...<image|> itself).
 * The context remembers them by content, so a later gemma4_chat holding the same media reuses them. */
GEMMA4_API gemma4_status gemma4_eval_media(gemma4_session *session, const gemma4_media *media, bool all_logits);

/* Logits (n_vocab floats, after the final softcap) of the i-th position of the last evaluation
 * (i = -1: the last one). NULL if that row was not kept. */
GEMMA4_API const float *gemma4_logits(gemma4_session *session, int32_t i);

/* Samples the next token from the last logits with the session's sampler and records it in the
 * sampler's history (it is not evaluated: pass it to gemma4_eval). The logits are consumed:
 * gemma4_logits returns NULL until the next evaluation. */
GEMMA4_API gemma4_status gemma4_sample(gemma4_session *session, int32_t *token_out);

/*
 * Session state on disk: the KV cache and the record of what is in it (tokens, media by content
 * hash), behind a versioned header that names the model file by a fingerprint of its contents.
 * Loading puts the session back where it was saved (positions, logits of the last position so that
 * sampling can continue, the sampler's penalty history) in the time it takes to read the file, instead
 * of evaluating the prompt again. The loading session must be of the same model file and KV type
 * and have room for the saved positions (its n_ctx and n_batch may differ). A file of another model,
 * version or KV type is GEMMA4_ERR_INVALID_ARG / GEMMA4_ERR_UNSUPPORTED, a truncated or corrupt
 * one GEMMA4_ERR_FORMAT, each naming what differs; on any error the session is left empty.
 */
GEMMA4_API gemma4_status gemma4_session_save(gemma4_session *session, const char *path);
GEMMA4_API gemma4_status gemma4_session_load(gemma4_session *session, const char *path);

/* ---------------------------------------------------------------------------------------------- */
/* Media: images and audio as embeddings in the text model's stream                                */
/* ---------------------------------------------------------------------------------------------- */

typedef enum gemma4_media_kind {
    GEMMA4_MEDIA_IMAGE = 1, /* enters the prompt as <|image> embeddings <image|> */
    GEMMA4_MEDIA_AUDIO = 2  /* enters the prompt as <|audio> embeddings <audio|> */
} gemma4_media_kind;

/*
 * A media object from embeddings computed elsewhere (an encoder outside the library, a cache):
 * n_tokens rows of gemma4_model_n_embd(model) floats, copied, exactly what the multimodal
 * projector outputs. Immutable and usable by every session of the model, from any thread.
 * The encoders of the mmproj file produce the same objects from an image or a WAV.
 */
GEMMA4_API gemma4_status gemma4_media_from_embeddings(const gemma4_model *model, gemma4_media_kind kind,
                                                      const float *embd, int32_t n_tokens, gemma4_media **out,
                                                      char *errbuf, size_t errbuf_size);
GEMMA4_API void gemma4_media_free(gemma4_media *media);
GEMMA4_API gemma4_media_kind gemma4_media_kind_of(const gemma4_media *media);
GEMMA4_API int32_t gemma4_media_n_tokens(const gemma4_media *media);
GEMMA4_API const float *gemma4_media_embeddings(const gemma4_media *media); /* [n_tokens][n_embd] */

/* ---------------------------------------------------------------------------------------------- */
/* Generation with streaming                                                                       */
/* ---------------------------------------------------------------------------------------------- */

/* Called for every generated token. piece holds the text it completes (UTF-8-safe: a multi-byte
 * character split across tokens arrives whole with the token that completes it, so piece may be
 * empty). Return false to stop the generation. A last call with token -1 may carry bytes held back
 * at the very end (an incomplete UTF-8 sequence the model never finished). */
typedef bool (*gemma4_token_fn)(void *user, int32_t token, const char *piece, size_t piece_len);

typedef struct gemma4_generate_params {
    size_t struct_size;  /* sizeof(gemma4_generate_params): set by gemma4_generate_default_params */
    int32_t max_tokens;  /* 0: until an end-of-generation token or the context is full */
    bool render_special; /* include control tokens' text in the pieces */
    gemma4_token_fn on_token;
    void *user;
    const gemma4_sampling *sampling; /* NULL: the session's. Otherwise this call samples with these
                                        settings (random sequence from their seed) and the session's
                                        come back afterwards, untouched */
} gemma4_generate_params;

GEMMA4_API gemma4_generate_params gemma4_generate_default_params(void);

typedef enum gemma4_stop_reason {
    GEMMA4_STOP_EOG = 0,      /* the model ended its turn (the end token is not evaluated) */
    GEMMA4_STOP_MAX_TOKENS,   /* max_tokens reached */
    GEMMA4_STOP_CALLBACK,     /* the token callback returned false */
    GEMMA4_STOP_CONTEXT_FULL, /* no room for another token */
    GEMMA4_STOP_INTERRUPTED   /* gemma4_session_interrupt */
} gemma4_stop_reason;

/* "eog", "max_tokens", "callback", "context_full", "interrupted". */
GEMMA4_API const char *gemma4_stop_reason_name(gemma4_stop_reason reason);

typedef struct gemma4_generate_stats {
    size_t struct_size; /* set by the caller (GEMMA4_GENERATE_STATS_INIT): the library writes only that much */
    int32_t n_prompt;   /* prompt positions evaluated (after any reused prefix) */
    int32_t n_reused;   /* positions of the prompt already in the context and kept (chat calls) */
    int32_t n_generated;
    double prompt_seconds;
    double generate_seconds;
    gemma4_stop_reason stop_reason;
} gemma4_generate_stats;

#define GEMMA4_GENERATE_STATS_INIT                                                                                     \
    { sizeof(gemma4_generate_stats), 0, 0, 0, 0.0, 0.0, GEMMA4_STOP_EOG }

/* Evaluates the prompt tokens (appended to the context), then samples and evaluates tokens until an
 * end-of-generation token (not passed to the callback, not evaluated), max_tokens, the callback says
 * stop, an interrupt, or the context is full (stats->stop_reason says which; a full context is not
 * an error here, but a prompt that does not fit is GEMMA4_ERR_CONTEXT_FULL). Every token passed to
 * the callback is in the context afterwards. n_prompt may be 0 to continue from the last
 * evaluation. params and stats may be NULL. */
GEMMA4_API gemma4_status gemma4_generate(gemma4_session *session, const int32_t *prompt, size_t n_prompt,
                                         const gemma4_generate_params *params, gemma4_generate_stats *stats);

/* ---------------------------------------------------------------------------------------------- */
/* Chat                                                                                            */
/* ---------------------------------------------------------------------------------------------- */

typedef enum gemma4_part_type {
    GEMMA4_PART_TEXT = 0, /* text */
    GEMMA4_PART_MEDIA     /* an image or audio clip (its kind decides which) */
} gemma4_part_type;

/* One piece of a message's content. Fixed layout (an array element). */
typedef struct gemma4_content_part {
    gemma4_part_type type;
    const char *text;          /* GEMMA4_PART_TEXT */
    const gemma4_media *media; /* GEMMA4_PART_MEDIA: of the session's model */
} gemma4_content_part;

/* One message. Fixed layout (an array element). Either content (plain text) or parts. */
typedef struct gemma4_chat_message {
    const char *role;    /* "system", "user", "assistant" (or "model") */
    const char *content; /* the text, when n_parts is 0 */
    const gemma4_content_part *parts;
    size_t n_parts;
} gemma4_chat_message;

typedef struct gemma4_chat_params {
    size_t struct_size;                     /* sizeof(gemma4_chat_params): set by gemma4_chat_default_params */
    bool enable_thinking;                   /* let the model think first (<|think|>); the thought is kept apart */
    bool show_thinking;                     /* stream the thought channel through on_token too */
    const gemma4_generate_params *generate; /* NULL: defaults. on_token sees the answer's pieces (and
                                               the thought's if show_thinking), never the turn markers */
} gemma4_chat_params;

GEMMA4_API gemma4_chat_params gemma4_chat_default_params(void);

/* Renders the conversation in the Gemma 4 chat format with the generation prompt, evaluates it
 * (reusing the part of the context that already matches, media included, so a multi-turn chat only
 * evaluates the new turn), generates the assistant's answer, and returns it in *reply_out (malloc'd,
 * free with gemma4_free) with the thought channel removed (the thought in *thought_out if not NULL).
 * Each media part becomes its <|image>/<|audio> block at that place in the message. */
GEMMA4_API gemma4_status gemma4_chat(gemma4_session *session, const gemma4_chat_message *messages, size_t n_messages,
                                     const gemma4_chat_params *params, char **reply_out, char **thought_out,
                                     gemma4_generate_stats *stats);

/* ---------------------------------------------------------------------------------------------- */
/* Chat template and tool calls (no model needed)                                                  */
/* ---------------------------------------------------------------------------------------------- */

/*
 * Conversations and tools are OpenAI-style JSON:
 *   messages: [{"role":"system"|"developer"|"user"|"assistant"|"tool", "content": "text" | [parts],
 *               "tool_calls": [{"id","type":"function","function":{"name","arguments"}}],
 *               "tool_call_id", "name", "reasoning_content"}, ...]
 *             parts: {"type":"text","text":...}, {"type":"image"}, {"type":"audio"}, {"type":"video"}
 *   tools:    [{"type":"function","function":{"name","description","parameters": JSON Schema}}, ...]
 */

/* Flags for gemma4_chat_render. */
#define GEMMA4_CHAT_ADD_GENERATION_PROMPT (1u << 0) /* end by opening the model's turn */
#define GEMMA4_CHAT_ENABLE_THINKING (1u << 1)       /* <|think|>: the model reasons in a thought channel first */
#define GEMMA4_CHAT_OMIT_BOS (1u << 2)              /* no leading "<bos>" (when the tokenizer adds BOS) */
/* As llama.cpp's server: tool results become structured response:NAME{key:value} blocks (JSON
 * content decoded). */
#define GEMMA4_CHAT_LLAMA_COMPAT (1u << 3)
#define GEMMA4_CHAT_MEDIA_ALIASES (1u << 4) /* OpenAI "image_url" / "input_audio" parts count as media */

/*
 * Renders a conversation with the Gemma 4 chat template: *prompt_out (free with gemma4_free) is
 * byte for byte what the model's Jinja template gives (images/audio as <|image|> / <|audio|>
 * placeholders). tools_json may be NULL. GEMMA4_ERR_INVALID_ARG with a message in errbuf when the
 * JSON is malformed or the template cannot render it (no messages, a tool without "function", ...).
 */
GEMMA4_API gemma4_status gemma4_chat_render(const char *messages_json, const char *tools_json, unsigned flags,
                                            char **prompt_out, char *errbuf, size_t errbuf_size);

/* Flags for gemma4_toolcall_parse. */
#define GEMMA4_TOOLCALL_THOUGHT_OPEN (1u << 0) /* the prompt ended inside "<|channel>thought\n" */

/*
 * Turns raw model output (text[0..text_len), may hold thoughts and <|tool_call>...<tool_call|>
 * blocks) into an OpenAI assistant message, *message_json:
 *   {"role":"assistant","content": text or null,"reasoning_content": thought (if any),
 *    "tool_calls":[{"id":"call_0","type":"function","function":{"name":...,"arguments":"{...}"}}]}
 * When tools_json is given, every call is checked against the declared tools (name declared,
 * arguments valid for its JSON Schema); *violations_json (if not NULL) receives the findings, "[]"
 * when there are none:
 *   [{"tool_call_id":"call_0","name":"get_weather","pointer":"/unit",
 *     "message":"\"kelvin\" is not one of [\"celsius\",\"fahrenheit\"]"}, ...]
 * Returns GEMMA4_OK; GEMMA4_ERR_VALIDATION when there are violations (the message is still
 * returned; errbuf summarises them); GEMMA4_ERR_FORMAT when the text breaks the format, with the
 * byte position and what was expected in errbuf (nothing returned then); GEMMA4_ERR_INVALID_ARG
 * for bad tools JSON. Free the outputs with gemma4_free.
 */
GEMMA4_API gemma4_status gemma4_toolcall_parse(const char *text, size_t text_len, const char *tools_json,
                                               unsigned flags, char **message_json, char **violations_json,
                                               char *errbuf, size_t errbuf_size);

/* ---------------------------------------------------------------------------------------------- */
/* Chat with tools: generation that returns parsed, validated tool calls                           */
/* ---------------------------------------------------------------------------------------------- */

typedef enum gemma4_tool_choice {
    GEMMA4_TOOL_CHOICE_AUTO = 0, /* the model decides whether to call a tool */
    GEMMA4_TOOL_CHOICE_REQUIRED  /* the answer is a call: the prompt ends with "<|tool_call>" (and "call:NAME{"
                                    when tool_name is set) and the model writes the rest, so no thought
                                    and no text come before the first call */
} gemma4_tool_choice;

typedef struct gemma4_chat_tools_params {
    size_t struct_size;   /* sizeof(gemma4_chat_tools_params): set by gemma4_chat_tools_default_params */
    bool enable_thinking; /* let the model think first (<|think|>); the thought becomes reasoning_content */
    /* Constrained decoding. Once the model opens a call, only tokens that keep it well formed and
     * valid for its tool's schema can be sampled: a declared tool name, declared keys (each once,
     * required ones before the call closes; undeclared keys only where additionalProperties
     * allows them), enum / const values, the declared types and bounds (minLength, maxLength,
     * minimum, maximum, minItems, maxItems, ...), nested objects and arrays. Outside calls the
     * text is free except for what would break the output format (a stray closing marker, a new
     * turn, invalid UTF-8, control tokens other than the thought and tool-call markers); the turn
     * can only end outside a call. The keywords it cannot follow token by token (pattern, format,
     * multipleOf, uniqueItems, not) are still checked afterwards and reported as violations. */
    bool tools_strict;
    gemma4_tool_choice tool_choice;
    const char *tool_name; /* with GEMMA4_TOOL_CHOICE_REQUIRED: the function to call (NULL: any) */
    bool one_call;         /* end the turn once the first call is complete (OpenAI's parallel_tool_calls: false) */
    bool show_thinking;    /* on_token also receives the thought's text */
    /* NULL: defaults. max_tokens as for gemma4_generate; on_token receives the answer's content as it
     * is written (text outside thoughts and calls; piece may be empty for tokens that write none),
     * never the calls themselves, which come back parsed. render_special is ignored. */
    const gemma4_generate_params *generate;
    /* The media that the messages' "image" / "audio" parts (and "image_url" / "input_audio") stand
     * for, in the order they appear in messages_json; their count must match. */
    const gemma4_media *const *media;
    size_t n_media;
} gemma4_chat_tools_params;

GEMMA4_API gemma4_chat_tools_params gemma4_chat_tools_default_params(void);

/*
 * One assistant turn of an agent conversation. messages_json and tools_json are the OpenAI-style
 * JSON described above (tools_json may be NULL; assistant messages with tool_calls and "tool"
 * results are rendered as Gemma 4 tool calls and structured tool responses). The conversation
 * is rendered, the part of it already in the session's context is reused (as gemma4_chat does),
 * the model generates until the end of its turn, and its output is parsed:
 *   *message_json     the assistant message, as gemma4_toolcall_parse gives it:
 *                     {"role":"assistant","content":...,"reasoning_content":...,"tool_calls":[...]}
 *   *violations_json  (if not NULL) the calls' violations of their tools' schemas, "[]" if none
 *   *raw_out          (if not NULL) the model's raw output, control tokens included (with the
 *                     prompt's "<|tool_call>..." start under GEMMA4_TOOL_CHOICE_REQUIRED)
 * Returns GEMMA4_OK; GEMMA4_ERR_VALIDATION when a call violates its schema (the message is still
 * returned; the session's error text lists the first violation); GEMMA4_ERR_FORMAT when the
 * output breaks the tool-call format (a call cut short by max_tokens, or malformed: *message_json
 * is NULL, *raw_out is still set, the error text gives the byte and what was expected);
 * GEMMA4_ERR_INVALID_ARG for bad JSON, tools_strict without tools, or a tool_name that is not
 * declared; and the errors of gemma4_generate. Free the outputs with gemma4_free. The first
 * strict call on a model indexes its vocabulary (once; shared by all sessions of the model).
 * Image and audio parts enter as their media objects (params->media) and are reused across
 * turns like text.
 */
GEMMA4_API gemma4_status gemma4_chat_tools(gemma4_session *session, const char *messages_json, const char *tools_json,
                                           const gemma4_chat_tools_params *params, char **message_json,
                                           char **violations_json, char **raw_out, gemma4_generate_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* GEMMA4_H */
