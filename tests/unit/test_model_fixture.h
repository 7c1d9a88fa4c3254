/*
 * A tiny model (test_model_tiny.h) written into memory and loaded, for the model-layer tests that
 * need a g4_model: load it with tiny_model_load, free it with tiny_model_free.
 */
#ifndef G4_TEST_MODEL_FIXTURE_H
#define G4_TEST_MODEL_FIXTURE_H

#include <stdlib.h>

#include "gguf/gguf.h"
#include "model/model.h"
#include "test_model_tiny.h"
#include "testkit.h" /* fail_msg */

typedef struct fixture {
    void *mem;
    g4_gguf *f;
    g4_model *m;
} fixture;

static inline void tiny_model_load(const tiny_cfg *c, fixture *fx) {
    size_t size;
    g4_error err = {0};
    if (tiny_write(c, NULL, &fx->mem, &size, &err) != GEMMA4_OK) fail_msg("write: %s", err.msg);
    if (g4_gguf_open_memory(fx->mem, size, &fx->f, &err) != GEMMA4_OK) fail_msg("open: %s", err.msg);
    if (g4_model_load(fx->f, &fx->m, &err) != GEMMA4_OK) fail_msg("load: %s", err.msg);
}

static inline void tiny_model_free(fixture *fx) {
    g4_model_free(fx->m);
    g4_gguf_close(fx->f);
    free(fx->mem);
}

#endif
