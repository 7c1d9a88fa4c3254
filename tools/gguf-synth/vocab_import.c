/*
 * A vocabulary from a Hugging Face tokenizer.json (BPE model), arranged as llama.cpp's converter
 * arranges Gemma 4's: token types BYTE for <0xNN>, CONTROL for added tokens marked special,
 * NORMAL otherwise, then the Gemma 4 specials with their own types (vocab.h). Added tokens past
 * the base vocabulary (Gemma 3's <image_soft_token>) are dropped: Gemma 4 keeps its media tokens
 * inside the 262144 ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "vocab.h"
#include "vocab_index.h"

#define MAX_IMPORT_TOKENS (16u * 1024 * 1024)

static gemma4_status read_file(const char *path, char **out, size_t *out_len, g4_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return g4_fail(err, GEMMA4_ERR_IO, "cannot open '%s'", path);
    size_t cap = 1u << 20, len = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        const size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len < cap) break;
        char *bigger = cap < (SIZE_MAX - 1) / 2 ? realloc(buf, cap * 2 + 1) : NULL;
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    const bool read_error = ferror(f) != 0;
    fclose(f);
    if (!buf) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory reading '%s'", path);
    if (read_error) {
        free(buf);
        return g4_fail(err, GEMMA4_ERR_IO, "error reading '%s'", path);
    }
    buf[len] = 0;
    *out = buf;
    *out_len = len;
    return GEMMA4_OK;
}

static bool is_byte_token(const char *s) {
    static const char hex[] = "0123456789abcdefABCDEF";
    return strlen(s) == 6 && s[0] == '<' && s[1] == '0' && s[2] == 'x' && strchr(hex, s[3]) && strchr(hex, s[4]) &&
           s[5] == '>';
}

/* <unusedN>, or one of Gemma 3's markers whose ids Gemma 4 reuses. */
static bool is_free_slot(const char *s) {
    if (strcmp(s, "<start_of_turn>") == 0 || strcmp(s, "<end_of_turn>") == 0 || strcmp(s, "<start_of_image>") == 0 ||
        strcmp(s, "<end_of_image>") == 0)
        return true;
    if (strncmp(s, "<unused", 7) != 0) return false;
    const char *d = s + 7;
    if (*d < '0' || *d > '9') return false;
    while (*d >= '0' && *d <= '9') d++;
    return strcmp(d, ">") == 0;
}

static gemma4_status set_text(synth_vocab *v, uint32_t id, const char *text, size_t len, const char *path,
                              g4_error *err) {
    if (strlen(text) != len)
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED,
                       "%s: token %u contains a NUL character (GGUF strings here are C strings)", path, id);
    char *copy = strdup(text);
    if (!copy) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory");
    free(v->tokens[id]);
    v->tokens[id] = copy;
    return GEMMA4_OK;
}

static gemma4_status place_specials(synth_vocab *v, const char *path, g4_error *err) {
    bool *claimed = calloc(v->n_tokens, sizeof *claimed);
    if (!claimed) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory");
    gemma4_status st = GEMMA4_OK;
    uint32_t next_unused = 0;
    for (size_t k = 0; k < synth_gemma4_n_specials && st == GEMMA4_OK; k++) {
        const synth_special *sp = &synth_gemma4_specials[k];
        int64_t id = -1;
        for (uint32_t i = 0; i < v->n_tokens && id < 0; i++)
            if (strcmp(v->tokens[i], sp->text) == 0) id = i;
        if (id < 0 && sp->id < v->n_tokens && !claimed[sp->id] && is_free_slot(v->tokens[sp->id])) id = sp->id;
        while (id < 0 && next_unused < v->n_tokens) {
            const uint32_t i = next_unused++;
            if (!claimed[i] && strncmp(v->tokens[i], "<unused", 7) == 0 && is_free_slot(v->tokens[i])) id = i;
        }
        if (id < 0) {
            st = g4_fail(err, GEMMA4_ERR_UNSUPPORTED, "%s: no free <unusedN> id left for Gemma 4 token '%s'", path,
                         sp->text);
            break;
        }
        claimed[id] = true;
        st = set_text(v, (uint32_t)id, sp->text, strlen(sp->text), path, err);
        v->types[id] = sp->type;
    }
    free(claimed);
    return st;
}

