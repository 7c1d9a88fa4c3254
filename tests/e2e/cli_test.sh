#!/usr/bin/env bash
# End to end: gemma4-cli's commands on gguf-synth models, including bad input.
#   cli_test.sh GEMMA4_CLI MODEL_DIR      (MODEL_DIR holds tiny-f32.gguf, tiny-q4_k_m.gguf ... from gen_models.sh)
set -u
cli=$1
models=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
checks=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect EXIT_CODE DESCRIPTION -- ARGS...: runs the CLI with stdout/stderr in $tmp/out, $tmp/err.
expect() {
    local want=$1 what=$2
    shift 3
    checks=$((checks + 1))
    timeout 120 "$cli" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local got=$?
    if [ "$got" -ne "$want" ]; then
        fail "$what: exit $got, want $want (gemma4-cli $*)"
        sed 's/^/    stderr: /' "$tmp/err" | head -5 >&2
        return 1
    fi
    return 0
}
contains() { grep -q -- "$2" "$1" || fail "$3: '$2' not in $(basename "$1"): $(head -c 300 "$1")"; }
json_ok() { python3 -c "import json,sys; $2" <"$1" 2>"$tmp/py" || fail "$3: $(cat "$tmp/py" | tail -1)"; }

m=$models/tiny-f32.gguf

# --- run ---------------------------------------------------------------------------------------
# (Random weights may well answer with control tokens only, which print as nothing: the answer's
# text is checked with --raw --special below, where every token prints.)
if expect 0 "run greedy" -- run -m "$m" -p "Why is the sky blue?" -n 12 --temp 0; then
    contains "$tmp/err" "generation: 12 tokens" "run prints timing"
    cp "$tmp/out" "$tmp/first"
fi
expect 0 "run greedy again" -- run -m "$m" -p "Why is the sky blue?" -n 12 --temp 0 &&
    { cmp -s "$tmp/out" "$tmp/first" || fail "greedy run is not deterministic"; }
expect 0 "run sampled with seed" -- run -m "$m" -p "Hi" -n 10 --temp 0.9 --top-k 40 --top-p 0.9 --min-p 0.05 --seed 5 --repeat-penalty 1.1 && cp "$tmp/out" "$tmp/s1"
expect 0 "run sampled with seed again" -- run -m "$m" -p "Hi" -n 10 --temp 0.9 --top-k 40 --top-p 0.9 --min-p 0.05 --seed 5 --repeat-penalty 1.1 &&
    { cmp -s "$tmp/out" "$tmp/s1" || fail "seeded sampling is not reproducible"; }
expect 0 "run raw" -- run -m "$m" --raw -p "Once upon a time" -n 5 --no-stats
if expect 0 "run raw special" -- run -m "$m" --raw --special -p "Once upon a time" -n 8 --temp 0 --no-stats; then
    [ "$(tr -d '\n' <"$tmp/out" | wc -c)" -gt 0 ] || fail "run --raw --special printed nothing for 8 tokens"
fi
expect 0 "run with system and thinking" -- run -m "$m" --system "Be brief." --think -p "Hi" -n 5
for t in q8_0 q4_0 q4_k_m; do
    expect 0 "run $t" -- run -m "$models/tiny-$t.gguf" -p "Hello" -n 4 --temp 0
done
expect 0 "run with q8_0 KV cache and 1 thread" -- run -m "$m" -p "Hello" -n 4 --temp 0 --kv-type q8_0 -t 1

# --- bad input: a clear message and exit code 1 (runtime) or 2 (usage), never a crash ----------
expect 2 "run without prompt" -- run -m "$m" && contains "$tmp/err" "prompt is required" "missing prompt"
expect 2 "run bad number" -- run -m "$m" -p x -n 12x && contains "$tmp/err" "whole number" "bad -n"
expect 2 "run bad kv type" -- run -m "$m" -p x --kv-type q4 && contains "$tmp/err" "f16 or q8_0" "bad kv type"
expect 1 "run missing model" -- run -m "$tmp/none.gguf" -p x && contains "$tmp/err" "none.gguf" "missing model named"
head -c 5000 "$m" >"$tmp/trunc.gguf"
expect 1 "run truncated model" -- run -m "$tmp/trunc.gguf" -p x && contains "$tmp/err" "trunc.gguf" "truncated model named"
printf 'not a gguf file at all' >"$tmp/junk.gguf"
expect 1 "run junk file" -- run -m "$tmp/junk.gguf" -p x
expect 1 "prompt longer than the context" -- run -m "$m" -c 16 -p "$(printf 'word %.0s' $(seq 1 100))" &&
    contains "$tmp/err" "context" "over-long prompt names the context"
expect 1 "context larger than the model's" -- run -m "$m" -c 100000000 -p x && contains "$tmp/err" "exceeds the model" "huge -c"
expect 2 "unknown command" -- frobnicate
expect 2 "unknown option" -- run -m "$m" -p x --bogus

# --- tokenize / logits / greedy (the oracle's JSON) ---------------------------------------------
if expect 0 "tokenize" -- tokenize -m "$m" "Hello <turn|> world"; then
    json_ok "$tmp/out" "d=json.load(sys.stdin); assert isinstance(d['tokens'],list) and len(d['tokens'])>=3" "tokenize JSON"
