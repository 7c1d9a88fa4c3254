#include "text/vocab.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/vocab_internal.h"

/* ---------------------------------------------------------------------------------------------- */
/* String hashing and the two hash indexes (token text -> id, merge "left right" -> rank)          */
/* ---------------------------------------------------------------------------------------------- */

/* A word-at-a-time string hash: the tables hold 777k strings of ~10 bytes, built at every load. */
static inline uint64_t mix64(uint64_t h) {
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h;
}

static inline uint64_t hash_bytes(const char *p, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++) w |= (uint64_t)(uint8_t)p[i] << (8 * i);
    return mix64(h ^ w);
}

/* A merge is hashed as its two halves, so a lookup never builds "left right". */
static inline uint64_t hash_pair(const char *l, size_t ln, const char *r, size_t rn) {
    return mix64(hash_bytes(l, ln) * 0x9E3779B97F4A7C15ull + hash_bytes(r, rn));
}

static bool str_index_init(g4_str_index *ix, uint32_t n) {
    uint64_t cap = 16;
    while (cap < 2ull * n) cap <<= 1;
    if (cap > (1ull << 31)) return false;
    ix->slots = calloc((size_t)cap, sizeof *ix->slots);
    ix->mask = (uint32_t)(cap - 1);
    ix->index_bits = 1;
    while (ix->index_bits < 31 && ((uint64_t)n + 1) >> ix->index_bits) ix->index_bits++;
    return ix->slots != NULL;
}

static void str_index_free(g4_str_index *ix) {
    free(ix->slots);
    ix->slots = NULL;
}

/* the slot position comes from the low hash bits, the tag from the high ones */
static inline uint32_t slot_tag(const g4_str_index *ix, uint64_t h) {
    return (uint32_t)(h >> (32 + ix->index_bits));
}
static inline uint32_t slot_make(const g4_str_index *ix, uint64_t h, uint32_t index) {
    return slot_tag(ix, h) << ix->index_bits | (index + 1);
}
static inline bool slot_tag_eq(const g4_str_index *ix, uint32_t slot, uint64_t h) {
    return slot >> ix->index_bits == slot_tag(ix, h);
}
static inline uint32_t slot_index(const g4_str_index *ix, uint32_t slot) {
    return (slot & ((1u << ix->index_bits) - 1)) - 1;
}

static inline const char *token_text(const g4_vocab *v, int32_t id) {
    return v->texts + v->text_off[id];
}

/* Finds text in the token index; when absent and insert_id >= 0, stores it there. Returns the id
 * found, or -1. */
static int32_t token_index_lookup(g4_vocab *v, uint64_t h, const char *s, size_t n, int32_t insert_id) {
    const g4_str_index *ix = &v->token_index;
    for (uint32_t i = (uint32_t)h & ix->mask;; i = (i + 1) & ix->mask) {
        uint32_t slot = ix->slots[i];
        if (slot == 0) {
            if (insert_id >= 0) ix->slots[i] = slot_make(ix, h, (uint32_t)insert_id);
            return -1;
        }
        if (slot_tag_eq(ix, slot, h)) {
            int32_t id = (int32_t)slot_index(ix, slot);
            if (g4_vocab_text_len(v, id) == n && memcmp(token_text(v, id), s, n) == 0) return id;
        }
    }
}

int32_t g4_vocab_find(const g4_vocab *v, const char *text, size_t len) {
    if (!v || (!text && len)) return -1;
    const g4_str_index *ix = &v->token_index;
    uint64_t h = hash_bytes(text, len);
    for (uint32_t i = (uint32_t)h & ix->mask;; i = (i + 1) & ix->mask) {
        uint32_t slot = ix->slots[i];
        if (slot == 0) return -1;
        if (slot_tag_eq(ix, slot, h)) {
            int32_t id = (int32_t)slot_index(ix, slot);
            if (g4_vocab_text_len(v, id) == len && memcmp(token_text(v, id), text, len) == 0) return id;
        }
    }
}

static inline const char *merge_text(const g4_vocab *v, uint32_t rank) {
    return v->merges + v->merge_off[rank];
}
static inline uint32_t merge_len(const g4_vocab *v, uint32_t rank) {
    return v->merge_off[rank + 1] - v->merge_off[rank] - 1;
}

