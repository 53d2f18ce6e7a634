#!/bin/bash
# exec connector, binary framing: records framed by the C reference encoder (exec-emit, with
# connectors/exec/gdxframe.h) and by the Python one (examples/adapters/gdxframe.py) decode
# equal to the source records; a framed tap that fails inside a frame or is SIGKILLed is
# resumed exactly once from its STATE; malformed frames are dead letters at
# exec:<stream>:<frame> and the stream goes on; a wrong preamble or version stops the
# connector as a configuration error (exit 78).
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
N=${EXEC_ROWS:-10000}

start_broker --topic gdx.test.bin1:8 --topic gdx.test.bin2:8 --topic gdx.test.bin3:4 \
    --topic gdx.test.bin4:4 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/state"
cat >"$T/r.avsc" <<'JSON'
{"type": "record", "name": "Allowance", "namespace": "gdx.test", "doc": "高龄津贴发放 / allowance",
 "gdx.owner": "test", "gdx.share": "none", "fields": [
  {"name": "id", "type": "string", "doc": "编号", "gdx.level": "general", "gdx.pi": "none"},
  {"name": "name", "type": "string", "doc": "姓名", "gdx.level": "general", "gdx.pi": "none"},
  {"name": "town", "type": "string", "doc": "乡镇", "gdx.level": "general", "gdx.pi": "none"},
  {"name": "age", "type": "int", "doc": "年龄", "gdx.level": "general", "gdx.pi": "none"},
  {"name": "amount", "type": "string", "doc": "金额", "gdx.level": "general", "gdx.pi": "none"},
  {"name": "note", "type": ["null", "string"], "default": null, "doc": "备注", "gdx.level": "general", "gdx.pi": "none"}]}
JSON
# conf NAME TOPIC SCHEMA KEY COMMAND...
conf() {
    local name=$1 topic=$2 schema=$3 key=$4
    shift 4
    local cmd
    cmd=$(printf '%s, ' "$@")
    cat >"$T/$name.yaml" <<YAML
connector:
  id: test.bin$name
  kind: exec
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: $topic
schema: $schema
key: $key
state.dir: $T/state
batch:
  max.records: 300
source:
  command: [${cmd%, }]
  format: ${FORMAT:-auto}
  restart.backoff.ms: 100ms
YAML
}

# 1. the C encoder: JSON records -> frames -> the connector -> Avro, decoded equal
$PY - "$T/records.jsonl" "$N" <<'PY'
import json, random, sys
random.seed(411681)
towns = ["千佛阁街道", "莲花街道", "花园街道", "东方街道", "水寨街道", "光武街道", "付集镇", "秣陵镇",
         "王明口镇", "贾岭镇", "高寺镇", "新桥镇", "丁集镇", "官会镇", "郑郭镇", "李寨镇", "孙店镇"]
names = ["张桂兰", "李德胜", "王秀英", "赵建国", "刘玉珍", "陈凤英", "杨春梅", "周德福"]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for i in range(1, int(sys.argv[2]) + 1):
        r = {"id": f"GL411681{i:08d}", "name": random.choice(names), "town": random.choice(towns),
             "age": random.randint(80, 104), "amount": random.choice(["100.00", "200.00", "500.00"]),
             "note": random.choice([None, "代为认证", "上门认证，\"行动不便\"\n已核实"])}
        if i % 3 == 0:  # another key order: a new field table
            r = dict(reversed(list(r.items())))
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
PY
"$GDX_BUILD/tools/exec-emit" --format binary --stream gaoling --state-every 500 \
    --in "$T/records.jsonl" --out "$T/frames.bin"
ok "exec-emit framed the records" test -s "$T/frames.bin"
conf 1 gdx.test.bin1 "$T/r.avsc" id /bin/cat "$T/frames.bin"
timeout 120 "$GDX" connector run --once -c "$T/1.yaml" 2>"$T/run1.log"
is "$?" 0 "the connector reads the frames to the end"
"$GDX" tail -H --from-beginning -s "$T" gdx.test.bin1 >"$T/got1.jsonl"
out=$($PY "$GDX_ROOT/tests/it/check.py" records --expect "$T/records.jsonl" --got "$T/got1.jsonl" 2>&1)
ok "C-framed records decode equal to the source records ($out)" test $? = 0
ok "no dead letters" grep -q "msg=stopped records=$N dead=0 " "$T/run1.log"
"$GDX" tail --from-beginning _gdx.offsets >"$T/off1.jsonl"
ok "the last STATE frame is the position" grep -q "\"offset\":{\"state\":{\"offset\":$N},\"records\":0" "$T/off1.jsonl"

# 2. the Python encoder, in a tap that fails inside a frame and is SIGKILLed: exactly once
printf 'exit 2501\nkill 6001\n' >"$T/faults"
printf '{"count": %d, "state_every": 250, "noise_every": 9, "format": "binary", "faults": "%s"}\n' \
    "$N" "$T/faults" >"$T/tap.json"
