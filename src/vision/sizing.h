/*
 * How large an image is when the vision encoder sees it: the two sizing rules of Gemma 4, as pure
 * functions of the image's size. Both give a canvas whose sides are multiples of
 * align = patch_size x pool (48 for Gemma 4: 16-pixel patches pooled 3 x 3), one soft token per
 * align x align block.
 *
 *  - transformers (the model's own definition, the default): the image is scaled to fill a budget
 *    of soft tokens (70, 140, 280, 560 or 1120; 280 by default), keeping its aspect ratio, and
 *    resized straight to that canvas (a slight stretch, no padding).
 *  - llama.cpp (compatibility with its mtmd): the image keeps about its own resolution, rounded to
 *    the alignment and pulled into [min_tokens, max_tokens] (70..1120 by default), then scaled to
 *    fit inside that canvas and centred on black (letterbox).
 *
 * Where each number comes from is written beside its code in sizing.c.
 */
#ifndef G4_VISION_SIZING_H
#define G4_VISION_SIZING_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

#define G4_VISION_DEFAULT_TOKEN_BUDGET 280
#define G4_VISION_LLAMA_MIN_TOKENS 70
#define G4_VISION_LLAMA_MAX_TOKENS 1120

/* Where the image goes: a canvas of width x height, the resized image (content_width x
 * content_height) at (offset_x, offset_y) on it, the rest black. The transformers rule always
 * fills the canvas (offsets 0). */
typedef struct g4_vision_size {
    uint32_t width, height;
    uint32_t content_width, content_height;
    uint32_t offset_x, offset_y;
    uint32_t n_tokens; /* (width / align) x (height / align) */
} g4_vision_size;

/* true for the budgets transformers accepts: 70, 140, 280, 560, 1120. */
bool g4_vision_budget_valid(uint32_t n_tokens);

/* transformers' get_aspect_ratio_preserving_size for a width x height image. A budget outside the
 * accepted list or a zero side is GEMMA4_ERR_INVALID_ARG. */
gemma4_status g4_vision_size_transformers(uint32_t width, uint32_t height, uint32_t patch_size, uint32_t pool,
                                          uint32_t budget, g4_vision_size *out, g4_error *err);

/* llama.cpp's calc_size_preserved_ratio and PAD_CEIL letterbox. min_tokens / max_tokens 0 mean the
 * defaults (70 / 1120). A result llama.cpp itself refuses (a side over 65536 pixels, as extreme
 * panoramas give) is GEMMA4_ERR_UNSUPPORTED naming the sizes. */
gemma4_status g4_vision_size_llama(uint32_t width, uint32_t height, uint32_t patch_size, uint32_t pool,
                                   uint32_t min_tokens, uint32_t max_tokens, g4_vision_size *out, g4_error *err);

#endif
