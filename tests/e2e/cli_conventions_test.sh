#!/usr/bin/env bash
# End to end: the conventions every gemma4-cli command follows.
#   - "--" ends the options; "-f FILE" reads the prompt/text from a file, "-f -" from standard input;
#   - every option and file is checked before the model loads: the proof is a broken model given
#     together with a broken input file, where the input's error must be the one reported;
#   - a JSON file's syntax error names its line and column;
#   - after a failure only the error is printed (no timing line for a run that never ran);
#   - unknown options and missing values name the option and point to --help.
#   cli_conventions_test.sh GEMMA4_CLI MODEL_DIR TOOLS_DIR   (gen_models.sh's models; tests/data/tools)
set -u
cli=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: one case runs from another directory
models=$2
tools=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
checks=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect EXIT_CODE DESCRIPTION -- ARGS...: runs the CLI (stdin from $tmp/in if it exists, else empty)
# with stdout/stderr in $tmp/out, $tmp/err.
expect() {
    local want=$1 what=$2
    shift 3
    checks=$((checks + 1))
    local in=/dev/null
    [ -e "$tmp/in" ] && in=$tmp/in
    timeout 120 "$cli" "$@" >"$tmp/out" 2>"$tmp/err" <"$in"
    local got=$?
    rm -f "$tmp/in"
    if [ "$got" -ne "$want" ]; then
        fail "$what: exit $got, want $want (gemma4-cli $*)"
        sed 's/^/    stderr: /' "$tmp/err" | head -5 >&2
        return 1
    fi
    return 0
}
contains() { grep -q -- "$2" "$1" || fail "$3: '$2' not in $(basename "$1"): $(head -c 300 "$1")"; }
lacks() { ! grep -q -- "$2" "$1" || fail "$3: '$2' in $(basename "$1"): $(head -c 300 "$1")"; }
# only_error DESCRIPTION: stdout is empty and stderr is the error alone (no context/timing lines).
only_error() {
    [ -s "$tmp/out" ] && fail "$1: stdout not empty: $(head -c 200 "$tmp/out")"
    lacks "$tmp/err" "^context:" "$1: the model was never used"
    lacks "$tmp/err" "load:" "$1: no timing line"
}

m=$models/tiny-f32.gguf
head -c 5000 "$m" >"$tmp/broken.gguf" # a GGUF cut short: exists and reads, but cannot load

# --- "--" ends the options ----------------------------------------------------------------------
if expect 0 "tokenize -- -42" -- tokenize -m "$m" -- "-42"; then
    cp "$tmp/out" "$tmp/dash42"
    expect 0 "tokenize 42" -- tokenize -m "$m" "42" &&
        { ! cmp -s "$tmp/out" "$tmp/dash42" || fail "'-- -42' tokenized as '42': the '-' was lost"; }
    printf -- '-42' >"$tmp/dash42.txt"
    expect 0 "tokenize -f FILE" -- tokenize -m "$m" -f "$tmp/dash42.txt" &&
        { cmp -s "$tmp/out" "$tmp/dash42" || fail "tokenize -f FILE and -- TEXT disagree on '-42'"; }
    printf -- '-42' >"$tmp/in"
    expect 0 "tokenize -f -" -- tokenize -m "$m" -f - &&
        { cmp -s "$tmp/out" "$tmp/dash42" || fail "tokenize -f - and -- TEXT disagree on '-42'"; }
fi
expect 0 "tokenize: options before and after the text" -- tokenize "Hello" -m "$m" --no-special
expect 2 "tokenize -42 without --" -- tokenize -m "$m" -42 && contains "$tmp/err" "unknown option '-42'" "names it"
expect 2 "tokenize: two texts" -- tokenize -m "$m" -- a b && contains "$tmp/err" "unexpected argument 'b'" "names it"
expect 2 "tokenize: text and -f" -- tokenize -m "$m" -f "$tmp/dash42.txt" x
expect 0 "run -p VALUE starting with -" -- run -m "$m" -p "-42" -n 2 --temp 0 --no-stats
expect 0 "run -- PROMPT" -- run -m "$m" -n 2 --temp 0 --no-stats -- "-42"
expect 2 "run: two prompts" -- run -m "$m" -p x -- y && contains "$tmp/err" "once" "says so"
expect 0 "info -- MODEL" -- info --json -- "$m"
printf '%s' 'plain text, no call' >"$tmp/-raw.txt"
cd "$tmp" || exit 1
expect 0 "toolcall -- -FILE" -- toolcall --compact -- -raw.txt &&
    contains "$tmp/out" "plain text, no call" "toolcall read the file named -raw.txt"
