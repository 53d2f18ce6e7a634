#!/bin/bash
# Each malformed connector file gives exactly one clear error naming the place, exit 78.
. "$(dirname "$0")/../lib.sh"

cd "$GDX_ROOT/tests/it/configs"
for f in bad-*.yaml; do
    want=$(sed -n '1s/^# expect: //p' "$f")
    "$GDX" connector check -c "$f" >"$T/out" 2>"$T/err"
    rc=$?
    is "$rc" 78 "$f: exit code 78"
    lines=$(grep -c . "$T/err")
    if grep -qF -- "$want" "$T/err" && [ "$lines" = 1 ]; then
        pass "$f: one error naming '$want'"
    else
        fail "$f: one error naming '$want'"
        sed 's/^/#   /' "$T/err"
    fi
done
done_testing
