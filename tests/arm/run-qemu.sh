#!/usr/bin/env bash
# Cross-builds targets for AArch64 (cmake/aarch64-linux-gnu.cmake) and runs them under qemu-user
# as several CPU models, so that both ARM kernel tables run on an x86 machine:
#   cortex-a76  Raspberry Pi 5: NEON + dotprod  -> kernel table "neon-dotprod"
#   cortex-a53  Raspberry Pi 3, no dotprod       -> kernel table "neon"
# A target whose output has a line "best table: NAME" (test_kernels_simd, kernel-bench) must
# report the table that CPU model should get; every run must exit 0.
#
# usage: tests/arm/run-qemu.sh [-B BUILD_DIR] [-c CPU]... [-t TARGET]... [--no-build] [-- ARGS...]
#   -B DIR      cross build directory (default: build-arm in the source tree)
#   -c CPU      qemu -cpu model, repeatable (default: cortex-a76 cortex-a53)
#   -t TARGET   CMake target to build and run, repeatable (default: the kernel and pool unit tests);
#               its executable is looked up in the build tree by name
#   --no-build  run what is already built
#   -- ARGS     arguments passed to every target run
# Environment: JOBS (parallel build jobs, default 2), TIMEOUT (seconds per run, default 600).
# Dependencies: tests/arm/install-deps.sh.
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build="$src/build-arm"
cpus=()
targets=()
do_build=1
args=()
while [ $# -gt 0 ]; do
    case "$1" in
    -B) build=$2; shift 2 ;;
    -c) cpus+=("$2"); shift 2 ;;
    -t) targets+=("$2"); shift 2 ;;
    --no-build) do_build=0; shift ;;
    --) shift; args=("$@"); break ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "run-qemu.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[ ${#cpus[@]} -gt 0 ] || cpus=(cortex-a76 cortex-a53)
[ ${#targets[@]} -gt 0 ] || targets=(test_kernels_simd test_kernels_attention test_kernels_matmul test_kernels_ops test_kernels_quants test_kernels_quants_fp16 test_kernels_quants_known test_kernels_fallback test_kernels_attention_bidirectional test_kernels_gelu_quick_clamp test_kernels_patch_grid test_kernels_rope_2d test_core_pool)

for tool in aarch64-linux-gnu-gcc qemu-aarch64 cmake; do
    command -v "$tool" >/dev/null || { echo "run-qemu.sh: $tool not found: run tests/arm/install-deps.sh" >&2; exit 1; }
done

# The loader and libc.so must come from one glibc build: with the multiarch libc6:arm64 installed
# both are in the host root (no prefix); otherwise they are in the cross sysroot.
qemu=(qemu-aarch64)
[ -e /lib/ld-linux-aarch64.so.1 ] || qemu+=(-L /usr/aarch64-linux-gnu)

if [ "$do_build" = 1 ]; then
    if [ ! -f "$build/CMakeCache.txt" ]; then
        cmake -S "$src" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$src/cmake/aarch64-linux-gnu.cmake" \
            -DGEMMA4_WERROR=ON >/dev/null
    fi
    cmake --build "$build" -j "${JOBS:-2}" --target "${targets[@]}"
fi

expected_table() {
    case "$1" in
    cortex-a53 | cortex-a57 | cortex-a72) echo neon ;;
    cortex-a76 | cortex-a710 | neoverse-n1 | neoverse-v1 | max) echo neon-dotprod ;;
    *) echo "" ;;
    esac
}

failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in "${targets[@]}"; do
    bin=$(find "$build" -type f -name "$target" -perm -u+x -not -path '*/CMakeFiles/*' | head -n 1)
    if [ -z "$bin" ]; then
        echo "FAIL $target: no executable named $target under $build" >&2
        failed=1
        continue
    fi
    for cpu in "${cpus[@]}"; do
        set +e
        timeout -s KILL "${TIMEOUT:-600}" "${qemu[@]}" -cpu "$cpu" "$bin" "${args[@]}" >"$log" 2>&1
        rc=$?
        set -e
        cat "$log"
        want=$(expected_table "$cpu")
        got=$(sed -n 's/^best table: *\([a-z0-9-]*\).*/\1/p' "$log" | head -n 1)
        if [ $rc -ne 0 ]; then
            echo "FAIL $target on $cpu: exit status $rc" >&2
            failed=1
        elif [ -n "$got" ] && [ -n "$want" ] && [ "$got" != "$want" ]; then
            echo "FAIL $target on $cpu: dispatch picked '$got', expected '$want'" >&2
            failed=1
        else
            echo "ok   $target on $cpu${got:+ (best table: $got)}"
        fi
    done
done
exit $failed
