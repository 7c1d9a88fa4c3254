/*
 * Format sniffing and completeness checks (see image_format.h). Each check reads the header the way
 * stb_image 2.27 reads it, so that "complete" means complete for the decoder that runs next.
 */
#include "vision/image_format.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static bool fail(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(char *why, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return false;
}

static bool starts_with(const uint8_t *data, size_t size, const char *magic, size_t n) {
    return size >= n && memcmp(data, magic, n) == 0;
}

g4_image_format g4_image_sniff(const uint8_t *data, size_t size) {
    if (starts_with(data, size, "\xff\xd8\xff", 3)) return G4_IMAGE_JPEG;
    if (starts_with(data, size, "\x89PNG\r\n\x1a\n", 8)) return G4_IMAGE_PNG;
    if (starts_with(data, size, "BM", 2)) return G4_IMAGE_BMP;
    if (starts_with(data, size, "GIF87a", 6) || starts_with(data, size, "GIF89a", 6)) return G4_IMAGE_GIF;
    if (starts_with(data, size, "P5", 2) || starts_with(data, size, "P6", 2)) return G4_IMAGE_PNM;
    return G4_IMAGE_UNKNOWN;
}

const char *g4_image_format_name(g4_image_format format) {
    switch (format) {
    case G4_IMAGE_JPEG:
        return "JPEG";
    case G4_IMAGE_PNG:
        return "PNG";
    case G4_IMAGE_BMP:
        return "BMP";
    case G4_IMAGE_GIF:
        return "GIF";
    case G4_IMAGE_PNM:
        return "PNM";
    default:
        return "unknown format";
    }
}

static uint32_t le16(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}
static uint32_t le32(const uint8_t *p) {
    return le16(p) | le16(p + 2) << 16;
}

/* ---- PNG: chunks (length, type, data, CRC) up to and including IEND ------------------------------ */

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* stb_image fails on a PNG cut inside its image data, but stops reading at the IEND chunk's type
 * and so accepts one cut inside that last chunk; the whole chunk list is required here. */
static bool png_complete(const uint8_t *data, size_t size, char *why, size_t cap) {
    size_t pos = 8;
    for (;;) {
        if (size - pos < 12) return fail(why, cap, "the file ends inside a chunk header at byte %zu", pos);
        const uint64_t len = be32(data + pos);
        if (len > size - pos - 12)
            return fail(why, cap, "chunk '%.4s' at byte %zu needs %llu bytes, the file has %zu",
                        (const char *)data + pos + 4, pos, (unsigned long long)len + 12, size - pos);
        if (memcmp(data + pos + 4, "IEND", 4) == 0) return true;
        pos += 12 + (size_t)len;
    }
}

/* ---- BMP: 14-byte file header, info header (12 bytes for OS/2 1.x, 40 or more for Windows) ------ */

static bool bmp_complete(const uint8_t *data, size_t size, uint32_t width, uint32_t height, char *why, size_t cap) {
    if (size < 18) return fail(why, cap, "the headers end at byte %zu", size);
    const uint64_t offset = le32(data + 10), header_size = le32(data + 14);
    const size_t bpp_at = header_size == 12 ? 24 : 28;
    if (size < bpp_at + 2) return fail(why, cap, "the headers end at byte %zu", size);
    const uint64_t bits = le16(data + bpp_at);
    if (offset < 14 + header_size)
        return fail(why, cap, "pixel data offset %llu points into the %llu-byte headers", (unsigned long long)offset,
                    (unsigned long long)(14 + header_size));
    /* rows are padded to 4 bytes; width < 2^24, bits < 2^16 and width x height <= the pixel limit
     * keep this exact */
    const uint64_t row = ((uint64_t)width * bits + 31) / 32 * 4;
    const uint64_t end = offset + row * height;
    if (end > size)
        return fail(why, cap, "the pixel rows end at byte %llu, the file at byte %zu", (unsigned long long)end, size);
    return true;
}

/* ---- GIF: the blocks up to the end of the first image's data sub-blocks ---------------------------- */

/* Skips a chain of data sub-blocks (length byte, that many bytes, until a zero length) at *pos. */
static bool gif_skip_sub_blocks(const uint8_t *data, size_t size, size_t *pos) {
    for (;;) {
        if (*pos >= size) return false;
        const size_t n = data[(*pos)++];
        if (n == 0) return true;
        if (n > size - *pos) return false;
        *pos += n;
    }
}

static size_t gif_color_table_bytes(uint8_t flags) {
    return (flags & 0x80) ? 3u << ((flags & 7) + 1) : 0;
}

