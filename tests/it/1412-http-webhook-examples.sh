#!/bin/bash
# The two example configurations, as they are, against local stand-ins: examples/http reads
# applications from a copy of the online services platform's API (HTTPS with a test CA,
# HMAC-SM3 signed POSTs, the platform's envelope and region header) into Avro through the
# schema registry, the ID number leaving as a token and the phone masked; examples/webhook
# takes video alerts over HTTPS with a client certificate and a token, answers a resent alert
# as a duplicate, and sends the snapshot reference on as a token only.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/testca.sh"
PY=/usr/bin/python3
N=500

start_broker --topic gov.govservice.applications.application:4 \
    --topic gov.police.video_alerts.video_alert:4 || { fail "broker starts"; done_testing; }
start_registry reg "$BOOTSTRAP" || { fail "registry starts"; done_testing; }
K=$T/keys
mkdir -p "$K" "$T/audit" "$T/state" "$T/ex/http" "$T/ex/webhook"
make_ca "$K/ca" || fail "the test CA is made"
_ca_cert "$K/ca" alerts xlgc-alert-platform.police.xcs "extendedKeyUsage=clientAuth" ca ||
    fail "the alert platform's certificate is made"
for k in city-token govservice police; do "$GDX" keygen --sm4 "$K/$k.key" >/dev/null 2>&1; done
for k in govservice police; do "$GDX" keygen --sm2 "$K/$k-audit.pem" --pub "$K/$k-audit.pub.pem" >/dev/null 2>&1; done
cp "$K/ca/ca.pem" "$K/henan-egov-ca.pem"
cp "$K/ca/ca.pem" "$K/xcs-egov-ca.pem"
cp "$K/ca/server.pem" "$K/gdx-police-endpoint.pem"
cp "$K/ca/server.key" "$K/gdx-police-endpoint.key"
printf '%s\n' 9f8e7d6c5b4a39281706f5e4d3c2b1a0 >"$K/govservice.secret"
chmod 600 "$K"/*.key "$K"/*.secret "$K"/*-audit.pem
# the examples use ../../schemas: give them the same layout
cp "$GDX_ROOT/examples/http/govservice.applications.yaml" "$T/ex/http/"
sed 's/^  listen: 0.0.0.0:8443 .*/  listen: ${VIDEO_ALERTS_LISTEN}/; s|^  path: .*|&\n  url.file: ${VIDEO_ALERTS_URL_FILE}|' \
    "$GDX_ROOT/examples/webhook/police.video_alerts.yaml" >"$T/ex/webhook/police.video_alerts.yaml"
ln -s "$GDX_ROOT/schemas" "$T/schemas"
export GDX_BOOTSTRAP=$BOOTSTRAP GDX_REGISTRY_URL=$reg_REG GDX_KEYS=$K GDX_AUDIT_DIR=$T/audit
export GDX_STATE_DIR=$T/state

# --- the online services platform
$PY "$GDX_ROOT/tests/it/httpserver.py" --port-file "$T/api.port" --records $N --same 3 \
    --dataset govservice --region 411681 --auth "sign:hmac-sm3:411681-govservice:$(cat "$K/govservice.secret")" \
    --tls-cert "$K/ca/server.pem" --tls-key "$K/ca/server.key" --faults "500%9" \
    >"$T/api.log" 2>&1 &
PIDS+=($!)
wait_for 20 test -s "$T/api.port" || fail "the platform stand-in starts"
export GOVSERVICE_API=https://127.0.0.1:$(cat "$T/api.port") GOVSERVICE_APP_KEY=411681-govservice
export GOVSERVICE_SECRET_FILE=$K/govservice.secret
# the example starts from 2026-01-01; the stand-in's records are from today
"$GDX" connector check -c "$T/ex/http/govservice.applications.yaml" >"$T/gs-check.out" 2>&1
is "$?" 0 "check passes on the online services example"
ok "check finds the records and their cursor" grep -q "cursor field 'updateTime' of the first record" "$T/gs-check.out"
timeout 120 "$GDX" connector run --once -c "$T/ex/http/govservice.applications.yaml" 2>"$T/gs.log"
is "$?" 0 "the online services example drains the platform"
"$GDX" tail -H --from-beginning -n 100000 -r "$reg_REG" gov.govservice.applications.application \
    >"$T/gs.jsonl" 2>/dev/null
$PY - "$T/gs.jsonl" $N >"$T/gs.out" 2>&1 <<'PYEOF'
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
n = int(sys.argv[2])
ids = {r["value"]["application_no"] for r in rows}
persons = [r["value"] for r in rows if r["value"]["applicant_type"] == "PERSON"]
clear_id = [p for p in persons if p["applicant_id_no"] and re.fullmatch(r"\d{17}[\dX]", p["applicant_id_no"])]
phones = [r["value"]["contact_phone"] for r in rows]
print(f"records={len(rows)} distinct={len(ids)} persons={len(persons)} clear_ids={len(clear_id)} "
      f"masked_phones={sum('****' in p for p in phones)} "
      f"one_thing={sum('一件事' in r['value']['item_name'] for r in rows)}")
