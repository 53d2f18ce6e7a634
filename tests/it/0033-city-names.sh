#!/bin/bash
# The city is 项城市 (周口市, region code 411681). A county of the same sound under another
# prefecture (Xiangcheng of Xuchang) is a different place that the examples once modelled by
# mistake: its names and region code must not come back in any file of the tree (tracked or
# new, not ignored), in UTF-8 or in GB18030 (fixtures and sample exports are often GB18030).
# This file spells them only as byte escapes, so that it holds no copy of them either. The
# scanner itself is proven on a throw-away repository first, so the test cannot pass by
# finding nothing.
. "$(dirname "$0")/../lib.sh"

SELF=tests/it/$(basename "$0")
# the two names in UTF-8 and in GB18030, and the region code (4110 followed by 25)
XC=$'\xe8\xa5\x84\xe5\x9f\x8e' XU=$'\xe8\xae\xb8\xe6\x98\x8c' CODE=4110$((20 + 5))
PATTERNS=(
    "$XC" "$XU" "$CODE"
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
printf 'line one\n河南省%s市\n' "$XU" >"$R/docs/utf8.md"
printf 'x\ny\n%s\n' "$(printf '%s' "$XC" | iconv -f utf-8 -t gb18030)" >"$R/docs/gb.csv"
printf 'region %s\n' "$CODE" >"$R/docs/code.txt"
out=$(scan "$R")
is "$(echo "$out" | sort | tr '\n' ' ')" "docs/code.txt:1: docs/gb.csv:3: docs/utf8.md:2: " \
    "planted names are found, UTF-8 and GB18030, with file and line"
rm "$R/docs/utf8.md" "$R/docs/gb.csv" "$R/docs/code.txt"
is "$(scan "$R")" "" "a clean tree has no hits"

# 2. this tree
hits=$(scan "$GDX_ROOT")
if [ -z "$hits" ]; then
    pass "none of the other county's names or its region code anywhere in the tree"
else
    fail "none of the other county's names or its region code anywhere in the tree"
    echo "$hits" | head -40 | sed 's/^/#   /'
fi
done_testing