static bool gif_complete(const uint8_t *data, size_t size, char *why, size_t cap) {
    size_t pos = 13; /* signature and logical screen descriptor */
    if (size < pos) return fail(why, cap, "the file ends inside the screen descriptor");
    pos += gif_color_table_bytes(data[10]);
    for (;;) {
        if (pos >= size) return fail(why, cap, "the file ends before the first image");
        const uint8_t block = data[pos++];
        if (block == 0x21) { /* extension: label, then sub-blocks */
            if (pos >= size) return fail(why, cap, "the file ends inside an extension block");
            pos++;
            if (!gif_skip_sub_blocks(data, size, &pos))
                return fail(why, cap, "the file ends inside an extension block");
        } else if (block == 0x2c) { /* image descriptor, optional local colour table, LZW code size, data */
            if (size - pos < 9) return fail(why, cap, "the file ends inside the image descriptor");
            const uint8_t flags = data[pos + 8];
            pos += 9;
            const size_t table = gif_color_table_bytes(flags);
            if (size - pos < table + 1) return fail(why, cap, "the file ends inside the first image's colour table");
            pos += table + 1;
            if (!gif_skip_sub_blocks(data, size, &pos))
                return fail(why, cap, "the file ends inside the first image's data");
            if (pos >= size) return fail(why, cap, "the file ends after the first image, without a trailer");
            return true;
        } else if (block == 0x3b) {
            return fail(why, cap, "the file ends (trailer block) without an image");
        } else {
            return fail(why, cap, "unknown block 0x%02x at byte %zu", block, pos - 1);
        }
    }
}

/* ---- JPEG: marker segments -------------------------------------------------------------------- */

/* What a segment visitor says: keep walking, stop (found what it wanted), or refuse the file. */
typedef enum { WALK_ON, WALK_STOP, WALK_REFUSE } walk_step;
typedef walk_step (*jpeg_visit)(uint8_t marker, const uint8_t *payload, size_t len, size_t avail, void *ctx, char *why,
                                size_t cap);

/* The entropy-coded data after an SOS header at pos: up to the next marker, read as stb_image's
 * bit reader reads it: 0xff, any number of 0xff fill bytes, then 0 is a data byte, a restart
 * (0xd0..0xd7) belongs to the scan, anything else is the marker that ends it. Returns the index of
 * that marker's last 0xff (or size). */
static size_t jpeg_skip_entropy(const uint8_t *data, size_t size, size_t pos) {
    while (pos < size) {
        if (data[pos] != 0xff) {
            pos++;
            continue;
        }
        size_t next = pos + 1;
        while (next < size && data[next] == 0xff) next++;
        if (next >= size) return size;
        const uint8_t c = data[next];
        if (c != 0 && (c < 0xd0 || c > 0xd7)) return next - 1;
        pos = next + 1;
    }
    return size;
}

/* Walks the marker segments after SOI, calling visit with each one's payload (after its length):
 * len bytes as the segment declares, of which avail (all the bytes up to the end of the file,
 * possibly fewer than len) can be read; stepping over the entropy-coded data that follows each SOS. Returns WALK_STOP
 * or WALK_REFUSE from the visitor, or WALK_ON when the walk ended (EOI, end of data, or bytes that are not a marker:
 * telling those apart is stb_image's job). */
static walk_step jpeg_walk(const uint8_t *data, size_t size, jpeg_visit visit, void *ctx, char *why, size_t cap) {
    size_t pos = 2;
    while (pos + 1 < size && data[pos] == 0xff) {
        while (pos + 1 < size && data[pos + 1] == 0xff) pos++; /* fill bytes before a marker */
        if (pos + 1 >= size) break;
        const uint8_t marker = data[pos + 1];
        if (marker == 0xd9) break;                                  /* EOI */
        if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) { /* markers without a length */
            pos += 2;
            continue;
        }
        if (size - pos < 4) break;
        const size_t len = (size_t)data[pos + 2] << 8 | data[pos + 3];
        if (len < 2) break;
        /* a segment cut by the end of the file is still visited: stb_image reads it too (as far as
         * it goes, then zeros) */
        const walk_step step = visit(marker, data + pos + 4, len - 2, size - pos - 4, ctx, why, cap);
        if (step != WALK_ON || len > size - pos - 2) return step;
        pos += 2 + len;
        if (marker == 0xda) pos = jpeg_skip_entropy(data, size, pos);
    }
    return WALK_ON;
}

