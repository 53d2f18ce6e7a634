#!/bin/bash
# Every schema in schemas/ stays BACKWARD_TRANSITIVE compatible with its versions in git
# history since the baseline: the commit that added schemas/COMPATIBILITY.md. Each version
# (the one at the baseline, every later commit touching the file, the working tree) must read
# the data of all versions before it. Also proven on a throw-away repository: a compatible
# change passes, an incompatible one fails naming the file and the field.
. "$(dirname "$0")/../lib.sh"

# history_check ROOT: one TAP line per schema file; diag names the version and the reason.
history_check() {
    local root=$1 base f h n i k prev
    base=$(git -C "$root" log --diff-filter=A --format=%H -- schemas/COMPATIBILITY.md 2>/dev/null | tail -1)
    if [ -z "$base" ]; then
        pass "# SKIP schemas/COMPATIBILITY.md is not committed yet: no baseline"
        return 0
    fi
    mkdir -p "$T/hist"
    while IFS= read -r f; do
        local dir=$T/hist/$(echo "$f" | tr '/' '_')
        rm -rf "$dir"
        mkdir -p "$dir"
        local files=() names=()
        n=0
        # the version in force at the baseline, then every later commit that changed it
        if git -C "$root" cat-file -e "$base:$f" 2>/dev/null; then
            git -C "$root" show "$base:$f" >"$dir/$n.avsc"
            files+=("$dir/$n.avsc")
            names+=("${base:0:10} (baseline)")
            n=$((n + 1))
        fi
        while IFS= read -r h; do
            [ -n "$h" ] || continue
            git -C "$root" cat-file -e "$h:$f" 2>/dev/null || continue
            git -C "$root" show "$h:$f" >"$dir/$n.avsc"
            files+=("$dir/$n.avsc")
            names+=("${h:0:10}")
            n=$((n + 1))
        done < <(git -C "$root" log --reverse --format=%H "$base..HEAD" -- "$f")
        cp "$root/$f" "$dir/$n.avsc"
        files+=("$dir/$n.avsc")
        names+=("working tree")
        n=$((n + 1))
        # drop consecutive identical versions (e.g. the working tree equals HEAD)
        local vf=() vn=()
        prev=""
        for ((i = 0; i < n; i++)); do
            if [ -n "$prev" ] && cmp -s "$prev" "${files[$i]}"; then
                continue
            fi
            vf+=("${files[$i]}")
            vn+=("${names[$i]}")
            prev=${files[$i]}
        done
        local bad=""
        for ((k = 1; k < ${#vf[@]}; k++)); do
            if ! "$GDX" schema check --mode backward_transitive "${vf[$k]}" "${vf[@]:0:$k}" \
                >"$T/check.out" 2>&1; then
                local sedexp=() j
                for ((j = 0; j <= k; j++)); do
                    sedexp+=(-e "s|${vf[$j]}|$f@${vn[$j]}|g")
                done
                bad="$f: version ${vn[$k]}: $(sed "${sedexp[@]}" "$T/check.out")"
                break
            fi
        done
        if [ -z "$bad" ]; then
            pass "$f: ${#vf[@]} version(s) since the baseline are backward_transitive compatible"
        else
            fail "$f: ${#vf[@]} version(s) since the baseline are backward_transitive compatible"
            echo "#   $bad"
            echo "$bad" >>"$T/failures"
        fi
    done < <(cd "$root" && find schemas -name '*.avsc' | sort)
}

if ! command -v git >/dev/null 2>&1; then
    skip_all "git is not installed"
fi

# 1. This repository.
if git -C "$GDX_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
    [ "$(git -C "$GDX_ROOT" rev-parse --show-toplevel)" = "$GDX_ROOT" ]; then
    history_check "$GDX_ROOT"
else
    pass "# SKIP $GDX_ROOT is not a git work tree (a tarball?): no history to check"
fi

# 2. A throw-away repository: a baseline, a compatible change, then a breaking one.
R=$T/repo
mkdir -p "$R/schemas/civil"
G() { git -C "$R" -c user.name=gdx-test -c user.email=gdx-test@example.invalid \
    -c commit.gpgsign=false "$@"; }
G init -q
cp "$GDX_ROOT/schemas/COMPATIBILITY.md" "$R/schemas/"
cat >"$R/schemas/civil/person.avsc" <<'JSON'
{
  "type": "record", "name": "Person", "namespace": "gov.civil",
  "doc": "测试人员 / a test person",
  "gdx.owner": "civil", "gdx.share": "conditional",
  "fields": [
    {"name": "person_id", "type": "string", "doc": "编号 / id",
     "gdx.level": "general", "gdx.pi": "none"},
    {"name": "age", "type": "int", "doc": "年龄 / age",
     "gdx.level": "general", "gdx.pi": "none"}
  ]
}
JSON
G add -A && G commit -q -m "baseline"
# a compatible change: add a nullable field with default null, widen int to long
sed -i 's/"type": "int"/"type": "long"/' "$R/schemas/civil/person.avsc"
sed -i 's|^  \]|    ,{"name": "township", "type": ["null", "string"], "default": null, "doc": "乡镇 / township", "gdx.level": "general", "gdx.pi": "none"}\n  ]|' \
    "$R/schemas/civil/person.avsc"
G commit -q -am "person: township, age as long"
rm -f "$T/failures"
out=$(history_check "$R")
if grep -q '^ok .*person.avsc: 2 version' <<<"$out"; then
    pass "temp repo: a compatible change passes"
else
    fail "temp repo: a compatible change passes"
    echo "$out" | sed 's/^/#   /'
fi
# breaking: a new required field in the working tree
sed -i 's|^  \]|    ,{"name": "grid_code", "type": "string", "doc": "网格 / grid", "gdx.level": "general", "gdx.pi": "none"}\n  ]|' \
    "$R/schemas/civil/person.avsc"
rm -f "$T/failures"
out=$(history_check "$R")
if grep -q '^not ok .*person.avsc' <<<"$out" &&
    grep -q "schemas/civil/person.avsc: version working tree: .*field 'grid_code'" \
        "$T/failures" 2>/dev/null; then
    pass "temp repo: a required field added fails naming the file and the field"
else
    fail "temp repo: a required field added fails naming the file and the field"
    echo "$out" | sed 's/^/#   /'
fi
# breaking in history: narrowing long back to int is committed; the baseline version had int
# (fine against it) but the intermediate version had long: transitive catches it
G show HEAD:schemas/civil/person.avsc >"$R/schemas/civil/person.avsc"
sed -i 's/"type": "long"/"type": "int"/' "$R/schemas/civil/person.avsc"
G commit -q -am "person: age back to int"
rm -f "$T/failures"
out=$(history_check "$R")
if grep -q "person.avsc: version [0-9a-f]*: .*field 'age': type long cannot be read as int" \
    "$T/failures" 2>/dev/null; then
    pass "temp repo: a committed narrowing fails naming the commit and the field"
else
    fail "temp repo: a committed narrowing fails naming the commit and the field"
    echo "$out" | sed 's/^/#   /'
fi
# before the marker exists there is no baseline: nothing is checked
R2=$T/repo2
mkdir -p "$R2/schemas"
git -C "$R2" init -q
out=$(history_check "$R2")
if grep -q 'SKIP.*no baseline' <<<"$out"; then
    pass "no marker file: skipped with a reason"
else
    fail "no marker file: skipped with a reason"
fi
rm -f "$T/failures"
done_testing
