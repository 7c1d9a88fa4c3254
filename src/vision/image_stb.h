/*
 * The one translation unit that compiles stb_image (Debian libstb-dev), restricted to the formats
 * libgemma4 decodes with it (JPEG, PNG, BMP, GIF; PNM is read by image_pnm.c) and with every allocation it makes held
 * under a per-call byte cap. stb_image's functions are static inside it, so an application that links libgemma4 and its
 * own copy of stb_image gets no duplicate symbols.
 */
#ifndef G4_VISION_IMAGE_STB_H
#define G4_VISION_IMAGE_STB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the header says, without decoding: dimensions, channels in the file (1..4) and whether
 * samples are 16-bit. false with *reason set when stb_image cannot read the header. */
typedef struct g4_stb_header {
    int width, height, channels;
    bool is_16bit;
} g4_stb_header;

bool g4_stb_probe(const uint8_t *data, size_t size, g4_stb_header *out, const char **reason);

/* Decodes to 8-bit RGB; the result is malloc'd (free() it). Any single allocation of more than
 * alloc_cap bytes is refused: NULL is returned and *over_cap set. Otherwise NULL means stb_image
 * failed, with its reason in *reason ("outofmem" when malloc itself failed). */
uint8_t *g4_stb_decode_rgb(const uint8_t *data, size_t size, size_t alloc_cap, int *width, int *height, bool *over_cap,
                           const char **reason);

#endif