typedef struct jpeg_dims {
    uint32_t w, h;
    bool found;
} jpeg_dims;

/* The frame header (SOF0..SOF15 but DHT, JPG and DAC): precision, height, width. */
static walk_step find_frame(uint8_t marker, const uint8_t *payload, size_t len, size_t avail, void *ctx, char *why,
                            size_t cap) {
    jpeg_dims *d = ctx;
    const bool sof = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
    if (marker == 0xda) {
        fail(why, cap, "image data before the frame header");
        return WALK_REFUSE;
    }
    if (!sof) return WALK_ON;
    if (len < 6 || avail < 6) {
        fail(why, cap, "a %zu-byte frame header", len < avail ? len : avail);
        return WALK_REFUSE;
    }
    d->h = (uint32_t)payload[1] << 8 | payload[2];
    d->w = (uint32_t)payload[3] << 8 | payload[4];
    d->found = true;
    return WALK_STOP;
}

/* stb_image 2.27 (Debian's) builds a Huffman table of however many codes a DHT segment's 16 counts
 * add up to, writing past its 256-entry arrays when they add up to more (fixed upstream in 2.28).
 * Such a table is refused here, in every DHT segment, including those between progressive scans,
 * reading the counts where stb_image does: a table starts wherever the previous one ended while
 * that is inside the declared segment, and its counts are the 16 bytes after the class byte, even
 * past the segment's end, with zeros past the file's end. */
static walk_step check_huffman(uint8_t marker, const uint8_t *payload, size_t len, size_t avail, void *ctx, char *why,
                               size_t cap) {
    (void)ctx;
    if (marker != 0xc4) return WALK_ON;
    for (size_t at = 0; at < len;) {
        unsigned codes = 0;
        for (size_t i = 1; i <= 16; i++) codes += at + i < avail ? payload[at + i] : 0;
        if (codes > 256) {
            fail(why, cap, "a Huffman table of %u codes (at most 256)", codes);
            return WALK_REFUSE;
        }
        at += 17 + codes;
    }
    return WALK_ON;
}

static bool jpeg_size(const uint8_t *data, size_t size, uint32_t *w, uint32_t *h, char *why, size_t cap) {
    jpeg_dims d = {0, 0, false};
    const walk_step step = jpeg_walk(data, size, find_frame, &d, why, cap);
    if (step == WALK_REFUSE) return false;
    if (!d.found) return fail(why, cap, "no frame header");
    *w = d.w;
    *h = d.h;
    return true;
}

bool g4_image_header_size(g4_image_format format, const uint8_t *data, size_t size, uint32_t *width, uint32_t *height,
                          char *why, size_t cap) {
    switch (format) {
    case G4_IMAGE_JPEG:
        return jpeg_size(data, size, width, height, why, cap);
    case G4_IMAGE_PNG: /* IHDR must be the first chunk */
        if (size < 24 || memcmp(data + 12, "IHDR", 4) != 0) return fail(why, cap, "no IHDR chunk first");
        *width = be32(data + 16);
        *height = be32(data + 20);
        return true;
    case G4_IMAGE_GIF: /* the logical screen, which stb_image decodes the first frame onto */
        if (size < 10) return fail(why, cap, "the file ends inside the screen descriptor");
        *width = le16(data + 6);
        *height = le16(data + 8);
        return true;
    case G4_IMAGE_BMP: {
        if (size < 26) return fail(why, cap, "the file ends inside the headers");
        if (le32(data + 14) == 12) { /* OS/2 1.x: 16-bit sides */
            *width = le16(data + 18);
            *height = le16(data + 20);
            return true;
        }
        const int32_t h = (int32_t)le32(data + 22); /* negative: rows stored top-down */
        *width = le32(data + 18);
        *height = h == INT32_MIN ? 0x80000000u : (uint32_t)(h < 0 ? -h : h);
        return true;
    }
    default:
        return fail(why, cap, "not a format read here");
    }
}

bool g4_image_check_body(g4_image_format format, const uint8_t *data, size_t size, uint32_t width, uint32_t height,
                         char *why, size_t cap) {
    switch (format) {
    case G4_IMAGE_JPEG:
        return jpeg_walk(data, size, check_huffman, NULL, why, cap) != WALK_REFUSE;
    case G4_IMAGE_PNG:
        return png_complete(data, size, why, cap);
    case G4_IMAGE_BMP:
        return bmp_complete(data, size, width, height, why, cap);
    case G4_IMAGE_GIF:
        return gif_complete(data, size, why, cap);
    default:
        return true;
    }
}
