#!/usr/bin/env bash
# gguf-synth against libgemma4's own GGUF reader, no external tools:
#  - every tiny type is written, then read back with --check (every key, tensor header and byte);
#  - the same arguments give the same bytes, another seed gives other weights but the same vocabulary,
#    and --check notices the difference;
#  - bad arguments fail with a message and exit code 2.
#   check_reader.sh GGUF_SYNTH
set -euo pipefail
synth=${1:?usage: check_reader.sh GGUF_SYNTH}
[ -x "$synth" ] || { echo "gguf-synth binary '$synth' not found" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for t in f32 f16 bf16 q8_0 q4_0 q4_k_m; do
    "$synth" --preset tiny --type "$t" -o "$work/a-$t.gguf" >/dev/null
    "$synth" --preset tiny --type "$t" --check "$work/a-$t.gguf" >/dev/null
done

# Determinism: a second run is byte-identical.
"$synth" --preset tiny --type q4_k_m -o "$work/b-q4_k_m.gguf" >/dev/null
cmp "$work/a-q4_k_m.gguf" "$work/b-q4_k_m.gguf"

# Another seed: a different file, which --check rejects.
"$synth" --preset tiny --type f16 --seed 2 -o "$work/seed2.gguf" >/dev/null
if cmp -s "$work/a-f16.gguf" "$work/seed2.gguf"; then
    echo "seed 2 wrote the same file as seed 1" >&2
    exit 1
fi
if "$synth" --preset tiny --type f16 --check "$work/seed2.gguf" >/dev/null 2>"$work/err.txt"; then
    echo "--check accepted a file written with another seed" >&2
    exit 1
fi
grep -q "differ" "$work/err.txt" || { cat "$work/err.txt" >&2; exit 1; }

# One flipped byte in the last tensor (blk.9.proj.weight, 128 KiB of f16 at the end of the file)
# is found and located.
cp "$work/a-f16.gguf" "$work/flip.gguf"
size=$(wc -c <"$work/flip.gguf")
printf '\x5a' | dd of="$work/flip.gguf" bs=1 seek=$((size - 100)) conv=notrunc status=none
if "$synth" --preset tiny --type f16 --check "$work/flip.gguf" >/dev/null 2>"$work/err.txt"; then
    echo "--check accepted a corrupted tensor" >&2
    exit 1
fi
grep -q "tensor 'blk.9.proj.weight': data differs at byte" "$work/err.txt" || { cat "$work/err.txt" >&2; exit 1; }

# A custom shape is checked against llama.cpp's KV-sharing rule, and bad flags are usage errors.
"$synth" --preset tiny --layers 15 --shared-kv 5 --type q8_0 -o "$work/l15.gguf" >/dev/null
"$synth" --preset tiny --layers 15 --shared-kv 5 --type q8_0 --check "$work/l15.gguf" >/dev/null
for args in "--shared-kv 4" "--type q3_k" "--preset huge" "--layers x" "--bogus 1"; do
    set +e
    # shellcheck disable=SC2086
    "$synth" $args -o "$work/bad.gguf" >/dev/null 2>"$work/err.txt"
    rc=$?
    set -e
    if [ "$rc" -eq 0 ] || [ ! -s "$work/err.txt" ]; then
        echo "gguf-synth $args: expected a failure with a message (rc $rc)" >&2
        exit 1
    fi
done
[ ! -e "$work/bad.gguf" ] || { echo "a failed run left bad.gguf behind" >&2; exit 1; }
echo "gguf-synth output reads back exactly"
