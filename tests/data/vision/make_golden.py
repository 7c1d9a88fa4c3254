#!/usr/bin/python3
"""Writes the vision test data in tests/data/vision (tests/unit/test_vision_*.c read it):

    /usr/bin/python3 tests/data/vision/make_golden.py      (Debian python3-pil; no numpy needed)

decode/    small images in every accepted format, drawn from formulas that test_vision_image.c
           recomputes (the lossless ones must decode to exactly those pixels, the JPEGs close to them)
resize/    Pillow Image.resize(size, Image.BICUBIC) of noise images, and resize.txt listing
           "input.png out_width out_height expected.png" (test_vision_resize.c: byte-identical)
fit/       the whole canvas step (sizing rule, resize, letterbox) at a small patch grid, and fit.txt
sizing.txt both sizing rules for Gemma 4's 16-pixel patches and 3 x 3 pooling on many image sizes
           (test_vision_sizing.c)

The references are re-implemented here from their sources, in their arithmetic:
  transformers' get_aspect_ratio_preserving_size (image_processing_pil_gemma4.py), Python floats;
  llama.cpp's calc_size_preserved_ratio and PAD_CEIL letterbox (tools/mtmd/mtmd-image.cpp), float32,
  emulated by rounding every operation to float32 (exact for + - * / and sqrt of float32 operands,
  since a double holds more than twice float32's precision).
Pillow's version is recorded in MANIFEST; outputs are deterministic (fixed seeds).
"""
import math
import os
import random
import struct
import sys

