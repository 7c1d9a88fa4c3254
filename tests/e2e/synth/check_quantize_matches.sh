#!/usr/bin/env bash
# gguf-synth's q8_0 / q4_0 / q4_k_m files are byte-identical to what llama-quantize makes from its
# bf16 file: same tensor types (llama.cpp's mix rules), same quantized blocks, same metadata order.
#   check_quantize_matches.sh GGUF_SYNTH LLAMA_QUANTIZE [PRESET]
# LLAMA_QUANTIZE is llama.cpp's tool (e.g. /work/ref/llama.cpp-ref/build/bin/llama-quantize).
set -euo pipefail
synth=${1:?usage: check_quantize_matches.sh GGUF_SYNTH LLAMA_QUANTIZE [PRESET]}
quantize=${2:?usage: check_quantize_matches.sh GGUF_SYNTH LLAMA_QUANTIZE [PRESET]}
preset=${3:-tiny}
[ -x "$synth" ] || { echo "gguf-synth binary '$synth' not found" >&2; exit 1; }
[ -x "$quantize" ] || { echo "llama-quantize '$quantize' not found (build llama.cpp's tools)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$synth" --preset "$preset" --type bf16 -o "$work/bf16.gguf" >/dev/null
for t in q8_0 q4_0 q4_k_m; do
    "$synth" --preset "$preset" --type "$t" -o "$work/synth-$t.gguf" >/dev/null
    upper=$(echo "$t" | tr 'a-z' 'A-Z')
    if ! "$quantize" "$work/bf16.gguf" "$work/llama-$t.gguf" "$upper" >"$work/quantize.log" 2>&1; then
        tail -20 "$work/quantize.log" >&2
        exit 1
    fi
    if ! cmp "$work/llama-$t.gguf" "$work/synth-$t.gguf"; then
        echo "$t: gguf-synth and llama-quantize disagree" >&2
        exit 1
    fi
done
echo "q8_0, q4_0 and q4_k_m match llama-quantize byte for byte ($preset)"