conf 2 gdx.test.bin2 "$GDX_ROOT/tests/it/schemas/seq.avsc" k $PY "$GDX_ROOT/tests/it/1500-seqtap.py"
printf '  config: %s\n  stream: seq\n' "$T/tap.json" >>"$T/2.yaml"
timeout 300 "$GDX" connector run --once -c "$T/2.yaml" 2>"$T/run2.log"
is "$?" 0 "the framed tap is drained through its failures"
is "$(grep -c 'msg="adapter failed' "$T/run2.log")" 2 "both failures seen"
ok "the frame cut short by the failure was dropped" grep -q 'output ended inside a frame' "$T/run2.log"
"$GDX" tail -H --from-beginning -s "$GDX_ROOT/tests/it/schemas" gdx.test.bin2 >"$T/got2.jsonl"
"$GDX" tail -H --from-beginning _gdx.offsets >"$T/off2.jsonl"
out=$($PY "$GDX_ROOT/tests/it/seqcheck.py" --count "$N" --got "$T/got2.jsonl" \
    --offsets "$T/off2.jsonl" --connector test.bin2)
is "$?" 0 "Python-framed records exactly once through the failures: $out"

# 3. malformed frames: dead letters with coordinates, the stream goes on
$PY - "$T/bad.bin" <<PY
import struct, sys
sys.path.insert(0, "$GDX_ROOT/examples/adapters")
from gdxframe import FrameWriter
out = open(sys.argv[1], "wb")
w = FrameWriter(out)                                   # preamble
t = w.table("gaoling", ["id", "name", "town", "age", "amount", "note"])   # frame 1
def rec(i):
    w.record(t, [f"GL{i:03d}", "张桂兰", "秣陵镇", 90, "100.00", None])
def raw(kind, payload):
    out.write(struct.pack(">cI", kind, len(payload)) + payload)
rec(1)                                                 # 2
raw(b"R", struct.pack(">H", 9))                        # 3: table 9 is not defined
raw(b"R", struct.pack(">HI", t, 1000) + b"xy")         # 4: a value overruns the frame
raw(b"Q", b"whatever")                                 # 5: unknown frame type
raw(b"x", b"ancillary, skipped")                       # 6: ancillary: skipped
rec(2)                                                 # 7
out.write(struct.pack(">cI", b"R", 2 << 20) + b"\0" * (2 << 20))   # 8: above message.max.bytes
raw(b"F", struct.pack(">HH", 5, 1) + b"s" + struct.pack(">HH", 2, 1) + b"a" + struct.pack(">H", 1) + b"a")  # 9: 'a' twice
raw(b"S", b"{not json")                                # 10: a STATE that is not JSON
rec(3)                                                 # 11
w.state({"last": 3})                                   # 12
raw(b"R", struct.pack(">H", t))                        # 13: values missing
out.write(b"R\0\0\0\x40\0\1")                          # a frame cut short by the end
out.close()
PY
conf 3 gdx.test.bin3 "$T/r.avsc" id /bin/cat "$T/bad.bin"
timeout 120 "$GDX" connector run --once -c "$T/3.yaml" 2>"$T/run3.log"
is "$?" 0 "malformed frames do not stop the connector"
ok "3 records and 7 dead letters" grep -q "msg=stopped records=3 dead=7 " "$T/run3.log"
"$GDX" tail -H --from-beginning _gdx.dlq.test.bin3 >"$T/dlq3.jsonl"
$PY - "$T/dlq3.jsonl" >"$T/dlq3.txt" <<'PY'
import json, sys
for r in sorted((json.loads(l)["headers"] for l in open(sys.argv[1])),
                key=lambda h: int(h["gdx.src.pos"].rsplit(":", 1)[1])):
    print(r["gdx.src.pos"], r["gdx.error.reason"].split(": ", 1)[1][:60])
PY
is "$(cut -d' ' -f1 "$T/dlq3.txt" | tr '\n' ' ')" \
    "exec:gaoling:3 exec:gaoling:4 exec:gaoling:5 exec:gaoling:8 exec:gaoling:9 exec:gaoling:10 exec:gaoling:13 " \
    "dead letters at exec:<stream>:<frame>"
sed 's/^/#   /' "$T/dlq3.txt"
ok "the reasons name the problem" sh -c "grep -q 'exec:gaoling:3 record of field table 9, which is not' '$T/dlq3.txt' &&
    grep -q 'exec:gaoling:8 2097152 bytes, longer than message.max' '$T/dlq3.txt' &&
    grep -q 'exec:gaoling:4 record of table 1: value of field .id. (1000 bytes) overruns' '$T/dlq3.txt' &&
    grep -q \"exec:gaoling:9 field table 5: field 'a' appears twice\" '$T/dlq3.txt'"
ok "the cut frame at the end is dropped with a warning" grep -q 'output ended inside a frame' "$T/run3.log"

# 4. a wrong preamble, a version this gdx does not read: configuration errors
printf '\x89GDXF\r\n\x1a\x02' >"$T/v2.bin"
FORMAT=binary conf 4 gdx.test.bin4 "$T/r.avsc" id /bin/cat "$T/v2.bin"
timeout 60 "$GDX" connector run --once -c "$T/4.yaml" 2>"$T/run4.log"
is "$?" 78 "frame version 2: exit 78"
ok "naming the versions" grep -q 'frame version 2; this gdx reads version 1' "$T/run4.log"
printf '{"type": "STATE", "value": {}}\n' >"$T/json.txt"
FORMAT=binary conf 5 gdx.test.bin4 "$T/r.avsc" id /bin/cat "$T/json.txt"
timeout 60 "$GDX" connector run --once -c "$T/5.yaml" 2>"$T/run5.log"
is "$?" 78 "JSON where frames were configured: exit 78"
ok "saying it is not the preamble" grep -q 'is not the frame preamble' "$T/run5.log"
done_testing
