/* Image decoding: every accepted format to the exact pixels it was drawn from (JPEG within its
 * loss), and every way an image is refused: not an image, corrupt, cut short at any byte, zero
 * pixels, over the pixel limit, a PNG that inflates past its size, a file too large to read.
 * The fixtures are tests/data/vision/decode, drawn by make_golden.py from the formulas below. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testkit.h"
#include "vision/image.h"

#define W 37
#define H 23

/* make_golden.py's formulas */
static void pattern_rgb(int x, int y, uint8_t px[3]) {
    px[0] = (uint8_t)((x * 7 + y * 3) % 256);
    px[1] = (uint8_t)((y * 11 + x) % 256);
    px[2] = (uint8_t)((x * y) % 256);
}
static uint8_t pattern_grey(int x, int y) {
    return (uint8_t)((x * 13 + y * 17) % 256);
}
static uint8_t pattern_grey16_high(int x, int y) {
    return (uint8_t)(((x * 1741 + y * 2903) % 65536) >> 8);
}
static void palette_rgb(int x, int y, uint8_t px[3]) {
    const int i = (x + 3 * y) % 64;
    px[0] = (uint8_t)(i * 4);
    px[1] = (uint8_t)(255 - i * 4);
    px[2] = (uint8_t)((i * 37) % 256);
}
static void smooth_rgb(int x, int y, uint8_t px[3]) {
    px[0] = (uint8_t)((x * 255.0 / (W - 1)) + 0.5);
    px[1] = (uint8_t)((y * 255.0 / (H - 1)) + 0.5);
    px[2] = 128;
}

#define assert_msg_has(err, sub)                                                                                       \
    do {                                                                                                               \
        if (!strstr((err).msg, (sub))) fail_msg("message '%s' does not contain '%s'", (err).msg, (sub));               \
    } while (0)

static void *fixture(const char *name, size_t *size) {
    char rel[128], path[512];
    snprintf(rel, sizeof rel, "vision/decode/%s", name);
    void *data = g4t_read_file(g4t_data_path(path, sizeof path, rel), size);
    if (!data) fail_msg("cannot read test data %s", path);
    return data;
}

static void decode_fixture(const char *name, g4_image *img) {
    char path[512], rel[128];
    snprintf(rel, sizeof rel, "vision/decode/%s", name);
    g4_error err = {0};
    gemma4_status st = g4_image_load_file(g4t_data_path(path, sizeof path, rel), 0, img, &err);
    if (st != GEMMA4_OK) fail_msg("%s: %s", name, err.msg);
    assert_int_equal(img->width, W);
    assert_int_equal(img->height, H);
}

typedef enum { RGB, GREY, GREY16, PALETTE } kind;

static void expect_pixels(const char *name, kind k) {
    g4_image img;
    decode_fixture(name, &img);
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            uint8_t want[3];
            if (k == RGB) pattern_rgb(x, y, want);
            if (k == PALETTE) palette_rgb(x, y, want);
            if (k == GREY) want[0] = want[1] = want[2] = pattern_grey(x, y);
            if (k == GREY16) want[0] = want[1] = want[2] = pattern_grey16_high(x, y);
            const uint8_t *got = img.rgb + ((size_t)y * W + x) * 3;
            if (memcmp(got, want, 3) != 0)
                fail_msg("%s (%d, %d): got %u %u %u, want %u %u %u", name, x, y, got[0], got[1], got[2], want[0],
                         want[1], want[2]);
        }
    }
    g4_image_free(&img);
}

static void test_lossless_formats(void **state) {
    (void)state;
    expect_pixels("rgb.png", RGB);
    expect_pixels("rgba.png", RGB);      /* alpha dropped, not blended */
    expect_pixels("grey.png", GREY);     /* grey replicated */
    expect_pixels("grey16.png", GREY16); /* 16-bit: the high byte */
    expect_pixels("palette.png", PALETTE);
    expect_pixels("rgb24.bmp", RGB);
    expect_pixels("rgba32.bmp", RGB);
    expect_pixels("palette.gif", PALETTE);
    expect_pixels("rgb.ppm", RGB);
    expect_pixels("rgb16.ppm", RGB); /* high bytes hold the pattern, low bytes noise */
    expect_pixels("grey.pgm", GREY);
    expect_pixels("grey16.pgm", GREY); /* big-endian samples: the high byte (stb_image would take the low one) */
}

