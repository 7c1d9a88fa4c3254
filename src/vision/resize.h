/*
 * Bicubic resampling of 8-bit RGB, bit for bit what Pillow's Image.resize(size, Image.BICUBIC)
 * gives (libImaging/Resample.c), which is also what llama.cpp's mtmd (resize_pillow) and
 * transformers' PIL image processor use:
 *
 *   - separable: a horizontal pass over every row, then a vertical pass over its 8-bit result;
 *     a pass whose dimension does not change is skipped (not run as an identity);
 *   - per output pixel o of a pass from n_in to n_out: scale = n_in / n_out, the filter widened by
 *     fs = max(scale, 1), support 2 fs, centre (o + 0.5) scale, taps i from
 *     int(centre - support + 0.5) to int(centre + support + 0.5) clipped to [0, n_in), weight
 *     k((i - centre + 0.5) / fs) with Keys' cubic at a = -0.5, normalised to sum 1;
 *   - weights in fixed point, round-half-away(w 2^22) as int32; each output byte is
 *     clamp((2^21 + sum p_i w_i) >> 22, 0, 255).
 */
#ifndef G4_VISION_RESIZE_H
#define G4_VISION_RESIZE_H

#include <stdint.h>

#include "core/error.h"
#include "vision/image.h"

/* Resizes src to width x height into *out (a new image; src is unchanged). Same size gives a
 * copy. A side of 0 is GEMMA4_ERR_INVALID_ARG. */
gemma4_status g4_resize_bicubic(const g4_image *src, uint32_t width, uint32_t height, g4_image *out, g4_error *err);

#endif
