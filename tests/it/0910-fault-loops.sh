#!/bin/bash
# Fault loops on the connector's I/O paths (tests/it/faultloop.sh): for each named fault
# point the Nth hit fails, for N = 1, 2, ... until the point is no longer reached; every
# round must end with every row exactly once after a restart, every file in done/, and a
# clear message. Points: opening and reading source files (ETIMEDOUT, EIO), the rename to
# done/ (ENOSPC), the batch commit, the audit log's write (ENOSPC) and fsync (EIO), and
# every schema registry call.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/faultloop.sh"

start_broker --topic gdx.test.faults:2 || { fail "broker starts"; done_testing; }
start_registry reg "$BOOTSTRAP" || { fail "registry starts"; done_testing; }

fault_loop file.open --says "cannot open '[^']*/drop/seq-00[01].csv': Connection timed out"
ok "file.open fired at least twice" test "$FL_ROUNDS" -ge 2
fault_loop file.read --says "cannot read '[^']*/drop/seq-00[01].csv': Input/output error"
ok "file.read fired at least twice" test "$FL_ROUNDS" -ge 2
fault_loop file.move --says "cannot move '[^']*/drop/seq-00[01].csv' to '[^']*/drop/done': No space left on device"
ok "file.move fired at least twice" test "$FL_ROUNDS" -ge 2
fault_loop kafka.commit --says "batch aborted, resuming from the committed position.*reason=\"commit failed"
ok "kafka.commit fired at least three times" test "$FL_ROUNDS" -ge 3
fault_loop audit.write --audit --says "cannot write audit log '[^']*/audit/fl[.]audit_writen[0-9]+-[0-9]{8}[.]jsonl': No space left on device"
ok "audit.write fired at least three times" test "$FL_ROUNDS" -ge 3
fault_loop audit.fsync --audit --says "cannot fsync audit log '[^']*/audit/fl[.]audit_fsyncn[0-9]+-[0-9]{8}[.]jsonl': Input/output error"
ok "audit.fsync fired at least three times" test "$FL_ROUNDS" -ge 3
fault_loop registry.call --registry "$reg_REG" --says "cannot reach schema registry '[^']*': Couldn't connect to server"
ok "registry.call fired at least once" test "$FL_ROUNDS" -ge 1
done_testing
