#!/bin/sh
# End to end: `gemma4-cli info` on the GGUF seed files of the fuzz corpus (valid and broken).
#   test_info.sh GEMMA4_CLI SEED_DIR [GEMMA4_MODEL]
# SEED_DIR is tests/fuzz/corpus/gguf. With GEMMA4_MODEL (a Gemma 4 GGUF, e.g. from gguf-synth) the
# engine section must also say the model is supported.
set -u

if [ $# -lt 2 ] || [ ! -x "$1" ] || [ ! -d "$2" ]; then
    echo "usage: test_info.sh GEMMA4_CLI SEED_DIR [GEMMA4_MODEL] (CLI must be executable, SEED_DIR a directory)" >&2
    exit 1
fi
cli=$1
seeds=$2
model=${3:-}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# run EXPECTED_EXIT ARGS...: runs the CLI, output in $tmp/out and $tmp/err.
run() {
    want=$1
    shift
    "$cli" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    [ "$got" -eq "$want" ] || fail "gemma4-cli $*: exit $got, want $want; stderr: $(cat "$tmp/err")"
}

# has FILE TEXT: the file contains TEXT (a fixed string).
has() {
    grep -qF -- "$2" "$tmp/$1" || fail "expected '$2' in the $1 of the last command"
}

valid=$seeds/valid_tokenizer

run 0 info "$valid"
has out "format:      GGUF v3, alignment 64"
has out "tensors (3):"
has out "blk.0.attn_q.weight"
has out "q4_0"
has out "32 x 2"
has out "q4_K"
has out "(12 x string)"
has out "engine:      gemma4: NOT supported"
[ -s "$tmp/err" ] && fail "info printed to stderr: $(cat "$tmp/err")"

run 0 info "$valid" --full
has out '"o r"]'
grep -qF "(12 x string)" "$tmp/out" && fail "--full still abbreviates arrays"

run 0 info --json "$valid"
has out '"gguf_version":	3'
has out '"n_tensors":	3'
has out '"n_params":	384'
has out '"tensor_types":'
has out '"elem_type":	"string"'
has out '"count":	12'
has out '"supported":	false'

run 0 info "$seeds/valid_v2"
has out "GGUF v2"

run 1 info "$seeds/broken_truncated"
has err "gemma4-cli: $seeds/broken_truncated: key #9 at offset 247:"
[ -s "$tmp/out" ] && fail "a failed info printed to stdout"

run 1 info "$seeds/broken_v1"
has err "GGUF version 1 is obsolete"

run 1 info "$seeds/broken_misaligned"
has err "tensor 'misaligned' at offset"

run 1 info "$tmp/does-not-exist.gguf"
has err "cannot open: No such file or directory"

run 2 info
has err "no model file given (see 'gemma4-cli info --help')"
run 2 info "$valid" --bogus
has err "unknown option '--bogus'"
run 2 info "$valid" "$valid"
has err "unexpected argument"
run 0 info --help
has out "usage: gemma4-cli info"

if [ -n "$model" ]; then
    run 0 info "$model"
    has out "gemma4: supported"
    has out "is_swa"
    run 0 info --json "$model"
    has out '"supported":	true'
    has out '"n_params_effective":'
fi

if [ "$failures" -ne 0 ]; then
    echo "test_info.sh: $failures check(s) failed" >&2
    exit 1
fi
echo "test_info.sh: all checks passed"