static gemma4_status import_merges(synth_vocab *v, const sj_value *merges, const char *path, g4_error *err) {
    if (!merges || merges->kind != SJ_ARRAY) return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: model.merges missing", path);
    v->merges = calloc(merges->n + 1, sizeof *v->merges);
    if (!v->merges) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < merges->n; i++) {
        const sj_value *m = &merges->items[i];
        char *s = NULL;
        if (m->kind == SJ_STRING) {
            if (strlen(m->str) != m->len || !strchr(m->str, ' '))
                return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: merge %zu is not \"left right\"", path, i);
            s = strdup(m->str);
        } else if (m->kind == SJ_ARRAY && m->n == 2 && m->items[0].kind == SJ_STRING && m->items[1].kind == SJ_STRING) {
            /* The pair form allows spaces inside a side; like the converter, write them as U+0120. */
            const size_t cap = 2 * (m->items[0].len + m->items[1].len) + 2;
            s = malloc(cap);
            if (s) {
                size_t n = 0;
                for (int side = 0; side < 2; side++) {
                    const sj_value *part = &m->items[side];
                    if (strlen(part->str) != part->len) {
                        free(s);
                        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED, "%s: merge %zu contains a NUL character", path, i);
                    }
                    for (size_t j = 0; j < part->len; j++) {
                        if (part->str[j] == ' ') {
                            s[n++] = (char)0xc4;
                            s[n++] = (char)0xa0;
                        } else {
                            s[n++] = part->str[j];
                        }
                    }
                    if (side == 0) s[n++] = ' ';
                }
                s[n] = 0;
            }
        } else {
            return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: merge %zu is neither a string nor a pair of strings", path, i);
        }
        if (!s) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory");
        v->merges[v->n_merges++] = s;
    }
    return GEMMA4_OK;
}

