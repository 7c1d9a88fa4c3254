/*
 * mmproj shapes. e2b is google/gemma-4-E2B-it's multimodal part as the converter writes it
 * (GEMMA4-VISION.md section 2, GEMMA4-AUDIO.md section 1): a 768-wide, 16-block ViT with 12 heads,
 * 16-pixel patches and 10240-entry position tables, and a 1024-wide, 12-block conformer with 8
 * heads, 128 mel bins and 128/32-channel subsampling convolutions, both projecting into the text
 * model's 1536. tiny keeps every structural feature (head dims 64 and 128, as in E2B, so the RoPE
 * halves and the relative-position heads are E2B's) at a size that writes and loads in
 * milliseconds, and projects into the tiny text preset's 256.
 */
#include <stdio.h>
#include <string.h>

#include "synth.h"

bool synth_mmproj_preset(const char *name, synth_mmproj_hparams *hp) {
    memset(hp, 0, sizeof *hp);
    hp->v_patch = 16;
    hp->a_mel = 128;
    hp->a_conv0 = 128;
    hp->a_conv1 = 32;
    hp->eps = 1e-6f;
    if (strcmp(name, "e2b") == 0) {
        hp->text_embd = 1536;
        hp->v_embd = 768, hp->v_head = 12, hp->v_ff = 3072, hp->v_layer = 16, hp->v_pos = 10240;
        hp->a_embd = 1024, hp->a_head = 8, hp->a_ff = 4096, hp->a_layer = 12, hp->a_out = 1536;
    } else if (strcmp(name, "tiny") == 0) {
        hp->text_embd = 256;
        hp->v_embd = 128, hp->v_head = 2, hp->v_ff = 512, hp->v_layer = 2, hp->v_pos = 1024;
        hp->a_embd = 256, hp->a_head = 2, hp->a_ff = 1024, hp->a_layer = 2, hp->a_out = 256;
    } else {
        return false;
    }
    snprintf(hp->preset, sizeof hp->preset, "%s", name);
    return true;
}

gemma4_status synth_mmproj_validate(const synth_mmproj_hparams *hp, g4_error *err) {
    const gemma4_status bad = GEMMA4_ERR_INVALID_ARG;
    if (hp->text_embd == 0 || hp->text_embd % 32 != 0)
        return g4_fail(err, bad, "--embd %u: the text width must be a positive multiple of 32", hp->text_embd);
    if (hp->v_head == 0 || hp->v_embd % hp->v_head != 0 || (hp->v_embd / hp->v_head) % 4 != 0)
        return g4_fail(err, bad, "vision width %u over %u heads: the head dim must be a multiple of 4", hp->v_embd,
                       hp->v_head);
    if (hp->a_head == 0 || hp->a_embd % hp->a_head != 0)
        return g4_fail(err, bad, "audio width %u is not a multiple of %u heads", hp->a_embd, hp->a_head);
    return GEMMA4_OK;
}
