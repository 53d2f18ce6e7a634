#!/bin/bash
# 0010-broker: `gdx broker` starts, publishes its bootstrap list, pre-creates the topics of
# broker-config/topics.yaml, answers its control socket, takes a broker down and up, and
# stops cleanly on SIGTERM.
. "$(dirname "$0")/../lib.sh"

META=$GDX_BUILD/tools/kafka-meta
[ -x "$GDX" ] || skip_all "no $GDX (run make)"
[ -x "$META" ] || skip_all "no $META (run make tests-build)"

ok "--help exits 0" "$GDX" broker --help
"$GDX" broker --help >"$T/help.out" 2>&1
missing=""
for flag in --brokers --bootstrap-file --topics --no-topics --topic --control --log-level; do
    grep -q -- "$flag" "$T/help.out" || missing="$missing $flag"
done
is "$missing" "" "--help lists every flag"
"$GDX" broker --brokers 0 >/dev/null 2>&1
is "$?" 2 "--brokers 0 is a usage error (exit 2)"
"$GDX" broker --topic 'bad' >/dev/null 2>&1
is "$?" 2 "--topic without a partition count is a usage error"
printf 'topics:\n  - name: a\n' >"$T/bad-topics.yaml"
"$GDX" broker --topics "$T/bad-topics.yaml" >"$T/bad.out" 2>&1
is "$?" 78 "a bad topics file is a config error (exit 78)"
grep -q "bad-topics.yaml:2:" "$T/bad.out"
is "$?" 0 "and the message names file:line"

if ! start_broker --topic gov.civil.marriage.registration:3; then
    fail "broker starts"
    done_testing
fi
pass "broker starts"

# The bootstrap file holds exactly the list, one line: three brokers on loopback.
is "$(wc -l <"$T/bootstrap" | tr -d ' ')" 1 "bootstrap file is one line"
is "$(tr ',' '\n' <"$T/bootstrap" | grep -c '^127\.0\.0\.1:[0-9][0-9]*$')" 3 \
    "three brokers on 127.0.0.1"
grep -q "^bootstrap=$BOOTSTRAP\$" "$T/broker.log"
is "$?" 0 "bootstrap list printed on stdout"
is "$(stat -c %a "$BROKER_CTL")" 600 "control socket is mode 0600"

"$META" -b "$BOOTSTRAP" -B -T 5000 >"$T/meta.out" 2>"$T/meta.err"
is "$?" 0 "metadata from the broker"
is "$(grep -c '^broker ' "$T/meta.out")" 3 "metadata lists 3 brokers"
while read -r topic parts; do
    is "$(grep "^$topic " "$T/meta.out")" "$topic $parts" "topic $topic has $parts partitions"
done <<'EOF'
gov.hotline12345.workorders.workorder 6
gov.grid.incidents.incident 6
_gdx.offsets 1
_gdx.audit 1
_gdx.dlq.hotline12345.workorders 1
_gdx.dlq.grid.incidents 1
_schemas 1
gov.civil.marriage.registration 3
EOF

# Control commands
is "$(broker_ctl ping)" "ok pong" "ping"
is "$(broker_ctl bootstrap)" "ok $BOOTSTRAP" "bootstrap"
for cmd in "rtt all 5" "rtt all 0" "errors Produce 3 NOT_LEADER_OR_FOLLOWER" "clear Produce" \
    "errors-rtt 1 InitProducerId COORDINATOR_NOT_AVAILABLE 10" "clear InitProducerId" \
    "create-topic gov.market.licence.permit 4" "leader gov.market.licence.permit 0 2" \
    "coordinator transaction gdx-hotline12345.workorders 3" "coordinator group gdx-tail 1"; do
    # shellcheck disable=SC2086
    out=$(broker_ctl $cmd)
    rc=$?
    ok "'$cmd' answers ok ($out)" test "$rc" = 0 -a "${out:0:3}" = "ok "
done
"$META" -b "$BOOTSTRAP" -t gov.market.licence.permit -T 5000 >"$T/meta2.out" 2>&1
is "$(cat "$T/meta2.out")" "gov.market.licence.permit 4" "create-topic made 4 partitions"

