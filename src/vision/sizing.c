/*
 * The two sizing rules (see sizing.h). Each is written to reproduce its reference's arithmetic
 * exactly, precision included: transformers computes in Python floats (IEEE doubles), llama.cpp in
 * C++ floats, and a result one ulp off can move a side by 48 pixels.
 */
#include "vision/sizing.h"

#include <math.h>

/* Both references evaluate one operation at a time; a fused multiply-add would change roundings.
 * GCC contracts only in GNU modes (the build is -std=c11); clang needs telling. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

bool g4_vision_budget_valid(uint32_t n_tokens) {
    return n_tokens == 70 || n_tokens == 140 || n_tokens == 280 || n_tokens == 560 || n_tokens == 1120;
}

static gemma4_status check_geometry(uint32_t width, uint32_t height, uint32_t patch_size, uint32_t pool,
                                    g4_error *err) {
    if (width == 0 || height == 0)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "image of %u x %u pixels: both sides must be at least 1", width,
                       height);
    if (patch_size == 0 || pool == 0 || (uint64_t)patch_size * pool > 4096)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG,
                       "patch size %u x pooling %u: both must be positive, product <= 4096", patch_size, pool);
    if (width > (1u << 24) || height > (1u << 24))
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "image of %u x %u pixels: sides above 2^24 are not supported",
                       width, height);
    return GEMMA4_OK;
}

/*
 * transformers, src/transformers/models/gemma4/image_processing_pil_gemma4.py (and the identical
 * copy in image_processing_gemma4.py), get_aspect_ratio_preserving_size(height, width, patch_size,
 * max_patches, pooling_kernel_size), as read in its source:
 *
 *   max_patches  = max_soft_tokens * pooling_kernel_size**2          (in _preprocess)
 *   total_px     = height * width
 *   target_px    = max_patches * patch_size**2
 *   factor       = math.sqrt(target_px / total_px)                   (Python float: IEEE double)
 *   side_mult    = pooling_kernel_size * patch_size
 *   target_h     = int(math.floor(factor * height / side_mult)) * side_mult      (rounded DOWN)
 *   target_w     = int(math.floor(factor * width  / side_mult)) * side_mult
 *   both 0: ValueError
 *   max_side     = (max_patches // pooling_kernel_size**2) * side_mult            (= budget x 48)
 *   target_h 0:  target_h = side_mult, target_w = min(int(math.floor(width / height)) * side_mult, max_side)
 *   target_w 0:  target_w = side_mult, target_h = min(int(math.floor(height / width)) * side_mult, max_side)
 *   target_h * target_w > target_px: ValueError
 *
 * The image is then resized straight to target_w x target_h (PIL BICUBIC in the PIL processor;
 * skipped when the size is unchanged) and never padded: the soft tokens are
 * (target_h / side_mult) x (target_w / side_mult) <= max_soft_tokens, and max_soft_tokens must be
 * one of (70, 140, 280, 560, 1120).
 */
gemma4_status g4_vision_size_transformers(uint32_t width, uint32_t height, uint32_t patch_size, uint32_t pool,
                                          uint32_t budget, g4_vision_size *out, g4_error *err) {
    gemma4_status st = check_geometry(width, height, patch_size, pool, err);
    if (st != GEMMA4_OK) return st;
    if (!g4_vision_budget_valid(budget))
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "image token budget %u: must be one of 70, 140, 280, 560, 1120",
                       budget);
    const uint64_t side_mult = (uint64_t)pool * patch_size;
    const uint64_t max_patches = (uint64_t)budget * pool * pool;
    const uint64_t target_px = max_patches * patch_size * patch_size;
    const uint64_t total_px = (uint64_t)height * width;
    /* both below 2^53: the double division is Python's correctly rounded int / int */
    const double factor = sqrt((double)target_px / (double)total_px);
    const double ideal_h = factor * height;
    const double ideal_w = factor * width;
    uint64_t th = (uint64_t)floor(ideal_h / (double)side_mult) * side_mult;
    uint64_t tw = (uint64_t)floor(ideal_w / (double)side_mult) * side_mult;
    if (th == 0 && tw == 0)
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED, "image of %u x %u pixels scales to 0 x 0 at %u tokens", width,
                       height, budget);
    const uint64_t max_side = (max_patches / ((uint64_t)pool * pool)) * side_mult;
    if (th == 0) {
        th = side_mult;
        tw = (uint64_t)floor((double)width / (double)height) * side_mult;
        if (tw > max_side) tw = max_side;
    } else if (tw == 0) {
        tw = side_mult;
        th = (uint64_t)floor((double)height / (double)width) * side_mult;
        if (th > max_side) th = max_side;
    }
    if (th * tw > target_px)
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED, "image of %u x %u pixels gives %llu x %llu, over %u tokens", width,
                       height, (unsigned long long)tw, (unsigned long long)th, budget);
    out->width = out->content_width = (uint32_t)tw;
    out->height = out->content_height = (uint32_t)th;
    out->offset_x = out->offset_y = 0;
    out->n_tokens = (uint32_t)((tw / side_mult) * (th / side_mult));
    return GEMMA4_OK;
}

