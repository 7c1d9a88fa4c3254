/*
 * libFuzzer target for the image decoder (g4_image_decode, the entry a server feeds base64-decoded
 * uploads to): any bytes either decode to an image whose every pixel is readable, or fail with
 * GEMMA4_ERR_FORMAT / GEMMA4_ERR_NOMEM and a message; never a crash, a read out of bounds, an
 * uninitialised pixel or an allocation beyond what the pixel limit allows. A decoded image is then
 * sized by both rules and resized small, so odd dimensions reach that code too.
 *   fuzz_image -max_total_time=60 -rss_limit_mb=2048 NEW_INPUTS_DIR tests/data/vision/decode
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vision/image.h"
#include "vision/resize.h"
#include "vision/sizing.h"

/* 1 Mpx rather than the default 67: the same code paths, and a decode stays fast enough to fuzz. */
#define FUZZ_MAX_PIXELS (1u << 20)

static volatile uint64_t g_sink; /* keeps the reads from being optimised away */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* a copy of exactly size bytes, so that ASan sees a read one past the end */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    g4_image img;
    g4_error err = {0};
    const gemma4_status st = g4_image_decode(copy, size, "fuzz", FUZZ_MAX_PIXELS, &img, &err);
    free(copy);
    if (st != GEMMA4_OK) {
        if ((st != GEMMA4_ERR_FORMAT && st != GEMMA4_ERR_NOMEM) || err.msg[0] == '\0' || img.rgb) __builtin_trap();
        return 0;
    }
    if (!img.rgb || img.width == 0 || img.height == 0 || (uint64_t)img.width * img.height > FUZZ_MAX_PIXELS)
        __builtin_trap();
    uint64_t sum = 0;
    for (size_t i = 0; i < (size_t)img.width * img.height * 3; i++) sum += img.rgb[i]; /* MSan/ASan: every byte */
    g_sink += sum;

    g4_vision_size s;
    if (g4_vision_size_transformers(img.width, img.height, 16, 3, 280, &s, &err) == GEMMA4_OK) g_sink += s.n_tokens;
    if (g4_vision_size_llama(img.width, img.height, 16, 3, 0, 0, &s, &err) == GEMMA4_OK) g_sink += s.n_tokens;
    g4_image small;
    if (g4_resize_bicubic(&img, img.width % 13 + 1, img.height % 11 + 1, &small, &err) == GEMMA4_OK) {
        g_sink += small.rgb[0];
        g4_image_free(&small);
    }
    g4_image_free(&img);
    return 0;
}
