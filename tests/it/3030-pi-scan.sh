#!/bin/bash
# After the demo's connectors run with the shipped configs, no topic whose policy protects ID
# numbers and phones (dead letter topics included) and no log holds a valid resident ID or a
# mobile number in clear; masked, tokenised and encrypted fields look as the policy says, and
# the key holder gets the original values back.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3

start_broker || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP GDX_DROP=$T/drop GDX_STATE_DIR=$T/state GDX_KEYS=$T/keys \
    GDX_AUDIT_DIR=$T/audit
"$GDX" registry --listen 127.0.0.1:0 --url-file "$T/registry.url" >"$T/registry.log" 2>&1 &
PIDS+=($!)
wait_for 20 test -s "$T/registry.url" || { fail "registry starts"; done_testing; }
export GDX_REGISTRY_URL=$(cat "$T/registry.url")
mkdir -p "$T/drop/hotline" "$T/drop/grid" "$T/keys"
for k in city-token hotline12345 grid; do "$GDX" keygen --sm4 "$T/keys/$k.key" >/dev/null 2>&1; done
for u in hotline12345 grid; do "$GDX" keygen --sm2 "$T/keys/$u-audit.pem" >/dev/null 2>&1; done
$PY "$GDX_ROOT/examples/gen_sample.py" --kind workorders --rows 3000 --encoding gb18030 --bad 7 \
    --seed 5 --out "$T/drop/hotline/wo-20260920.csv" --expect "$T/expect-wo.jsonl" 2>/dev/null
touch "$T/drop/hotline/wo-20260920.csv.ok"
$PY "$GDX_ROOT/examples/gen_sample.py" --kind incidents --rows 2000 --bad 3 --seed 6 \
    --out "$T/drop/grid/inc-20260920.jsonl" 2>/dev/null
touch "$T/drop/grid/inc-20260920.jsonl.ok"
# the source really does hold personal data in clear (the scan can fail)
iconv -f gb18030 -t utf-8 "$T/drop/hotline/wo-20260920.csv" >"$T/source.txt"
! $PY "$GDX_ROOT/tests/it/piscan.py" "$T/source.txt" >/dev/null
is "$?" 0 "the scanner finds IDs and phones in the source export"

for c in hotline12345.workorders grid.incidents; do
    "$GDX" connector run --once --log-level debug -c "$GDX_ROOT/examples/demo/$c.yaml" 2>"$T/$c.log"
    is "$?" 0 "$c runs"
done
for t in gov.hotline12345.workorders.workorder gov.grid.incidents.incident \
    _gdx.dlq.hotline12345.workorders _gdx.dlq.grid.incidents _gdx.offsets; do
    "$GDX" tail -H --from-beginning "$t" >"$T/topic-$t.jsonl"
done
"$GDX" tail -H --from-beginning _gdx.audit >"$T/topic-_gdx.audit.jsonl"
out=$($PY "$GDX_ROOT/tests/it/piscan.py" "$T"/topic-*.jsonl "$T"/*.log "$T"/audit/*.jsonl)
is "$?" 0 "no resident ID or mobile number in clear in topics, dead letters, logs or audit files ($out)"
[ -n "$out" ] && echo "$out" | head -5 | sed 's/^/#   /'

# the policy, field by field
$PY - "$T/topic-gov.hotline12345.workorders.workorder.jsonl" "$T/expect-wo.jsonl" <<'PYEOF' >"$T/policy.out" 2>&1
import json, sys, re
got = [json.loads(l) for l in open(sys.argv[1])]
exp = {e["order_no"]: e for e in map(json.loads, open(sys.argv[2]))}
assert len(got) == len(exp), (len(got), len(exp))
tokens = {}
for r in got:
    v, e = r["value"], exp[r["value"]["order_no"]]
    assert r["headers"]["gdx.protect"] == "caller_name=mask,caller_phone=token,caller_id_no=encrypt,content=scrub", r["headers"]
    assert v["caller_name"] == e["caller_name"][0] + "*" * (len(e["caller_name"]) - 1), (v["caller_name"], e["caller_name"])
    assert re.fullmatch(r"tok:v1:city-token:[0-9a-f]{64}", v["caller_phone"]), v["caller_phone"]
    t = tokens.setdefault(e["caller_phone"], v["caller_phone"])
    assert t == v["caller_phone"], "same phone, different token"
    if e["caller_id_no"] is None:
        assert v["caller_id_no"] is None
    else:
        assert v["caller_id_no"].startswith("enc:v1:hotline12345:"), v["caller_id_no"]
    assert v["title"] == e["title"] and v["category"] == e["category"]
print("ok")
PYEOF
is "$(tail -1 "$T/policy.out")" ok "masked names, stable phone tokens, encrypted IDs, other fields intact"
[ "$(tail -1 "$T/policy.out")" = ok ] || head -5 "$T/policy.out" | sed 's/^/#   /'

# the key holder opens an encrypted ID
env=$($PY -c 'import json,sys
for l in open(sys.argv[1]):
    v=json.loads(l)["value"]
    if v["caller_id_no"]: print(v["order_no"], v["caller_id_no"]); break' "$T/topic-gov.hotline12345.workorders.workorder.jsonl")
order=${env%% *}
plain=$("$GDX" decrypt -k "$T/keys/hotline12345.key" "${env#* }")
want=$($PY -c 'import json,sys
for l in open(sys.argv[1]):
    e=json.loads(l)
    if e["order_no"]==sys.argv[2]: print(e["caller_id_no"])' "$T/expect-wo.jsonl" "$order")
is "$plain" "$want" "gdx decrypt returns the original ID number"
done_testing