/* llama.cpp's resize_pillow refuses targets beyond this ("out of range (max 65536)"). */
#define LLAMA_MAX_RESIZE_SIDE 65536

/*
 * llama.cpp, tools/mtmd/mtmd-image.cpp: mtmd_image_preprocessor_dyn_size::preprocess calls
 * img_tool::calc_size_preserved_ratio with align = patch_size x n_merge, min_pixels / max_pixels =
 * tokens x align^2 (clip-model.h set_limit_image_tokens(70, 1120) for gemma4v), all in float:
 *
 *   w' = max(align, round(W / align) * align)        (std::round: half away from zero)
 *   h' = max(align, round(H / align) * align)
 *   if w' h' > max_pixels: beta = sqrt(H * W / max_pixels)
 *                          h' = max(align, floor(H / beta / align) * align), w' likewise
 *   else if w' h' < min_pixels: beta = sqrt(min_pixels / (H * W))
 *                          h' = ceil(H * beta / align) * align, w' likewise
 *
 * then img_tool::resize with PAD_CEIL and black: s = min(w' / W, h' / H), content
 * min(ceil(W s), w') x min(ceil(H s), h') resized with resize_pillow and pasted at
 * ((w' - cw) / 2, (h' - ch) / 2) in integer division; no resize at all when (w', h') = (W, H).
 * Products of sides are taken in 64 bits here (llama.cpp's int would overflow only for images far
 * beyond any pixel limit).
 */
gemma4_status g4_vision_size_llama(uint32_t width, uint32_t height, uint32_t patch_size, uint32_t pool,
                                   uint32_t min_tokens, uint32_t max_tokens, g4_vision_size *out, g4_error *err) {
    gemma4_status st = check_geometry(width, height, patch_size, pool, err);
    if (st != GEMMA4_OK) return st;
    if (min_tokens == 0) min_tokens = G4_VISION_LLAMA_MIN_TOKENS;
    if (max_tokens == 0) max_tokens = G4_VISION_LLAMA_MAX_TOKENS;
    if (min_tokens > max_tokens || max_tokens > (1u << 20))
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "image tokens %u..%u: need 1 <= min <= max <= 2^20", min_tokens,
                       max_tokens);
    const int64_t align = (int64_t)patch_size * pool;
    const float falign = (float)align;
    const int64_t min_px = (int64_t)min_tokens * align * align, max_px = (int64_t)max_tokens * align * align;
    const float fw = (float)width, fh = (float)height;

    int64_t w = (int64_t)roundf(fw / falign) * align;
    int64_t h = (int64_t)roundf(fh / falign) * align;
    if (w < align) w = align;
    if (h < align) h = align;
    if (w * h > max_px) {
        const float beta = sqrtf(fh * fw / (float)max_px);
        h = (int64_t)floorf(fh / beta / falign) * align;
        w = (int64_t)floorf(fw / beta / falign) * align;
        if (h < align) h = align;
        if (w < align) w = align;
    } else if (w * h < min_px) {
        const float beta = sqrtf((float)min_px / (fh * fw));
        h = (int64_t)ceilf(fh * beta / falign) * align;
        w = (int64_t)ceilf(fw * beta / falign) * align;
    }

    int64_t cw = w, ch = h;
    if (w != width || h != height) {
        const float s_w = (float)w / fw, s_h = (float)h / fh;
        const float s = s_w < s_h ? s_w : s_h;
        cw = (int64_t)ceilf(fw * s);
        ch = (int64_t)ceilf(fh * s);
        if (cw > w) cw = w;
        if (ch > h) ch = h;
    }
    if (w > LLAMA_MAX_RESIZE_SIDE || h > LLAMA_MAX_RESIZE_SIDE || cw < 1 || ch < 1)
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED,
                       "llama.cpp sizing of a %u x %u image gives a %lld x %lld canvas, beyond the %d-pixel sides "
                       "llama.cpp resizes to",
                       width, height, (long long)w, (long long)h, LLAMA_MAX_RESIZE_SIDE);
    out->width = (uint32_t)w;
    out->height = (uint32_t)h;
    out->content_width = (uint32_t)cw;
    out->content_height = (uint32_t)ch;
    out->offset_x = (uint32_t)((w - cw) / 2);
    out->offset_y = (uint32_t)((h - ch) / 2);
    out->n_tokens = (uint32_t)((w / align) * (h / align));
    return GEMMA4_OK;
}
