/*
 * Binary PNM (P5 greymap, P6 pixmap; 8 or 16 bits a sample), decoded here rather than by
 * stb_image, whose PNM reader (2.27, the Debian one) reads past its buffer on 16-bit greymaps,
 * takes the low byte of 16-bit samples (PNM samples are big-endian; llama.cpp's stb 2.30 does the
 * same), leaves the pixels of a short file uninitialised and overflows an int on long numbers.
 *
 * The header is read the way stb_image reads it, so the same files are accepted: "P5"/"P6",
 * whitespace and #-comments, width, height, maximum value, one whitespace byte, then the samples.
 * Like stb_image, samples are not rescaled by the maximum value; a 16-bit sample (maximum value
 * above 255) gives its high byte.
 */
#ifndef G4_VISION_IMAGE_PNM_H
#define G4_VISION_IMAGE_PNM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct g4_pnm_header {
    uint32_t width, height;
    uint32_t channels;         /* 1 (P5) or 3 (P6) */
    uint32_t bytes_per_sample; /* 1 or 2 */
    size_t data_offset;
} g4_pnm_header;

/* Parses the header of a file that starts "P5" or "P6"; false with the reason in why. */
bool g4_pnm_header_read(const uint8_t *data, size_t size, g4_pnm_header *h, char *why, size_t cap);

/* true when every sample the header promises is in the file. */
bool g4_pnm_complete(const uint8_t *data, size_t size, const g4_pnm_header *h, char *why, size_t cap);

/* Writes width x height x 3 bytes of RGB to rgb (a complete file only). */
void g4_pnm_decode_rgb(const uint8_t *data, const g4_pnm_header *h, uint8_t *rgb);

#endif