/* JPEG decoders differ by a level or two (stb_image vs libjpeg); the source is smooth so that
 * quality 95 keeps every byte within a few levels of it. */
static void test_jpeg(void **state) {
    (void)state;
    const char *names[] = {"baseline.jpg", "progressive.jpg", "grey.jpg"};
    for (int n = 0; n < 3; n++) {
        g4_image img;
        decode_fixture(names[n], &img);
        int worst = 0;
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                uint8_t want[3];
                smooth_rgb(x, y, want);
                if (n == 2) { /* Pillow's L: ITU-R 601 luma */
                    const int l = (want[0] * 299 + want[1] * 587 + want[2] * 114 + 500) / 1000;
                    want[0] = want[1] = want[2] = (uint8_t)l;
                }
                for (int c = 0; c < 3; c++) {
                    const int d = abs((int)img.rgb[((size_t)y * W + x) * 3 + c] - want[c]);
                    if (d > worst) worst = d;
                }
            }
        }
        if (worst > 8) fail_msg("%s: a byte is %d levels from the source", names[n], worst);
        g4_image_free(&img);
    }
}

static void expect_refused(const void *data, size_t size, gemma4_status want, const char *needle, const char *what) {
    g4_image img;
    g4_error err = {0};
    gemma4_status st = g4_image_decode(data, size, "test.img", 0, &img, &err);
    if (st != want)
        fail_msg("%s: status %s, want %s (%s)", what, gemma4_status_name(st), gemma4_status_name(want), err.msg);
    assert_null(img.rgb);
    assert_int_equal(img.width, 0);
    if (strncmp(err.msg, "test.img: ", 10) != 0)
        fail_msg("%s: message '%s' does not start with the name", what, err.msg);
    if (needle && !strstr(err.msg, needle)) fail_msg("%s: message '%s' does not contain '%s'", what, err.msg, needle);
}

/* Every fixture cut at every length fails cleanly, never decodes garbage. */
static void test_truncated_everywhere(void **state) {
    (void)state;
    const char *names[] = {"rgb.png",    "rgba.png",     "grey16.png",      "palette.png", "rgb24.bmp",
                           "rgba32.bmp", "palette.gif",  "rgb.ppm",         "rgb16.ppm",   "grey.pgm",
                           "grey16.pgm", "baseline.jpg", "progressive.jpg", "grey.jpg"};
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
        size_t size;
        uint8_t *data = fixture(names[n], &size);
        for (size_t len = 0; len < size; len++) {
            /* a copy of exactly len bytes, so that ASan sees any read past the end */
            uint8_t *cut = malloc(len ? len : 1);
            memcpy(cut, data, len);
            char what[96];
            snprintf(what, sizeof what, "%s cut to %zu of %zu bytes", names[n], len, size);
            expect_refused(cut, len, GEMMA4_ERR_FORMAT, NULL, what);
            free(cut);
        }
        free(data);
    }
}

static void test_not_an_image(void **state) {
    (void)state;
    expect_refused("", 0, GEMMA4_ERR_FORMAT, "empty", "empty");
    expect_refused("RIFF\x10\0\0\0WEBPVP8 ", 16, GEMMA4_ERR_FORMAT, "52 49 46 46 10 00 00 00", "webp");
    expect_refused("P3\n2 2\n255\n0 0 0 0 0 0 0 0 0 0 0 0\n", 34, GEMMA4_ERR_FORMAT, "P5/P6", "text PPM");
    expect_refused("hello", 5, GEMMA4_ERR_FORMAT, "not a JPEG, PNG", "text");
}

/* A PNG header: signature and an IHDR chunk for width x height (CRCs are not checked by stb). */
static size_t png_header(uint8_t *buf, uint32_t width, uint32_t height) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memcpy(buf, sig, 8);
    const uint8_t ihdr[25] = {0,
                              0,
                              0,
                              13,
                              'I',
                              'H',
                              'D',
                              'R',
                              (uint8_t)(width >> 24),
                              (uint8_t)(width >> 16),
                              (uint8_t)(width >> 8),
                              (uint8_t)width,
                              (uint8_t)(height >> 24),
                              (uint8_t)(height >> 16),
                              (uint8_t)(height >> 8),
                              (uint8_t)height,
                              8,
                              2,
                              0,
                              0,
                              0,
                              0,
                              0,
                              0,
                              0};
    memcpy(buf + 8, ihdr, sizeof ihdr);
    return 8 + sizeof ihdr;
}