static gemma4_status import_doc(synth_vocab *v, const sj_value *root, const char *path, g4_error *err) {
    const sj_value *model = sj_get(root, "model");
    const sj_value *type = sj_get(model, "type");
    const sj_value *vocab = sj_get(model, "vocab");
    if (!model || (type && (type->kind != SJ_STRING || strcmp(type->str, "BPE") != 0)))
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED, "%s: model.type must be \"BPE\"", path);
    if (!vocab || vocab->kind != SJ_OBJECT || vocab->n == 0)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: model.vocab missing or empty", path);

    uint32_t n = 0;
    for (size_t i = 0; i < vocab->n; i++) {
        const sj_value *id = &vocab->items[i];
        if (id->kind != SJ_NUMBER || id->num < 0 || id->num >= MAX_IMPORT_TOKENS ||
            id->num != (double)(uint32_t)id->num)
            return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: vocab entry '%s' has a bad id", path, vocab->keys[i]);
        if ((uint32_t)id->num + 1 > n) n = (uint32_t)id->num + 1;
    }
    v->n_tokens = n;
    v->tokens = calloc(n, sizeof *v->tokens);
    v->types = malloc(n * sizeof *v->types);
    v->scores = malloc(n * sizeof *v->scores);
    if (!v->tokens || !v->types || !v->scores) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        v->types[i] = SYNTH_TOK_NORMAL;
        v->scores[i] = -1000.0f;
    }
    gemma4_status st = GEMMA4_OK;
    for (size_t i = 0; i < vocab->n && st == GEMMA4_OK; i++) {
        const uint32_t id = (uint32_t)vocab->items[i].num;
        if (v->tokens[id]) return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: id %u appears twice in model.vocab", path, id);
        st = set_text(v, id, vocab->keys[i], vocab->key_lens[i], path, err);
    }
    for (uint32_t i = 0; i < n && st == GEMMA4_OK; i++)
        if (!v->tokens[i]) st = g4_fail(err, GEMMA4_ERR_FORMAT, "%s: model.vocab has no token with id %u", path, i);

    const sj_value *added = sj_get(root, "added_tokens");
    uint32_t dropped = 0;
    for (size_t i = 0; added && added->kind == SJ_ARRAY && i < added->n && st == GEMMA4_OK; i++) {
        const sj_value *id = sj_get(&added->items[i], "id");
        const sj_value *content = sj_get(&added->items[i], "content");
        const sj_value *special = sj_get(&added->items[i], "special");
        if (!id || id->kind != SJ_NUMBER || !content || content->kind != SJ_STRING)
            return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: added_tokens[%zu] needs an id and a content", path, i);
        if (id->num < 0 || id->num >= n || id->num != (double)(uint32_t)id->num) {
            dropped++;
            continue;
        }
        st = set_text(v, (uint32_t)id->num, content->str, content->len, path, err);
        if (special && special->kind == SJ_BOOL && special->b) v->types[(uint32_t)id->num] = SYNTH_TOK_CONTROL;
    }
    if (dropped) fprintf(stderr, "gguf-synth: %s: dropped %u added token(s) past the base vocabulary\n", path, dropped);
    for (uint32_t i = 0; i < n && st == GEMMA4_OK; i++)
        if (is_byte_token(v->tokens[i])) v->types[i] = SYNTH_TOK_BYTE;
    if (st == GEMMA4_OK) st = place_specials(v, path, err);
    if (st == GEMMA4_OK) st = import_merges(v, sj_get(model, "merges"), path, err);
    if (st != GEMMA4_OK) return st;

    /* Duplicate texts would make llama.cpp's text -> id map ambiguous. */
    synth_vocab_index ix;
    if (!synth_vocab_index_init(&ix, v->tokens, n)) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < n && st == GEMMA4_OK; i++) {
        const int64_t other = synth_vocab_index_find(&ix, v->tokens[i]);
        if (other >= 0)
            st = g4_fail(err, GEMMA4_ERR_FORMAT, "%s: token '%s' appears at ids %lld and %u", path, v->tokens[i],
                         (long long)other, i);
        else
            synth_vocab_index_add(&ix, i);
    }
    if (st == GEMMA4_OK) {
        const int64_t bos = synth_vocab_index_find(&ix, "<bos>"), eos = synth_vocab_index_find(&ix, "<eos>");
        const int64_t unk = synth_vocab_index_find(&ix, "<unk>"), pad = synth_vocab_index_find(&ix, "<pad>");
        if (bos < 0 || eos < 0 || unk < 0 || pad < 0)
            st = g4_fail(err, GEMMA4_ERR_FORMAT, "%s: the vocabulary needs <bos>, <eos>, <unk> and <pad>", path);
        v->bos = (uint32_t)bos;
        v->eos = (uint32_t)eos;
        v->unk = (uint32_t)unk;
        v->pad = (uint32_t)pad;
    }
    synth_vocab_index_free(&ix);
    return st;
}

gemma4_status synth_vocab_import(synth_vocab *v, const char *path, g4_error *err) {
    memset(v, 0, sizeof *v);
    char *text = NULL;
    size_t len = 0;
    gemma4_status st = read_file(path, &text, &len, err);
    if (st != GEMMA4_OK) return st;
    sj_doc *doc = sj_parse(text, len, err);
    if (!doc) {
        g4_error_prefix(err, "%s: ", path);
        free(text);
        return err ? err->status : GEMMA4_ERR_FORMAT;
    }
    st = import_doc(v, sj_root(doc), path, err);
    sj_free(doc);
    free(text);
    if (st != GEMMA4_OK) synth_vocab_free(v);
    return st;
}