import PIL
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def out_path(*parts):
    p = os.path.join(HERE, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


# ---- decode fixtures: the formulas test_vision_image.c recomputes -------------------------------
W, H = 37, 23


def pattern_rgb(x, y):
    return ((x * 7 + y * 3) % 256, (y * 11 + x) % 256, (x * y) % 256)


def pattern_alpha(x, y):
    return (x * 5 + y * 9) % 256


def pattern_grey(x, y):
    return (x * 13 + y * 17) % 256


def pattern_grey16(x, y):
    return (x * 1741 + y * 2903) % 65536


def pattern_index(x, y):
    return (x + 3 * y) % 64


def palette_color(i):
    return (i * 4, 255 - i * 4, (i * 37) % 256)


def smooth_rgb(x, y):  # for the lossy JPEGs
    return (round(x * 255 / (W - 1)), round(y * 255 / (H - 1)), 128)


def image_from(mode, fn):
    img = Image.new(mode, (W, H))
    img.putdata([fn(x, y) for y in range(H) for x in range(W)])
    return img


def write_decode_fixtures():
    rgb = image_from("RGB", pattern_rgb)
    rgba = image_from("RGBA", lambda x, y: pattern_rgb(x, y) + (pattern_alpha(x, y),))
    grey = image_from("L", pattern_grey)
    grey16 = image_from("I;16", pattern_grey16)
    pal = Image.new("P", (W, H))
    pal.putpalette([c for i in range(256) for c in palette_color(i % 64)])
    pal.putdata([pattern_index(x, y) for y in range(H) for x in range(W)])
    smooth = image_from("RGB", smooth_rgb)

    rgb.save(out_path("decode", "rgb.png"))
    rgba.save(out_path("decode", "rgba.png"))
    grey.save(out_path("decode", "grey.png"))
    grey16.save(out_path("decode", "grey16.png"))
    pal.save(out_path("decode", "palette.png"))
    rgb.save(out_path("decode", "rgb24.bmp"))
    rgba.save(out_path("decode", "rgba32.bmp"))
    pal.save(out_path("decode", "palette.gif"))
    rgb.save(out_path("decode", "rgb.ppm"))
    grey.save(out_path("decode", "grey.pgm"))
    # 16-bit PPM by hand (Pillow writes 16-bit only for I;16 greys): big-endian samples with the
    # pattern in the high byte and noise in the low one (stb_image keeps the high byte)
    with open(out_path("decode", "rgb16.ppm"), "wb") as f:
        f.write(b"P6\n# 16-bit samples\n%d %d\n65535\n" % (W, H))
        for y in range(H):
            for x in range(W):
                for v in pattern_rgb(x, y):
                    f.write(struct.pack(">H", v * 256 + (x * 31 + y) % 256))
    with open(out_path("decode", "grey16.pgm"), "wb") as f:
        f.write(b"P5 %d %d 65535\n" % (W, H))
        for y in range(H):
            for x in range(W):
                f.write(struct.pack(">H", pattern_grey(x, y) * 256 + (x * 31 + y) % 256))
    smooth.save(out_path("decode", "baseline.jpg"), quality=95, subsampling=0)
    smooth.save(out_path("decode", "progressive.jpg"), quality=95, subsampling=0, progressive=True)
    smooth.convert("L").save(out_path("decode", "grey.jpg"), quality=95)


# ---- resize: Pillow's BICUBIC on noise ----------------------------------------------------------
def noise_image(w, h, seed):
    rng = random.Random(seed)
    return Image.frombytes("RGB", (w, h), bytes(rng.randrange(256) for _ in range(w * h * 3)))


RESIZE_CASES = [  # (input w, h, seed) -> list of output sizes
    ((64, 48, 1), [(32, 24), (100, 75), (64, 20), (17, 48), (1, 1), (1, 48), (64, 1), (63, 47), (65, 49),
                   (300, 7), (7, 300), (21, 16)]),
    ((1, 40, 2), [(7, 9), (1, 13), (5, 40)]),
    ((40, 1, 3), [(40, 5), (9, 1), (3, 3)]),
    ((200, 3, 4), [(31, 31), (48, 2)]),
    ((3, 200, 5), [(48, 96), (2, 17)]),
]


def write_resize_fixtures():
    lines = []
    for (w, h, seed), outs in RESIZE_CASES:
        src = noise_image(w, h, seed)
        src_name = "in_%dx%d.png" % (w, h)
        src.save(out_path("resize", src_name))
        for ow, oh in outs:
            dst = src.resize((ow, oh), Image.BICUBIC)
            name = "out_%dx%d_to_%dx%d.png" % (w, h, ow, oh)
            dst.save(out_path("resize", name))
            lines.append("%s %d %d %s" % (src_name, ow, oh, name))
    with open(out_path("resize", "resize.txt"), "w") as f:
        f.write("# input out_width out_height expected (Pillow %s Image.resize BICUBIC)\n" % PIL.__version__)
        f.write("\n".join(lines) + "\n")


# ---- the two sizing rules --------------------------------------------------------------------------
def transformers_size(width, height, patch_size, pool, budget):
    """transformers get_aspect_ratio_preserving_size, with max_patches = budget * pool**2."""
    max_patches = budget * pool ** 2
    total_px = height * width
    target_px = max_patches * patch_size ** 2
    factor = math.sqrt(target_px / total_px)
    ideal_height = factor * height
    ideal_width = factor * width
    side_mult = pool * patch_size
    target_height = int(math.floor(ideal_height / side_mult)) * side_mult
    target_width = int(math.floor(ideal_width / side_mult)) * side_mult
    if target_height == 0 and target_width == 0:
        return None
    max_side_length = (max_patches // pool ** 2) * side_mult
    if target_height == 0:
        target_height = side_mult
        target_width = min(int(math.floor(width / height)) * side_mult, max_side_length)
    elif target_width == 0:
        target_width = side_mult
        target_height = min(int(math.floor(height / width)) * side_mult, max_side_length)
    if target_height * target_width > target_px:
        return None
    return target_width, target_height


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def round_half_away(x):
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def llama_size(width, height, patch_size, pool, min_tokens=70, max_tokens=1120):
    """llama.cpp calc_size_preserved_ratio + img_tool::resize PAD_CEIL geometry, in float32."""
    align = patch_size * pool
    fa = f32(align)
    min_px, max_px = min_tokens * align * align, max_tokens * align * align
    fw, fh = f32(width), f32(height)
    w = max(align, int(round_half_away(f32(fw / fa))) * align)
    h = max(align, int(round_half_away(f32(fh / fa))) * align)
    if w * h > max_px:
        beta = f32(math.sqrt(f32(f32(fh * fw) / f32(max_px))))
        h = max(align, int(math.floor(f32(f32(fh / beta) / fa))) * align)
        w = max(align, int(math.floor(f32(f32(fw / beta) / fa))) * align)
    elif w * h < min_px:
        beta = f32(math.sqrt(f32(f32(min_px) / f32(fh * fw))))
        h = int(math.ceil(f32(f32(fh * beta) / fa))) * align
        w = int(math.ceil(f32(f32(fw * beta) / fa))) * align
    cw, ch = w, h
    if (w, h) != (width, height):
        s = min(f32(f32(w) / fw), f32(f32(h) / fh))
        cw = min(int(math.ceil(f32(fw * s))), w)
        ch = min(int(math.ceil(f32(fh * s))), h)
    if max(w, h, cw, ch) > 65536:
        return None
    return w, h, cw, ch, (w - cw) // 2, (h - ch) // 2


BUDGETS = (70, 140, 280, 560, 1120)


def sizing_cases():
    sizes = [(224, 224), (100, 100), (317, 211), (640, 480), (960, 672), (1024, 768), (1920, 1080),
             (4032, 3024), (1600, 200), (4000, 100), (100, 4000), (1, 1), (1, 2), (2, 1), (47, 47), (48, 48),
             (49, 49), (72, 24), (24, 72), (13440, 48), (40000, 100), (100000, 10), (60000, 10), (8192, 8192),
             (3024, 4032), (1080, 1920), (480, 640), (65536, 1), (1, 65536), (333, 1), (5000, 37)]
    rng = random.Random(7)
    for _ in range(300):
        kind = rng.randrange(4)
        if kind == 0:
            sizes.append((rng.randrange(1, 5000), rng.randrange(1, 5000)))
        elif kind == 1:
            sizes.append((rng.randrange(1, 200), rng.randrange(1, 200)))
        elif kind == 2:
            sizes.append((rng.randrange(1, 100000), rng.randrange(1, 60)))
        else:
            sizes.append((rng.randrange(1, 60), rng.randrange(1, 100000)))
    return sizes


def write_sizing():
    with open(out_path("sizing.txt"), "w") as f:
        f.write("# W H | transformers W'xH' for budgets 70 140 280 560 1120 (- = refused) | llama.cpp 70..1120: "
                "canvas W H, content W H, offset X Y (- = refused); patch 16, pool 3\n")
        for w, h in sizing_cases():
            hf = []
            for b in BUDGETS:
                r = transformers_size(w, h, 16, 3, b)
                hf.append("-" if r is None else "%dx%d" % r)
            ll = llama_size(w, h, 16, 3)
            f.write("%d %d | %s | %s\n" % (w, h, " ".join(hf), "-" if ll is None else " ".join(map(str, ll))))


# ---- the canvas step, end to end, at a small patch grid (patch 4, pool 2: 8-pixel tokens) ----------
FIT_CASES = [  # (w, h, seed, rule, budget or (min, max))
    (37, 23, 11, "llama", (70, 1120)),
    (37, 23, 11, "transformers", 70),
    (37, 23, 11, "transformers", 280),
    (100, 9, 12, "llama", (70, 1120)),
    (100, 9, 12, "transformers", 140),
    (9, 61, 13, "llama", (70, 1120)),
    (9, 61, 13, "transformers", 70),
    (150, 130, 14, "llama", (70, 1120)),
    (150, 130, 14, "transformers", 280),
    (40, 40, 15, "llama", (70, 1120)),   # no resize: already a valid canvas
    (120, 120, 16, "llama", (10, 50)),   # pulled down to the token maximum
]


def write_fit_fixtures():
    lines = []
    for w, h, seed, rule, arg in FIT_CASES:
        src = noise_image(w, h, seed)
        src_name = "in_%dx%d.png" % (w, h)
        src.save(out_path("fit", src_name))
        if rule == "llama":
            cw_, ch_, cw, ch, ox, oy = llama_size(w, h, 4, 2, arg[0], arg[1])
            canvas = Image.new("RGB", (cw_, ch_), (0, 0, 0))
            canvas.paste(src.resize((cw, ch), Image.BICUBIC) if (cw, ch) != (w, h) else src, (ox, oy))
            tag = "llama_%d_%d" % arg
        else:
            tw, th = transformers_size(w, h, 4, 2, arg)
            canvas = src.resize((tw, th), Image.BICUBIC) if (tw, th) != (w, h) else src.copy()
            tag = "transformers_%d" % arg
        name = "out_%dx%d_%s.png" % (w, h, tag)
        canvas.save(out_path("fit", name))
        lines.append("%s %s %s %s" % (src_name, rule, arg if rule == "transformers" else "%d %d" % arg, name))
    with open(out_path("fit", "fit.txt"), "w") as f:
        f.write("# input rule budget|min max expected (patch 4, pool 2)\n")
        f.write("\n".join(lines) + "\n")


def main():
    write_decode_fixtures()
    write_resize_fixtures()
    write_sizing()
    write_fit_fixtures()
    with open(out_path("MANIFEST"), "w") as f:
        f.write("written by make_golden.py with Python %s and Pillow %s\n" % (sys.version.split()[0], PIL.__version__))


if __name__ == "__main__":
    main()