static void test_pixel_limit(void **state) {
    (void)state;
    /* a 33-byte file claiming 40000 x 40000: refused from the header, nothing allocated for it */
    uint8_t buf[64];
    const size_t n = png_header(buf, 40000, 40000);
    expect_refused(buf, n, GEMMA4_ERR_FORMAT,
                   "test.img: 40000 x 40000 pixels is over the 67 Mpx limit (67108864 pixels)", "40000^2 PNG");

    /* the limit is a parameter: a 37 x 23 image (851 pixels) passes at 851, not at 850 */
    size_t size;
    uint8_t *png = fixture("rgb.png", &size);
    g4_image img;
    g4_error err = {0};
    assert_int_equal(g4_image_decode(png, size, "rgb.png", 850, &img, &err), GEMMA4_ERR_FORMAT);
    assert_msg_has(err, "rgb.png: 37 x 23 pixels is over the limit of 850 pixels");
    assert_int_equal(g4_image_decode(png, size, "rgb.png", 851, &img, &err), GEMMA4_OK);
    g4_image_free(&img);
    free(png);
}

static void test_zero_pixels(void **state) {
    (void)state;
    expect_refused("P6\n0 5\n255\n", 11, GEMMA4_ERR_FORMAT, NULL, "0-wide PPM");
    expect_refused("P5 7 0 255\n", 11, GEMMA4_ERR_FORMAT, NULL, "0-high PGM");
    uint8_t buf[64];
    size_t n = png_header(buf, 0, 5);
    expect_refused(buf, n, GEMMA4_ERR_FORMAT, NULL, "0-wide PNG");
}

static void test_corrupt_headers(void **state) {
    (void)state;
    /* digits stb_image would overflow an int with: refused before it parses them */
    expect_refused("P6\n99999999999 1\n255\n", 21, GEMMA4_ERR_FORMAT, "width has too many digits", "PPM width");
    /* a BMP whose pixel offset points back into its own headers */
    size_t size;
    uint8_t *bmp = fixture("rgb24.bmp", &size);
    bmp[10] = 20, bmp[11] = bmp[12] = bmp[13] = 0;
    expect_refused(bmp, size, GEMMA4_ERR_FORMAT, "points into", "BMP offset");
    free(bmp);
    /* a GIF with no image block, only the trailer */
    const uint8_t gif[] = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0, 0x3b};
    expect_refused(gif, sizeof gif, GEMMA4_ERR_FORMAT, "without an image", "GIF trailer only");
    /* random bytes after a JPEG signature */
    uint8_t junk[300] = {0xff, 0xd8, 0xff};
    g4t_rng r;
    g4t_rng_seed(&r, 5);
    for (size_t i = 3; i < sizeof junk; i++) junk[i] = (uint8_t)g4t_rng_u64(&r);
    expect_refused(junk, sizeof junk, GEMMA4_ERR_FORMAT, "corrupt JPEG", "JPEG junk");
}

/* A DHT table whose 16 counts add up to more than 256 codes: Debian's stb_image 2.27 would write
 * past its Huffman arrays (found by fuzz_image); refused before it decodes. */
static void test_jpeg_huffman_overflow(void **state) {
    (void)state;
    size_t size;
    uint8_t *jpg = fixture("baseline.jpg", &size);
    size_t at = 2;
    while (at + 1 < size && !(jpg[at] == 0xff && jpg[at + 1] == 0xc4)) at++;
    assert_true(at + 21 < size);
    jpg[at + 5 + 14] = 0xff; /* payload: class/id byte, then counts 1..16: raise the last two */
    jpg[at + 5 + 15] = 0xff;
    expect_refused(jpg, size, GEMMA4_ERR_FORMAT, "Huffman table of", "JPEG DHT > 256 codes");
    free(jpg);
}

/* A 16 x 16 RGB PNG whose zlib stream inflates to 8 MiB of zeros (16 x (1 + 48) = 784 bytes are
 * expected): stored deflate blocks would be large, so the stream is hand-made from fixed-Huffman
 * blocks of length-258 matches, ~34 bits per 258 bytes. */
