#!/bin/bash
# `gdx catalog`: every schema's record appears with its owner unit and share attribute, fields
# carry Chinese level and PI labels, the HTML page is self-contained (no external assets, no
# scripts), and a broken inventory is a config error naming the place.
. "$(dirname "$0")/../lib.sh"

cd "$GDX_ROOT"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

"$GDX" catalog --format md -o "$T/catalog.md" 2>"$T/err"
is "$?" 0 "markdown catalog: exit 0"
"$GDX" catalog --format html -o "$T/catalog.html" 2>"$T/err"
is "$?" 0 "html catalog: exit 0"
"$GDX" catalog >"$T/stdout.md" 2>"$T/err"
if cmp -s "$T/stdout.md" "$T/catalog.md"; then
    pass "markdown is the default and goes to stdout without -o"
else
    fail "markdown is the default and goes to stdout without -o"
fi

# Every schema: its record, owner and share label, in both formats; every field row
"$PY" - "$T/catalog.md" "$T/catalog.html" >"$T/check.out" 2>&1 <<'PY'
import glob, html.parser, json, sys
md = open(sys.argv[1], encoding="utf-8").read()
page = open(sys.argv[2], encoding="utf-8").read()
share_zh = {"unconditional": "无条件共享", "conditional": "有条件共享", "none": "不予共享"}
level_zh = {"general": "一般", "important": "重要", "core": "核心"}
pi_zh = {"none": "无", "pi": "个人信息", "spi": "敏感个人信息"}
inv_units = {}
problems = []
for path in sorted(glob.glob("schemas/**/*.avsc", recursive=True)):
    s = json.load(open(path, encoding="utf-8"))
    full = s["namespace"] + "." + s["name"]
    # the section of this record in the markdown: from its record line to the next "## "
    marker = "- 资源 record: `%s`" % full
    if marker not in md:
        problems.append("%s: record %s not in the markdown" % (path, full))
        continue
    start = md.rindex("\n## ", 0, md.index(marker))
    end = md.find("\n## ", md.index(marker))
    sec = md[start:end if end > 0 else len(md)]
    if "gdx.owner `%s`" % s["gdx.owner"] not in sec:
        problems.append("%s: owner %s missing" % (path, s["gdx.owner"]))
    if "共享属性 share: %s（%s）" % (share_zh[s["gdx.share"]], s["gdx.share"]) not in sec:
        problems.append("%s: share %s missing" % (path, s["gdx.share"]))
    if s["doc"].split(" / ")[0].replace("|", "\\|") not in sec:
        problems.append("%s: record doc missing" % path)
    for f in s["fields"]:
        row = "| `%s` | " % f["name"]
        line = next((l for l in sec.splitlines() if l.startswith(row)), None)
        if line is None:
            problems.append("%s: field %s missing" % (path, f["name"]))
            continue
        cells = [c.strip() for c in line.split(" | ")]
        if cells[2] != level_zh[f["gdx.level"]] or cells[3] != pi_zh[f["gdx.pi"]]:
            problems.append("%s: field %s: level/pi cells %r" % (path, f["name"], cells[2:4]))
    if full not in page or ("<code>%s</code>" % s["gdx.owner"]) not in page:
        problems.append("%s: record or owner missing in the html" % path)
# owner units and systems come from the inventory in Chinese
for want in ["项城市12345政务服务便民热线中心", "12345热线工单系统", "项城市民政局",
             "gov.hotline12345.workorders.workorder", "有条件共享", "敏感个人信息"]:
    if want not in md or want not in page:
        problems.append("missing %s" % want)

class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.bad, self.sections = [], [], 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "link", "img", "iframe", "object", "embed"):
            self.bad.append("tag <%s>" % tag)
        for k in ("src", "href", "action"):
            if k in a and not a[k].startswith("#"):
                self.bad.append("%s=%s" % (k, a[k]))
        if tag == "section":
            self.sections += 1
        if tag not in ("meta", "br", "hr", "img", "link"):
            self.stack.append(tag)
    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.bad.append("unbalanced </%s>" % tag)
p = P()
p.feed(page)
if p.bad:
    problems.append("html: " + ", ".join(p.bad[:5]))
if p.stack:
    problems.append("html: unclosed " + ",".join(p.stack))
import re
if re.search(r"(?i)https?://|url\(|@import", page):
    problems.append("html references an external resource")
n = len(glob.glob("schemas/**/*.avsc", recursive=True))
if p.sections != n:
    problems.append("html has %d sections for %d schemas" % (p.sections, n))
print("\n".join(problems) if problems else "ok")
PY
if [ "$(cat "$T/check.out")" = ok ]; then
    pass "every schema's record, owner, share, doc and fields (level, PI) in md and html"
else
    fail "every schema's record, owner, share, doc and fields (level, PI) in md and html"
    sed 's/^/#   /' "$T/check.out" | head -30
fi
if grep -q '<style>' "$T/catalog.html" && grep -q '<meta charset="utf-8">' "$T/catalog.html"; then
    pass "html: inline CSS, UTF-8"
else
    fail "html: inline CSS, UTF-8"
fi

# A schema that no system names is still listed
mkdir -p "$T/schemas"
cp -r schemas/. "$T/schemas/"
sed -e 's/"name": "Grid"/"name": "GridArchive"/' schemas/grid/grid.avsc >"$T/schemas/grid/archive.avsc"
"$GDX" catalog --schemas "$T/schemas" >"$T/extra.md" 2>"$T/err"
is "$?" 0 "extra schema: exit 0"
if grep -q '^| （未接入 / no topic yet） | `gov.grid.GridArchive` |' "$T/extra.md"; then
    pass "a schema without a topic is listed"
else
    fail "a schema without a topic is listed"
fi

# An inventory naming a schema that does not exist: exit 78 naming file:line:col
sed 's|schema: grid/grid.avsc|schema: grid/nope.avsc|' examples/xiangcheng/inventory.yaml \
    >"$T/inventory.yaml"
"$GDX" catalog --inventory "$T/inventory.yaml" >/dev/null 2>"$T/err"
is "$?" 78 "missing schema: exit 78"
line=$(grep -n 'schema: grid/nope.avsc' "$T/inventory.yaml" | cut -d: -f1)
if grep -q "$T/inventory.yaml:$line:[0-9]*: schema 'grid/nope.avsc'" "$T/err"; then
    pass "missing schema: error names the place"
else
    fail "missing schema: error names the place"
    sed 's/^/#   /' "$T/err"
fi
"$GDX" catalog --format pdf >/dev/null 2>&1
is "$?" 2 "unknown format: exit 2"
done_testing