# Topics nobody created: the mock makes them on first use with its fixed default (--help).
"$META" -b "$BOOTSTRAP" -t gov.test.auto.created -T 5000 >"$T/meta3.out" 2>&1
is "$(cat "$T/meta3.out")" "gov.test.auto.created 4" "an unknown topic is auto-created with 4 partitions"

out=$(broker_ctl frobnicate 1)
rc=$?
is "$rc" 1 "a bad command exits 1"
is "${out%% *}" "error" "and answers 'error ...' ($out)"
out=$(broker_ctl down 7)
is "$?:${out%% *}" "1:error" "down of an unknown broker is an error ($out)"
out=$(broker_ctl errors Produce 2 NO_SUCH_ERROR)
is "$?:${out%% *}" "1:error" "an unknown error name is an error ($out)"
"$GDX" broker ctl --control "$T/nothing.sock" ping >/dev/null 2>&1
is "$?" 1 "ctl without a broker exits 1"
"$GDX" broker ctl ping >/dev/null 2>&1
is "$?" 2 "ctl without --control is a usage error"

# Down and up: a client that knows only broker 1 gets no metadata while it is down.
B1=${BOOTSTRAP%%,*}
is "$(broker_ctl down 1)" "ok down 1" "down 1"
"$META" -b "$B1" -T 1500 >/dev/null 2>&1
is "$?" 1 "metadata from a downed broker fails"
is "$(broker_ctl up 1)" "ok up 1" "up 1"
ok "metadata works again after up" wait_for 10 "$META" -b "$B1" -T 2000
is "$(broker_ctl down all)" "ok down all" "down all"
"$META" -b "$BOOTSTRAP" -T 1500 >/dev/null 2>&1
is "$?" 1 "no metadata while all brokers are down"
is "$(broker_ctl up all)" "ok up all" "up all"

ok "metadata works after up all" wait_for 10 "$META" -b "$BOOTSTRAP" -T 2000

# Latency: responses of broker 1 slower than the client's timeout, then back to normal.
is "$(broker_ctl rtt 1 3000)" "ok rtt 1 3000ms" "rtt 1 3000"
"$META" -b "$B1" -T 1000 >/dev/null 2>&1
is "$?" 1 "a 3 s round trip misses a 1 s timeout"
is "$(broker_ctl rtt 1 0)" "ok rtt 1 0ms" "rtt 1 0"
ok "metadata within 1 s again" wait_for 10 "$META" -b "$B1" -T 1000

# SIGTERM: exit 0 within a few seconds, socket and bootstrap file removed.
kill -TERM "$BROKER_PID"
i=0
while kill -0 "$BROKER_PID" 2>/dev/null && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
if kill -0 "$BROKER_PID" 2>/dev/null; then
    fail "broker exits within 5 s of SIGTERM"
else
    pass "broker exits within 5 s of SIGTERM"
fi
wait "$BROKER_PID"
is "$?" 0 "exit status 0 after SIGTERM"
ok "control socket removed" test ! -e "$BROKER_CTL"
ok "bootstrap file removed" test ! -e "$T/bootstrap"
grep -q 'msg="broker stopped"' "$T/broker.log"
is "$?" 0 "logged the stop"

# `stop` over the control socket, on a second broker with one node and no topics file.
"$GDX" broker --brokers 1 --no-topics --control "$T/b2.sock" --bootstrap-file "$T/b2.bs" \
    >"$T/b2.log" 2>&1 &
B2_PID=$!
PIDS+=("$B2_PID")
ok "second broker starts" wait_for 20 test -s "$T/b2.bs"
is "$(tr ',' '\n' <"$T/b2.bs" | wc -l | tr -d ' ')" 1 "--brokers 1 gives one broker"
is "$("$GDX" broker ctl --control "$T/b2.sock" stop)" "ok stopping" "stop answers ok"
wait "$B2_PID"
is "$?" 0 "stop exits 0"

done_testing
