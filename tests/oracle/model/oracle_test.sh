#!/bin/sh
# One differential test: writes a tiny Gemma 4 GGUF with g4_tiny, then compares libgemma4's logits
# with llama.cpp's on a 1100-token prompt (compare.mjs; node-llama-cpp from $ORACLE_DIR).
#   oracle_test.sh G4_TINY G4_LOGITS WORKDIR NAME "G4_TINY ARGS" [compare.mjs criteria...]
set -eu
tiny=$1 logits=$2 dir=$3 name=$4 tiny_args=$5
shift 5
if [ -z "${ORACLE_DIR:-}" ] || [ ! -d "$ORACLE_DIR/node_modules/node-llama-cpp" ]; then
    echo "ORACLE_DIR must name a folder with node-llama-cpp installed (see /work/shared/oracle/README.md)" >&2
    exit 1
fi
mkdir -p "$dir"
model="$dir/$name.gguf"
# shellcheck disable=SC2086 # the tiny arguments are a word list
"$tiny" "$model" $tiny_args
G4_LOGITS=$logits exec node "$(dirname "$0")/compare.mjs" "$model" "$@"