cd - >/dev/null || exit 1

# --- -f - reads the prompt from standard input ----------------------------------------------------
printf 'hi\n' >"$tmp/in"
expect 0 "run -f -" -- run -m "$m" -f - -n 4 --temp 0 && contains "$tmp/err" "generation: 4 tokens" "run -f - ran"
if expect 0 "run -p hi" -- run -m "$m" -p hi -n 6 --temp 0 --no-stats; then
    cp "$tmp/out" "$tmp/hi"
    printf 'hi' >"$tmp/in"
    expect 0 "run -f - (same prompt)" -- run -m "$m" -f - -n 6 --temp 0 --no-stats &&
        { cmp -s "$tmp/out" "$tmp/hi" || fail "run -f - and -p give different answers for the same prompt"; }
    printf 'hi' >"$tmp/hi.txt"
    expect 0 "run -f FILE (same prompt)" -- run -m "$m" -f "$tmp/hi.txt" -n 6 --temp 0 --no-stats &&
        { cmp -s "$tmp/out" "$tmp/hi" || fail "run -f FILE and -p give different answers for the same prompt"; }
fi
printf 'a\0b' >"$tmp/nul.txt"
expect 1 "run -f with a NUL byte" -- run -m "$m" -f "$tmp/nul.txt" && contains "$tmp/err" "NUL byte at offset 1" "says where"
expect 2 "run: -f - twice" -- run -m "$m" -f - --system-file -
expect 2 "chat --system-file -" -- chat -m "$m" --system-file - && contains "$tmp/err" "standard input" "says why"

# --- everything is checked before the model loads -------------------------------------------------
# Each case pairs the broken model with one broken input: the input's error must be the one
# reported (were the model loaded first, its error would be), and nothing else printed.
expect 1 "missing --tools, broken model" -- run -m "$tmp/broken.gguf" -p x --tools "$tmp/none.json" &&
    { contains "$tmp/err" "none.json" "names the tools file"; lacks "$tmp/err" "broken.gguf" "model not loaded";
      only_error "missing --tools"; }
cat >"$tmp/bad.json" <<'EOF'
[
  {"type": "function",
   "function": {"name": "f" "parameters": {}}}
]
EOF
if expect 1 "malformed --tools, broken model" -- run -m "$tmp/broken.gguf" -p x --tools "$tmp/bad.json"; then
    # line 3, column 29 is the '"' of "parameters", where a ',' is missing
    contains "$tmp/err" "bad.json:3:29: not valid JSON" "names line and column"
    contains "$tmp/err" '"name": "f" "parameters"' "shows the line"
    lacks "$tmp/err" "broken.gguf" "model not loaded"
    only_error "malformed --tools"
fi
printf '[{"type": "function", "function": {"name": "f"}}' >"$tmp/cut.json"
expect 1 "--tools cut short" -- run -m "$tmp/broken.gguf" -p x --tools "$tmp/cut.json" &&
    contains "$tmp/err" "cut.json:1:49: the file ends before the JSON value is complete" "says the file ends"
printf '[] []' >"$tmp/two.json"
expect 1 "--tools with text after the JSON" -- run -m "$tmp/broken.gguf" -p x --tools "$tmp/two.json" &&
    contains "$tmp/err" "two.json:1:4: text after the end" "points at the extra text"
printf '{"type": "function"}' >"$tmp/object.json"
expect 1 "--tools not an array" -- run -m "$tmp/broken.gguf" -p x --tools "$tmp/object.json" &&
    contains "$tmp/err" "holds a JSON object" "says what it holds"
printf '[{"type": "function"}]' >"$tmp/nofunction.json"
expect 1 "--tools the template rejects" -- run -m "$tmp/broken.gguf" -p x --tools "$tmp/nofunction.json" &&
    contains "$tmp/err" 'has no "function"' "the template's reason"
expect 1 "undeclared --tool-choice, broken model" -- run -m "$tmp/broken.gguf" -p x --tools "$tools/weather.json" \
    --tool-choice nope && { contains "$tmp/err" "'nope' is not a tool" "names the tool"; only_error "--tool-choice"; }
expect 1 "--tools a directory" -- run -m "$tmp/broken.gguf" -p x --tools "$tmp" && contains "$tmp/err" "is a directory" "says so"
expect 1 "toolcall: malformed --tools" -- toolcall --tools "$tmp/bad.json" "$tmp/hi.txt" &&
    contains "$tmp/err" "bad.json:3:29" "toolcall names line and column"
