/*
 * What an encoded image is, how large its header says it is, and whether all of it is there, read
 * from the bytes before stb_image decodes them. The size is read here because stb_image refuses
 * large headers with its own limits and a reason that is lost among its format probes; the
 * completeness because stb_image notices a JPEG that ends early and a PNG cut inside its pixel
 * data, but reads a short BMP or GIF as if zeros followed and accepts a PNG cut inside its end
 * chunk, so those three are measured against what their headers promise; and Debian's stb_image
 * (2.27) has memory-safety bugs on some malformed input that later versions fix, so the
 * structures that trigger them are refused here first.
 */
#ifndef G4_VISION_IMAGE_FORMAT_H
#define G4_VISION_IMAGE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum g4_image_format {
    G4_IMAGE_UNKNOWN,
    G4_IMAGE_JPEG,
    G4_IMAGE_PNG,
    G4_IMAGE_BMP,
    G4_IMAGE_GIF,
    G4_IMAGE_PNM, /* binary only: P5 (grey) and P6 (RGB), 8 or 16 bits a sample */
} g4_image_format;

/* The format by its magic bytes; G4_IMAGE_UNKNOWN for anything else (WebP, TIFF, text PNM ...). */
g4_image_format g4_image_sniff(const uint8_t *data, size_t size);

const char *g4_image_format_name(g4_image_format format); /* "JPEG", "PNG", "BMP", "GIF", "PNM" */

/* The image's size as its header states it (a JPEG's frame header, a PNG's IHDR, a GIF's logical
 * screen, a BMP's info header), read without trusting anything: false with the reason in why when
 * the header is not there. Not for PNM (image_pnm.h reads its own). */
bool g4_image_header_size(g4_image_format format, const uint8_t *data, size_t size, uint32_t *width, uint32_t *height,
                          char *why, size_t cap);

/* true when the bytes hold every pixel the header of a width x height image promises and nothing
 * in them trips a known bug of the stb_image that decodes them; false with the reason in why ("the
 * pixel rows end at byte 2630, the file at byte 1000"). Not for PNM. */
bool g4_image_check_body(g4_image_format format, const uint8_t *data, size_t size, uint32_t width, uint32_t height,
                         char *why, size_t cap);

#endif
