#!/usr/bin/env bash
# End to end on AArch64 under qemu: the cross-built gemma4-cli runs gguf-synth models as a
# Cortex-A76 (kernel table neon-dotprod) and a Cortex-A53 (neon). At every position of a prompt:
# with its scalar table (GEMMA4_KERNELS=scalar) and with its own NEON table, its logits agree with
# the host's scalar ones like two correct builds do: cosine >= 0.9995. Not bit for bit: libm's expf
# and sinf and the compiler's FMA contraction differ between the two machines, and a last-bit
# difference can flip one 8-bit activation rounding of a quantized matmul, which moves logits by
# up to ~1% of their range on these random models.
# A chat-formatted `run` must complete. The kernel unit tests (run-qemu.sh) check each kernel; this
# checks that the model, the threads and the dispatch put them together right on ARM.
#
# usage: tests/arm/e2e-qemu.sh HOST_GEMMA4_CLI HOST_GGUF_SYNTH [CROSS_BUILD_DIR]
# Dependencies: tests/arm/install-deps.sh.
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
host_cli=$1
synth=$2
build=${3:-$src/build-arm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Build the ARM gemma4-cli (run-qemu.sh's cross build) and check it starts on both CPUs.
"$src/tests/arm/run-qemu.sh" -B "$build" -t gemma4-cli -- --help >/dev/null
arm_cli=$(find "$build" -type f -name gemma4-cli -perm -u+x -not -path '*/CMakeFiles/*' | head -n 1)
qemu=(qemu-aarch64)
[ -e /lib/ld-linux-aarch64.so.1 ] || qemu+=(-L /usr/aarch64-linux-gnu)

tokens=2
for i in $(seq 1 47); do tokens="$tokens,$((4 + (i * 389) % 2040))"; done

failed=0
for type in q4_k_m q4_0 q8_0 f16; do
    model=$tmp/tiny-$type.gguf
    "$synth" --preset tiny --type "$type" -o "$model" >/dev/null
    GEMMA4_KERNELS=scalar "$host_cli" logits -m "$model" --tokens "$tokens" --all >"$tmp/host.json"
    for cpu in cortex-a76 cortex-a53; do
        for table in scalar auto; do
            if ! GEMMA4_KERNELS=$table timeout 600 "${qemu[@]}" -cpu "$cpu" "$arm_cli" logits -m "$model" \
                --tokens "$tokens" --all >"$tmp/arm.json" 2>"$tmp/err"; then
                echo "FAIL $type on $cpu ($table): logits exited non-zero: $(head -c 300 "$tmp/err")" >&2
                failed=1
                continue
            fi
            if verdict=$(python3 - "$tmp/host.json" "$tmp/arm.json" 2>&1 <<'EOF'
import json, math, sys
a, b = (json.load(open(f))["rows"] for f in sys.argv[1:3])
assert len(a) == len(b), f"{len(b)} rows, want {len(a)}"
worst_cos, worst_diff = 1.0, 0.0
for ra, rb in zip(a, b):
    x, y = ra["logits"], rb["logits"]
    dot = sum(p * q for p, q in zip(x, y))
    cos = dot / math.sqrt(sum(p * p for p in x) * sum(q * q for q in y))
    worst_cos = min(worst_cos, cos)
    worst_diff = max(worst_diff, max(abs(p - q) for p, q in zip(x, y)) / (max(x) - min(x)))
    assert cos >= 0.9995, f"pos {ra['pos']}: cosine {cos:.6f} < 0.9995"
print(f"{len(a)} positions, cos min {worst_cos:.7f}, max|diff| {worst_diff:.2e} of the range")
EOF
            ); then
                echo "ok   $type on $cpu, $table table vs the host's scalar: $verdict"
            else
                echo "FAIL $type on $cpu, $table table: $verdict" >&2
                failed=1
            fi
        done
    done
done

# The whole chat path (template, tokenizer, sampling, streaming) once per CPU.
for cpu in cortex-a76 cortex-a53; do
    if timeout 600 "${qemu[@]}" -cpu "$cpu" "$arm_cli" run -m "$tmp/tiny-q4_k_m.gguf" -p "Hello there" -n 8 --temp 0 \
        >"$tmp/out" 2>"$tmp/err" && grep -q "generation: 8 tokens" "$tmp/err"; then
        echo "ok   run on $cpu"
    else
        echo "FAIL run on $cpu: $(head -c 300 "$tmp/err")" >&2
        failed=1
    fi
done
exit $failed
