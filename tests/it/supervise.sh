# tests/it/supervise.sh - helpers of the `gdx supervise` tests (tests/it/05xx), sourced after
# tests/lib.sh.
#
#   sv_start DIR [ARGS...]   start a supervisor of DIR (own state dir, ephemeral port); sets
#                            SV_PID and SV_URL; its stderr goes to $T/sv.log
#   sv_get ID FIELD          a field of connector ID in /status (supcheck.py get)
#   sv_state ID / sv_pid ID  shortcuts
#   sv_metric NAME K=V...    one sample of /metrics
#   file_conf DIR ID [KEY: VALUE...]  a file-kind connector config DIR/ID.yaml reading the
#                            drop folder $T/drop/ID into topic gdx.test.ID (seq.avsc)
#   proc_alive PID           the pid runs and is not a zombie
SUPCHECK="/usr/bin/python3 $GDX_ROOT/tests/it/supcheck.py"

sv_start() {
    local dir=$1
    shift
    rm -f "$T/sv.url"
    "$GDX" supervise --listen 127.0.0.1:0 --url-file "$T/sv.url" --state-dir "$T/svstate" \
        --no-inventory "$@" "$dir" >>"$T/sv.out" 2>>"$T/sv.log" &
    SV_PID=$!
    PIDS+=($SV_PID)
    if ! wait_for 30 test -s "$T/sv.url"; then
        echo "# supervisor did not start:"
        tail -20 "$T/sv.log" | sed 's/^/#   /'
        return 1
    fi
    SV_URL=$(cat "$T/sv.url")
}

sv_get() { $SUPCHECK get "$SV_URL" "$1" "$2" 2>/dev/null; }
sv_state() { sv_get "$1" state; }
sv_pid() { sv_get "$1" pid; }
sv_metric() { $SUPCHECK metric "$SV_URL" "$@" 2>/dev/null; }
# sv_is ID FIELD VALUE: succeeds when the field has the value (for wait_for)
sv_is() { [ "$(sv_get "$1" "$2")" = "$3" ]; }
# sv_ge ID FIELD N: the numeric field is at least N
sv_ge() {
    local v
    v=$(sv_get "$1" "$2")
    [ -n "$v" ] && [ "$v" != null ] && [ "${v%.*}" -ge "$3" ]
}

proc_alive() {
    [ -r "/proc/$1/stat" ] || return 1
    local st
    st=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# the parent pid of PID
proc_ppid() { sed 's/.*) . \([0-9]*\).*/\1/' "/proc/$1/stat" 2>/dev/null; }

file_conf() {
    local dir=$1 id=$2
    shift 2
    mkdir -p "$T/drop/$id" "$dir"
    {
        echo "connector:"
        echo "  id: $id"
        echo "  kind: file"
        echo "kafka:"
        echo "  bootstrap.servers: \${GDX_BOOTSTRAP}"
        echo "topic: gdx.test.$id"
        echo "schema: $GDX_ROOT/tests/it/schemas/seq.avsc"
        echo "key: k"
        case " $* " in
        *" state.dir:"*) ;;
        *) echo "state.dir: $T/state" ;;
        esac
        for kv in "$@"; do
            echo "$kv"
        done
        echo "source:"
        echo "  path: $T/drop/$id"
    } >"$dir/$id.yaml"
}