int32_t g4_vocab_merge_rank(const g4_vocab *v, const char *left, size_t left_len, const char *right, size_t right_len) {
    if (!v || left_len == 0 || right_len == 0 || !left || !right) return -1;
    const g4_str_index *ix = &v->merge_index;
    uint64_t h = hash_pair(left, left_len, right, right_len);
    size_t n = left_len + 1 + right_len;
    for (uint32_t i = (uint32_t)h & ix->mask;; i = (i + 1) & ix->mask) {
        uint32_t slot = ix->slots[i];
        if (slot == 0) return -1;
        if (slot_tag_eq(ix, slot, h)) {
            uint32_t rank = slot_index(ix, slot);
            const char *m = merge_text(v, rank);
            if (merge_len(v, rank) == n && memcmp(m, left, left_len) == 0 && m[left_len] == ' ' &&
                memcmp(m + left_len + 1, right, right_len) == 0)
                return (int32_t)rank;
        }
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Building                                                                                        */
/* ---------------------------------------------------------------------------------------------- */

void g4_vocab_spec_init(g4_vocab_spec *spec) {
    memset(spec, 0, sizeof *spec);
    for (int i = 0; i < G4_SPECIAL_COUNT; i++) spec->special_ids[i] = -1;
    spec->add_bos = spec->add_eos = spec->add_sep = spec->add_space_prefix = -1;
}

void g4_vocab_free(g4_vocab *v) {
    if (!v) return;
    free(v->texts);
    free(v->text_off);
    free(v->scores);
    free(v->attr);
    str_index_free(&v->token_index);
    free(v->pieces);
    free(v->piece_off);
    free(v->merges);
    free(v->merge_off);
    str_index_free(&v->merge_index);
    free(v->special_order);
    free(v->trie.node_rank);
    free(v->trie.edges);
    free(v->eog);
    free(v);
}

static uint16_t attr_from_type(int32_t type) {
    switch (type) {
    case G4_TOKEN_TYPE_UNKNOWN:
        return G4_TOKEN_ATTR_UNKNOWN;
    case G4_TOKEN_TYPE_UNUSED:
        return G4_TOKEN_ATTR_UNUSED;
    case G4_TOKEN_TYPE_NORMAL:
        return G4_TOKEN_ATTR_NORMAL;
    case G4_TOKEN_TYPE_CONTROL:
        return G4_TOKEN_ATTR_CONTROL;
    case G4_TOKEN_TYPE_USER_DEFINED:
        return G4_TOKEN_ATTR_USER_DEFINED;
    case G4_TOKEN_TYPE_BYTE:
        return G4_TOKEN_ATTR_BYTE;
    default:
        return G4_TOKEN_ATTR_UNDEFINED; /* llama.cpp maps unknown type numbers to "undefined" */
    }
}

static gemma4_status copy_texts(g4_vocab *v, const g4_vocab_spec *spec, g4_error *err) {
    uint32_t n = spec->n_tokens;
    uint64_t total = 0;
    char empty_name[32];
    for (uint32_t i = 0; i < n; i++) {
        uint64_t len = spec->tokens[i].len;
        if (len == 0) len = (uint64_t)snprintf(empty_name, sizeof empty_name, "[EMPTY_%" PRIu32 "]", i);
        if (!spec->tokens[i].ptr && spec->tokens[i].len)
            return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "token %" PRIu32 " has no text", i);
        if (len >= UINT32_MAX - 1 - total)
            return g4_fail(err, GEMMA4_ERR_FORMAT,
                           "tokenizer.ggml.tokens: token texts exceed 4 GiB (at token %" PRIu32 ")", i);
        total += len + 1;
    }
    v->texts = malloc((size_t)total);
    v->text_off = malloc(((size_t)n + 1) * sizeof *v->text_off);
    if (!v->texts || !v->text_off)
        return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for %" PRIu32 " token texts", n);
    uint32_t off = 0;
    int32_t max_len = 0;
    for (uint32_t i = 0; i < n; i++) {
        v->text_off[i] = off;
        size_t len = (size_t)spec->tokens[i].len;
        if (len == 0) {
            /* llama.cpp gives empty tokens a visible placeholder name rather than an empty text */
            len = (size_t)snprintf(v->texts + off, 32, "[EMPTY_%" PRIu32 "]", i);
        } else {
            memcpy(v->texts + off, spec->tokens[i].ptr, len);
        }
        v->texts[off + len] = '\0';
        off += (uint32_t)len + 1;
        if ((int64_t)len > max_len) max_len = len > INT32_MAX ? INT32_MAX : (int32_t)len;
    }
    v->text_off[n] = off;
    v->max_token_len = max_len;
    return GEMMA4_OK;
}

/* Index insertions are bound by cache misses on a table of megabytes, so each insertion hashes
 * the string PREFETCH_AHEAD places ahead and prefetches its slot. */
#define PREFETCH_AHEAD 16

static gemma4_status index_tokens(g4_vocab *v, g4_error *err) {
    int32_t n = v->n_tokens;
    g4_str_index *ix = &v->token_index;
    if (!str_index_init(ix, (uint32_t)n)) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for the token index");
    uint64_t ring[PREFETCH_AHEAD];
    for (int32_t k = 0; k < n + PREFETCH_AHEAD; k++) {
        int32_t id = k - PREFETCH_AHEAD;
        if (id >= 0) {
            const char *s = token_text(v, id);
            int32_t prev = token_index_lookup(v, ring[id % PREFETCH_AHEAD], s, g4_vocab_text_len(v, id), id);
            if (prev >= 0)
                return g4_fail(err, GEMMA4_ERR_FORMAT,
                               "tokenizer.ggml.tokens: token %" PRId32 " has the same text as token %" PRId32
                               " ('%.40s')",
                               id, prev, s);
        }
        if (k < n) {
            uint64_t h = hash_bytes(token_text(v, k), g4_vocab_text_len(v, k));
            ring[k % PREFETCH_AHEAD] = h;
            __builtin_prefetch(&ix->slots[h & ix->mask], 1);
        }
    }
    return GEMMA4_OK;
}

/* Merges are kept as their strings: llama.cpp ranks the pair (left, right) split at the first space
 * after the first byte, whether or not either half or their concatenation is a token. */
static gemma4_status index_merges(g4_vocab *v, const g4_vocab_spec *spec, g4_error *err) {
    uint32_t n = spec->n_merges;
    if (n > INT32_MAX)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "tokenizer.ggml.merges: %" PRIu32 " merges is too many", n);
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!spec->merges[i].ptr && spec->merges[i].len)
            return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "merge %" PRIu32 " has no text", i);
        if (spec->merges[i].len >= UINT32_MAX - 1 - total)
            return g4_fail(err, GEMMA4_ERR_FORMAT,
                           "tokenizer.ggml.merges: merge texts exceed 4 GiB (at merge %" PRIu32 ")", i);
        total += spec->merges[i].len + 1;
    }
    v->n_merges = (int32_t)n;
    v->merges = malloc(total ? (size_t)total : 1);
    v->merge_off = malloc(((size_t)n + 1) * sizeof *v->merge_off);
    g4_str_index *ix = &v->merge_index;
    if (!v->merges || !v->merge_off || !str_index_init(ix, n))
        return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for %" PRIu32 " merges", n);
    /* copy merge k and hash it while inserting merge k - PREFETCH_AHEAD (which only compares with
     * lower ranks, all copied by then) */
    uint64_t ring[PREFETCH_AHEAD];
    bool ring_ok[PREFETCH_AHEAD];
    uint32_t off = 0;
    for (uint64_t k = 0; k < (uint64_t)n + PREFETCH_AHEAD; k++) {
        if (k >= PREFETCH_AHEAD && ring_ok[(k - PREFETCH_AHEAD) % PREFETCH_AHEAD]) {
            uint32_t r = (uint32_t)(k - PREFETCH_AHEAD);
            uint64_t h = ring[r % PREFETCH_AHEAD];
            const char *s = merge_text(v, r);
            uint32_t len = merge_len(v, r);
            for (uint32_t i = (uint32_t)h & ix->mask;; i = (i + 1) & ix->mask) {
                uint32_t slot = ix->slots[i];
                if (slot == 0) {
                    ix->slots[i] = slot_make(ix, h, r);
                    break;
                }
                /* a repeated merge keeps its first (lowest) rank, as std::map::emplace does */
                if (slot_tag_eq(ix, slot, h) && merge_len(v, slot_index(ix, slot)) == len &&
                    memcmp(merge_text(v, slot_index(ix, slot)), s, len) == 0)
                    break;
            }
        }
        if (k < n) {
            const char *s = spec->merges[k].ptr;
            size_t len = (size_t)spec->merges[k].len;
            v->merge_off[k] = off;
            if (len) memcpy(v->merges + off, s, len);
            v->merges[off + len] = '\0';
            off += (uint32_t)len + 1;
            v->merge_off[k + 1] = off;
            /* A merge with no space after its first byte ranks the pair ("", "") in llama.cpp, which
             * no pair of symbols ever is: it can never apply, so it is not indexed. */
            const char *space = len >= 2 ? memchr(s + 1, ' ', len - 1) : NULL;
            ring_ok[k % PREFETCH_AHEAD] = space != NULL;
            if (space) {
                uint64_t h = hash_pair(s, (size_t)(space - s), space + 1, len - (size_t)(space - s) - 1);
                ring[k % PREFETCH_AHEAD] = h;
                __builtin_prefetch(&ix->slots[h & ix->mask], 1);
            }
        }
    }
    v->merge_off[n] = off;
    return GEMMA4_OK;
}

