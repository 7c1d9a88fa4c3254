/*
 * Image decoding (see image.h): sniff the format, read the header's size, check it against the
 * pixel limit and that the bytes are all there, then decode: PNM here (image_pnm.c), the others
 * with stb_image under an allocation cap.
 */
#include "vision/image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/checked.h"
#include "vision/image_format.h"
#include "vision/image_pnm.h"
#include "vision/image_stb.h"

/* Upper bound of what any one allocation of stb_image needs for a width x height image whose
 * samples take bytes_per_pixel bytes in the file: its largest buffers are a pixel array of at most
 * max(4, bytes_per_pixel) bytes a pixel (GIF works in RGBA, 16-bit files are decoded at 16 bits
 * first), over the dimensions padded to whole JPEG blocks; a PNG's inflate buffer may legitimately
 * double once (interlaced images inflate to a little more than the plain row size). Twice that,
 * plus room for the small tables, is the cap. */
static size_t decoder_alloc_cap(const g4_stb_header *h) {
    const uint64_t bytes_per_pixel = (uint64_t)h->channels * (h->is_16bit ? 2 : 1);
    const uint64_t per_pixel = bytes_per_pixel > 4 ? bytes_per_pixel : 4;
    const uint64_t padded = ((uint64_t)h->width + 16) * ((uint64_t)h->height + 16); /* dims < 2^24 each */
    uint64_t cap = 2 * per_pixel * padded + (1u << 20);
    return cap > SIZE_MAX ? SIZE_MAX : (size_t)cap;
}

/* The limit as messages say it: "the 67 Mpx limit (67108864 pixels)", "the limit of 850 pixels". */
static void format_limit(char *buf, size_t cap, uint64_t pixels) {
    const double mpx = (double)pixels / 1e6;
    if (pixels < 1000000)
        snprintf(buf, cap, "the limit of %llu pixels", (unsigned long long)pixels);
    else
        snprintf(buf, cap, mpx < 10 ? "the %.1f Mpx limit (%llu pixels)" : "the %.0f Mpx limit (%llu pixels)", mpx,
                 (unsigned long long)pixels);
}

static gemma4_status decode_pnm(const uint8_t *bytes, size_t size, const char *name, const g4_pnm_header *h,
                                g4_image *out, g4_error *err) {
    char why[160];
    if (!g4_pnm_complete(bytes, size, h, why, sizeof why))
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: truncated PNM: %s", name, why);
    gemma4_status st = g4_image_new(h->width, h->height, out, err);
    if (st != GEMMA4_OK) return st;
    g4_pnm_decode_rgb(bytes, h, out->rgb);
    return GEMMA4_OK;
}

static gemma4_status decode_stb(const uint8_t *bytes, size_t size, const char *name, g4_image_format format,
                                uint32_t width, uint32_t height, g4_image *out, g4_error *err) {
    const char *fmt = g4_image_format_name(format), *why = NULL;
    char why_buf[160];
    if (!g4_image_check_body(format, bytes, size, width, height, why_buf, sizeof why_buf))
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: corrupt %s: %s", name, fmt, why_buf); /* "the file ends ..." */
    g4_stb_header h;
    if (!g4_stb_probe(bytes, size, &h, &why))
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: corrupt %s: %s", name, fmt, why ? why : "unreadable header");
    if ((uint32_t)h.width != width || (uint32_t)h.height != height)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: corrupt %s: its header reads as %u x %u and as %d x %d", name, fmt,
                       width, height, h.width, h.height);
    int w = 0, hgt = 0;
    bool over_cap = false;
    uint8_t *rgb = g4_stb_decode_rgb(bytes, size, decoder_alloc_cap(&h), &w, &hgt, &over_cap, &why);
    if (!rgb) {
        if (over_cap)
            return g4_fail(err, GEMMA4_ERR_FORMAT,
                           "%s: corrupt %s: its data inflates to more than a %u x %u image holds", name, fmt, width,
                           height);
        if (why && strcmp(why, "outofmem") == 0)
            return g4_fail(err, GEMMA4_ERR_NOMEM, "%s: out of memory decoding a %u x %u %s", name, width, height, fmt);
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: corrupt %s: %s", name, fmt, why ? why : "decoding failed");
    }
    if ((uint32_t)w != width || (uint32_t)hgt != height) {
        free(rgb);
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: corrupt %s: header says %u x %u, data decodes to %d x %d", name,
                       fmt, width, height, w, hgt);
    }
    out->width = width;
    out->height = height;
    out->rgb = rgb;
    return GEMMA4_OK;
}

