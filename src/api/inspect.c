/*
 * gemma4_inspect: a GGUF file described as JSON (the field list is the contract in gemma4.h).
 * The file is read with the GGUF reader, so a malformed file fails with the reader's message; a
 * well-formed file always yields JSON, and its "engine" section says whether libgemma4 can run it,
 * found out the way loading would: hyperparameters, weight binding and the tokenizer vocabulary
 * (no tensor data is read).
 */
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/utf8.h"
#include "gemma4.h"
#include "gguf/gguf.h"
#include "model/hparams.h"
#include "model/model.h"
#include "text/vocab.h"

/* ---- building JSON without losing track of a failed allocation ---------------------------------- */

typedef struct json_build {
    bool ok; /* false once any node could not be created or attached */
} json_build;

/* Attaches item to parent (under key, or appended when key is NULL); returns item or NULL. */
static cJSON *put(json_build *jb, cJSON *parent, const char *key, cJSON *item) {
    if (!item || !parent) {
        cJSON_Delete(item);
        jb->ok = false;
        return NULL;
    }
    bool added = key ? cJSON_AddItemToObject(parent, key, item) : cJSON_AddItemToArray(parent, item);
    if (!added) {
        cJSON_Delete(item);
        jb->ok = false;
        return NULL;
    }
    return item;
}

/* Integers are written exactly (cJSON's doubles would round u64 values past 2^53). */
static cJSON *json_u64(uint64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return cJSON_CreateRaw(buf);
}

static cJSON *json_i64(int64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return cJSON_CreateRaw(buf);
}

/* The shortest decimal that reads back as the same value (1e-06, not 9.9999999747524271e-07).
 * JSON has no NaN or infinity: those become null. */
static cJSON *json_real(double v, bool single) {
    if (!isfinite(v)) return cJSON_CreateNull();
    char buf[40];
    for (int digits = single ? 6 : 15; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (single ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v) break;
    }
    /* printf follows LC_NUMERIC; JSON always wants a '.'. */
    char point = localeconv()->decimal_point[0];
    for (char *p = buf; *p; p++)
        if (*p == point) *p = '.';
    return cJSON_CreateRaw(buf);
}