/* The texts llama.cpp recognises as special roles when the GGUF does not name them (UTF-8). */
static const char *const k_eot_texts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",         "<|endoftext|>",      "<|end_of_text|>",
    "<EOT>",      "_<EOT>",     "[EOT]",   "<｜end▁of▁sentence｜>", "<end_of_utterance>", NULL};
static const char *const k_eom_texts[] = {"<|eom_id|>", NULL};
static const char *const k_fim_pre_texts[] = {"<|fim_prefix|>",  "<fim-prefix>", "<fim_prefix>",
                                              "<｜fim▁begin｜>", "<PRE>",        "▁<PRE>",
                                              "<|code_prefix|>", "<|prefix|>",   NULL};
static const char *const k_fim_suf_texts[] = {"<|fim_suffix|>",  "<fim-suffix>", "<fim_suffix>",
                                              "<｜fim▁hole｜>",  "<SUF>",        "▁<SUF>",
                                              "<|code_suffix|>", "<|suffix|>",   NULL};
static const char *const k_fim_mid_texts[] = {"<|fim_middle|>",  "<fim-middle>", "<fim_middle>",
                                              "<｜fim▁end｜>",   "<MID>",        "▁<MID>",
                                              "<|code_middle|>", "<|middle|>",   NULL};
static const char *const k_fim_pad_texts[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", NULL};
static const char *const k_fim_rep_texts[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>",
                                              "<REPO>",       "<reponame>",    NULL};
static const char *const k_fim_sep_texts[] = {"<|file_sep|>", NULL};
static const char *const k_eog_texts[] = {"<|eot_id|>",
                                          "<|im_end|>",
                                          "<|end|>",
                                          "<|return|>",
                                          "<|call|>",
                                          "<|flush|>",
                                          "<|calls|>",
                                          "<end_of_turn>",
                                          "<|endoftext|>",
                                          "</s>",
                                          "<|eom_id|>",
                                          "<EOT>",
                                          "_<EOT>",
                                          "[EOT]",
                                          "[EOS]",
                                          "<|end_of_text|>",
                                          "<end_of_utterance>",
                                          "<eos>",
                                          "<turn|>",
                                          "<|tool_response>",
                                          "<｜end▁of▁sentence｜>",
                                          "[e~[",
                                          NULL};
/* gpt-oss tokens llama.cpp always renders (it turns them into user-defined tokens) */
static const char *const k_always_rendered_texts[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>", NULL};

static int32_t find_cstr(const g4_vocab *v, const char *s) {
    return g4_vocab_find(v, s, strlen(s));
}

/* llama.cpp scans its hash map and takes the first token whose text is in the list; the scan order
 * of a hash map is arbitrary, so this takes the lowest id (the lists rarely match twice). */
static void detect_role(g4_vocab *v, g4_special role, const char *const *texts) {
    if (v->special_id[role] >= 0) return;
    int32_t best = -1;
    for (int i = 0; texts[i]; i++) {
        int32_t id = find_cstr(v, texts[i]);
        if (id >= 0 && (best < 0 || id < best)) best = id;
    }
    if (best >= 0) {
        v->special_id[role] = best;
        v->attr[best] |= G4_TOKEN_ATTR_CONTROL; /* "control-looking token ... will be overridden" */
    }
}

static bool eog_has(const int32_t *set, int32_t n, int32_t id) {
    for (int32_t i = 0; i < n; i++)
        if (set[i] == id) return true;
    return false;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static gemma4_status build_eog(g4_vocab *v, g4_error *err) {
    int n_texts = 0;
    while (k_eog_texts[n_texts]) n_texts++;
    /* fim_pad/rep/sep + the texts + eos/eot/eom: a small set, kept as an array */
    int32_t *set = malloc(((size_t)n_texts + 6) * sizeof *set);
    if (!set) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for the end-of-generation set");
    int32_t n = 0;
    const g4_special fim_roles[] = {G4_SPECIAL_FIM_PAD, G4_SPECIAL_FIM_REP, G4_SPECIAL_FIM_SEP};
    for (int i = 0; i < 3; i++) {
        int32_t id = v->special_id[fim_roles[i]];
        if (id >= 0 && !eog_has(set, n, id)) set[n++] = id;
    }
    for (int i = 0; k_eog_texts[i]; i++) {
        int32_t id = find_cstr(v, k_eog_texts[i]);
        if (id < 0) continue;
        if (!eog_has(set, n, id)) set[n++] = id;
        v->attr[id] |= G4_TOKEN_ATTR_CONTROL;
    }
    for (int i = 0; k_always_rendered_texts[i]; i++) {
        int32_t id = find_cstr(v, k_always_rendered_texts[i]);
        if (id >= 0) v->attr[id] = G4_TOKEN_ATTR_USER_DEFINED;
    }
    const g4_special end_roles[] = {G4_SPECIAL_EOS, G4_SPECIAL_EOT, G4_SPECIAL_EOM};
    for (int i = 0; i < 3; i++) {
        int32_t id = v->special_id[end_roles[i]];
        if (id >= 0 && !eog_has(set, n, id)) set[n++] = id;
    }

    /* o200k_harmony / solar-open: "<|end|>" ends a message, not the generation */
    bool has_return = false, has_call = false, has_flush = false;
    int32_t end_id = -1;
    for (int32_t i = 0; i < n; i++) {
        const char *t = token_text(v, set[i]);
        if (strcmp(t, "<|return|>") == 0)
            has_return = true;
        else if (strcmp(t, "<|call|>") == 0 || strcmp(t, "<|calls|>") == 0)
            has_call = true;
        else if (strcmp(t, "<|flush|>") == 0)
            has_flush = true;
        else if (strcmp(t, "<|end|>") == 0)
            end_id = set[i];
    }
    if (end_id >= 0 && has_call && (has_return || has_flush)) {
        for (int32_t i = 0; i < n; i++)
            if (set[i] == end_id) set[i--] = set[--n];
        v->attr[end_id] = G4_TOKEN_ATTR_USER_DEFINED;
    }

    /* Gemma 4 (and paddleocr): "</s>" is an HTML strike-through tag there, not an end marker */
    bool has_tool_response = false;
    int32_t s_id = -1;
    for (int32_t i = 0; i < n; i++) {
        const char *t = token_text(v, set[i]);
        if (strcmp(t, "<|tool_response>") == 0)
            has_tool_response = true;
        else if (strcmp(t, "</s>") == 0)
            s_id = set[i];
    }
    if (has_tool_response && s_id >= 0) {
        for (int32_t i = 0; i < n; i++)
            if (set[i] == s_id) set[i--] = set[--n];
        v->attr[s_id] = G4_TOKEN_ATTR_NORMAL;
    }

    qsort(set, (size_t)n, sizeof *set, cmp_i32);
    v->eog = set;
    v->n_eog = n;
    return GEMMA4_OK;
}

/* Longest first, as llama.cpp sorts its special-token cache; that order is what decides which of
 * two overlapping special tokens wins. Among equal lengths std::sort leaves the order unspecified,
 * which matters only for two equally long special tokens that overlap in the text (Gemma 4 has
 * none): here the lower id goes first. A counting sort on the length keeps ids ascending within a
 * length and stays linear for vocabularies with thousands of unused control tokens. */
static gemma4_status sort_specials(const g4_vocab *v, int32_t *ids, int32_t n, g4_error *err) {
    size_t max_len = (size_t)v->max_token_len;
    uint32_t *start = calloc(max_len + 2, sizeof *start);
    int32_t *tmp = malloc((size_t)(n ? n : 1) * sizeof *tmp);
    if (!start || !tmp) {
        free(start);
        free(tmp);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory sorting %" PRId32 " special tokens", n);
    }
    for (int32_t i = 0; i < n; i++) start[max_len - g4_vocab_text_len(v, ids[i]) + 1]++;
    for (size_t k = 1; k <= max_len + 1; k++) start[k] += start[k - 1];
    for (int32_t i = 0; i < n; i++) tmp[start[max_len - g4_vocab_text_len(v, ids[i])]++] = ids[i];
    memcpy(ids, tmp, (size_t)n * sizeof *ids);
    free(start);
    free(tmp);
    return GEMMA4_OK;
}

static inline uint32_t edge_hash(uint64_t key) {
    return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32);
}

static gemma4_status build_specials(g4_vocab *v, g4_error *err) {
    const uint16_t want = G4_TOKEN_ATTR_CONTROL | G4_TOKEN_ATTR_USER_DEFINED | G4_TOKEN_ATTR_UNKNOWN;
    int32_t n = 0;
    uint64_t bytes = 0;
    for (int32_t id = 0; id < v->n_tokens; id++)
        if (v->attr[id] & want) {
            n++;
            bytes += g4_vocab_text_len(v, id);
        }
    if (bytes >= (1u << 24))
        return g4_fail(err, GEMMA4_ERR_FORMAT,
                       "tokenizer: %" PRId32 " special tokens with %" PRIu64 " bytes of text are too many", n, bytes);
    v->special_order = malloc((size_t)(n ? n : 1) * sizeof *v->special_order);
    g4_special_trie *t = &v->trie;
    uint64_t cap = 16;
    while (cap < 2 * (bytes + 1)) cap <<= 1;
    t->edges = calloc((size_t)cap, sizeof *t->edges);
    t->edge_mask = (uint32_t)(cap - 1);
    t->node_rank = malloc(((size_t)bytes + 1) * sizeof *t->node_rank);
    if (!v->special_order || !t->edges || !t->node_rank)
        return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for %" PRId32 " special tokens", n);
    n = 0;
    for (int32_t id = 0; id < v->n_tokens; id++)
        if (v->attr[id] & want) v->special_order[n++] = id;
    v->n_special = n;
    gemma4_status st = sort_specials(v, v->special_order, n, err);
    if (st != GEMMA4_OK) return st;

    t->n_nodes = 1;
    t->node_rank[0] = -1;
    for (int32_t r = 0; r < n; r++) {
        const uint8_t *s = (const uint8_t *)token_text(v, v->special_order[r]);
        uint32_t len = g4_vocab_text_len(v, v->special_order[r]);
        uint32_t node = 0;
        t->first_byte[s[0]] = true;
        for (uint32_t k = 0; k < len; k++) {
            uint64_t key = (uint64_t)node << 8 | s[k];
            uint32_t i = edge_hash(key) & t->edge_mask;
            for (;; i = (i + 1) & t->edge_mask) {
                uint64_t e = t->edges[i];
                if (e == 0) {
                    uint32_t child = t->n_nodes++;
                    t->node_rank[child] = -1;
                    t->edges[i] = (key + 1) << 32 | child;
                    node = child;
                    break;
                }
                if ((e >> 32) == key + 1) {
                    node = (uint32_t)e;
                    break;
                }
            }
        }
        t->node_rank[node] = r; /* texts are unique, so no two tokens end at the same node */
    }
    return GEMMA4_OK;
}

/* What llama_token_to_piece returns with special = true, for every token (llama.cpp's cache). */
static gemma4_status build_pieces(g4_vocab *v, g4_error *err) {
    int32_t n = v->n_tokens;
    v->pieces = malloc(v->text_off[n]);
    v->piece_off = malloc(((size_t)n + 1) * sizeof *v->piece_off);
    if (!v->pieces || !v->piece_off) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for token pieces");
    uint32_t off = 0, max_len = 0;
    for (int32_t id = 0; id < n; id++) {
        const char *s = token_text(v, id);
        uint32_t len = g4_vocab_text_len(v, id);
        uint16_t a = v->attr[id];
        char *dst = v->pieces + off;
        uint32_t m = 0;
        v->piece_off[id] = off;
        if (a & (G4_TOKEN_ATTR_UNKNOWN | G4_TOKEN_ATTR_CONTROL | G4_TOKEN_ATTR_USER_DEFINED)) {
            memcpy(dst, s, len);
            m = len;
        } else if (a & G4_TOKEN_ATTR_NORMAL) {
            for (uint32_t i = 0; i < len; i++) {
                if (i + 2 < len && (uint8_t)s[i] == 0xE2 && (uint8_t)s[i + 1] == 0x96 && (uint8_t)s[i + 2] == 0x81) {
                    dst[m++] = ' ';
                    i += 2;
                } else {
                    dst[m++] = s[i];
                }
            }
        } else if (a & G4_TOKEN_ATTR_BYTE) {
            /* llama.cpp: strtol(text.substr(3, 2), 16); a text shorter than 3 bytes makes
             * substr throw and the model fail to load */
            if (len < 3)
                return g4_fail(err, GEMMA4_ERR_FORMAT, "tokenizer: byte token %" PRId32 " has text '%s', not <0xNN>",
                               id, s);
            char hex[3] = {0, 0, 0};
            memcpy(hex, s + 3, len - 3 < 2 ? len - 3 : 2);
            dst[m++] = (char)(unsigned char)strtol(hex, NULL, 16);
        }
        dst[m] = '\0';
        off += m + 1;
        if (m > max_len) max_len = m;
    }
    v->piece_off[n] = off;
    v->max_piece_len = max_len;
    return GEMMA4_OK;
}

gemma4_status g4_vocab_build(const g4_vocab_spec *spec, g4_vocab **out, g4_error *err) {
    if (!out) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "g4_vocab_build: out is NULL");
    *out = NULL;
    if (!spec) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "g4_vocab_build: spec is NULL");
    if (!spec->model) return g4_fail(err, GEMMA4_ERR_FORMAT, "key 'tokenizer.ggml.model' missing");
    if (strcmp(spec->model, "gemma4") != 0)
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED, "tokenizer.ggml.model '%.64s' is not supported (only 'gemma4')",
                       spec->model);
    if (spec->n_tokens == 0 || !spec->tokens) return g4_fail(err, GEMMA4_ERR_FORMAT, "tokenizer.ggml.tokens is empty");
    if (spec->n_tokens > INT32_MAX)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "tokenizer.ggml.tokens: %" PRIu32 " tokens is too many", spec->n_tokens);
    if (spec->n_merges && !spec->merges) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "g4_vocab_build: merges is NULL");

    g4_vocab *v = calloc(1, sizeof *v);
    if (!v) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for the vocabulary");
    int32_t n = (int32_t)spec->n_tokens;
    v->n_tokens = n;
    gemma4_status st = copy_texts(v, spec, err);
    if (st != GEMMA4_OK) goto fail;

    v->scores = malloc((size_t)n * sizeof *v->scores);
    v->attr = malloc((size_t)n * sizeof *v->attr);
    if (!v->scores || !v->attr) {
        st = g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for %" PRId32 " token attributes", n);
        goto fail;
    }
    for (int32_t i = 0; i < n; i++) {
        v->scores[i] = spec->scores ? spec->scores[i] : 0.0f;
        v->attr[i] = spec->token_types ? attr_from_type(spec->token_types[i]) : G4_TOKEN_ATTR_NORMAL;
    }
    if ((st = index_tokens(v, err)) != GEMMA4_OK) goto fail;
    if ((st = index_merges(v, spec, err)) != GEMMA4_OK) goto fail;

    /* an id outside the vocabulary is ignored ("bad special token ... using default id") and the
     * gemma4 defaults are all "none" */
    for (int i = 0; i < G4_SPECIAL_COUNT; i++) {
        int64_t id = spec->special_ids[i];
        v->special_id[i] = (id >= 0 && id < n) ? (int32_t)id : -1;
    }
    /* llama.cpp forces add_bos for Gemma 4 whatever the file says (its PR 21500) */
    v->add_bos = true;
    v->add_eos = spec->add_eos == 1;
    v->add_sep = spec->add_sep == 1;
    v->add_space_prefix = spec->add_space_prefix == 1;

    detect_role(v, G4_SPECIAL_EOT, k_eot_texts);
    detect_role(v, G4_SPECIAL_EOM, k_eom_texts);
    detect_role(v, G4_SPECIAL_FIM_PRE, k_fim_pre_texts);
    detect_role(v, G4_SPECIAL_FIM_SUF, k_fim_suf_texts);
    detect_role(v, G4_SPECIAL_FIM_MID, k_fim_mid_texts);
    detect_role(v, G4_SPECIAL_FIM_PAD, k_fim_pad_texts);
    detect_role(v, G4_SPECIAL_FIM_REP, k_fim_rep_texts);
    detect_role(v, G4_SPECIAL_FIM_SEP, k_fim_sep_texts);
    for (int32_t id = 0; id < n; id++)
        if ((v->attr[id] & G4_TOKEN_ATTR_CONTROL) && strstr(token_text(v, id), "unused"))
            v->attr[id] |= G4_TOKEN_ATTR_UNUSED;
    if ((st = build_eog(v, err)) != GEMMA4_OK) goto fail;
    if ((st = build_specials(v, err)) != GEMMA4_OK) goto fail;
    if ((st = build_pieces(v, err)) != GEMMA4_OK) goto fail;
    for (int b = 0; b < 256; b++) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        v->byte_token[b] = find_cstr(v, name);
    }
    *out = v;
    return GEMMA4_OK;