typedef struct bits {
    uint8_t *p;
    size_t n, cap;
    uint32_t acc;
    int nacc;
} bits;
static void put_bits(bits *b, uint32_t v, int n) {
    for (int i = 0; i < n; i++) {
        b->acc |= ((v >> i) & 1u) << b->nacc;
        if (++b->nacc == 8) {
            if (b->n == b->cap) b->p = realloc(b->p, b->cap = b->cap * 2 + 64);
            b->p[b->n++] = (uint8_t)b->acc;
            b->acc = 0;
            b->nacc = 0;
        }
    }
}
static void put_huffman(bits *b, uint32_t code, int n) { /* Huffman codes go most significant bit first */
    for (int i = n - 1; i >= 0; i--) put_bits(b, (code >> i) & 1u, 1);
}
static uint8_t *png_bomb(size_t *size) {
    bits z = {0};
    put_bits(&z, 0x78, 8), put_bits(&z, 0x01, 8); /* zlib header (no checksum checked by stb for PNG) */
    put_bits(&z, 1, 1), put_bits(&z, 1, 2);       /* final block, fixed Huffman */
    put_huffman(&z, 0x30 + 0, 8);                 /* literal 0 */
    for (int i = 0; i < (8 << 20) / 258; i++) {
        put_huffman(&z, 0xc5, 8); /* length code 285 = 258: 8-bit code 11000101 */
        put_huffman(&z, 0, 5);    /* distance code 0 = 1 */
    }
    put_huffman(&z, 0, 7); /* end of block (256) */
    put_bits(&z, 0, 7);    /* flush */
    uint8_t *png = malloc(64 + z.n + 32);
    size_t n = png_header(png, 16, 16);
    const uint8_t idat[8] = {
        (uint8_t)(z.n >> 24), (uint8_t)(z.n >> 16), (uint8_t)(z.n >> 8), (uint8_t)z.n, 'I', 'D', 'A', 'T'};
    memcpy(png + n, idat, 8), n += 8;
    memcpy(png + n, z.p, z.n), n += z.n;
    memset(png + n, 0, 4), n += 4; /* CRC */
    const uint8_t iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
    memcpy(png + n, iend, 12), n += 12;
    free(z.p);
    *size = n;
    return png;
}

static void test_decompression_bomb(void **state) {
    (void)state;
    size_t size;
    uint8_t *png = png_bomb(&size);
    assert_true(size < 200 * 1024);
    expect_refused(png, size, GEMMA4_ERR_FORMAT, "inflates to more than a 16 x 16 image holds", "PNG bomb");
    free(png);
}

static void test_files(void **state) {
    (void)state;
    g4_image img;
    g4_error err = {0};
    assert_int_equal(g4_image_load_file("/nonexistent/x.png", 0, &img, &err), GEMMA4_ERR_IO);
    assert_msg_has(err, "/nonexistent/x.png: cannot open");
    assert_int_equal(g4_image_load_file("/tmp", 0, &img, &err), GEMMA4_ERR_IO);
    assert_msg_has(err, "not a regular file");

    /* a (sparse) 17 MiB file with a 1-pixel limit: more than any 1-pixel image needs, never read */
    char path[256];
    g4t_temp_path(path, sizeof path, ".png");
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 17 << 20), 0);
    close(fd);
    assert_int_equal(g4_image_load_file(path, 1, &img, &err), GEMMA4_ERR_FORMAT);
    assert_msg_has(err, "is more than any image under the pixel limit needs");
    unlink(path);
}

static void test_new_and_free(void **state) {
    (void)state;
    g4_image img;
    g4_error err = {0};
    assert_int_equal(g4_image_new(3, 2, &img, &err), GEMMA4_OK);
    for (int i = 0; i < 18; i++) assert_int_equal(img.rgb[i], 0);
    g4_image_free(&img);
    g4_image_free(&img); /* twice is harmless */
    assert_int_equal(g4_image_new(0, 2, &img, &err), GEMMA4_ERR_INVALID_ARG);
    assert_null(img.rgb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lossless_formats),     cmocka_unit_test(test_jpeg),
        cmocka_unit_test(test_truncated_everywhere), cmocka_unit_test(test_not_an_image),
        cmocka_unit_test(test_pixel_limit),          cmocka_unit_test(test_zero_pixels),
        cmocka_unit_test(test_corrupt_headers),      cmocka_unit_test(test_jpeg_huffman_overflow),
        cmocka_unit_test(test_decompression_bomb),   cmocka_unit_test(test_files),
        cmocka_unit_test(test_new_and_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