/* GGUF strings are bytes; JSON text must be UTF-8 without NULs: anything else becomes U+FFFD. */
static cJSON *json_string(const char *s, uint64_t len) {
    if (len > (SIZE_MAX - 1) / 3) return NULL;
    char *out = malloc((size_t)len * 3 + 1), *o = out;
    if (!out) return NULL;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = p[i] ? g4_utf8_decode(p + i, (size_t)len - i, NULL) : 0;
        if (n) {
            memcpy(o, p + i, n);
            o += n;
            i += n;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    *o = '\0';
    cJSON *item = cJSON_CreateString(out);
    free(out);
    return item;
}

/* ---- metadata ------------------------------------------------------------------------------------ */

static cJSON *json_value(json_build *jb, const g4_gguf_value *v, int max_array);

static cJSON *json_array_elem(json_build *jb, const g4_gguf_value *arr, uint64_t i, int max_array) {
    switch (arr->elem_type) {
    case G4_GGUF_UINT8:
    case G4_GGUF_UINT16:
    case G4_GGUF_UINT32:
    case G4_GGUF_UINT64:
        return json_u64(g4_gguf_arr_u64(arr, i));
    case G4_GGUF_INT8:
    case G4_GGUF_INT16:
    case G4_GGUF_INT32:
    case G4_GGUF_INT64:
        return json_i64(g4_gguf_arr_i64(arr, i));
    case G4_GGUF_FLOAT32:
        return json_real(g4_gguf_arr_f64(arr, i), true);
    case G4_GGUF_FLOAT64:
        return json_real(g4_gguf_arr_f64(arr, i), false);
    case G4_GGUF_BOOL:
        return cJSON_CreateBool(g4_gguf_arr_bool(arr, i));
    case G4_GGUF_STRING:
        return json_string(arr->strs[i].ptr, arr->strs[i].len);
    case G4_GGUF_ARRAY:
        return json_value(jb, &arr->items[i], max_array);
    default:
        return NULL;
    }
}

/* An array in full, or abbreviated to its first max_array items when longer. */
static cJSON *json_array(json_build *jb, const g4_gguf_value *arr, int max_array) {
    bool abbreviate = max_array > 0 && arr->count > (uint64_t)max_array;
    uint64_t shown = abbreviate ? (uint64_t)max_array : arr->count;
    cJSON *items = cJSON_CreateArray();
    for (uint64_t i = 0; i < shown && jb->ok; i++) put(jb, items, NULL, json_array_elem(jb, arr, i, max_array));
    if (!abbreviate) return items;
    cJSON *obj = cJSON_CreateObject();
    put(jb, obj, "type", cJSON_CreateString("array"));
    put(jb, obj, "elem_type", cJSON_CreateString(g4_gguf_vtype_name(arr->elem_type)));
    put(jb, obj, "count", json_u64(arr->count));
    put(jb, obj, "head", items);
    return obj;
}

static cJSON *json_value(json_build *jb, const g4_gguf_value *v, int max_array) {
    switch (v->type) {
    case G4_GGUF_UINT8:
    case G4_GGUF_UINT16:
    case G4_GGUF_UINT32:
    case G4_GGUF_UINT64:
        return json_u64(v->v.u64);
    case G4_GGUF_INT8:
    case G4_GGUF_INT16:
    case G4_GGUF_INT32:
    case G4_GGUF_INT64:
        return json_i64(v->v.i64);
    case G4_GGUF_FLOAT32:
        return json_real(v->v.f64, true);
    case G4_GGUF_FLOAT64:
        return json_real(v->v.f64, false);
    case G4_GGUF_BOOL:
        return cJSON_CreateBool(v->v.b);
    case G4_GGUF_STRING:
        return json_string(v->v.str.ptr, v->v.str.len);
    case G4_GGUF_ARRAY:
        return json_array(jb, v, max_array);
    default:
        return NULL;
    }
}

static void add_metadata(json_build *jb, cJSON *root, const g4_gguf *f, int max_array) {
    cJSON *meta = put(jb, root, "metadata", cJSON_CreateObject());
    for (int64_t i = 0; i < g4_gguf_n_kv(f) && jb->ok; i++) {
        const g4_gguf_kv *kv = g4_gguf_kv_at(f, i);
        cJSON *key = json_string(kv->key, strlen(kv->key)); /* keys need the same UTF-8 care */
        if (!key) {
            jb->ok = false;
            break;
        }
        put(jb, meta, key->valuestring, json_value(jb, &kv->value, max_array));
        cJSON_Delete(key);
    }
}

/* ---- tensors and their totals -------------------------------------------------------------------- */

/* llama.cpp's "effective" parameter count leaves out the tables that are looked up a row per token
 * rather than multiplied with: the token embeddings and Gemma's per-layer token embeddings. */
static bool is_embedding_table(const char *name) {
    return strcmp(name, "token_embd.weight") == 0 || strcmp(name, "per_layer_token_embd.weight") == 0;
}

/* Adds the totals to root and returns the tensor list (attached by the caller, after the metadata). */
static cJSON *add_tensors(json_build *jb, cJSON *root, const g4_gguf *f) {
    uint64_t n_params = 0, n_effective = 0, count[G4_TYPE_COUNT] = {0}, bytes[G4_TYPE_COUNT] = {0};
    cJSON *list = cJSON_CreateArray();
    for (int64_t i = 0; i < g4_gguf_n_tensors(f) && jb->ok; i++) {
        const g4_gguf_tensor *t = g4_gguf_tensor_at(f, i);
        uint64_t n = 1;
        for (int d = 0; d < t->n_dims; d++) n *= (uint64_t)t->ne[d]; /* the reader checked it fits */
        n_params += n;
        if (!is_embedding_table(t->name)) n_effective += n;
        count[t->type]++;
        bytes[t->type] += t->nbytes;

        cJSON *jt = put(jb, list, NULL, cJSON_CreateObject());
        put(jb, jt, "name", json_string(t->name, strlen(t->name)));
        put(jb, jt, "type", cJSON_CreateString(g4_type_name(t->type)));
        cJSON *shape = put(jb, jt, "shape", cJSON_CreateArray());
        for (int d = 0; d < t->n_dims; d++) put(jb, shape, NULL, json_i64(t->ne[d]));
        put(jb, jt, "offset", json_u64(t->offset));
        put(jb, jt, "bytes", json_u64(t->nbytes));
    }
    put(jb, root, "n_params", json_u64(n_params));
    put(jb, root, "n_params_effective", json_u64(n_effective));
    cJSON *types = put(jb, root, "tensor_types", cJSON_CreateObject());
    cJSON *type_bytes = put(jb, root, "bytes_per_type", cJSON_CreateObject());
    for (uint32_t ty = 0; ty < G4_TYPE_COUNT; ty++) {
        if (!count[ty]) continue;
        put(jb, types, g4_type_name(ty), json_u64(count[ty]));
        put(jb, type_bytes, g4_type_name(ty), json_u64(bytes[ty]));
    }
    return list;
}

/* ---- what the engine makes of it ------------------------------------------------------------------ */

static cJSON *json_u32_list(const uint32_t *v, uint32_t n) {
    cJSON *a = cJSON_CreateArray();
    for (uint32_t i = 0; i < n && a; i++)
        if (!cJSON_AddItemToArray(a, json_u64(v[i]))) {
            cJSON_Delete(a);
            return NULL;
        }
    return a;
}

static cJSON *json_hparams(json_build *jb, const g4_hparams *hp) {
    cJSON *h = cJSON_CreateObject();
    put(jb, h, "n_layer", json_u64(hp->n_layer));
    put(jb, h, "n_embd", json_u64(hp->n_embd));
    put(jb, h, "n_vocab", json_u64(hp->n_vocab));
    put(jb, h, "n_ctx_train", json_u64(hp->n_ctx_train));
    put(jb, h, "n_embd_per_layer", json_u64(hp->n_embd_per_layer));
    put(jb, h, "n_head", json_u32_list(hp->n_head, hp->n_layer));
    put(jb, h, "n_head_kv", json_u32_list(hp->n_head_kv, hp->n_layer));
    put(jb, h, "n_ff", json_u32_list(hp->n_ff, hp->n_layer));
    cJSON *swa = put(jb, h, "is_swa", cJSON_CreateArray());
    for (uint32_t i = 0; i < hp->n_layer && jb->ok; i++) put(jb, swa, NULL, cJSON_CreateBool(hp->is_swa[i]));
    put(jb, h, "head_dim", json_u64(hp->head_dim));
    put(jb, h, "head_dim_swa", json_u64(hp->head_dim_swa));
    put(jb, h, "n_swa", json_u64(hp->n_swa));
    put(jb, h, "n_shared_kv", json_u64(hp->n_shared_kv));
    put(jb, h, "n_layer_kv", json_u64(hp->n_layer_kv));
    put(jb, h, "rope_base", json_real(hp->rope_base, true));
    put(jb, h, "rope_base_swa", json_real(hp->rope_base_swa, true));
    put(jb, h, "n_rot", json_u64(hp->n_rot));
    put(jb, h, "n_rot_swa", json_u64(hp->n_rot_swa));
    put(jb, h, "norm_eps", json_real(hp->norm_eps, true));
    put(jb, h, "final_softcap", json_real(hp->final_softcap, true));
    put(jb, h, "n_expert", json_u64(hp->n_expert));
    return h;
}

/* Loads what gemma4_model_load would (hyperparameters, weights, vocabulary) and records the first
 * reason it would fail. The hyperparameters are reported whenever they load. */
static void add_engine(json_build *jb, cJSON *root, const g4_gguf *f) {
    cJSON *engine = put(jb, root, "engine", cJSON_CreateObject());
    g4_error err = {0};
    g4_str arch;
    char reason[G4_ERROR_MAX];
    bool supported = false;

    if (!g4_gguf_find(f, "general.architecture")) {
        put(jb, engine, "architecture", cJSON_CreateNull());
        snprintf(reason, sizeof reason, "no general.architecture key: not a model file");
    } else if (g4_gguf_get_str(f, "general.architecture", &arch, &err) != GEMMA4_OK) {
        put(jb, engine, "architecture", cJSON_CreateNull());
        snprintf(reason, sizeof reason, "%s", err.msg);
    } else {
        put(jb, engine, "architecture", json_string(arch.ptr, arch.len));
        g4_hparams *hp = malloc(sizeof *hp); /* a few KB: kept off the stack */
        g4_model *model = NULL;
        g4_vocab *vocab = NULL;
        if (g4_str_eq(arch, "clip")) {
            snprintf(reason, sizeof reason,
                     "a vision/audio projector (mmproj) file: it is used together with a "
                     "gemma4 model, not on its own");
        } else if (!g4_str_eq(arch, "gemma4")) {
            snprintf(reason, sizeof reason, "architecture '%.*s' is not supported: libgemma4 runs gemma4 models",
                     (int)(arch.len > 64 ? 64 : arch.len), arch.ptr);
        } else if (!hp) {
            snprintf(reason, sizeof reason, "out of memory");
        } else if (g4_hparams_load(f, hp, &err) != GEMMA4_OK) {
            snprintf(reason, sizeof reason, "%s", err.msg);
        } else {
            put(jb, engine, "hparams", json_hparams(jb, hp));
            if (g4_model_load(f, &model, &err) != GEMMA4_OK || g4_vocab_load(f, &vocab, &err) != GEMMA4_OK) {
                snprintf(reason, sizeof reason, "%s", err.msg);
            } else {
                supported = true;
                snprintf(reason, sizeof reason, "a Gemma 4 text model libgemma4 can run");
            }
        }
        g4_vocab_free(vocab);
        g4_model_free(model);
        free(hp);
    }
    put(jb, engine, "supported", cJSON_CreateBool(supported));
    put(jb, engine, "reason", cJSON_CreateString(reason));
}

/* ---- the entry point ------------------------------------------------------------------------------ */

static char *describe(const char *path, const g4_gguf *f, int max_array) {
    json_build jb = {.ok = true};
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    put(&jb, root, "path", json_string(path, strlen(path)));
    put(&jb, root, "gguf_version", json_u64(g4_gguf_version(f)));
    put(&jb, root, "alignment", json_u64(g4_gguf_alignment(f)));
    put(&jb, root, "file_bytes", json_u64(g4_gguf_file_size(f)));
    put(&jb, root, "data_offset", json_u64(g4_gguf_data_offset(f)));
    put(&jb, root, "n_kv", json_i64(g4_gguf_n_kv(f)));
    put(&jb, root, "n_tensors", json_i64(g4_gguf_n_tensors(f)));
    cJSON *tensors = add_tensors(&jb, root, f);
    add_metadata(&jb, root, f, max_array);
    put(&jb, root, "tensors", tensors);
    add_engine(&jb, root, f);

    char *text = jb.ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text) return NULL;
    /* Handed out for gemma4_free (plain free), whatever allocator cJSON was configured with. */
    char *copy = strdup(text);
    cJSON_free(text);
    return copy;
}

GEMMA4_API gemma4_status gemma4_inspect(const char *path, int max_array, char **json_out, char *errbuf,
                                        size_t errbuf_size) {
    g4_error err = {0};
    gemma4_status st;
    if (json_out) *json_out = NULL;
    if (!path || !json_out) {
        st = g4_fail(&err, GEMMA4_ERR_INVALID_ARG, "gemma4_inspect: path and json_out must not be NULL");
    } else {
        g4_gguf *f = NULL;
        st = g4_gguf_open(path, &f, &err);
        if (st == GEMMA4_OK) {
            *json_out = describe(path, f, max_array);
            if (!*json_out) st = g4_fail(&err, GEMMA4_ERR_NOMEM, "out of memory describing the file as JSON");
            g4_gguf_close(f);
        }
    }
    if (st != GEMMA4_OK)
        g4_error_copy_out(&err, errbuf, errbuf_size);
    else if (errbuf && errbuf_size)
        errbuf[0] = '\0';
    return st;
}
