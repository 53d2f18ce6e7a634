#!/bin/bash
# gdx audit reconcile: recompute count and SM3 digest of every audited batch from Kafka.
# A record injected by another producer and a batch whose records are gone are found;
# batches below the low watermark are reported as past retention, not as failures.
. "$(dirname "$0")/../lib.sh"

AP=$GDX_BUILD/tools/audit-produce
[ -x "$AP" ] || skip_all "build/tools/audit-produce not built"
"$GDX" keygen --sm2 "$T/k.pem" --pub "$T/k.pub.pem" >/dev/null 2>&1
printf 'hotline-2026 k.pub.pem\n' >"$T/trust.txt"
cat >"$T/topics.yaml" <<'EOF'
topics:
  - name: gov.hotline12345.workorders.workorder
    partitions: 2
  - name: gov.hotline12345.inject.workorder
    partitions: 1
  - name: gov.hotline12345.removed.workorder
    partitions: 1
  - name: gov.hotline12345.retained.workorder
    partitions: 1
  - name: _gdx.audit
    partitions: 1
EOF
start_broker --topics "$T/topics.yaml" || exit 1

# produce SCENARIO TOPIC BATCH N [args]: one audited batch in $T/<scenario>
produce() {
    local s=$1 topic=$2 batch=$3 n=$4; shift 4
    "$AP" --bootstrap "$BOOTSTRAP" --topic "$topic" --records "$n" --batch "$batch" \
        --dir "$T/$s" --actor "hotline12345.$s" --key "$T/k.pem" --key-id hotline-2026 "$@"
}
R() { "$GDX" audit reconcile --bootstrap "$BOOTSTRAP" "$@"; }

# 1. clean: two batches on partition 0, one on partition 1
ok "batch 1 produced and audited" produce workorders gov.hotline12345.workorders.workorder b-0001 20
ok "batch 2 produced and audited" produce workorders gov.hotline12345.workorders.workorder b-0002 15
ok "batch 3 (partition 1)" produce workorders gov.hotline12345.workorders.workorder b-0003 7 --partition 1
ok "audit log of the batches verifies" "$GDX" audit verify --trust "$T/trust.txt" "$T/workorders"
out=$(R "$T/workorders" 2>&1); rc=$?
is "$rc" 0 "reconcile: counts and digests match"
echo "$out" | grep -q '^OK: 3 ranges audited, 0 past retention, 0 problems' && pass "summary: $(echo "$out" | tail -1)" ||
    { fail "summary"; echo "$out" | sed 's/^/#   /'; }
echo "$out" | grep -q '^ok: batch b-0002 gov.hotline12345.workorders.workorder \[0\] 20-34: 15 records' &&
    pass "per-batch line names the range" || { fail "per-batch line"; echo "$out" | sed 's/^/#   /'; }

# 2. a record injected by another producer after a committed batch
ok "batch audited" produce inject gov.hotline12345.inject.workorder b-0101 10
ok "another producer writes to the topic" "$AP" --bootstrap "$BOOTSTRAP" \
    --topic gov.hotline12345.inject.workorder --records 1 --batch forged-1
ok "next batch audited" produce inject gov.hotline12345.inject.workorder b-0102 5
out=$(R "$T/inject" 2>&1); rc=$?
is "$rc" 1 "reconcile fails on an injected record"
echo "$out" | grep -q "^FAIL: gov.hotline12345.inject.workorder \[0\] offset 10: record not covered by any audited batch (gdx.batch 'forged-1'): written outside" &&
    pass "injected record located: $(echo "$out" | grep '^FAIL' | head -1)" ||
    { fail "injected record located"; echo "$out" | sed 's/^/#   /'; }
echo "$out" | grep -q '^ok: batch b-0102' && pass "the batches around it still match" ||
    { fail "batches around it"; echo "$out" | sed 's/^/#   /'; }

# ... and a range that holds another batch's records (a concurrent producer during the
# batch, or an event pointing at records that are not its own)
ok "batch with a foreign record in its range" produce inject2 gov.hotline12345.inject.workorder b-0103 3 --shift -4
out=$(R "$T/inject2" 2>&1); rc=$?
is "$rc" 1 "reconcile fails on a range holding another producer's records"
echo "$out" | grep -q "^FAIL: batch b-0103 .*found 0 of this batch and 3 of another batch from offset 12" &&
    pass "foreign records in the range: $(echo "$out" | grep '^FAIL: batch' | head -1)" ||
    { fail "foreign records in the range"; echo "$out" | sed 's/^/#   /'; }

# 3. a batch whose records were removed: its range lies past the end of the partition
ok "batch audited" produce removed gov.hotline12345.removed.workorder b-0201 8
ok "an event whose records are gone" produce removed gov.hotline12345.removed.workorder b-0202 4 --shift 1000
out=$(R "$T/removed" 2>&1); rc=$?
is "$rc" 1 "reconcile fails on a batch with missing records"
echo "$out" | grep -q "^FAIL: batch b-0202 gov.hotline12345.removed.workorder \[0\] 1008-1011: records missing, the partition ends at 12" &&
    pass "missing batch located: $(echo "$out" | grep '^FAIL' | head -1)" ||
    { fail "missing batch located"; echo "$out" | sed 's/^/#   /'; }

# 4. past retention: the embedded broker keeps ~5 MiB per partition, so 7 MiB of records
# push the first batch below the low watermark
ok "old batch audited" produce retained gov.hotline12345.retained.workorder b-0301 20 --value-size 100000
ok "newer batches fill the partition" produce retained gov.hotline12345.retained.workorder b-0302 50 --value-size 100000
ok "last batch" produce retained gov.hotline12345.retained.workorder b-0303 5
out=$(R "$T/retained" 2>&1); rc=$?
if echo "$out" | grep -q '^past retention: batch b-0301'; then
    is "$rc" 0 "batches past retention are not failures"
    pass "reported as past retention: $(echo "$out" | grep '^past retention' | head -1)"
else
    diag "the embedded broker kept every record; retention not exercised"
    echo "$out" | sed 's/^/#   /' | head -5
fi

# 5. verify --kafka: the newest checkpoint mirrored to _gdx.audit shows a truncated tail
AG=$GDX_BUILD/tools/audit-gen
ok "audit log with a mirror" "$AG" --dir "$T/mirrored" --actor hotline12345.workorders \
    --key "$T/k.pem" --key-id hotline-2026 --events 20 --every 6 --mirror "$T/mirror.jsonl"
ok "mirror produced to _gdx.audit" "$AP" --bootstrap "$BOOTSTRAP" --topic _gdx.audit \
    --batch mirror --lines "$T/mirror.jsonl"
ok "verify against the mirrored checkpoint" "$GDX" audit verify --trust "$T/trust.txt" \
    --kafka "$BOOTSTRAP" "$T/mirrored"
f=$(ls "$T/mirrored"/*.jsonl)
head -n -2 "$f" >"$T/x" && cat "$T/x" >"$f"
out=$("$GDX" audit verify --trust "$T/trust.txt" --kafka "$BOOTSTRAP" "$T/mirrored" 2>&1); rc=$?
is "$rc" 1 "truncated tail found with the mirrored checkpoint"
echo "$out" | grep -q "^FAIL: .*ends at seq [0-9]* but checkpoint seq [0-9]* exists (tail truncated)" &&
    pass "$out" || { fail "tail truncation message"; echo "$out" | sed 's/^/#   /'; }

done_testing
