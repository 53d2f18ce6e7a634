#!/bin/bash
# `make test-long`: the two exactly-once chaos tests (connector and uplink) repeated, since a
# race shows in one run of several. SOAK_RUNS (default 3) runs of each, the connector's
# alternately with and without its encode thread; every run is one assertion, its TAP output
# kept beside it on failure.
. "$(dirname "$0")/../lib.sh"
RUNS=${SOAK_RUNS:-3}

for i in $(seq 1 "$RUNS"); do
    # the connector's chaos every other run without the encode thread (1020 takes it by default)
    thread=true
    [ $((i % 2)) -eq 0 ] && thread=false
    for t in 1020-eos-chaos 2030-uplink-chaos; do
        CHAOS_ENCODE_THREAD=$thread bash "$GDX_ROOT/tests/it/$t.sh" >"$T/$t-$i.tap" 2>&1
        rc=$?
        if [ $rc -eq 0 ] && ! grep -q '^not ok' "$T/$t-$i.tap"; then
            pass "$t run $i of $RUNS: $(grep -m1 -o 'lost=[0-9]* duplicated=[0-9]*' "$T/$t-$i.tap")"
        else
            fail "$t run $i of $RUNS (output in $T/$t-$i.tap)"
            grep '^not ok\|^#' "$T/$t-$i.tap" | head -20 | sed 's/^/#   /'
        fi
    done
done
done_testing
