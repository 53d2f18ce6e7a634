#!/bin/bash
# `gdx schema lint`: the domain schemas pass; each bad schema under tests/unit/lint/ fails
# with exactly one problem, named as file:line:col: message, and exit 1.
. "$(dirname "$0")/../lib.sh"

cd "$GDX_ROOT"
"$GDX" schema lint >"$T/out" 2>"$T/err"
rc=$?
is "$rc" 0 "schemas/ lints clean"
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/err" | head -30
if grep -Eq '^[0-9]+ schemas ok$' "$T/out"; then pass "one-line summary"; else fail "one-line summary"; fi
n=$(find schemas -name '*.avsc' | wc -l)
is "$(cat "$T/out")" "$n schemas ok" "every schema under schemas/ was linted"

while IFS=$'\t' read -r f want; do
    case $f in '#'* | '') continue ;; esac
    "$GDX" schema lint "tests/unit/lint/$f" >"$T/out" 2>"$T/err"
    rc=$?
    is "$rc" 1 "$f: exit 1"
    problems=$(grep -c "^tests/unit/lint/$f:[0-9]*:[0-9]*: " "$T/err")
    if grep -qF -- "$want" "$T/err" && [ "$problems" = 1 ]; then
        pass "$f: one problem: $want"
    else
        fail "$f: one problem: $want"
        sed 's/^/#   /' "$T/err"
    fi
done <tests/unit/lint/expect.tsv

# positions: the line and column of the offending field's "name" member
"$GDX" schema lint tests/unit/lint/missing-pi.avsc 2>"$T/err"
line=$(grep -n '"name": "complaint_no"' tests/unit/lint/missing-pi.avsc | cut -d: -f1)
if grep -q "^tests/unit/lint/missing-pi.avsc:$line:7: field 'complaint_no': missing gdx.pi$" "$T/err"; then
    pass "position is the field's line and column"
else
    fail "position is the field's line and column"
    sed 's/^/#   /' "$T/err"
fi

# a directory is linted recursively, and every problem is reported, not just the first
"$GDX" schema lint tests/unit/lint >/dev/null 2>"$T/err"
is "$?" 1 "a directory with bad schemas: exit 1"
nbad=$(ls tests/unit/lint/*.avsc | wc -l)
if tail -1 "$T/err" | grep -q "in $nbad of $nbad schemas"; then
    pass "summary counts every bad schema"
else
    fail "summary counts every bad schema"
    tail -1 "$T/err" | sed 's/^/#   /'
fi

# --spec-only ignores gdx labels but not the Avro spec
"$GDX" schema lint --spec-only tests/unit/lint/missing-pi.avsc >/dev/null 2>&1
is "$?" 0 "--spec-only: a missing label is fine"
"$GDX" schema lint --spec-only tests/unit/lint/fixed-negative.avsc >/dev/null 2>&1
is "$?" 1 "--spec-only: a negative fixed size is not"

"$GDX" schema lint "$T/nonexistent" >/dev/null 2>"$T/err"
is "$?" 1 "missing path: exit 1"
done_testing
