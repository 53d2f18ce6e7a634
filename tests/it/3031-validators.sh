#!/bin/bash
# Validators on any field (`validate: id|phone|uscc`): a value that fails its check goes to
# the dead letter topic with a reason naming the field, never the value; the valid rows flow.
# A mask of an invalid ID is refused the same way instead of half-masking it.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
start_broker || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/drop" "$T/state" "$T/keys"
"$GDX" keygen --sm4 "$T/keys/dept.key" >/dev/null 2>&1
# IDs: 11010519491231002X valid; ...0021 wrong check digit; phones: 13812345678 valid, 12345678901 not
# credit codes: 91411681MA9G0000X6 is checked by the validator
cat >"$T/drop/p.csv" <<'CSV'
seq,name,id_no,phone,credit_code
1,张建国,11010519491231002X,13812345678,
2,李秀英,110105194912310021,13812345678,
3,王志强,11010519491231002X,12345678901,
4,赵海燕,,,
5,刘芳,11010519491231002x,+86 138-1234-5678,
CSV
touch "$T/drop/p.csv.ok"
cat >"$T/p.yaml" <<YAML
connector: {id: test.validators, kind: file}
kafka: {bootstrap.servers: "\${GDX_BOOTSTRAP}"}
topic: gdx.test.validators
schema: $GDX_ROOT/tests/it/schemas/person.avsc
key: seq
state.dir: $T/state
protect:
  name: mask
  id_no: {action: mask, format: id, validate: id}
  phone: {action: keep, validate: phone}
keys: {encrypt.key.file: $T/keys/dept.key}
source: {path: $T/drop}
YAML
timeout 60 "$GDX" connector run --once -c "$T/p.yaml" 2>"$T/run.log"
is "$?" 0 "connector runs"
"$GDX" tail --from-beginning -s "$GDX_ROOT/tests/it/schemas" gdx.test.validators >"$T/got.jsonl"
"$GDX" tail -H --from-beginning _gdx.dlq.test.validators >"$T/dlq.jsonl"
is "$($PY -c 'import json,sys; print(sorted(json.loads(l)["seq"] for l in open(sys.argv[1])))' "$T/got.jsonl")" \
    "[1, 4, 5]" "valid rows arrive (a lower-case check x and a +86 phone normalise)"
is "$($PY -c 'import json,sys; print(sorted(json.loads(l)["headers"]["gdx.error.field"] for l in open(sys.argv[1])))' "$T/dlq.jsonl")" \
    "['id_no', 'phone']" "the invalid ID and the invalid phone are dead letters naming the field"
ok "the reasons name the check, not the value" $PY -c '
import json, sys
for l in open(sys.argv[1]):
    h = json.loads(l)["headers"]
    r = h["gdx.error.reason"]
    assert "resident ID" in r or "mobile" in r, r
    assert "110105" not in r and "1234567" not in r, r
' "$T/dlq.jsonl"
is "$($PY -c 'import json,sys; print([r["id_no"] for r in map(json.loads, open(sys.argv[1])) if r["seq"] == 1][0])' "$T/got.jsonl")" \
    "110105********002X" "a valid ID is masked keeping the first 6 and last 4"
ok "no ID or phone in clear in the log" $PY "$GDX_ROOT/tests/it/piscan.py" "$T/run.log"
done_testing