fail:
    g4_vocab_free(v);
    return st;
}

/* ---------------------------------------------------------------------------------------------- */
/* Loading from a GGUF                                                                             */
/* ---------------------------------------------------------------------------------------------- */

/* llama.cpp reads these with an exact type; a key of another type stops the load. */
static gemma4_status check_type(const g4_gguf *f, const char *key, g4_gguf_vtype want, const g4_gguf_value **out,
                                g4_error *err) {
    const g4_gguf_value *val = g4_gguf_find(f, key);
    *out = val;
    if (val && val->type != want)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' has type %s, want %s", key, g4_gguf_vtype_name(val->type),
                       g4_gguf_vtype_name(want));
    return GEMMA4_OK;
}

static gemma4_status get_string_array(const g4_gguf *f, const char *key, const g4_gguf_value **out, g4_error *err) {
    gemma4_status st = check_type(f, key, G4_GGUF_ARRAY, out, err);
    if (st != GEMMA4_OK) return st;
    if (*out && (*out)->elem_type != G4_GGUF_STRING)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' is an array of %s, want string", key,
                       g4_gguf_vtype_name((*out)->elem_type));
    return GEMMA4_OK;
}

static gemma4_status read_flag(const g4_gguf *f, const char *key, int8_t *out, g4_error *err) {
    const g4_gguf_value *val;
    gemma4_status st = check_type(f, key, G4_GGUF_BOOL, &val, err);
    if (st == GEMMA4_OK && val) *out = val->v.b ? 1 : 0;
    return st;
}

