#!/bin/bash
# exec connector: the output of existing Singer taps is accepted as the Singer spec documents
# it. The spec's example output (its six lines, byte for byte), the RECORD and SCHEMA examples
# of the spec on one line each, singer-python's formatting (\u escapes, time_extracted with
# microseconds, "version"), a lowercase type, ACTIVATE_VERSION and a message type of its
# own. One connector sends one stream; without source.stream a tap writing two streams is a
# configuration error naming both (exit 78). Numbers are passed on as written and nested
# members map as a.b. Records whose keys come in another order decode right. A UTF-8 byte
# order mark before the first line is skipped.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3

start_broker --topic gdx.test.singer:4 --topic gdx.test.singer2:4 --topic gdx.test.singer3:4 ||
    { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP
mkdir -p "$T/state"

# the Singer spec's "Example" section, exactly
cat >"$T/spec.jsonl" <<'L'
{"type": "SCHEMA", "stream": "users", "key_properties": ["id"], "schema": {"required": ["id"], "type": "object", "properties": {"id": {"type": "integer"}}}}
{"type": "RECORD", "stream": "users", "record": {"id": 1, "name": "Chris"}}
{"type": "RECORD", "stream": "users", "record": {"id": 2, "name": "Mike"}}
{"type": "SCHEMA", "stream": "locations", "key_properties": ["id"], "schema": {"required": ["id"], "type": "object", "properties": {"id": {"type": "integer"}}}}
{"type": "RECORD", "stream": "locations", "record": {"id": 1, "name": "Philadelphia"}}
{"type": "STATE", "value": {"users": 2, "locations": 1}}
L
# the spec's RECORD and SCHEMA examples on one line; singer-python's output; other taps'
cat >"$T/more.jsonl" <<'L'
{"type": "SCHEMA", "stream": "users", "schema": {"properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "updated_at": {"type": "string", "format": "date-time"}}}, "key_properties": ["id"], "bookmark_properties": ["updated_at"]}
{"type": "RECORD", "stream": "users", "time_extracted": "2017-11-20T16:45:33.000Z", "record": {"id": 0, "name": "Chris"}}
{"type": "RECORD", "stream": "users", "record": {"id": 3, "name": "\u5f20\u6842\u5170"}, "time_extracted": "2019-04-02T12:00:00.000000Z"}
{"type": "record", "stream": "users", "record": {"id": 4, "name": "李德胜"}}
{"type": "ACTIVATE_VERSION", "stream": "users", "version": 1}
{"type": "RECORD", "stream": "users", "record": {"id": 5, "name": "王秀英"}, "version": 1}
{"type":"RECORD","stream":"users","record":{"name":"赵建国","id":6},"time_extracted":"2024-01-01T00:00:00+00:00"}
{"type": "METRIC", "value": {"type": "counter", "metric": "record_count", "value": 6}}
{"type": "STATE", "value": {"currently_syncing": null, "bookmarks": {"users": {"updated_at": "2026-11-28T10:00:00+08:00"}}}}
L
cat >"$T/u.avsc" <<'JSON'
{"type": "record", "name": "User", "namespace": "gdx.test", "doc": "Singer 示例用户 / the spec's users",
 "gdx.owner": "test", "gdx.share": "none", "fields": [
  {"name": "id", "type": "long", "doc": "编号", "gdx.level": "general", "gdx.pi": "none"},
  {"name": "name", "type": "string", "doc": "姓名", "gdx.level": "general", "gdx.pi": "none"}]}
JSON
# conf NAME TOPIC SCHEMA FILE [STREAM] [FIELDS...]
conf() {
    local name=$1 topic=$2 schema=$3 file=$4 stream=${5:-}
    shift 5 2>/dev/null || shift $#
    {
        cat <<YAML
connector:
  id: test.singer$name
  kind: exec
kafka:
  bootstrap.servers: \${GDX_BOOTSTRAP}
topic: $topic
schema: $schema
key: id
state.dir: $T/state
YAML
        if [ $# -gt 0 ]; then
            echo "fields:"
            for f in "$@"; do echo "  $f"; done
        fi
        echo "source:"
        echo "  command: [/bin/cat, $file]"
        [ -n "$stream" ] && echo "  stream: $stream"
    } >"$T/$name.yaml"
}

cat "$T/spec.jsonl" "$T/more.jsonl" >"$T/all.jsonl"
conf 1 gdx.test.singer "$T/u.avsc" "$T/all.jsonl" users
timeout 60 "$GDX" connector run --once -c "$T/1.yaml" 2>"$T/run1.log"
is "$?" 0 "the spec's output and other taps' lines are read to the end"
"$GDX" tail -H --from-beginning -s "$T" gdx.test.singer >"$T/got1.jsonl"
cat >"$T/expect1.jsonl" <<'L'
{"id": 1, "name": "Chris"}
{"id": 2, "name": "Mike"}
{"id": 0, "name": "Chris"}
{"id": 3, "name": "张桂兰"}
{"id": 4, "name": "李德胜"}
{"id": 5, "name": "王秀英"}
{"id": 6, "name": "赵建国"}
L
out=$($PY "$GDX_ROOT/tests/it/check.py" records --expect "$T/expect1.jsonl" --got "$T/got1.jsonl" 2>&1)
ok "the users records, decoded equal ($out)" test $? = 0
ok "no dead letters" grep -q 'msg=stopped records=7 dead=0 ' "$T/run1.log"
ok "the records of stream locations are ignored, and that is logged once" \
    test "$(grep -c 'ignoring records of another stream.*stream=locations' "$T/run1.log")" = 1
ok "an unknown message type is logged and ignored" \
    grep -q 'ignoring messages of an unknown type.* type=METRIC' "$T/run1.log"
ok "the stream's key properties are logged from its SCHEMA" \
    grep -q 'msg="adapter stream" stream=users key_properties=\["id"\]' "$T/run1.log"
$PY - "$T/got1.jsonl" >"$T/pos.txt" <<'PY'
import json, sys
print(" ".join(sorted(json.loads(l)["headers"]["gdx.src.pos"] for l in open(sys.argv[1]))))
PY
is "$(cat "$T/pos.txt")" "exec:users:10 exec:users:12 exec:users:13 exec:users:2 exec:users:3 exec:users:8 exec:users:9" \
    "each record's gdx.src.pos names its stream and line"
"$GDX" tail --from-beginning _gdx.offsets >"$T/off1.jsonl"
ok "the committed position is the tap's last STATE with nothing after it" \
    grep -q '"offset":{"state":{"currently_syncing":null,"bookmarks":{"users":{"updated_at":"2026-11-28T10:00:00+08:00"}}},"records":0' "$T/off1.jsonl"

# 2. without source.stream, the same tap writes two streams: a configuration error
conf 2 gdx.test.singer2 "$T/u.avsc" "$T/spec.jsonl"
timeout 60 "$GDX" connector run --once -c "$T/2.yaml" 2>"$T/run2.log"
is "$?" 78 "two streams without source.stream: exit 78 (a supervisor does not loop)"
ok "the error names both streams and the key to set" \
    grep -q "streams 'users' and 'locations': set source.stream" "$T/run2.log"
n=$("$GDX" tail --from-beginning gdx.test.singer2 | wc -l)
"$GDX" tail -H --from-beginning _gdx.offsets >"$T/off2.jsonl"
ok "nothing of it was committed" sh -c "! grep -q 'test.singer2' '$T/off2.jsonl'"
diag "records on the topic of the refused run (its aborted batch, as the mock shows): $n"

# 3. one stream without source.stream; numbers as written; nested members as a.b; nulls
cat >"$T/g.avsc" <<'JSON'
{"type": "record", "name": "Allowance", "namespace": "gdx.test", "doc": "高龄津贴发放 / allowance",
 "gdx.owner": "test", "gdx.share": "none", "fields": [
  {"name": "id", "type": "string", "doc": "编号", "gdx.level": "general", "gdx.pi": "none"},
  {"name": "amount", "type": "string", "doc": "金额（原文）", "gdx.level": "general", "gdx.pi": "none"},
  {"name": "big", "type": "string", "doc": "大整数", "gdx.level": "general", "gdx.pi": "none"},
  {"name": "town", "type": "string", "doc": "乡镇", "gdx.level": "general", "gdx.pi": "none"},
  {"name": "note", "type": ["null", "string"], "default": null, "doc": "备注", "gdx.level": "general", "gdx.pi": "none"}]}
JSON
cat >"$T/g.jsonl" <<'L'
{"type": "RECORD", "stream": "gaoling", "record": {"id": "GL001", "amount": 100.00, "big": 411681194001010019, "addr": {"town": "王明口镇", "village": "刘营村"}, "note": null}}
{"type": "RECORD", "stream": "gaoling", "record": {"addr": {"village": "东街", "town": "千佛阁街道"}, "note": "代为认证", "big": 1e3, "amount": 200.5, "id": "GL002"}}
{"type": "STATE", "value": {"gaoling": "GL002"}}
L
{ printf '\357\273\277'; cat "$T/g.jsonl"; } >"$T/g-bom.jsonl" # a Windows program's BOM first
conf 3 gdx.test.singer3 "$T/g.avsc" "$T/g-bom.jsonl" "" "town: addr.town"
timeout 60 "$GDX" connector run --once -c "$T/3.yaml" 2>"$T/run3.log"
is "$?" 0 "a single-stream tap needs no source.stream"
ok "a byte order mark before the first line is no dead letter" grep -q 'msg=stopped records=2 dead=0 ' "$T/run3.log"
"$GDX" tail --from-beginning -s "$T" gdx.test.singer3 >"$T/got3.jsonl"
$PY - "$T/got3.jsonl" >"$T/got3.txt" <<'PY'
import json, sys
for v in sorted((json.loads(l) for l in open(sys.argv[1])), key=lambda v: v["id"]):
    print(v["id"], v["amount"], v["big"], v["town"], v["note"])
PY
is "$(cat "$T/got3.txt")" "GL001 100.00 411681194001010019 王明口镇 None
GL002 200.5 1e3 千佛阁街道 代为认证" "numbers as written, nested members by a.b, nulls, any key order"
done_testing