ok = (len(rows) == n and len(ids) == n and persons and not clear_id
      and all("****" in p for p in phones)
      and all(r["headers"]["gdx.protect"] for r in rows))
sys.exit(0 if ok else 1)
PYEOF
is "$?" 0 "$N applications once each, ID numbers as tokens, phones masked: $(cat "$T/gs.out")"
ok "every request was signed and verified (HMAC-SM3)" sh -c \
    "curl -sk '$GOVSERVICE_API/_stats' | $PY -c 'import json,sys; s=json.load(sys.stdin); sys.exit(0 if s[\"signed_ok\"] > 0 and s[\"auth_failed\"] == 0 else 1)'"

# --- the 雪亮工程 alert platform
export VIDEO_ALERTS_TOKEN=$(openssl rand -hex 32)
export VIDEO_ALERTS_LISTEN=127.0.0.1:$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export VIDEO_ALERTS_URL_FILE=$T/alerts.url
"$GDX" connector run -c "$T/ex/webhook/police.video_alerts.yaml" 2>"$T/va.log" &
PIDS+=($!)
vpid=$!
wait_for 30 test -s "$T/alerts.url" || fail "the alert endpoint starts"
AURL=$(cat "$T/alerts.url")
alert() {
    curl -s -o "$T/$1.body" -w '%{http_code}' --cacert "$K/ca/ca.pem" --cert "$K/ca/alerts.pem" \
        --key "$K/ca/alerts.key" -H "Authorization: Bearer $VIDEO_ALERTS_TOKEN" \
        -H "Content-Type: application/json" -H "Idempotency-Key: $2" -d "$3" "$AURL"
}
A1='{"alarmId":"SPGJ-411681-20260920-000731","deviceId":"41168100001320000123","deviceName":"千佛阁街道 莲花大道与八一路交叉口","street":"千佛阁街道","eventType":"STREET_VENDING","eventTime":"2026-09-20T10:30:00.000+08:00","score":0.93,"picRef":"XLGC-IMG-20260920-8812731","state":"NEW","dispatch":{"org":"项城市城市管理局"},"gridEventNo":null}'
A2='[{"alarmId":"SPGJ-411681-20260920-000732","deviceId":"41168100001320000456","deviceName":"水寨街道 沙河桥北","street":"水寨街道","eventType":"WATER_SAFETY","eventTime":"2026-09-20T10:31:12.000+08:00","score":0.88,"picRef":"XLGC-IMG-20260920-8812790","state":"DISPATCHED","dispatch":{"org":"水寨街道办事处"},"gridEventNo":"WG4116810020260920017"}]'
is "$(alert a1 SPGJ-411681-20260920-000731-NEW "$A1")" 200 "an alert: 200 after commit"
is "$(alert a2 SPGJ-411681-20260920-000732-DISPATCHED "$A2")" 200 "an array of alerts: 200"
is "$(alert a3 SPGJ-411681-20260920-000731-NEW "$A1")" 200 "the first alert resent: 200"
ok "answered as a duplicate" grep -q '"status":"duplicate"' "$T/a3.body"
is "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$K/ca/ca.pem" --cert "$K/ca/client.pem" \
    --key "$K/ca/client.key" -H "Authorization: Bearer $VIDEO_ALERTS_TOKEN" \
    -H 'Content-Type: application/json' -d "$A1" "$AURL")" 403 "another department's certificate: 403"
kill -TERM $vpid
wait $vpid
is "$?" 0 "the alert endpoint stops cleanly"
"$GDX" tail -H --from-beginning -r "$reg_REG" gov.police.video_alerts.video_alert >"$T/va.jsonl" 2>/dev/null
$PY - "$T/va.jsonl" >"$T/va.out" 2>&1 <<'PYEOF'
import json, sys
rows = [json.loads(l)["value"] for l in open(sys.argv[1])]
refs = [r["snapshot_ref"] for r in rows]
print(f"alerts={len(rows)} refs={refs}")
ok = (sorted(r["alert_id"] for r in rows) == ["SPGJ-411681-20260920-000731", "SPGJ-411681-20260920-000732"]
      and all(ref and "XLGC-IMG" not in ref for ref in refs)
      and {r["dispatched_to"] for r in rows} == {"项城市城市管理局", "水寨街道办事处"})
sys.exit(0 if ok else 1)
PYEOF
is "$?" 0 "two alerts once each, the snapshot reference only as a token: $(cat "$T/va.out")"
ok "both examples left an audit trail" test "$(ls "$T/audit" | wc -l)" -ge 2
done_testing
