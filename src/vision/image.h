/*
 * Image decoding: JPEG, PNG, BMP, GIF (first frame) and binary PNM (P5 PGM, P6 PPM) to 8-bit RGB,
 * as llama.cpp's mtmd helper does it (stb_image, 3 channels: alpha dropped, grey replicated,
 * 16-bit samples reduced to their high byte, no EXIF rotation).
 *
 * Nothing in the bytes is trusted. The header's dimensions are read and checked against a pixel
 * limit before anything is decoded, so a small file that claims 40000 x 40000 pixels is refused
 * without allocating for it; the decoder's own allocations are capped by what an image of that
 * size can need (a PNG whose data inflates past that is refused as corrupt); and a file that ends
 * early is refused even for the formats whose decoder would fill the rest with zeros or leave it
 * uninitialised. Every failure is GEMMA4_ERR_FORMAT (GEMMA4_ERR_NOMEM when memory ran out, IO when
 * a file could not be read) with a message that starts with the image's name.
 */
#ifndef G4_VISION_IMAGE_H
#define G4_VISION_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* The default pixel limit: 8192 x 8192 (67 Mpx), a 192 MiB RGB image. */
#define G4_IMAGE_DEFAULT_MAX_PIXELS ((uint64_t)8192 * 8192)

/* An 8-bit RGB image: height rows of width pixels, 3 bytes (R, G, B) a pixel, no padding. */
typedef struct g4_image {
    uint32_t width, height;
    uint8_t *rgb; /* width * height * 3 bytes, owned (g4_image_free) */
} g4_image;

/* Decodes an encoded image held in memory (a file's bytes, a base64-decoded upload).
 * name is what messages call it ("photo.jpg"; NULL gives "image"); max_pixels is the largest
 * width x height accepted, 0 meaning G4_IMAGE_DEFAULT_MAX_PIXELS. On failure *out is zeroed. */
gemma4_status g4_image_decode(const void *data, size_t size, const char *name, uint64_t max_pixels, g4_image *out,
                              g4_error *err);

/* The same for a file; its path names it in messages. A file larger than any image under the
 * pixel limit could be is refused before it is read. */
gemma4_status g4_image_load_file(const char *path, uint64_t max_pixels, g4_image *out, g4_error *err);

/* A black (all zero) width x height image, e.g. a letterbox canvas. */
gemma4_status g4_image_new(uint32_t width, uint32_t height, g4_image *out, g4_error *err);

void g4_image_free(g4_image *img);

#endif
