#!/bin/bash
# An attempt given up with records in flight is re-sent in full. The provincial link goes
# down while a large batch is in flight, stays down past the uplink's stall limit so that the
# attempt is given up, and comes back before the abort times out. "In flight" does not rest
# on the mock's speed: brokers 1 and 2 answer every request 3 s late (the mock appends records
# at once and delays the response), and the link goes down as soon as broker 3, which answers
# at once, holds records of the attempt: the records sent to brokers 1 and 2 together with
# them are then written but unacknowledged for seconds. librdkafka then bumps the producer epoch and
# restarts its sequence numbers; the mock cluster keeps sequences per producer id, so the
# same producer would have its re-sent records acknowledged as duplicates and not written.
# The uplink starts a new producer after every aborted attempt: nothing is lost.
. "$(dirname "$0")/../lib.sh"
N=${UPLINK_ROWS:-20000}
CITY_ID=411681
W=gov.hotline12345.workorders.workorder

[ -x "$GDX" ] || skip_all "no gdx binary"
"$GDX" registry --help >/dev/null 2>&1 || skip_all "gdx registry not built"

start_cluster city --topic $W:16 --topic _gdx.offsets:1 --topic _schemas:1 \
    --topic _gdx.dlq.uplink.province:1 || { fail "city cluster"; done_testing; }
start_cluster prov --topic _gdx.uplink.offsets:4 --topic _schemas:1 \
    --topic henan.$CITY_ID.$W:32 || { fail "province cluster"; done_testing; }
start_registry provreg "$prov_BS" || { fail "provincial registry"; done_testing; }
city_workorders "$N" 21
# one attempt holds everything, so the outage falls inside it
uplink_conf "$N" 120000

META=$GDX_BUILD/tools/kafka-meta
B3=$("$META" -b "$prov_BS" -B | awk '$1 == "broker" && $2 == 3 { print $3 }')
[ -n "$B3" ] || { fail "broker 3 of the province"; done_testing; }
prov_ctl rtt 1 3000
prov_ctl rtt 2 3000
"$GDX" uplink -c "$T/uplink.yaml" 2>"$T/run.log" &
pid=$!
PIDS+=($pid)
# landed() succeeds once broker 3's partitions of the provincial topic hold a record
landed() { "$META" -b "$B3" -T 2000 -t "henan.$CITY_ID.$W" -L 3 | grep -q 'high=[1-9]'; }
wait_for 120 landed
ok "the attempt's first records landed on the province" landed
prov_ctl down all
# past the 10 s stall limit, within the abort's 10 s (an attempt aborted earlier, e.g. when
# the provincial registry timed out behind the slow brokers, is not the one in flight)
wait_for 30 grep -q 'batch aborted.*no delivery report' "$T/run.log"
prov_ctl up all
prov_ctl rtt all 0
ok "the attempt in flight was given up" grep -q 'batch aborted.*no delivery report' "$T/run.log"
wait_for 60 grep -q 'forwarding resumed' "$T/run.log"
ok "forwarding resumed after the outage" grep -q 'forwarding resumed' "$T/run.log"
kill -TERM $pid
wait $pid 2>/dev/null
timeout 120 "$GDX" uplink --once -c "$T/uplink.yaml" 2>>"$T/run.log"
is "$?" 0 "a final run forwards the rest"
uplink_check
is "$?" 0 "nothing lost, nothing twice: ${UPLINK_CHECK%% schema_ids*}"
done_testing
