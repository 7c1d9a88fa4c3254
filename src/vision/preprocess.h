/*
 * From a decoded image to what the vision encoder reads (GEMMA4-VISION.md section 4, steps 2-5):
 * the canvas size by one of the two sizing rules, the Pillow-exact bicubic resize into it (with
 * llama.cpp's black letterbox in compatibility mode), then the pixels as planar floats.
 */
#ifndef G4_VISION_PREPROCESS_H
#define G4_VISION_PREPROCESS_H

#include "core/error.h"
#include "vision/image.h"
#include "vision/mmproj.h"
#include "vision/sizing.h"

typedef enum g4_vision_sizing_rule {
    G4_VISION_SIZING_TRANSFORMERS, /* the model's own definition: fill a soft-token budget (default) */
    G4_VISION_SIZING_LLAMA_CPP,    /* compatibility with llama.cpp's mtmd: own size, letterboxed */
} g4_vision_sizing_rule;

typedef struct g4_vision_prep_params {
    g4_vision_sizing_rule rule;
    uint32_t token_budget;           /* transformers rule: 70, 140, 280, 560 or 1120; 0 means 280 */
    uint32_t min_tokens, max_tokens; /* llama.cpp rule: 0 means the mmproj's (70 and 1120) */
} g4_vision_prep_params;

/* The encoder's input: a width x height canvas of n_patches_x x n_patches_y patches. */
typedef struct g4_vision_input {
    g4_vision_size size;
    uint32_t n_patches_x, n_patches_y;
    float *pixels; /* [3][height][width] owned: plane R, then G, then B (see g4_vision_pixels) */
} g4_vision_input;

/* The image resized into its place on the canvas: content resized (Pillow BICUBIC, skipped when
 * the size is unchanged) and pasted at the offsets on black. *canvas is a new image. */
gemma4_status g4_vision_fit(const g4_image *img, const g4_vision_size *size, g4_image *canvas, g4_error *err);

/* The pixel step, as llama.cpp's clip_image_f32 from_u8 + normalize and clip_encode's planar copy:
 * out[c][y][x] = ((float)rgb / 255.0f - mean[c]) / std[c], in float32 (transformers' rescale by
 * 1/255 in double then cast gives the same 256 values). The encoder then maps x to 2x - 1 itself
 * (llama.cpp's ggml_scale_bias, transformers' patch embedder); black padding ends up at -1.
 * out holds 3 x width x height floats. */
void g4_vision_pixels(const g4_image *img, const float mean[3], const float std[3], float *out);

/* All of it, for the mmproj hp: sizing by p->rule, fit, pixels. A canvas wider or taller than the
 * position tables reach is GEMMA4_ERR_UNSUPPORTED. On failure *out is zeroed. */
gemma4_status g4_vision_preprocess(const g4_image *img, const g4_vision_hparams *hp, const g4_vision_prep_params *p,
                                   g4_vision_input *out, g4_error *err);

void g4_vision_input_free(g4_vision_input *in);

#endif