expect 1 "missing -f, broken model" -- run -m "$tmp/broken.gguf" -f "$tmp/none.txt" &&
    { contains "$tmp/err" "none.txt" "names the prompt file"; only_error "missing -f"; }
expect 1 "missing --system-file, broken model" -- chat -m "$tmp/broken.gguf" --system-file "$tmp/none.txt" &&
    contains "$tmp/err" "none.txt" "names the system file"
expect 1 "tokenize: missing -f, broken model" -- tokenize -m "$tmp/broken.gguf" -f "$tmp/none.txt" &&
    contains "$tmp/err" "none.txt" "names the text file"
expect 1 "bench: missing --llama-bench, broken model" -- bench -m "$tmp/broken.gguf" --llama-bench "$tmp/none" &&
    { contains "$tmp/err" "cannot run '$tmp/none'" "names llama-bench"; only_error "--llama-bench"; }
expect 2 "bad number, broken model" -- greedy -m "$tmp/broken.gguf" --tokens 2,3 -n 0 && contains "$tmp/err" "-n wants" "names -n"
expect 1 "missing model" -- run -m "$tmp/none.gguf" -p x && contains "$tmp/err" "-m: cannot open '$tmp/none.gguf'" "names it"
expect 2 "no model" -- logits --tokens 2 && contains "$tmp/err" "-m MODEL.gguf is required" "says so"
expect 1 "the model loads last" -- run -m "$tmp/broken.gguf" -p x && contains "$tmp/err" "broken.gguf" "the model's own error"

# --- after a failure, only the error --------------------------------------------------------------
expect 1 "prompt longer than the context" -- run -m "$m" -c 16 -p "$(printf 'word %.0s' $(seq 1 60))" &&
    { contains "$tmp/err" "context" "says why"; lacks "$tmp/err" "load:" "no timing line"; }
printf '[{"type":"function","function":{"name":"bad name"}}]' >"$tmp/uncallable.json"
expect 1 "tools run that cannot start" -- run -m "$m" -p x --tools "$tmp/uncallable.json" --tools-strict -n 4 &&
    { contains "$tmp/err" "no tool can be called" "says why"; lacks "$tmp/err" "load:" "no timing line"; }
expect 1 "bench whose first test cannot run" -- bench -m "$m" -p 1000000 -n 0 -r 1 &&
    { [ -s "$tmp/out" ] && fail "bench printed a table for a test that never ran: $(head -c 200 "$tmp/out")";
      contains "$tmp/err" "exceeds" "says why"; }
expect 1 "bench json whose first test cannot run" -- bench -m "$m" -p 1000000 -n 0 -r 1 -o json &&
    { [ -s "$tmp/out" ] && fail "bench -o json printed output for a test that never ran"; }
expect 0 "a successful run still prints its timing" -- run -m "$m" -p x -n 3 --temp 0 &&
    contains "$tmp/err" "generation: 3 tokens" "timing line"

# --- unknown options and missing values name themselves -------------------------------------------
for c in run chat bench info tokenize logits greedy toolcall; do
    model=(-m "$m")
    [ "$c" = info ] && model=("$m")
    [ "$c" = toolcall ] && model=()
    if expect 2 "$c --bogus" -- "$c" "${model[@]}" --bogus; then
        contains "$tmp/err" "unknown option '--bogus'" "$c names the option"
        contains "$tmp/err" "gemma4-cli $c --help" "$c points to --help"
        [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$c --bogus: more than the error printed: $(cat "$tmp/err")"
    fi
done
expect 2 "run -m without a value" -- run -p x -m && contains "$tmp/err" "-m needs a value (see 'gemma4-cli run --help')" "names -m"
expect 2 "bench -t without a value" -- bench -m "$m" -t && contains "$tmp/err" "-t needs a value" "names -t"
expect 2 "run --temp bad" -- run -m "$m" -p x --temp hot && contains "$tmp/err" "--temp wants a number" "names --temp"
expect 2 "logits: a positional argument" -- logits -m "$m" --tokens 2 extra && contains "$tmp/err" "unexpected argument 'extra'" "names it"
expect 2 "unknown command" -- frobnicate && contains "$tmp/err" "unknown command 'frobnicate'" "names it"
expect 0 "--help after --bogus-looking values" -- run -p --help --help && contains "$tmp/out" "usage: gemma4-cli run" "help"

echo "cli_conventions_test: $((checks - failures)) passed, $failures failed"
[ $failures -eq 0 ]
