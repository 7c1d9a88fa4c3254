/*
 * Image preprocessing for the vision encoder (see preprocess.h).
 */
#include "vision/preprocess.h"

#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "vision/resize.h"

gemma4_status g4_vision_fit(const g4_image *img, const g4_vision_size *size, g4_image *canvas, g4_error *err) {
    memset(canvas, 0, sizeof *canvas);
    if (size->content_width == 0 || size->content_height == 0 ||
        (uint64_t)size->offset_x + size->content_width > size->width ||
        (uint64_t)size->offset_y + size->content_height > size->height)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "fit: a %u x %u image at (%u, %u) does not lie inside %u x %u",
                       size->content_width, size->content_height, size->offset_x, size->offset_y, size->width,
                       size->height);
    const bool fills = size->content_width == size->width && size->content_height == size->height;
    if (fills) return g4_resize_bicubic(img, size->width, size->height, canvas, err);

    g4_image content;
    gemma4_status st = g4_resize_bicubic(img, size->content_width, size->content_height, &content, err);
    if (st != GEMMA4_OK) return st;
    if ((st = g4_image_new(size->width, size->height, canvas, err)) != GEMMA4_OK) {
        g4_image_free(&content);
        return st;
    }
    const size_t row = (size_t)content.width * 3;
    for (uint32_t y = 0; y < content.height; y++)
        memcpy(canvas->rgb + (((size_t)(y + size->offset_y) * canvas->width + size->offset_x) * 3),
               content.rgb + (size_t)y * row, row);
    g4_image_free(&content);
    return GEMMA4_OK;
}

void g4_vision_pixels(const g4_image *img, const float mean[3], const float std[3], float *out) {
    const size_t n = (size_t)img->width * img->height;
    for (int c = 0; c < 3; c++) {
        float *plane = out + (size_t)c * n;
        for (size_t i = 0; i < n; i++) {
            const float x = (float)img->rgb[3 * i + (size_t)c] / 255.0f;
            plane[i] = (x - mean[c]) / std[c];
        }
    }
}

gemma4_status g4_vision_preprocess(const g4_image *img, const g4_vision_hparams *hp, const g4_vision_prep_params *p,
                                   g4_vision_input *out, g4_error *err) {
    memset(out, 0, sizeof *out);
    gemma4_status st;
    if (p->rule == G4_VISION_SIZING_TRANSFORMERS) {
        const uint32_t budget = p->token_budget ? p->token_budget : G4_VISION_DEFAULT_TOKEN_BUDGET;
        st = g4_vision_size_transformers(img->width, img->height, hp->patch_size, hp->pool, budget, &out->size, err);
    } else {
        st = g4_vision_size_llama(img->width, img->height, hp->patch_size, hp->pool,
                                  p->min_tokens ? p->min_tokens : hp->min_tokens,
                                  p->max_tokens ? p->max_tokens : hp->max_tokens, &out->size, err);
    }
    if (st != GEMMA4_OK) return st;
    out->n_patches_x = out->size.width / hp->patch_size;
    out->n_patches_y = out->size.height / hp->patch_size;
    if (out->n_patches_x > hp->n_pos || out->n_patches_y > hp->n_pos) {
        st = g4_fail(err, GEMMA4_ERR_UNSUPPORTED,
                     "image of %u x %u pixels becomes %u x %u patches; the position tables hold %u a side", img->width,
                     img->height, out->n_patches_x, out->n_patches_y, hp->n_pos);
        memset(out, 0, sizeof *out);
        return st;
    }
    g4_image canvas;
    if ((st = g4_vision_fit(img, &out->size, &canvas, err)) != GEMMA4_OK) {
        memset(out, 0, sizeof *out);
        return st;
    }
    size_t n;
    if (!g4_mul_size((size_t)canvas.width * canvas.height, 3 * sizeof(float), &n) || !(out->pixels = malloc(n))) {
        g4_image_free(&canvas);
        memset(out, 0, sizeof *out);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for %u x %u input pixels", canvas.width, canvas.height);
    }
    g4_vision_pixels(&canvas, hp->image_mean, hp->image_std, out->pixels);
    g4_image_free(&canvas);
    return GEMMA4_OK;
}

void g4_vision_input_free(g4_vision_input *in) {
    if (!in) return;
    free(in->pixels);
    memset(in, 0, sizeof *in);
}