gemma4_status g4_image_decode(const void *data, size_t size, const char *name, uint64_t max_pixels, g4_image *out,
                              g4_error *err) {
    memset(out, 0, sizeof *out);
    if (!name) name = "image";
    if (max_pixels == 0) max_pixels = G4_IMAGE_DEFAULT_MAX_PIXELS;
    if (!data || size == 0) return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: empty (0 bytes)", name);
    const uint8_t *bytes = data;

    const g4_image_format format = g4_image_sniff(bytes, size);
    if (format == G4_IMAGE_UNKNOWN) {
        char start[3 * 8 + 1];
        size_t at = 0;
        for (size_t i = 0; i < size && i < 8; i++)
            at += (size_t)snprintf(start + at, sizeof start - at, "%s%02x", i ? " " : "", bytes[i]);
        return g4_fail(err, GEMMA4_ERR_FORMAT,
                       "%s: not a JPEG, PNG, BMP, GIF or binary PNM (P5/P6) image (it starts with %s)", name, start);
    }
    const char *fmt = g4_image_format_name(format);

    /* The header alone first: nothing is allocated for pixels until they are known to be few enough. */
    char why[160];
    uint32_t width, height;
    g4_pnm_header pnm;
    const bool header_ok = format == G4_IMAGE_PNM
                               ? g4_pnm_header_read(bytes, size, &pnm, why, sizeof why)
                               : g4_image_header_size(format, bytes, size, &width, &height, why, sizeof why);
    if (!header_ok) return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: corrupt %s: %s", name, fmt, why);
    if (format == G4_IMAGE_PNM) width = pnm.width, height = pnm.height;
    if (width == 0 || height == 0)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: %s of %u x %u pixels: an image needs at least one pixel", name, fmt,
                       width, height);
    if ((uint64_t)width * height > max_pixels) {
        char limit[64];
        format_limit(limit, sizeof limit, max_pixels);
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: %u x %u pixels is over %s", name, width, height, limit);
    }
    return format == G4_IMAGE_PNM ? decode_pnm(bytes, size, name, &pnm, out, err)
                                  : decode_stb(bytes, size, name, format, width, height, out, err);
}

/* The largest file worth reading for an image of at most max_pixels: 8 bytes a pixel covers a
 * 16-bit RGBA PNG stored uncompressed and every other format; 16 MiB more covers headers,
 * metadata and colour profiles. */
static uint64_t max_file_bytes(uint64_t max_pixels) {
    uint64_t n;
    if (!g4_mul_u64(max_pixels, 8, &n) || !g4_add_u64(n, 16u << 20, &n)) return UINT64_MAX;
    return n;
}

gemma4_status g4_image_load_file(const char *path, uint64_t max_pixels, g4_image *out, g4_error *err) {
    memset(out, 0, sizeof *out);
    if (max_pixels == 0) max_pixels = G4_IMAGE_DEFAULT_MAX_PIXELS;
    FILE *f = fopen(path, "rb");
    if (!f) return g4_fail(err, GEMMA4_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return g4_fail(err, GEMMA4_ERR_IO, "%s: not a regular file", path);
    }
    const uint64_t size = (uint64_t)st.st_size;
    if (size > max_file_bytes(max_pixels) || size > SIZE_MAX) {
        fclose(f);
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: %llu bytes is more than any image under the pixel limit needs",
                       path, (unsigned long long)size);
    }
    uint8_t *buf = malloc(size ? (size_t)size : 1);
    if (!buf) {
        fclose(f);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "%s: out of memory reading %llu bytes", path, (unsigned long long)size);
    }
    const size_t got = fread(buf, 1, (size_t)size, f);
    const bool failed = got != size || ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return g4_fail(err, GEMMA4_ERR_IO, "%s: read %zu of %llu bytes", path, got, (unsigned long long)size);
    }
    gemma4_status status = g4_image_decode(buf, (size_t)size, path, max_pixels, out, err);
    free(buf);
    return status;
}

gemma4_status g4_image_new(uint32_t width, uint32_t height, g4_image *out, g4_error *err) {
    memset(out, 0, sizeof *out);
    size_t n;
    if (width == 0 || height == 0)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "image of %u x %u pixels: both sides must be at least 1", width,
                       height);
    if (!g4_mul_size(width, height, &n) || !g4_mul_size(n, 3, &n))
        return g4_fail(err, GEMMA4_ERR_NOMEM, "image of %u x %u pixels: size overflows", width, height);
    out->rgb = calloc(n, 1);
    if (!out->rgb) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for a %u x %u image", width, height);
    out->width = width;
    out->height = height;
    return GEMMA4_OK;
}

void g4_image_free(g4_image *img) {
    if (!img) return;
    free(img->rgb);
    img->rgb = NULL;
    img->width = img->height = 0;
}
