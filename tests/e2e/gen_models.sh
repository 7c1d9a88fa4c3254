#!/usr/bin/env bash
# Generates the gguf-synth models the e2e tests run on (tiny preset, each weight type).
#   gen_models.sh GGUF_SYNTH OUT_DIR
set -euo pipefail
synth=$1
out=$2
mkdir -p "$out"
for t in f32 f16 bf16 q8_0 q4_0 q4_k_m; do
    [ -s "$out/tiny-$t.gguf" ] || "$synth" --preset tiny --type "$t" -o "$out/tiny-$t.gguf"
done
