#!/bin/bash
# Every fuzz harness (tests/fuzz/fuzz-*.c) replays its corpus: the checked-in seeds and the
# inputs of every crash found and fixed (tests/fuzz/corpus/<harness>/), built without
# libFuzzer by this build's compiler and sanitizers. A crash or a failed property (abort)
# names the input. VALGRIND=1 runs each under valgrind (make test-valgrind).
. "$(dirname "$0")/../lib.sh"

vg=()
if [ "${VALGRIND:-0}" = 1 ]; then
    vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
        --suppressions="$GDX_ROOT/tests/valgrind.supp")
fi
n=0
for src in "$GDX_ROOT"/tests/fuzz/fuzz-*.c; do
    name=$(basename "$src" .c)
    name=${name#fuzz-}
    bin=$GDX_BUILD/fuzz/replay/$name
    corpus=$GDX_ROOT/tests/fuzz/corpus/$name
    n=$((n + 1))
    if [ ! -x "$bin" ]; then
        fail "$name: $bin is built (make tests-build)"
        continue
    fi
    if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
        fail "$name: has a seed corpus in tests/fuzz/corpus/$name"
        continue
    fi
    if out=$("${vg[@]}" "$bin" "$corpus" 2>"$T/$name.err"); then
        pass "$name: $out"
    else
        fail "$name: replay failed"
        grep -v '^replay ' "$T/$name.err" | tail -15 | sed 's/^/#   /'
        echo "#   last input: $(grep '^replay ' "$T/$name.err" | tail -1)"
    fi
done
ok "at least 8 harnesses" test "$n" -ge 8
done_testing
