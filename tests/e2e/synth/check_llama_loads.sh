#!/usr/bin/env bash
# llama.cpp loads every gguf-synth tiny model unchanged: for each file type, generate the model and
# run llama_check.mjs on it (special tokens, finite non-flat logits, greedy decoding).
#   G4_ORACLE_DIR=DIR check_llama_loads.sh GGUF_SYNTH
# DIR is a folder with node-llama-cpp@3.22.1 installed (tests/oracle/setup.sh DIR, or
# /work/shared/oracle/README.md). Missing prerequisites fail the test with a message.
set -euo pipefail
synth=${1:?usage: G4_ORACLE_DIR=DIR check_llama_loads.sh GGUF_SYNTH}
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${G4_ORACLE_DIR:-}" ] || [ ! -d "$G4_ORACLE_DIR/node_modules/node-llama-cpp" ]; then
    echo "G4_ORACLE_DIR must name a folder with node-llama-cpp installed (tests/oracle/setup.sh DIR)" >&2
    exit 1
fi
if ! command -v node >/dev/null; then
    echo "node is needed (apt-get install nodejs)" >&2
    exit 1
fi
[ -x "$synth" ] || { echo "gguf-synth binary '$synth' not found" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The check script imports node-llama-cpp, which Node resolves from the script's own folder.
cp "$here/llama_check.mjs" "$work/"
ln -s "$G4_ORACLE_DIR/node_modules" "$work/node_modules"

for t in f32 f16 bf16 q8_0 q4_0 q4_k_m; do
    model=$work/tiny-$t.gguf
    "$synth" --preset tiny --type "$t" -o "$model" >/dev/null
    node "$work/llama_check.mjs" "$model" 2048
done
echo "llama.cpp loads all tiny types"
