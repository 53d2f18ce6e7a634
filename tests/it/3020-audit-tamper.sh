#!/bin/bash
# Audit trail tamper suite: every kind of tampering is detected and located by
# `gdx audit verify` (and by the independent Python reference verifier in docs/).
. "$(dirname "$0")/../lib.sh"

AG=$GDX_BUILD/tools/audit-gen
PYV=$GDX_ROOT/docs/audit-verify.py
[ -x "$AG" ] || skip_all "build/tools/audit-gen not built"
ACTOR=hotline12345.workorders

"$GDX" keygen --sm2 "$T/k.pem" --pub "$T/k.pub.pem" >/dev/null 2>&1
"$GDX" keygen --sm2 "$T/foreign.pem" --pub "$T/foreign.pub.pem" >/dev/null 2>&1
printf '# key_id public key\nhotline-2026 k.pub.pem\n' >"$T/trust.txt"

# 60 events over ~a week of fake clock (one file per day), a checkpoint every 7 lines
ok "generate a multi-day log" "$AG" --dir "$T/pristine" --actor $ACTOR --key "$T/k.pem" \
    --key-id hotline-2026 --events 60 --every 7 --start-ms 1789833600000 --step-ms 3600000 \
    --mirror "$T/mirror.jsonl"
NFILES=$(ls "$T/pristine"/*.jsonl | wc -l)
ok "log spans several files ($NFILES)" test "$NFILES" -ge 4

# Rewriting tool for the attacks that recompute hashes (and re-sign).
cat >"$T/tamper.py" <<'EOF'
import base64, hashlib, json, re, subprocess, sys
SUF = re.compile(r',"hash":"([0-9a-f]{64})"\}$')
args = sys.argv[1:]
opt = {}
while args and args[0].startswith('--'):
    opt[args[0][2:]] = args[1]; args = args[2:]
files = args
ef, el = opt['at'].rsplit(':', 1); el = int(el)
def sm3(b): return hashlib.new('sm3', b.encode()).hexdigest()
def sign(pem, msg):
    open(sys.argv[0] + '.msg', 'w').write(msg)
    return base64.b64encode(subprocess.run(['openssl', 'pkeyutl', '-sign', '-rawin', '-digest',
        'sm3', '-inkey', pem, '-pkeyopt', 'distid:1234567812345678', '-in',
        sys.argv[0] + '.msg'], check=True, capture_output=True).stdout).decode()
old_prev = new_prev = None
active = False
located = None
other_sig = None
for f in files:
    lines = open(f).read().split('\n')[:-1]
    out = []
    for no, line in enumerate(lines, 1):
        body = SUF.sub('', line)
        h = SUF.search(line).group(1)
        if '"sig":"' in body and other_sig is None:
            other_sig = json.loads(line)['sig']
        if f.endswith(ef) and no == el:
            active = True
            if opt['mode'] == 'edit':
                body = body.replace('"host":"gdx-test-01"', '"host":"gdx-test-02"', 1)
            elif opt['mode'] == 'sig':
                body = re.sub(r'"sig":"[^"]*"', '"sig":"%s"' % other_sig, body)
        if active:
            if new_prev is not None:
                body = body.replace('"prev":"%s"' % old_prev, '"prev":"%s"' % new_prev, 1)
                body = body.replace('"chain":"%s"' % old_prev, '"chain":"%s"' % new_prev, 1)
            if '"type":"checkpoint"' in body and located is None and not (
                    f.endswith(ef) and no == el and opt['mode'] == 'sig'):
                located = '%s:%d' % (f.rsplit('/', 1)[1], no)
            if '"type":"checkpoint"' in body and 'resign' in opt:
                s = body[:body.rindex(',"sig":"')]
                if 'key-id' in opt:
                    s = re.sub(r'"key_id":"[^"]*"', '"key_id":"%s"' % opt['key-id'], s)
                body = s + ',"sig":"%s"' % sign(opt['resign'], s + '}')
            if f.endswith(ef) and no == el and opt['mode'] == 'sig':
                located = '%s:%d' % (f.rsplit('/', 1)[1], no)
            nh = sm3(body + '}')
            old_prev, new_prev = h, nh
            line = body + ',"hash":"%s"}' % nh
        out.append(line)
    open(f, 'w').write('\n'.join(out) + '\n')
print(located)
EOF

fresh() {
    rm -rf "$T/c"
    cp -r "$T/pristine" "$T/c"
    mapfile -t F < <(ls "$T/c"/*.jsonl | sort)
}
b() { basename "$1"; }

# expect NAME PATTERN [verify args...]: verify fails (exit 1) with a FAIL line matching PATTERN
expect_fail() {
    local name=$1 pat=$2; shift 2
    local out rc
    out=$("$GDX" audit verify --trust "$T/trust.txt" "$@" "$T/c" 2>&1); rc=$?
    if [ $rc = 1 ] && echo "$out" | grep -q "^FAIL: .*$pat"; then
        pass "$name: $(echo "$out" | grep '^FAIL' | head -1)"
    else
        fail "$name"; echo "$out" | sed 's/^/#   /' | head -10; diag "exit $rc, wanted FAIL matching: $pat"
    fi
    if [ "${PY:-1}" = 1 ]; then
        if /usr/bin/python3 "$PYV" --trust "$T/trust.txt" "$T/c" >"$T/py.out" 2>&1; then
            fail "$name: reference verifier misses it"; sed 's/^/#   /' "$T/py.out"
        else
            pass "$name: reference verifier: $(cat "$T/py.out")"
        fi
    fi
}

fresh
out=$("$GDX" audit verify --trust "$T/trust.txt" "$T/c" 2>&1); rc=$?
is "$rc" 0 "pristine log verifies"
echo "$out" | grep -q "^OK: .* lines, .* checkpoints, $NFILES files" && pass "OK line: $out" ||
    { fail "OK line"; echo "$out" | sed 's/^/#   /'; }
ok "reference verifier agrees on the pristine log" /usr/bin/python3 "$PYV" --trust "$T/trust.txt" "$T/c"
ok "verify with the mirrored checkpoints" "$GDX" audit verify --trust "$T/trust.txt" \
    --checkpoint "$T/mirror.jsonl" "$T/c"

# 1. flip a byte (inside the actor value of line 5 of the second file)
fresh
perl -i -pe 'if ($. == 5) { substr($_, 20, 1) = chr(ord(substr($_, 20, 1)) ^ 1) }' "${F[1]}"
expect_fail "flipped byte" "$(b "${F[1]}"):5: hash mismatch (line edited)"

# 2. delete a line
fresh
sed -i 5d "${F[1]}"
expect_fail "deleted line" "$(b "${F[1]}"):5: seq .* follows .* (1 line(s) deleted)"

# 3. swap two lines
fresh
perl -i -ne 'if ($. == 4) { $h = $_; next } print; if ($. == 5) { print $h }' "${F[1]}"
expect_fail "swapped lines" "$(b "${F[1]}"):4: seq .* is at line 5 (lines reordered)"

# 4. truncate the tail: a prefix of a log is a valid log, so only an external checkpoint
# (mirrored to Kafka, here the mirror file; or one line given on the command line) shows it
fresh
last=${F[$((NFILES - 1))]}
head -n -3 "$last" >"$T/x" && cat "$T/x" >"$last"
out=$("$GDX" audit verify --trust "$T/trust.txt" "$T/c" 2>&1)
is "$?" 0 "truncated tail alone looks like an older log"
PY=0 expect_fail "truncated tail (checkpoint file)" "tail truncated" --checkpoint "$T/mirror.jsonl"
PY=0 expect_fail "truncated tail (checkpoint line)" "ends at seq .* but checkpoint seq .* exists" \
    --checkpoint "$(grep '"type":"checkpoint"' "$T/mirror.jsonl" | tail -1)"
# a forged external checkpoint is refused
fresh
forged=$(grep '"type":"checkpoint"' "$T/mirror.jsonl" | tail -1 | sed 's/"sig":"[^"]*"/"sig":"AAAA"/')
PY=0 expect_fail "forged external checkpoint" "external checkpoint" --checkpoint "$forged"

# 5. delete a file from the middle
fresh
rm "${F[2]}"
expect_fail "deleted middle file" "$(b "${F[3]}"):1: predecessor '$(b "${F[2]}")' is missing"

# 6. replace a signature (the attacker also re-hashes the chain after it)
fresh
cp_at=$(grep -n '"type":"checkpoint"' "${F[1]}" | head -1 | cut -d: -f1)
loc=$(/usr/bin/python3 "$T/tamper.py" --mode sig --at "$(b "${F[1]}"):$cp_at" "${F[@]}")
expect_fail "replaced signature" "$loc: bad checkpoint signature"
# ... and without re-hashing, the line's own hash gives it away
fresh
# (change one character of the signature, whatever its DER length: MEQ, MEU or MEY...)
perl -i -pe 'if ($. == '"$cp_at"') { s/("sig":"...)(.)/$1 . ($2 eq "A" ? "B" : "A")/e }' "${F[1]}"
expect_fail "replaced signature, not re-hashed" "$(b "${F[1]}"):$cp_at: \(hash mismatch\|no valid hash\)"

# 7. edit a line, recompute every later hash and re-sign with a foreign key
fresh
loc=$(/usr/bin/python3 "$T/tamper.py" --mode edit --at "$(b "${F[1]}"):3" --resign "$T/foreign.pem" \
    --key-id attacker-key "${F[@]}")
expect_fail "re-signed with a foreign key" "$loc: checkpoint signed with key 'attacker-key', which is not in the trust file"
fresh
loc=$(/usr/bin/python3 "$T/tamper.py" --mode edit --at "$(b "${F[1]}"):3" --resign "$T/foreign.pem" \
    "${F[@]}")
expect_fail "re-signed with a foreign key under the trusted key id" "$loc: bad checkpoint signature"

# 8. edit a line and recompute every later hash: only the signed checkpoint catches it
fresh
loc=$(/usr/bin/python3 "$T/tamper.py" --mode edit --at "$(b "${F[1]}"):3" "${F[@]}")
out=$("$GDX" audit verify "$T/c" 2>&1)
is "$?" 0 "re-hashed chain passes the hash checks without a trust file"
expect_fail "edited and re-hashed" "$loc: bad checkpoint signature"

# 9. unsealed tail: a killed writer leaves lines after the last checkpoint
fresh
"$AG" --dir "$T/c" --actor $ACTOR --key "$T/k.pem" --key-id hotline-2026 --events 3 --every 100 \
    --start-ms 1790900000000 --crash >/dev/null
out=$("$GDX" audit verify --trust "$T/trust.txt" "$T/c" 2>&1); rc=$?
is "$rc" 0 "unsealed tail is not tampering"
echo "$out" | grep -q '^WARNING: unsealed tail from .* after the last checkpoint' && pass "unsealed tail reported: $(echo "$out" | head -1)" ||
    { fail "unsealed tail reported"; echo "$out" | sed 's/^/#   /'; }
"$GDX" audit verify --strict --trust "$T/trust.txt" "$T/c" >/dev/null 2>&1
is "$?" 1 "--strict fails on an unsealed tail"

# 10. archived (gzip -n) files verify and keep the chain
fresh
gzip -n "${F[1]}" "${F[2]}"
ok "archived files verify" "$GDX" audit verify --trust "$T/trust.txt" "$T/c"
ok "reference verifier reads archived files" /usr/bin/python3 "$PYV" --trust "$T/trust.txt" "$T/c"
"$AG" --dir "$T/c" --actor $ACTOR --key "$T/k.pem" --key-id hotline-2026 --events 2 \
    --start-ms 1791900000000 >/dev/null
ok "chain continues after archiving" "$GDX" audit verify --trust "$T/trust.txt" "$T/c"

# 11. retention below the legal minimum is refused
out=$("$AG" --dir "$T/r" --actor $ACTOR --key "$T/k.pem" --retention 90 2>&1); rc=$?
is "$rc" 78 "retention of 90 days refused (config error)"
echo "$out" | grep -q "below the legal minimum of 183 days" && pass "clear message: $out" || fail "message: $out"
out=$("$GDX" audit prune --days 30 "$T/c" 2>&1); rc=$?
is "$rc" 78 "prune below 183 days refused"

# 12. show and report read the log
n=$("$GDX" audit show --type batch_committed --json "$T/pristine" | wc -l)
is "$n" 12 "show --type batch_committed finds the 12 batches"
n=$("$GDX" audit show --unit hotline12345 --since 2026-09-21 --until 2026-09-22 --json "$T/pristine" |
    jq -r .ts_local 2>/dev/null | cut -c1-10 | sort -u | tr '\n' ' ')
is "$n" "2026-09-21 " "show --since/--until selects one day"
"$GDX" audit report --format csv "$T/pristine" >"$T/report.csv"
is "$(head -1 "$T/report.csv")" "day,unit,system,batches,records_in,dead_letters,uplinked" "report CSV header"
is "$(awk -F, 'NR > 1 { s += $5 } END { print s }' "$T/report.csv")" 36 "report counts 36 records in"
ok "report as Markdown" sh -c "'$GDX' audit report --format md '$T/pristine' | grep -q '^| day | unit'"

done_testing