/* A special id key: absent keeps the current value, an id outside the vocabulary is ignored. */
static gemma4_status read_id(const g4_gguf *f, const char *key, uint32_t n_tokens, int64_t *id, g4_error *err) {
    const g4_gguf_value *val;
    gemma4_status st = check_type(f, key, G4_GGUF_UINT32, &val, err);
    if (st == GEMMA4_OK && val && val->v.u64 < n_tokens) *id = (int64_t)val->v.u64;
    return st;
}

gemma4_status g4_vocab_load(const g4_gguf *f, g4_vocab **out, g4_error *err) {
    if (!out) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "g4_vocab_load: out is NULL");
    *out = NULL;
    if (!f) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "g4_vocab_load: file is NULL");

    const g4_gguf_value *model, *tokens, *merges, *scores, *types, *val;
    gemma4_status st = check_type(f, "tokenizer.ggml.model", G4_GGUF_STRING, &model, err);
    if (st != GEMMA4_OK) return st;
    if (!model) return g4_fail(err, GEMMA4_ERR_FORMAT, "key 'tokenizer.ggml.model' missing");
    if (!g4_str_eq(model->v.str, "gemma4"))
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED, "tokenizer.ggml.model '%.*s' is not supported (only 'gemma4')",
                       (int)(model->v.str.len > 64 ? 64 : model->v.str.len), model->v.str.ptr);

    /* keys llama.cpp reads for every vocabulary: a wrong type fails its load too */
    static const struct {
        const char *key;
        g4_gguf_vtype type;
    } typed[] = {
        {"tokenizer.ggml.pre", G4_GGUF_STRING},
        {"tokenizer.ggml.token_type_count", G4_GGUF_UINT32},
        {"tokenizer.ggml.remove_extra_whitespaces", G4_GGUF_BOOL},
        {"tokenizer.ggml.normalizer.lowercase", G4_GGUF_BOOL},
        {"tokenizer.ggml.normalizer.strip_accents", G4_GGUF_BOOL},
    };
    for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++)
        if ((st = check_type(f, typed[i].key, typed[i].type, &val, err)) != GEMMA4_OK) return st;

    if ((st = get_string_array(f, "tokenizer.ggml.tokens", &tokens, err)) != GEMMA4_OK) return st;
    if (!tokens) return g4_fail(err, GEMMA4_ERR_FORMAT, "key 'tokenizer.ggml.tokens' missing");
    if (tokens->count > INT32_MAX)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "tokenizer.ggml.tokens: %" PRIu64 " tokens is too many", tokens->count);
    uint32_t n = (uint32_t)tokens->count;
    if ((st = get_string_array(f, "tokenizer.ggml.merges", &merges, err)) != GEMMA4_OK) return st;
    if (!merges)
        return g4_fail(err, GEMMA4_ERR_FORMAT,
                       "key 'tokenizer.ggml.merges' missing (a gemma4 tokenizer needs its BPE merges)");
    if (merges->count > INT32_MAX)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "tokenizer.ggml.merges: %" PRIu64 " merges is too many", merges->count);

    if ((st = check_type(f, "tokenizer.ggml.scores", G4_GGUF_ARRAY, &scores, err)) != GEMMA4_OK) return st;
    if (scores) {
        if (scores->elem_type != G4_GGUF_FLOAT32 && scores->elem_type != G4_GGUF_INT32)
            return g4_fail(err, GEMMA4_ERR_FORMAT, "key 'tokenizer.ggml.scores' is an array of %s, want f32 or i32",
                           g4_gguf_vtype_name(scores->elem_type));
        if (scores->count < n)
            return g4_fail(err, GEMMA4_ERR_FORMAT,
                           "tokenizer.ggml.scores has %" PRIu64 " entries for %" PRIu32 " tokens", scores->count, n);
    }
    if ((st = check_type(f, "tokenizer.ggml.token_type", G4_GGUF_ARRAY, &types, err)) != GEMMA4_OK) return st;
    if (types) {
        if (types->elem_type != G4_GGUF_INT32)
            return g4_fail(err, GEMMA4_ERR_FORMAT, "key 'tokenizer.ggml.token_type' is an array of %s, want i32",
                           g4_gguf_vtype_name(types->elem_type));
        if (types->count < n)
            return g4_fail(err, GEMMA4_ERR_FORMAT,
                           "tokenizer.ggml.token_type has %" PRIu64 " entries for %" PRIu32 " tokens", types->count, n);
    }
    if ((st = check_type(f, "tokenizer.ggml.suppress_tokens", G4_GGUF_ARRAY, &val, err)) != GEMMA4_OK) return st;
    if (val && val->elem_type != G4_GGUF_INT32)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key 'tokenizer.ggml.suppress_tokens' is an array of %s, want i32",
                       g4_gguf_vtype_name(val->elem_type));

    g4_vocab_spec spec;
    g4_vocab_spec_init(&spec);
    spec.model = "gemma4";
    spec.n_tokens = n;
    spec.tokens = tokens->strs;
    spec.n_merges = (uint32_t)merges->count;
    spec.merges = merges->strs;

    static const char *const id_keys[G4_SPECIAL_COUNT] = {
        [G4_SPECIAL_BOS] = "tokenizer.ggml.bos_token_id",
        [G4_SPECIAL_EOS] = "tokenizer.ggml.eos_token_id",
        [G4_SPECIAL_EOT] = "tokenizer.ggml.eot_token_id",
        [G4_SPECIAL_EOM] = "tokenizer.ggml.eom_token_id",
        [G4_SPECIAL_UNK] = "tokenizer.ggml.unknown_token_id",
        [G4_SPECIAL_SEP] = "tokenizer.ggml.seperator_token_id",
        [G4_SPECIAL_PAD] = "tokenizer.ggml.padding_token_id",
        [G4_SPECIAL_MASK] = "tokenizer.ggml.mask_token_id",
        [G4_SPECIAL_FIM_PRE] = "tokenizer.ggml.fim_pre_token_id",
        [G4_SPECIAL_FIM_SUF] = "tokenizer.ggml.fim_suf_token_id",
        [G4_SPECIAL_FIM_MID] = "tokenizer.ggml.fim_mid_token_id",
        [G4_SPECIAL_FIM_PAD] = "tokenizer.ggml.fim_pad_token_id",
        [G4_SPECIAL_FIM_REP] = "tokenizer.ggml.fim_rep_token_id",
        [G4_SPECIAL_FIM_SEP] = "tokenizer.ggml.fim_sep_token_id",
    };
    for (int i = 0; i < G4_SPECIAL_COUNT; i++)
        if ((st = read_id(f, id_keys[i], n, &spec.special_ids[i], err)) != GEMMA4_OK) return st;
    /* the deprecated names, read after the current ones as llama.cpp does */
    if ((st = read_id(f, "tokenizer.ggml.prefix_token_id", n, &spec.special_ids[G4_SPECIAL_FIM_PRE], err)) !=
            GEMMA4_OK ||
        (st = read_id(f, "tokenizer.ggml.suffix_token_id", n, &spec.special_ids[G4_SPECIAL_FIM_SUF], err)) !=
            GEMMA4_OK ||
        (st = read_id(f, "tokenizer.ggml.middle_token_id", n, &spec.special_ids[G4_SPECIAL_FIM_MID], err)) != GEMMA4_OK)
        return st;
    if ((st = read_flag(f, "tokenizer.ggml.add_bos_token", &spec.add_bos, err)) != GEMMA4_OK ||
        (st = read_flag(f, "tokenizer.ggml.add_eos_token", &spec.add_eos, err)) != GEMMA4_OK ||
        (st = read_flag(f, "tokenizer.ggml.add_sep_token", &spec.add_sep, err)) != GEMMA4_OK ||
        (st = read_flag(f, "tokenizer.ggml.add_space_prefix", &spec.add_space_prefix, err)) != GEMMA4_OK)
        return st;

    float *fscores = NULL;
    int32_t *itypes = NULL;
    if (scores) {
        fscores = malloc((size_t)n * sizeof *fscores);
        if (!fscores) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for %" PRIu32 " token scores", n);
        if (scores->elem_type == G4_GGUF_FLOAT32)
            for (uint32_t i = 0; i < n; i++) fscores[i] = (float)g4_gguf_arr_f64(scores, i);
        else
            for (uint32_t i = 0; i < n; i++) fscores[i] = (float)g4_gguf_arr_i64(scores, i);
        spec.scores = fscores;
    }
    if (types) {
        itypes = malloc((size_t)n * sizeof *itypes);
        if (!itypes) {
            free(fscores);
            return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for %" PRIu32 " token types", n);
        }
        for (uint32_t i = 0; i < n; i++) itypes[i] = (int32_t)g4_gguf_arr_i64(types, i);
        spec.token_types = itypes;
    }
    st = g4_vocab_build(&spec, out, err);
    free(fscores);
    free(itypes);
    return st;
}

