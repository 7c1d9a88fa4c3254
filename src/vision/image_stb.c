/*
 * stb_image, configured for libgemma4 (see image_stb.h).
 *
 * The allocation cap: stb_image sizes its buffers from the header, which the caller has already
 * checked against the pixel limit, except in one place: a PNG's zlib stream is inflated into a
 * buffer that doubles for as long as data keeps coming, so a few kilobytes of crafted deflate data
 * ask for gigabytes before stb notices the image is too long. stb's allocator hooks take no user
 * pointer, so the cap of the decode running on this thread sits in a thread-local for the length
 * of that one call (set, decode, cleared): the only state outside a call's arguments in the
 * library, and it never outlives the call or crosses threads.
 */
#include "vision/image_stb.h"

#include <stdlib.h>

typedef struct alloc_cap {
    size_t max_bytes;
    bool refused;
} alloc_cap;

static _Thread_local alloc_cap *current_cap;

static void *capped_malloc(size_t n) {
    if (current_cap && n > current_cap->max_bytes) {
        current_cap->refused = true;
        return NULL;
    }
    return malloc(n);
}

static void *capped_realloc(void *p, size_t n) {
    if (current_cap && n > current_cap->max_bytes) {
        current_cap->refused = true;
        return NULL; /* stb frees p itself when a realloc fails */
    }
    return realloc(p, n);
}

/* stb_image's declarations here; its implementation at the end of this file. */
#define STB_IMAGE_STATIC
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_MALLOC(n) capped_malloc(n)
#define STBI_REALLOC(p, n) capped_realloc(p, n)
#define STBI_FREE(p) free(p)
#include <stb/stb_image.h>

bool g4_stb_probe(const uint8_t *data, size_t size, g4_stb_header *out, const char **reason) {
    *reason = NULL;
    if (size > INT32_MAX) {
        *reason = "larger than 2 GiB";
        return false;
    }
    if (!stbi_info_from_memory(data, (int)size, &out->width, &out->height, &out->channels)) {
        *reason = stbi_failure_reason();
        return false;
    }
    out->is_16bit = stbi_is_16_bit_from_memory(data, (int)size) != 0;
    return true;
}

uint8_t *g4_stb_decode_rgb(const uint8_t *data, size_t size, size_t alloc_cap_bytes, int *width, int *height,
                           bool *over_cap, const char **reason) {
    *over_cap = false;
    *reason = NULL;
    if (size > INT32_MAX) {
        *reason = "larger than 2 GiB";
        return NULL;
    }
    alloc_cap cap = {alloc_cap_bytes, false};
    current_cap = &cap;
    int channels_in_file = 0;
    uint8_t *rgb = stbi_load_from_memory(data, (int)size, width, height, &channels_in_file, 3);
    current_cap = NULL;
    if (!rgb) {
        *over_cap = cap.refused;
        *reason = stbi_failure_reason(); /* thread-local in stb_image >= 2.24, read right after the call */
    }
    return rgb;
}

/* The implementation, last, so that the warnings silenced for it (third-party code, most of it
 * unused here) stay silenced to the end of the file, where GCC reports unused static functions,
 * and never cover the code above. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