fi
expect 0 "tokenize --no-special" -- tokenize -m "$m" --no-special "Hello <turn|> world"
if expect 0 "logits --all" -- logits -m "$m" --tokens 2,10,20 --all; then
    json_ok "$tmp/out" "d=json.load(sys.stdin); assert len(d['rows'])==3 and all(len(r['logits'])==d['n_vocab'] for r in d['rows']) and [r['pos'] for r in d['rows']]==[0,1,2]" "logits JSON"
fi
if expect 0 "logits last" -- logits -m "$m" --tokens 2,10,20; then
    json_ok "$tmp/out" "d=json.load(sys.stdin); assert len(d['rows'])==1 and d['rows'][0]['pos']==2" "logits last row"
fi
expect 1 "logits token out of range" -- logits -m "$m" --tokens 2,99999999 && contains "$tmp/err" "outside the vocabulary" "bad token id"
expect 2 "logits bad list" -- logits -m "$m" --tokens 2,,x
if expect 0 "greedy" -- greedy -m "$m" --tokens 2,10,20 -n 8; then
    json_ok "$tmp/out" "d=json.load(sys.stdin); assert 0 < len(d['tokens']) <= 8" "greedy JSON"
fi

# --- chat: multi-turn over stdin, /reset, /exit ------------------------------------------------
checks=$((checks + 1))
printf 'Hello\nHow are you?\n/reset\nAgain\n/exit\n' | timeout 300 "$cli" chat -m "$m" --temp 0 -c 512 -n 24 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] || fail "chat exit $rc: $(tail -3 "$tmp/err")"
contains "$tmp/err" "conversation forgotten" "chat /reset"
[ "$(grep -c '^> ' "$tmp/out")" -ge 3 ] || fail "chat did not answer three prompts: $(head -c 300 "$tmp/out")"

# --- bench ---------------------------------------------------------------------------------------
if expect 0 "bench json" -- bench -m "$models/tiny-q4_0.gguf" -p 16 -n 4 -r 2 -t 1,2 -o json; then
    json_ok "$tmp/out" "d=json.load(sys.stdin); assert [r['test'] for r in d]==['pp16','tg4','pp16','tg4'] and [r['threads'] for r in d]==[1,1,2,2] and all(r['avg_ts']>0 and r['stddev_ts']>=0 and r['n_prompt']+r['n_gen']>0 for r in d)" "bench JSON"
fi
expect 0 "bench table" -- bench -m "$m" -p 8 -n 2 -r 1 && contains "$tmp/out" "pp8" "bench table rows"
expect 2 "bench nothing" -- bench -m "$m" -p 0 -n 0
expect 1 "bench, llama-bench missing" -- bench -m "$m" -p 8 -n 0 -r 1 --llama-bench "$tmp/no-llama-bench" &&
    contains "$tmp/err" "cannot run '.*no-llama-bench'" "bench says llama-bench cannot run"
printf 'not a program' >"$tmp/bad-llama-bench" && chmod +x "$tmp/bad-llama-bench"
expect 1 "bench, llama-bench fails" -- bench -m "$m" -p 8 -n 0 -r 1 --llama-bench "$tmp/bad-llama-bench" &&
    contains "$tmp/err" "llama-bench: .*bad-llama-bench exited with status 127" "bench says llama-bench did not run"

# --- kernel tables: GEMMA4_KERNELS picks one; the scalar reference and the default agree as two
# correct builds do (tests/arm/e2e-qemu.sh says why the bar is a cosine) ----------------------------
tq=$models/tiny-q4_k_m.gguf
if GEMMA4_KERNELS=scalar expect 0 "logits, scalar kernels" -- logits -m "$tq" --tokens 2,40,41,42,43 --all; then
    cp "$tmp/out" "$tmp/scalar.json"
    if expect 0 "logits, default kernels" -- logits -m "$tq" --tokens 2,40,41,42,43 --all; then
        python3 - "$tmp/scalar.json" "$tmp/out" <<'EOF2' || fail "scalar and default kernel tables disagree"
import json, math, sys
a, b = (json.load(open(f))["rows"] for f in sys.argv[1:3])
for ra, rb in zip(a, b):
    x, y = ra["logits"], rb["logits"]
    cos = sum(p * q for p, q in zip(x, y)) / math.sqrt(sum(p * p for p in x) * sum(q * q for q in y))
    assert cos >= 0.9995, f"pos {ra['pos']}: cosine {cos}"
EOF2
    fi
fi
GEMMA4_KERNELS=no-such-table expect 1 "unknown kernel table" -- logits -m "$tq" --tokens 2,40 &&
    contains "$tmp/err" "GEMMA4_KERNELS is 'no-such-table'" "unknown kernel table named"

# --- info ----------------------------------------------------------------------------------------
if expect 0 "info --json" -- info --json "$models/tiny-q4_k_m.gguf"; then
    json_ok "$tmp/out" "d=json.load(sys.stdin); assert d['n_tensors']>0 and d['n_params']>d['n_params_effective']>0 and 'q4_K' in d['tensor_types'] and d['metadata']['general.architecture']=='gemma4'" "info JSON"
fi
expect 0 "info text" -- info "$m" && contains "$tmp/out" "token_embd.weight" "info lists tensors"
expect 1 "info truncated" -- info "$tmp/trunc.gguf"

echo "cli_test: $((checks - failures)) passed, $failures failed"
[ $failures -eq 0 ]
