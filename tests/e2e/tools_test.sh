#!/usr/bin/env bash
# End to end: tool calling through gemma4-cli on a gguf-synth model (random weights).
#   tools_test.sh GEMMA4_CLI MODEL.gguf TOOLS_DIR      (TOOLS_DIR: tests/data/tools)
#
# The model's random weights write garbage. Forced into a call (--tool-choice required, so the
# prompt ends with "<|tool_call>") they write malformed or invalid calls; with --tools-strict every
# call they complete must parse and validate: over many seeds the CLI must exit 0 every time, and
# an independent check in Python re-validates the arguments against the schema.
set -u
cli=$1
model=$2
tools=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
checks=0
seeds=${TOOLS_TEST_SEEDS:-24}

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# run EXPECTED_EXIT DESCRIPTION -- ARGS...: runs the CLI with stdout/stderr in $tmp/out, $tmp/err.
run() {
    local want=$1 what=$2
    shift 3
    checks=$((checks + 1))
    timeout 300 "$cli" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local got=$?
    if [ "$got" -ne "$want" ]; then
        fail "$what: exit $got, want $want (gemma4-cli $*)"
        sed 's/^/    stderr: /' "$tmp/err" | head -5 >&2
        sed 's/^/    stdout: /' "$tmp/out" | head -5 >&2
        return 1
    fi
    return 0
}
contains() { grep -q -- "$2" "$1" || fail "$3: '$2' not in $(basename "$1"): $(head -c 300 "$1")"; }
py() { python3 "$@" 2>"$tmp/py" || { fail "$(tail -1 "$tmp/py")"; return 1; }; }

# The schemas of weather.json and flight.json checked by hand, independently of the library.
cat >"$tmp/check.py" <<'EOF'
import json, sys
msg = json.load(open(sys.argv[1]))
want_name = sys.argv[2] if len(sys.argv) > 2 else None
calls = msg.get("tool_calls") or []
assert msg["role"] == "assistant"
assert len(calls) >= 1, "no tool call in %r" % msg
def s(v, lo=0, hi=10**9):
    assert isinstance(v, str) and lo <= len(v) <= hi, "bad string %r" % (v,)
def num(v, lo, hi, integer=False, excl_lo=False):
    assert isinstance(v, (int, float)) and not isinstance(v, bool), "not a number: %r" % (v,)
    assert (v > lo if excl_lo else v >= lo) and v <= hi, "%r out of [%r, %r]" % (v, lo, hi)
    if integer: assert float(v) == int(v) and "." not in json.dumps(v), "not an integer: %r" % (v,)
for c in calls:
    assert c["type"] == "function" and c["id"].startswith("call_")
    name, a = c["function"]["name"], json.loads(c["function"]["arguments"])
    if want_name: assert name == want_name, name
    if name == "get_weather":
        assert set(a) <= {"location", "unit", "days"} and {"location", "unit"} <= set(a), a
        s(a["location"], 0, 16); assert a["unit"] in ("celsius", "fahrenheit")
        if "days" in a: num(a["days"], 1, 14, integer=True)
    elif name == "get_time":
        assert set(a) == {"zone"} and a["zone"] in ("UTC", "Asia/Tokyo", "Europe/Paris"), a
    elif name == "book_flight":
        keys = {"route", "passengers", "class", "flexible", "budget", "dates", "seat", "tags", "coords"}
        assert set(a) <= keys and {"route", "passengers", "dates"} <= set(a), a
        assert set(a["route"]) == {"from", "to"}; s(a["route"]["from"], 3, 3); s(a["route"]["to"], 3, 3)
        num(a["passengers"], 1, 9, integer=True)
        if "class" in a: assert a["class"] in ("economy", "business", "first")
        if "flexible" in a: assert isinstance(a["flexible"], bool)
        if "budget" in a: num(a["budget"], 0, 5000, excl_lo=True)
        assert 1 <= len(a["dates"]) <= 2; [s(d, 0, 10) for d in a["dates"]]
        if "seat" in a: assert a["seat"] is None or (isinstance(a["seat"], str) and len(a["seat"]) <= 4)
        if "tags" in a:
            assert isinstance(a["tags"], dict) and len(a["tags"]) <= 3
            [num(v, 0, 99, integer=True) for v in a["tags"].values()]
        if "coords" in a:
            assert len(a["coords"]) <= 2
            if len(a["coords"]) > 0: num(a["coords"][0], -90, 90)
            if len(a["coords"]) > 1: num(a["coords"][1], -180, 180)
    else:
        raise AssertionError("undeclared tool %r" % name)
EOF

# --- constrained decoding: every completed call validates, whatever the weights ------------------
for tf in weather flight; do
    ok=0
    for seed in $(seq 1 "$seeds"); do
        if run 0 "strict $tf seed $seed" -- run -m "$model" --tools "$tools/$tf.json" -p "Please help." --json \
            --tools-strict --tool-choice required --one-call -n 600 --seed "$seed" --no-stats; then
            py "$tmp/check.py" "$tmp/out" && ok=$((ok + 1))
        fi
    done
    echo "strict $tf: $ok of $seeds calls valid"