/* ---------------------------------------------------------------------------------------------- */
/* Accessors                                                                                       */
/* ---------------------------------------------------------------------------------------------- */

int32_t g4_vocab_n_tokens(const g4_vocab *v) {
    return v ? v->n_tokens : 0;
}
int32_t g4_vocab_n_merges(const g4_vocab *v) {
    return v ? v->n_merges : 0;
}
int32_t g4_vocab_max_token_len(const g4_vocab *v) {
    return v ? v->max_token_len : 0;
}

const char *g4_vocab_text(const g4_vocab *v, int32_t id, size_t *len) {
    if (!v || id < 0 || id >= v->n_tokens) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = g4_vocab_text_len(v, id);
    return token_text(v, id);
}

uint32_t g4_vocab_attr(const g4_vocab *v, int32_t id) {
    return (v && id >= 0 && id < v->n_tokens) ? v->attr[id] : 0;
}

float g4_vocab_score(const g4_vocab *v, int32_t id) {
    return (v && id >= 0 && id < v->n_tokens) ? v->scores[id] : 0.0f;
}

int32_t g4_vocab_special(const g4_vocab *v, g4_special role) {
    return (v && (int)role >= 0 && role < G4_SPECIAL_COUNT) ? v->special_id[role] : -1;
}

bool g4_vocab_add_bos(const g4_vocab *v) {
    return v && v->add_bos;
}
bool g4_vocab_add_eos(const g4_vocab *v) {
    return v && v->add_eos;
}

bool g4_vocab_is_eog(const g4_vocab *v, int32_t id) {
    if (!v || id < 0) return false;
    int32_t lo = 0, hi = v->n_eog;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (v->eog[mid] == id) return true;
        if (v->eog[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

int32_t g4_vocab_n_eog(const g4_vocab *v) {
    return v ? v->n_eog : 0;
}

int32_t g4_vocab_eog_at(const g4_vocab *v, int32_t i) {
    return (v && i >= 0 && i < v->n_eog) ? v->eog[i] : -1;
}
