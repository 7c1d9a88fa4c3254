/* gguf-synth command line: parses flags, builds the vocabulary and the plan, writes or checks. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "synth.h"
#include "vocab.h"

static void usage(FILE *out) {
    fputs("usage: gguf-synth [options] -o OUT.gguf\n"
          "       gguf-synth [options] --check FILE.gguf\n"
          "\n"
          "Writes a Gemma 4 (GGUF arch 'gemma4') model, or with --mmproj its vision and audio encoders, with\n"
          "deterministic pseudo-random weights that llama.cpp loads unchanged. The same arguments always give the\n"
          "same bytes.\n"
          "\n"
          "  --preset tiny|e2b|e4b   model shape (default tiny): tiny is E2B's structure at 10 layers x 256\n"
          "                          wide with a 2048-token vocabulary; e2b and e4b are the real shapes\n"
          "  --type T                f32 | f16 | bf16 (as convert_hf_to_gguf.py writes them) or\n"
          "                          q8_0 | q4_0 | q4_k_m (as llama-quantize makes them from bf16); default f16\n"
          "  --seed N                seed of the weights (default 1); the vocabulary does not depend on it\n"
          "  --vocab generated|PATH  a generated BPE vocabulary (default) or a Hugging Face tokenizer.json,\n"
          "                          e.g. Gemma 3's, with the Gemma 4 special tokens put on its unused ids\n"
          "  --chat-template FILE    text for tokenizer.chat_template (default: a short built-in Gemma 4\n"
          "                          template without tool support; pass Google's chat_template.jinja for tools)\n"
          "  -o FILE                 output path (written to FILE.tmp, then renamed)\n"
          "  --check FILE            instead of writing: read FILE with libgemma4's GGUF reader and compare every\n"
          "                          key, tensor and byte with what these arguments would write\n"
          "  --mmproj                write the multimodal projector file instead (GGUF arch 'clip', as the\n"
          "                          converter's --mmproj writes it): Gemma 4's vision encoder (gemma4v) and audio\n"
          "                          encoder (gemma4a) for preset tiny or e2b, --type f32 | f16 | bf16 | q8_0;\n"
          "                          --embd sets the text width it projects into (the preset's text width)\n"
          "  -v, --verbose           one line per tensor\n"
          "  -h, --help              this text\n"
          "\n"
          "shape overrides (applied on top of the preset):\n"
          "  --layers N --embd N --ff N --heads N --kv-heads N --head-dim N (global layers)\n"
          "  --head-dim-swa N --swa N (window) --swa-period N (every Nth layer is global)\n"
          "  --shared-kv N (last N layers reuse KV) --ple N (per-layer embedding width, 0 = none)\n"
          "  --double-wide 0|1 (shared layers get 2x FFN) --vocab-size N --ctx N\n"
          "  --shared-kv-weights 0|1 (default 1: KV-shared layers keep their unused attn_k, attn_v and\n"
          "                          attn_k_norm, as the published Gemma 4 GGUFs do; 0 leaves them out)\n",
          out);
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out) {
    if (!s || !*s) return false;
    for (const char *c = s; *c; c++)
        if (*c < '0' || *c > '9') return false;
    errno = 0;
    const unsigned long long v = strtoull(s, NULL, 10);
    if (errno != 0 || v > max) return false;
    *out = v;
    return true;
}

static char *read_text_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - 1 - len, f);
        if (len < cap - 1) break;
        char *b = realloc(buf, cap * 2);
        if (!b) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = b;
        cap *= 2;
    }
    const bool bad = ferror(f) != 0;
    fclose(f);
    if (!buf || bad) {
        free(buf);
        return NULL;
    }
    buf[len] = 0;
    if (strlen(buf) != len) { /* a NUL inside: not text */
        free(buf);
        return NULL;
    }
    return buf;
}

typedef struct override {
    const char *flag;
    size_t offset;
    uint64_t max;
    bool set;
    uint64_t value;
} override;

#define HP_FIELD(f) offsetof(synth_hparams, f)

static double seconds_between(const struct timespec *t0, const struct timespec *t1) {
    return (double)(t1->tv_sec - t0->tv_sec) + 1e-9 * (double)(t1->tv_nsec - t0->tv_nsec);
}

