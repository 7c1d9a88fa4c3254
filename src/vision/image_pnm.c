/*
 * Binary PNM decoding (see image_pnm.h).
 */
#include "vision/image_pnm.h"

#include <stdio.h>

/* stb_image's byte reader over memory, which the header rules below depend on: reading past the
 * end yields 0, and "at the end" means every byte has been consumed, the one in c included. */
typedef struct cursor {
    const uint8_t *data;
    size_t size, pos;
    char c;
} cursor;

static bool at_end(const cursor *r) {
    return r->pos >= r->size;
}
static void next(cursor *r) {
    r->c = r->pos < r->size ? (char)r->data[r->pos++] : 0;
}
static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static void skip_space_and_comments(cursor *r) {
    for (;;) {
        while (!at_end(r) && is_space(r->c)) next(r);
        if (at_end(r) || r->c != '#') break;
        while (!at_end(r) && r->c != '\n' && r->c != '\r') next(r);
    }
}

/* A decimal number, refused when it would not fit the int stb_image parses into (so that a file
 * accepted here is one stb_image-based readers accept too). */
static bool number(cursor *r, const char *what, uint32_t *out, char *why, size_t cap) {
    uint64_t v = 0;
    while (!at_end(r) && r->c >= '0' && r->c <= '9') {
        v = v * 10 + (uint64_t)(r->c - '0');
        if (v > 0x7fffffff) {
            snprintf(why, cap, "PNM %s has too many digits", what);
            return false;
        }
        next(r);
    }
    *out = (uint32_t)v;
    return true;
}

bool g4_pnm_header_read(const uint8_t *data, size_t size, g4_pnm_header *h, char *why, size_t cap) {
    cursor r = {data, size, 2, 0}; /* "P5" / "P6" already sniffed */
    uint32_t maxval;
    h->channels = data[1] == '6' ? 3 : 1;
    next(&r);
    skip_space_and_comments(&r);
    if (!number(&r, "width", &h->width, why, cap)) return false;
    skip_space_and_comments(&r);
    if (!number(&r, "height", &h->height, why, cap)) return false;
    skip_space_and_comments(&r);
    if (!number(&r, "maximum value", &maxval, why, cap)) return false;
    if (maxval > 65535) {
        snprintf(why, cap, "PNM maximum value %u is over 65535", maxval);
        return false;
    }
    h->bytes_per_sample = maxval > 255 ? 2 : 1;
    h->data_offset = r.pos; /* the byte after the one that ended the maximum value */
    return true;
}

bool g4_pnm_complete(const uint8_t *data, size_t size, const g4_pnm_header *h, char *why, size_t cap) {
    (void)data;
    /* the caller has checked width x height against its pixel limit (< 2^40): no overflow */
    const uint64_t need = (uint64_t)h->width * h->height * h->channels * h->bytes_per_sample;
    const uint64_t have = size - h->data_offset;
    if (have >= need) return true;
    snprintf(why, cap, "%llu bytes of samples after the header, %u x %u needs %llu", (unsigned long long)have, h->width,
             h->height, (unsigned long long)need);
    return false;
}

void g4_pnm_decode_rgb(const uint8_t *data, const g4_pnm_header *h, uint8_t *rgb) {
    const uint8_t *s = data + h->data_offset;
    const size_t n = (size_t)h->width * h->height, step = h->bytes_per_sample; /* the high byte comes first */
    for (size_t i = 0; i < n; i++) {
        for (uint32_t c = 0; c < 3; c++) rgb[3 * i + c] = s[(h->channels == 3 ? c : 0) * step];
        s += h->channels * step;
    }
}
