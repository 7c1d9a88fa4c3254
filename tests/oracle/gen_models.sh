#!/usr/bin/env bash
# Writes the models of the oracle tier (once; gguf-synth is deterministic, so a file that exists is
# the right one unless gguf-synth changed: the stamp holds its checksum).
#   gen_models.sh GGUF_SYNTH OUT_DIR
set -euo pipefail
synth=$1
out=$2
mkdir -p "$out"
stamp=$(sha256sum "$synth" | cut -c1-16)
[ "$(cat "$out/.synth" 2>/dev/null)" = "$stamp" ] || rm -f "$out"/*.gguf
for t in f32 f16 q8_0 q4_0 q4_k_m; do
    [ -s "$out/tiny-$t.gguf" ] || "$synth" --preset tiny --type "$t" -o "$out/tiny-$t.gguf"
done
# E2B's real shapes and 262144-token vocabulary in f16 (10 GB): the scale test of the forward pass.
[ -s "$out/e2b-f16.gguf" ] || "$synth" --preset e2b --type f16 -o "$out/e2b-f16.gguf"
echo "$stamp" >"$out/.synth"
