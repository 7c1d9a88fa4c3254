#!/usr/bin/env bash
# Writes the C example of README.md ("Using the library") as a program, so that the build compiles
# it against include/gemma4.h and links it with libgemma4 (the README cannot drift from the API) and
# e2e/readme_example runs it on a gguf-synth model: the model file name becomes argv[1], and the
# print_piece callback the example mentions is defined.
#   readme_example_gen.sh README.md OUT.c
set -euo pipefail
readme=$1
out=$2
snippet=$(awk '/^## Using the library/{s=1} s&&/^```c$/{c=1;next} c&&/^```$/{exit} c{print}' "$readme")
[ -n "$snippet" ] || { echo "no C example under '## Using the library' in $readme" >&2; exit 1; }
{
    echo '/* Generated from README.md by tests/e2e/readme_example_gen.sh: edit the README, not this. */'
    echo '#include <stdio.h>'
    grep '^#include' <<<"$snippet"
    echo 'static bool print_piece(void *user, int32_t token, const char *piece, size_t len) {'
    echo '    (void)user;'
    echo '    (void)token;'
    echo '    fwrite(piece, 1, len, stdout);'
    echo '    return true;'
    echo '}'
    echo 'int main(int argc, char **argv) {'
    echo '    if (argc != 2) return 2;'
    grep -v '^#include' <<<"$snippet" | sed 's|"gemma-4-E2B-it-Q4_K_M.gguf"|argv[1]|'
    echo '    return 0;'
    echo '}'
} >"$out.tmp"
mv "$out.tmp" "$out"