done
# a named tool, thinking on, and more than one call in a turn
if run 0 "strict named tool" -- run -m "$model" --tools "$tools/weather.json" -p "Time?" --json --tools-strict \
    --tool-choice get_time --one-call -n 200 --seed 7 --no-stats; then
    py "$tmp/check.py" "$tmp/out" get_time
fi
run 0 "strict with thinking" -- run -m "$model" --tools "$tools/weather.json" -p "Weather?" --json --tools-strict \
    --tool-choice required --one-call --think -n 300 --seed 3 --no-stats && py "$tmp/check.py" "$tmp/out"
# without --one-call the turn goes on after the call; text stays well formed
run 0 "strict, turn continues" -- run -m "$model" --tools "$tools/weather.json" -p "Weather?" --json --tools-strict \
    --tool-choice required -n 120 --seed 11 --no-stats && py "$tmp/check.py" "$tmp/out"
# auto: the model may or may not call; whatever it writes parses
run 0 "strict auto" -- run -m "$model" --tools "$tools/weather.json" -p "Weather?" --json --tools-strict -n 40 \
    --seed 5 --no-stats && py - "$tmp/out" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1])); assert m["role"] == "assistant"
EOF
# streaming (no --json): content on stdout, then one line per call (the random model picks either tool)
run 0 "strict streamed" -- run -m "$model" --tools "$tools/weather.json" -p "Weather?" --tools-strict \
    --tool-choice required --one-call -n 200 --seed 2 && contains "$tmp/out" "^call get_\(weather\|time\) {" "streamed call"
contains "$tmp/err" "generation:" "timing on stderr"

# --- without the constraint, random weights write invalid or malformed calls ---------------------
invalid=0
for seed in $(seq 1 "$seeds"); do
    checks=$((checks + 1))
    timeout 300 "$cli" run -m "$model" --tools "$tools/weather.json" -p "Weather in Tokyo?" --json --tool-choice \
        required --one-call -n 80 --seed "$seed" --no-stats >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    case $rc in
    0) ;;
    1) invalid=$((invalid + 1))
       grep -q -e "invalid call" -e "byte [0-9]*:" "$tmp/err" || fail "free seed $seed: exit 1 without a reason: $(head -c 300 "$tmp/err")" ;;
    *) fail "free seed $seed: exit $rc" ;;
    esac
done
echo "unconstrained: $invalid of $seeds forced calls invalid or malformed"
[ "$invalid" -gt 0 ] || fail "random weights wrote only valid calls without --tools-strict: the strict test proves nothing"

# --- gemma4-cli toolcall ------------------------------------------------------------------------
Q='<|"|>'
printf '%s' "<|tool_call>call:get_weather{location:${Q}Tokyo${Q},unit:${Q}celsius${Q}}<tool_call|>" >"$tmp/ok.txt"
if run 0 "toolcall valid" -- toolcall --tools "$tools/weather.json" "$tmp/ok.txt"; then
    py - "$tmp/out" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
assert json.loads(m["tool_calls"][0]["function"]["arguments"]) == {"location": "Tokyo", "unit": "celsius"}
EOF
fi
printf '%s' "<|tool_call>call:get_weather{location:${Q}Tokyo${Q},unit:${Q}kelvin${Q},days:30}<tool_call|>" >"$tmp/bad.txt"
run 1 "toolcall invalid" -- toolcall --tools "$tools/weather.json" "$tmp/bad.txt" &&
    { contains "$tmp/err" "/unit" "enum violation pointer"; contains "$tmp/err" "/days" "maximum violation pointer"; }
printf '%s' "<|tool_call>call:get_weather{location:${Q}Tok" >"$tmp/cut.txt"
run 1 "toolcall truncated" -- toolcall --tools "$tools/weather.json" "$tmp/cut.txt" && contains "$tmp/err" "byte" "position"

# --- bad input ----------------------------------------------------------------------------------
run 2 "strict without tools" -- run -m "$model" -p x --tools-strict && contains "$tmp/err" "need --tools" "message"
run 2 "raw with tools" -- run -m "$model" -p x --raw --tools "$tools/weather.json"
run 1 "missing tools file" -- run -m "$model" -p x --tools "$tmp/none.json" && contains "$tmp/err" "none.json" "names file"
printf '[{"type":"function"' >"$tmp/broken.json"
run 1 "broken tools JSON" -- run -m "$model" -p x --tools "$tmp/broken.json" --json -n 4
run 1 "undeclared tool_choice" -- run -m "$model" -p x --tools "$tools/weather.json" --tool-choice nope -n 4 &&
    contains "$tmp/err" "nope" "names the tool"
printf '[{"type":"function","function":{"name":"bad name"}}]' >"$tmp/uncallable.json"
run 1 "strict with no callable tool" -- run -m "$model" -p x --tools "$tmp/uncallable.json" --tools-strict -n 4 &&
    contains "$tmp/err" "no tool can be called" "says why"

echo "tools_test: $checks checks, $failures failures"
[ "$failures" -eq 0 ]
