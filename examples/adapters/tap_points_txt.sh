#!/bin/sh
# tap_points_txt.sh - a Singer tap, in POSIX shell and awk, for the text exports of
# 项城市党员积分管理系统 (组织部).
#
# The old points system exports a quarter's ledger as a '|'-separated text file in GB18030
# (Windows line ends), one entry per line under a header line, into a folder:
#   明细编号|党员编号|姓名|所在支部|积分周期|积分项目|分值|事由|发生日期|登记时间|审核状态
# This tap reads the files in name order and writes one Singer RECORD per line, keyed by the
# header's column names (the connector's `fields:` maps them onto the schema), and a STATE
# {"file": NAME, "line": N} after every STATE_EVERY lines and at the end of each file.
# Started with --state it goes on after that line, writing the same records as before.
#
#   tap_points_txt.sh --config tap_points.json [--state STATE.json]
#
# Config (JSON): {"export_dir": "data/points", "pattern": "积分明细_*.txt", "state_every": 10},
# export_dir relative to the config file. Needs only sh, sed, awk, sort and iconv (libc-bin).
# Logs go to stderr and name files and line numbers, never a member's name or number.
set -eu

config= state=
while [ $# -gt 0 ]; do
    case $1 in
    --config) config=$2; shift 2 ;;
    --state) state=$2; shift 2 ;;
    --catalog | --properties) shift 2 ;;
    *) echo "ERROR unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$config" ] || { echo "ERROR --config FILE is required" >&2; exit 2; }

# one string or number member of a flat JSON object (enough for this tap's own files)
json_get() {
    sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\{0,1\}\([^\",}]*\)\"\{0,1\}.*/\1/p" "$2" | head -1
}
dir=$(json_get export_dir "$config")
case $dir in /*) ;; *) dir=$(dirname "$config")/$dir ;; esac
pattern=$(json_get pattern "$config")
every=$(json_get state_every "$config")
: "${pattern:=积分明细_*.txt}" "${every:=100}"

done_file= done_line=0
if [ -n "$state" ]; then
    done_file=$(json_get file "$state")
    done_line=$(json_get line "$state")
    echo "INFO resuming after line $done_line of $done_file" >&2
fi

echo '{"type": "SCHEMA", "stream": "points_entry", "key_properties": ["明细编号"], "schema": {"type": "object", "properties": {"明细编号": {"type": "string"}, "分值": {"type": "integer"}}}}'

export LC_ALL=C.UTF-8
ls "$dir" | LC_ALL=C sort | while IFS= read -r name; do
    # shellcheck disable=SC2254
    case $name in $pattern) ;; *) continue ;; esac
    if [ -n "$done_file" ] && [ "$(printf '%s\n%s\n' "$name" "$done_file" | LC_ALL=C sort | head -1)" != "$done_file" ]; then
        continue # before the file of the STATE
    fi
    skip=0
    [ "$name" = "$done_file" ] && skip=$done_line
    if ! iconv -f GB18030 -t UTF-8 "$dir/$name" >/dev/null; then
        echo "ERROR $name is not valid GB18030 text: fix the export, it is read again" >&2
        exit 1 # a restart begins with this file again
    fi
    echo "INFO reading $name after line $skip" >&2
    iconv -f GB18030 -t UTF-8 "$dir/$name" | tr -d '\r' |
        awk -F'|' -v file="$name" -v skip="$skip" -v every="$every" '
        function esc(s) {
            gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\t/, "\\t", s)
            return "\"" s "\""
        }
        function state(n) {
            printf "{\"type\": \"STATE\", \"value\": {\"file\": %s, \"line\": %d}}\n", esc(file), n
        }
        NR == 1 { for (i = 1; i <= NF; i++) col[i] = $i; ncol = NF; next }
        NR <= skip || $0 == "" { next }
        {
            out = ""
            for (i = 1; i <= ncol; i++) {
                v = $i
                if (col[i] == "分值" && v ~ /^-?[0-9]+$/) {
                    val = v                   # a number; anything else stays text
                } else if (col[i] == "审核状态") {
                    val = (v == "已审核") ? "true" : "false"
                } else {
                    val = esc(v)
                }
                out = out (i > 1 ? ", " : "") esc(col[i]) ": " val
            }
            printf "{\"type\": \"RECORD\", \"stream\": \"points_entry\", \"record\": {%s}}\n", out
            last = NR
            if (NR % every == 0) state(NR)
        }
        END { if (last > skip) state(last) }'
done
echo "INFO done" >&2
