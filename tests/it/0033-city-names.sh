#!/bin/bash
# The city is 项城市 (周口市, region code 411681). 襄城县 of 许昌市 (411025) is a different
# place that the examples once modelled by mistake: its names and code must not come back in
# any file of the tree (tracked or new, not ignored), in UTF-8 or in GB18030 (fixtures and
# sample exports are often GB18030). This file is the only exception. The scanner itself is
# proven on a throw-away repository first, so the test cannot pass by finding nothing.
. "$(dirname "$0")/../lib.sh"

SELF=tests/it/$(basename "$0")
# UTF-8 and GB18030 spellings of 襄城 and 许昌, and the region code
PATTERNS=(
    "襄城" "许昌" "411025"
    $'\xcf\xe5\xb3\xc7' $'\xd0\xed\xb2\xfd'
)

# scan ROOT: prints file:line: for every hit, in the files git lists (tracked and untracked,
# not ignored), or every file outside .git and build/ when ROOT is not a git work tree
scan() {
    local root=$1 args=() p
    for p in "${PATTERNS[@]}"; do
        args+=(-e "$p")
    done
    (
        cd "$root" || exit 2
        if git rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
            [ "$(git rev-parse --show-toplevel)" = "$(pwd -P)" ]; then
            git ls-files -z --cached --others --exclude-standard
        else
            find . -path ./.git -prune -o -path ./build -prune -o -type f -printf '%P\0'
        fi | sort -zu | while IFS= read -r -d '' f; do
            [ "$f" = "$SELF" ] && continue
            [ -f "$f" ] || continue # listed but deleted in the work tree
            LC_ALL=C grep -a -n -F "${args[@]}" -- "$f" 2>/dev/null |
                cut -d: -f1 | sed "s|^|$f:|; s|\$|:|"
        done
    )
}

# 1. the scanner finds each spelling in a planted file, and nothing in a clean one
R=$T/repo
mkdir -p "$R/docs"
git -C "$R" init -q 2>/dev/null || true # without git the scanner lists files itself
printf '项城市 411681\n' >"$R/docs/ok.md"
printf 'line one\n河南省许昌市\n' >"$R/docs/utf8.md"
printf 'x\ny\n%s\n' "$(printf '襄城' | iconv -f utf-8 -t gb18030)" >"$R/docs/gb.csv"
printf 'region 411025\n' >"$R/docs/code.txt"
out=$(scan "$R")
is "$(echo "$out" | sort | tr '\n' ' ')" "docs/code.txt:1: docs/gb.csv:3: docs/utf8.md:2: " \
    "planted names are found, UTF-8 and GB18030, with file and line"
rm "$R/docs/utf8.md" "$R/docs/gb.csv" "$R/docs/code.txt"
is "$(scan "$R")" "" "a clean tree has no hits"

# 2. this tree
hits=$(scan "$GDX_ROOT")
if [ -z "$hits" ]; then
    pass "no 襄城, 许昌 or 411025 anywhere in the tree"
else
    fail "no 襄城, 许昌 or 411025 anywhere in the tree"
    echo "$hits" | head -40 | sed 's/^/#   /'
fi
done_testing