/* --mmproj: the text model's options do not apply, except --embd (the width projected into). */
static int write_mmproj(const char *preset, const char *type_name, uint64_t seed, const override *ovr, size_t n_ovr,
                        const char *vocab_arg, const char *template_path, int double_wide, int shared_kv_weights,
                        const char *out_path, const char *check_path, bool verbose) {
    synth_mmproj_hparams hp;
    synth_ftype ftype;
    if (!synth_mmproj_preset(preset, &hp)) {
        fprintf(stderr, "gguf-synth: --mmproj has presets tiny and e2b, not '%s'\n", preset);
        return 2;
    }
    if (!synth_ftype_parse(type_name, &ftype)) {
        fprintf(stderr, "gguf-synth: unknown type '%s' (--mmproj: f32, f16, bf16, q8_0)\n", type_name);
        return 2;
    }
    const bool text_only =
        strcmp(vocab_arg, "generated") != 0 || template_path || double_wide >= 0 || shared_kv_weights >= 0;
    for (size_t k = 0; k < n_ovr; k++) {
        if (!ovr[k].set) continue;
        if (ovr[k].offset != HP_FIELD(n_embd)) {
            fprintf(stderr, "gguf-synth: %s shapes the text model; with --mmproj only --embd applies\n", ovr[k].flag);
            return 2;
        }
        hp.text_embd = (uint32_t)ovr[k].value;
    }
    if (text_only) {
        fprintf(stderr, "gguf-synth: --vocab, --chat-template, --double-wide and --shared-kv-weights shape the text "
                        "model, not --mmproj\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    g4_error err = {0};
    synth_plan plan = {0};
    gemma4_status st = synth_mmproj_validate(&hp, &err);
    if (st == GEMMA4_OK) st = synth_mmproj_plan_build(&plan, &hp, ftype, seed, &err);
    if (st == GEMMA4_OK)
        st = check_path ? synth_check(&plan, check_path, &err) : synth_write(&plan, out_path, verbose, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (st == GEMMA4_OK) {
        printf("gguf-synth: %s %s (mmproj %s, %s, seed %" PRIu64 "): %zu keys, %zu tensors, %.1f MiB of weights, "
               "%.1f s\n",
               check_path ? "checked" : "wrote", check_path ? check_path : out_path, hp.preset, synth_ftype_name(ftype),
               seed, plan.n_kvs, plan.n_tensors, (double)synth_plan_data_bytes(&plan) / (1024.0 * 1024.0),
               seconds_between(&t0, &t1));
    } else {
        fprintf(stderr, "gguf-synth: %s: %s\n", gemma4_status_name(st), err.msg);
    }
    synth_plan_free(&plan);
    return st == GEMMA4_OK ? 0 : 1;
}

int main(int argc, char **argv) {
    const char *preset = "tiny", *type_name = "f16", *vocab_arg = "generated", *template_path = NULL;
    const char *out_path = NULL, *check_path = NULL;
    uint64_t seed = 1;
    bool verbose = false, mmproj = false;
    int double_wide = -1, shared_kv_weights = -1;
    override ovr[] = {
        {"--layers", HP_FIELD(n_layer), SYNTH_MAX_LAYERS, false, 0},
        {"--embd", HP_FIELD(n_embd), 1u << 20, false, 0},
        {"--ff", HP_FIELD(n_ff), 1u << 22, false, 0},
        {"--heads", HP_FIELD(n_head), 1024, false, 0},
        {"--kv-heads", HP_FIELD(n_head_kv), 1024, false, 0},
        {"--head-dim", HP_FIELD(head_dim), 1u << 16, false, 0},
        {"--head-dim-swa", HP_FIELD(head_dim_swa), 1u << 16, false, 0},
        {"--swa", HP_FIELD(n_swa), UINT32_MAX, false, 0},
        {"--swa-period", HP_FIELD(swa_period), SYNTH_MAX_LAYERS, false, 0},
        {"--shared-kv", HP_FIELD(n_shared_kv), SYNTH_MAX_LAYERS, false, 0},
        {"--ple", HP_FIELD(n_ple), 1u << 16, false, 0},
        {"--vocab-size", HP_FIELD(n_vocab), 1u << 24, false, 0},
        {"--ctx", HP_FIELD(n_ctx), UINT32_MAX, false, 0},
    };
    const size_t n_ovr = sizeof ovr / sizeof ovr[0];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            verbose = true;
            continue;
        }
        if (strcmp(a, "--mmproj") == 0) {
            mmproj = true;
            continue;
        }
        if (!val) {
            fprintf(stderr, "gguf-synth: %s needs a value (or is unknown); see --help\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "--preset") == 0)
            preset = val;
        else if (strcmp(a, "--type") == 0)
            type_name = val;
        else if (strcmp(a, "--vocab") == 0)
            vocab_arg = val;
        else if (strcmp(a, "--chat-template") == 0)
            template_path = val;
        else if (strcmp(a, "-o") == 0)
            out_path = val;
        else if (strcmp(a, "--check") == 0)
            check_path = val;
        else if (strcmp(a, "--seed") == 0) {
            if (!parse_u64(val, UINT64_MAX, &seed)) {
                fprintf(stderr, "gguf-synth: --seed '%s' is not a number\n", val);
                return 2;
            }
        } else if (strcmp(a, "--double-wide") == 0 || strcmp(a, "--shared-kv-weights") == 0) {
            if (strcmp(val, "0") != 0 && strcmp(val, "1") != 0) {
                fprintf(stderr, "gguf-synth: %s takes 0 or 1\n", a);
                return 2;
            }
            *(strcmp(a, "--double-wide") == 0 ? &double_wide : &shared_kv_weights) = val[0] == '1';
        } else {
            size_t k = 0;
            while (k < n_ovr && strcmp(a, ovr[k].flag) != 0) k++;
            if (k == n_ovr) {
                fprintf(stderr, "gguf-synth: unknown option '%s'; see --help\n", a);
                return 2;
            }
            if (!parse_u64(val, ovr[k].max, &ovr[k].value)) {
                fprintf(stderr, "gguf-synth: %s '%s' is not a number in 0..%" PRIu64 "\n", a, val, ovr[k].max);
                return 2;
            }
            ovr[k].set = true;
        }
    }
    if ((out_path == NULL) == (check_path == NULL)) {
        fprintf(stderr, "gguf-synth: give exactly one of -o OUT.gguf and --check FILE.gguf; see --help\n");
        return 2;
    }

    if (mmproj)
        return write_mmproj(preset, type_name, seed, ovr, n_ovr, vocab_arg, template_path, double_wide,
                            shared_kv_weights, out_path, check_path, verbose);

    synth_hparams hp;
    synth_ftype ftype;
    if (!synth_hparams_preset(preset, &hp)) {
        fprintf(stderr, "gguf-synth: unknown preset '%s' (tiny, e2b, e4b)\n", preset);
        return 2;
    }
    if (!synth_ftype_parse(type_name, &ftype)) {
        fprintf(stderr, "gguf-synth: unknown type '%s' (f32, f16, bf16, q8_0, q4_0, q4_k_m)\n", type_name);
        return 2;
    }
    for (size_t k = 0; k < n_ovr; k++)
        if (ovr[k].set) *(uint32_t *)((char *)&hp + ovr[k].offset) = (uint32_t)ovr[k].value;
    if (double_wide >= 0) hp.double_wide_ffn = double_wide == 1;
    if (shared_kv_weights >= 0) hp.shared_kv_weights = shared_kv_weights == 1;

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    g4_error err = {0};
    synth_vocab vocab = {0};
    gemma4_status st = GEMMA4_OK;
    const bool generated = strcmp(vocab_arg, "generated") == 0;
    if (!generated) {
        st = synth_vocab_import(&vocab, vocab_arg, &err);
        for (size_t k = 0; k < n_ovr && st == GEMMA4_OK; k++)
            if (ovr[k].set && ovr[k].offset == HP_FIELD(n_vocab) && ovr[k].value != vocab.n_tokens)
                st = g4_fail(&err, GEMMA4_ERR_INVALID_ARG, "--vocab-size %" PRIu64 " but %s has %u tokens",
                             ovr[k].value, vocab_arg, vocab.n_tokens);
        hp.n_vocab = vocab.n_tokens;
    }
    if (st == GEMMA4_OK) st = synth_hparams_validate(&hp, &err);
    if (st == GEMMA4_OK && generated) st = synth_vocab_generate(&vocab, hp.n_vocab, &err);

    char *template_text = NULL;
    if (st == GEMMA4_OK && template_path) {
        template_text = read_text_file(template_path);
        if (!template_text) st = g4_fail(&err, GEMMA4_ERR_IO, "cannot read text file '%s'", template_path);
    }
    synth_plan plan = {0};
    if (st == GEMMA4_OK)
        st = synth_plan_build(&plan, &hp, ftype, seed, &vocab,
                              template_text ? template_text : synth_builtin_chat_template, &err);
    if (st == GEMMA4_OK)
        st = check_path ? synth_check(&plan, check_path, &err) : synth_write(&plan, out_path, verbose, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const double secs = seconds_between(&t0, &t1);

    if (st == GEMMA4_OK) {
        const uint64_t bytes = synth_plan_data_bytes(&plan);
        printf("gguf-synth: %s %s (%s, %s, seed %" PRIu64 "): %zu keys, %zu tensors, %.1f MiB of weights, %.1f s\n",
               check_path ? "checked" : "wrote", check_path ? check_path : out_path, hp.preset, synth_ftype_name(ftype),
               seed, plan.n_kvs, plan.n_tensors, (double)bytes / (1024.0 * 1024.0), secs);
    } else {
        fprintf(stderr, "gguf-synth: %s: %s\n", gemma4_status_name(st), err.msg);
    }
    synth_plan_free(&plan);
    synth_vocab_free(&vocab);
    free(template_text);
    return st == GEMMA4_OK ? 0 : 1;
}
