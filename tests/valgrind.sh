#!/bin/bash
# make test-valgrind: every unit and connector test binary under valgrind's memcheck, one TAP
# line each. Invalid reads and writes, uses of uninitialised values and definite leaks fail
# (--error-exitcode); the binary's own TAP output must also pass. A plain build: valgrind
# and AddressSanitizer do not mix. The fuzz corpora run under valgrind in tests/it/0900.
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || skip_all "valgrind is not installed (apt-get install valgrind)"
vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --track-origins=yes --suppressions="$GDX_ROOT/tests/valgrind.supp")
for t in "$GDX_BUILD"/tests/unit/t-* "$GDX_BUILD"/tests/connectors/t-*; do
    name=$(basename "$t")
    "${vg[@]}" --log-file="$T/$name.vg" "$t" >"$T/$name.tap" 2>"$T/$name.err"
    rc=$?
    if [ "$rc" = 0 ] && ! grep -q '^not ok' "$T/$name.tap"; then
        pass "$name: clean under valgrind ($(grep -c '^ok' "$T/$name.tap") checks)"
    else
        fail "$name: exit $rc under valgrind"
        grep -v '^==[0-9]*== *$' "$T/$name.vg" | head -30 | sed 's/^/#   /'
        grep '^not ok' "$T/$name.tap" | head -5 | sed 's/^/#   /'
    fi
done
done_testing
