#!/bin/bash
# The example adapters under examples/adapters, run by the exec connector with their own
# configs: the Python tap reading 高龄津贴 XML exports (one GBK declared GB2312, one UTF-8)
# and the shell tap reading the 党员积分 GB18030 text export. Every good record arrives,
# protected as configured; the bad one of each goes to the dead letter topic; a second run
# starts from the committed STATE and sends nothing again; the audit trail verifies.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
EX=$GDX_ROOT/examples/adapters

start_broker --topic gov.civil.elderly_cert.elderly_certification:4 \
    --topic gov.party.points.points_entry:4 || { fail "broker starts"; done_testing; }
export GDX_BOOTSTRAP=$BOOTSTRAP GDX_KEYS=$T/keys GDX_AUDIT_DIR=$T/audit GDX_STATE_DIR=$T/state
mkdir -p "$GDX_KEYS" "$GDX_AUDIT_DIR" "$GDX_STATE_DIR"
for k in city-token civil party; do "$GDX" keygen --sm4 "$GDX_KEYS/$k.key" >/dev/null 2>&1; done
for u in civil party; do
    "$GDX" keygen --sm2 "$GDX_KEYS/$u-audit.pem" --pub "$GDX_KEYS/$u-audit.pub.pem" >/dev/null 2>&1
    echo "$u-audit $GDX_KEYS/$u-audit.pub.pem" >>"$T/trust.txt"
done

ok "the 高龄津贴 config checks" "$GDX" connector check -c "$EX/civil.elderly_cert.yaml"
timeout 120 "$GDX" connector run --once -c "$EX/civil.elderly_cert.yaml" 2>"$T/gaoling1.log"
is "$?" 0 "the Python XML tap runs to the end of its exports"
ok "25 certifications sent, the one with an unknown result refused" \
    grep -q 'msg=stopped records=25 dead=1 ' "$T/gaoling1.log"
ok "the tap's log lines are in the connector's log" \
    grep -q 'connector=civil.elderly_cert msg="INFO reading 高龄津贴认证_20261101.xml: 12 records' "$T/gaoling1.log"
"$GDX" tail -H --from-beginning -s "$GDX_ROOT/schemas" gov.civil.elderly_cert.elderly_certification \
    >"$T/gaoling.jsonl"
$PY - "$T/gaoling.jsonl" >"$T/gaoling.txt" <<'PY'
import json, sys
for r in sorted((json.loads(l) for l in open(sys.argv[1])), key=lambda r: r["value"]["cert_id"]):
    v = r["value"]
    print(v["cert_id"], v["township"], v["community"], v["age"], v["allowance_tier"], v["method"],
          v["result"], v["monthly_allowance"], v["name"][:1] + "|" + v["name"][1:],
          v["id_no"][:4], v["valid_until"], r["headers"]["gdx.src.pos"])
PY
ok "records decoded from the GBK export: 乡镇, 村社区, enums, decimals, dates" \
    grep -q '^GL4116812026000001 南顿镇 李营村 88 AGE_80_89 VIDEO PASSED 100.00 范|\*\* tok: 2027-10-31 exec:elderly_certification:2$' "$T/gaoling.txt"
ok "and from the UTF-8 one" grep -q '^GL4116812026000013 秣陵镇 双庙村 95 AGE_90_99 AGENT ' "$T/gaoling.txt"
ok "身份证号 is tokenised, never in clear" sh -c "! grep -q '4116811' '$T/gaoling.jsonl'"
sed -n 1,3p "$T/gaoling.txt" | sed 's/^/#   /'
"$GDX" tail -H --from-beginning _gdx.dlq.civil.elderly_cert >"$T/gaoling-dlq.jsonl"
ok "the refused record is a dead letter at its line, naming the field" \
    $PY -c 'import json,sys; h=[json.loads(l)["headers"] for l in open(sys.argv[1])]; \
        assert len(h) == 1 and h[0]["gdx.error.field"] == "result" and \
        h[0]["gdx.src.pos"].startswith("exec:elderly_certification:") and \
        h[0].get("gdx.protect") == "raw=encrypt", h' "$T/gaoling-dlq.jsonl"
timeout 120 "$GDX" connector run --once -c "$EX/civil.elderly_cert.yaml" 2>"$T/gaoling2.log"
is "$?" 0 "a second run"
ok "starts the tap from its committed STATE" \
    grep -q 'INFO resuming after record 14 of 高龄津贴认证_20261128.xml' "$T/gaoling2.log"
ok "and sends nothing again" grep -q 'msg=stopped records=0 dead=0 ' "$T/gaoling2.log"

ok "the 党员积分 config checks" "$GDX" connector check -c "$EX/party.points.yaml"
timeout 120 "$GDX" connector run --once -c "$EX/party.points.yaml" 2>"$T/points1.log"
is "$?" 0 "the shell tap runs to the end of its export"
ok "29 entries sent, the one with 分值 四 refused" grep -q 'msg=stopped records=29 dead=1 ' "$T/points1.log"
"$GDX" tail --from-beginning -s "$GDX_ROOT/schemas" gov.party.points.points_entry >"$T/points.jsonl"
ok "entries decoded: Chinese columns mapped, numbers, booleans, times" \
    $PY -c 'import json,sys; v={r["entry_id"]: r for r in map(json.loads, open(sys.argv[1]))}; \
        e=v["JF2026Q300001"]; assert e["branch"] == "王明口镇刘营村党支部" and e["points"] == 4 \
        and e["approved"] is True and e["activity_type"] == "网格共建" and e["member_name"] == "王**" \
        and e["recorded_at"].startswith("2026-07-20T16:01:00") and len(v) == 29, e' "$T/points.jsonl"
timeout 120 "$GDX" connector run --once -c "$EX/party.points.yaml" 2>"$T/points2.log"
ok "a second run resumes after the last line and sends nothing again" \
    sh -c "grep -q 'INFO resuming after line 31 of' '$T/points2.log' && grep -q 'msg=stopped records=0 dead=0 ' '$T/points2.log'"
ok "the audit trail of both verifies" "$GDX" audit verify --trust "$T/trust.txt" "$GDX_AUDIT_DIR"
done_testing
