#!/bin/bash
# exec connector, bad and hostile output: malformed lines go to the dead letter topic with
# their coordinates (exec:<stream>:<line>) and a reason naming line and column, and the
# stream goes on; hostile lines are refused with a clear error without being held whole:
# nesting deeper than json.max.depth, a string longer than message.max.bytes, a line
# longer than it without a newline at the end of the output, a STATE above state.max.bytes.
# Every good record still arrives, once.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3

start_broker --topic gdx.test.bad:4 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/state"

$PY - "$T/out.bin" "$T/expect-dlq.txt" <<'PY'
import json, sys
lines, dlq = [], []
def good(i, name):
    lines.append(json.dumps({"type": "RECORD", "stream": "users",
                             "record": {"id": i, "name": name}}, ensure_ascii=False).encode())
def bad(raw, why):
    lines.append(raw)
    dlq.append((len(lines), why))
good(1, "张桂兰")
bad(b'{"type": "RECORD", "stream": "users", "record": {"id": 2, "name": "x"', "col ")
bad(b'not json at all', "col ")
good(2, "李德胜")
bad(b'{"type":"RECORD","stream":"users","record":{"a":' + b"[" * 100000 + b"]" * 100000 + b"}}",
    "nested deeper than 64 levels")
bad(b'{"type":"RECORD","stream":"users","record":{"id":7,"name":"' + b"x" * (2 << 20) + b'"}}',
    "longer than message.max.bytes")
good(3, "王秀英")
bad(b'{"type": "RECORD", "stream": "users"}', 'without a "record" object')
bad(b'{"type": "RECORD", "record": {"id": 9}}', 'RECORD without a "stream"')
bad(b'{"type": "STATE", "value": "' + b"s" * (300 << 10) + b'"}', "larger than state.max.bytes")
bad(b'{"type": "BATCH", "stream": "users", "encoding": {"format": "jsonl"}, "manifest": []}',
    "BATCH messages")
bad(b'[1, 2, 3]', 'not a Singer message')
bad(b'{"type":"RECORD","stream":"users","record":{"id":5,"id":6,"name":"d"}}', "duplicate")
bad(b'{"type":"RECORD","stream":"users","record":{"id":5,"name":"\xc4\xe3"}}', "col ")
bad(b'{"type": "STATE"}', 'STATE without a "value"')
good(4, "赵建国")
lines.append(b'{"type": "STATE", "value": {"users": 4}}')
bad(b"y" * (1200 << 10), "longer than message.max.bytes")  # the last line, no newline
with open(sys.argv[1], "wb") as f:
    f.write(b"\n".join(lines))
with open(sys.argv[2], "w") as f:
    for n, why in dlq:
        f.write(f"{n}\t{why}\n")
PY
cat >"$T/u.avsc" <<'JSON'
{"type": "record", "name": "User", "namespace": "gdx.test", "doc": "用户", "gdx.owner": "test",
 "gdx.share": "none", "fields": [
  {"name": "id", "type": "long", "doc": "编号", "gdx.level": "general", "gdx.pi": "none"},
  {"name": "name", "type": "string", "doc": "姓名", "gdx.level": "general", "gdx.pi": "none"}]}
JSON
cat >"$T/c.yaml" <<YAML
connector:
  id: test.bad
  kind: exec
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: gdx.test.bad
schema: $T/u.avsc
key: id
state.dir: $T/state
source:
  command: [/bin/cat, $T/out.bin]
  stream: users
YAML
timeout 120 "$GDX" connector run --once -c "$T/c.yaml" 2>"$T/run.log"
is "$?" 0 "the connector reads through bad and hostile lines and exits 0"
nbad=$(wc -l <"$T/expect-dlq.txt")
ok "4 records and $nbad dead letters" grep -q "msg=stopped records=4 dead=$nbad " "$T/run.log"
"$GDX" tail -H --from-beginning -s "$T" gdx.test.bad >"$T/got.jsonl"
printf '%s\n' '{"id": 1, "name": "张桂兰"}' '{"id": 2, "name": "李德胜"}' '{"id": 3, "name": "王秀英"}' \
    '{"id": 4, "name": "赵建国"}' >"$T/expect.jsonl"
out=$($PY "$GDX_ROOT/tests/it/check.py" records --expect "$T/expect.jsonl" --got "$T/got.jsonl" 2>&1)
ok "every good record arrives once, after each bad line ($out)" test $? = 0
"$GDX" tail -H --from-beginning _gdx.dlq.test.bad >"$T/dlq.jsonl"
$PY - "$T/dlq.jsonl" "$T/expect-dlq.txt" >"$T/dlq-check.out" 2>&1 <<'PY'
import json, sys
want = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])]
got = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    h = r["headers"]
    got[h["gdx.src.pos"]] = (h, r["value"])
for n, why in want:
    pos = f"exec:users:{n}"
    if pos not in got:
        print("missing dead letter", pos, why, sorted(got))
        continue
    h, v = got.pop(pos)
    reason = h["gdx.error.reason"]
    if h["gdx.error.stage"] != "parse" or why not in reason or not reason.startswith(f"line {n}"):
        print("wrong reason at", pos, h["gdx.error.stage"], reason[:200], "want", why)
    if v is not None and len(v) > 4096 * 6:
        print("a refused line was kept whole", pos, len(v))
if got:
    print("unexpected dead letters", sorted(got))
PY
ok "each bad line is a dead letter at exec:users:<line> with its reason" test ! -s "$T/dlq-check.out"
sed 's/^/#   /' "$T/dlq-check.out" | head -10
grep -o 'reason="[^"]*' "$T/run.log" | cut -c1-140 | sed 's/^/#   /'
"$GDX" tail --from-beginning _gdx.offsets >"$T/off.jsonl"
ok "the refused oversized STATE did not replace the position; the last good one did" \
    grep -q '"offset":{"state":{"users":4},"records":1' "$T/off.jsonl"
# An adapter that floods stderr: its records still arrive; the log forwards at most
# GDX_LIMIT_ADAPTER_ERR_LINES lines a second and says how many it left out.
cat >"$T/flood.sh" <<'SH'
#!/bin/bash
for i in $(seq 1 20000); do echo "warning: 第${i}行 校验失败" >&2; done &
echo '{"type": "RECORD", "stream": "users", "record": {"id": 11, "name": "孙凤兰"}}'
wait
echo '{"type": "RECORD", "stream": "users", "record": {"id": 12, "name": "周明"}}'
SH
chmod +x "$T/flood.sh"
sed -e "s|command: .*|command: [$T/flood.sh]|" -e "s|id: test.bad|id: test.flood|" \
    -e "s|state.dir: .*|state.dir: $T/state-flood|" "$T/c.yaml" >"$T/flood.yaml"
timeout 120 "$GDX" connector run --once -c "$T/flood.yaml" 2>"$T/flood.log"
is "$?" 0 "a connector whose adapter floods stderr exits 0"
ok "both records of the flooding adapter arrive" grep -q "msg=stopped records=2 dead=0 " "$T/flood.log"
fwd=$(grep -c 'source=adapter' "$T/flood.log")
ok "stderr lines are forwarded at a bounded rate ($fwd of 20000)" test "$fwd" -lt 20000
ok "the lines left out are counted in the log" grep -q 'lines left out of the log.*dropped=[1-9]' "$T/flood.log"
done_testing
