#!/bin/bash
# A full disk (a small tmpfs) under done/, under the audit trail and under state.dir: each
# gives a clear message naming the path and "No space left on device"; done/ is retried
# until space comes back, the audit and the lock stop the run (exit 1, nothing committed
# without its evidence); after space is freed every row is on the topic exactly once and
# the audit trail verifies. Needs root to mount a tmpfs: skipped with the reason otherwise.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
TOPIC=gdx.test.fulldisk
M=$T/mnt

mkdir -p "$M"
if ! mount -t tmpfs -o size=512k,nr_inodes=48,mode=0755 gdx-test-full "$M" 2>"$T/mount.err"; then
    skip_all "cannot mount a tmpfs (needs root): $(head -1 "$T/mount.err")"
fi
trap 'umount "$M" 2>/dev/null || umount -l "$M"; tap_cleanup' EXIT

start_broker --topic $TOPIC:2 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
"$GDX" keygen --sm2 "$T/audit.pem" --pub "$T/audit.pub.pem" >/dev/null 2>&1
printf 'full-disk-2026 %s\n' "$T/audit.pub.pem" >"$T/trust.txt"
conf() { # ID DROP STATE [AUDIT]
    cat <<YAML
connector:
  id: $1
  kind: file
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: $TOPIC
schema: $GDX_ROOT/tests/it/schemas/seq.avsc
wire.format: single-object
key: k
state.dir: $3
batch:
  max.records: 40
source:
  path: $2
YAML
    if [ -n "${4:-}" ]; then
        printf 'audit:\n  dir: %s\n  key.file: %s\n  key.id: full-disk-2026\n' "$4" "$T/audit.pem"
    fi
}
check() { # ID COUNT LABEL
    "$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" $TOPIC >"$T/got.jsonl"
    "$GDX" tail -H --from-beginning _gdx.offsets >"$T/offsets.jsonl"
    out=$($PY "$GDX_ROOT/tests/it/seqcheck.py" --count "$2" --got "$T/got.jsonl" \
        --offsets "$T/offsets.jsonl" --connector "$1")
    is "$?" 0 "$3: $out"
}
fill_inodes() { # DIR: use up every free inode
    local i=0
    while touch "$1/fill.$i" 2>/dev/null; do i=$((i + 1)); done
}
fill_space() { # DIR: use up every free block (inodes stay free: files can be created)
    dd if=/dev/zero of="$1/fill.blocks" bs=4k 2>/dev/null
}
free_all() { rm -f "$M"/fill.* "$M"/*/fill.*; }

# a. done/ cannot be created: the rows are committed, the move is retried until space is back
mkdir -p "$M/drop" "$T/state"
$PY "$GDX_ROOT/tests/it/seqgen.py" "$M/drop" 200 2 --prefix a
conf test.full.done "$M/drop" "$T/state" >"$T/a.yaml"
fill_inodes "$M"
bg timeout 120 "$GDX" connector run --once -c "$T/a.yaml" 2>"$T/a.log"
run=$LAST_PID
ok "a: the log says done/ cannot be created: no space" wait_for 60 grep -q \
    "level=warn.*reason=\"cannot create folder '$M/drop/done': No space left on device\"" "$T/a.log"
free_all
wait $run
is "$?" 0 "a: once space is back the run completes"
is "$(ls "$M/drop/done" 2>/dev/null | grep -c 'csv$')" 2 "a: both files in done/"
check test.full.done 200 "a: every row exactly once"
rm -rf "$M/drop"

# b. the audit trail's disk is full: the run stops before any batch goes without evidence
mkdir -p "$T/drop-b" "$M/audit"
$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop-b" 200 2 --prefix b
conf test.full.audit "$T/drop-b" "$T/state" "$M/audit" >"$T/b.yaml"
fill_space "$M"
timeout 60 "$GDX" connector run --once -c "$T/b.yaml" 2>"$T/b.log"
is "$?" 1 "b: the run stops (exit 1)"
ok "b: the error names the audit log and the full disk" grep -q \
    "level=error.*cannot write audit log '$M/audit/test.full.audit-[0-9]*.jsonl': No space left on device" \
    "$T/b.log"
free_all
timeout 60 "$GDX" connector run --once -c "$T/b.yaml" 2>"$T/b2.log"
is "$?" 0 "b: after space is freed the restart completes"
check test.full.audit 200 "b: every row exactly once"
out=$("$GDX" audit verify --trust "$T/trust.txt" "$M/audit" 2>&1)
is "$?" 0 "b: the audit trail verifies: $(tail -1 <<<"$out")"
n=$(cat "$M"/audit/*.jsonl | $PY -c 'import json,sys
print(sum(json.loads(l).get("records",0) for l in sys.stdin if "\"batch_committed\"" in l))')
is "$n" 200 "b: its batch events count every row once"
rm -rf "$M/audit"

# c. state.dir is full: the per-host lock cannot be created
mkdir -p "$T/drop-c" "$M/state"
$PY "$GDX_ROOT/tests/it/seqgen.py" "$T/drop-c" 100 1 --prefix c
conf test.full.state "$T/drop-c" "$M/state" >"$T/c.yaml"
fill_inodes "$M"
timeout 60 "$GDX" connector run --once -c "$T/c.yaml" 2>"$T/c.log"
rc=$?
ok "c: the run stops with an error (exit $rc)" test "$rc" -ne 0
ok "c: the error names the lock and the full disk" grep -q \
    "cannot open lock '$M/state/[^']*': No space left on device" "$T/c.log"
free_all
timeout 60 "$GDX" connector run --once -c "$T/c.yaml" 2>"$T/c2.log"
is "$?" 0 "c: after space is freed the restart completes"
check test.full.state 100 "c: every row exactly once"
done_testing
