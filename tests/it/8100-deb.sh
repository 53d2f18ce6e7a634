#!/bin/bash
# 8100-deb: the Debian package. dpkg-buildpackage builds it in a copy of the tree (its outputs
# land beside the copy, inside this test's directory); the package holds the expected files;
# it installs on this machine with the gdx user and the modes of /etc/gdx and /var/lib/gdx;
# `gdx --version` runs from it; purge removes it and keeps the audit trail. Run by
# `make test-deb` (a few minutes: a full build) and `make test-long`; needs root for dpkg -i.
. "$(dirname "$0")/../lib.sh"

command -v dpkg-buildpackage >/dev/null || skip_all "no dpkg-buildpackage (make deps)"
command -v dh >/dev/null || skip_all "no debhelper (make deps)"

# Build-Depends lists every -dev package the Makefile and the connectors need
deps=$(make -s -C "$GDX_ROOT" --no-print-directory -f Makefile -f - print-deb-pkgs 2>/dev/null <<'EOF'
print-deb-pkgs:
	@echo $(DEB_BUILD) $(DEB_EXTRA)
EOF
)
missing=""
for p in $deps; do
    case $p in *-dev) grep -q "^ *$p,\?$" "$GDX_ROOT/debian/control" || missing="$missing $p" ;; esac
done
is "$missing" "" "debian/control's Build-Depends has every -dev package of DEB_BUILD and DEB_EXTRA"

# a copy of the committed tree (plus the working tree's changes), without build/
S=$T/src/gdx-0.1.0
mkdir -p "$S"
(cd "$GDX_ROOT" && git ls-files -z --cached --others --exclude-standard |
    xargs -0 -I{} cp --parents -P {} "$S/") 2>"$T/copy.err"
ok "source tree copied" test -f "$S/debian/rules"
(cd "$S" && MAKEFLAGS= dpkg-buildpackage -us -uc -b >"$T/build.log" 2>&1)
rc=$?
is "$rc" 0 "dpkg-buildpackage -us -uc -b builds the package"
[ "$rc" = 0 ] || { tail -30 "$T/build.log" | sed 's/^/#   /'; done_testing; }
DEB=$(ls "$T"/src/gdx_*_*.deb 2>/dev/null | head -1)
ok "a .deb is made" test -f "$DEB"

dpkg-deb -c "$DEB" | awk '{ print $1, $6 }' >"$T/contents"
for want in "-rwxr-xr-x ./usr/bin/gdx" "-rw-r--r-- ./lib/systemd/system/gdx-connector@.service" \
    "-rw-r--r-- ./lib/systemd/system/gdx-supervise.service" \
    "-rw-r--r-- ./lib/systemd/system/gdx-uplink.service" \
    "-rw-r----- ./etc/gdx/deployment.yaml" "drwx------ ./etc/gdx/secrets/" \
    "-rw-r--r-- ./usr/share/man/man1/gdx-topics.1.gz" \
    "-rw-r--r-- ./usr/share/gdx/broker-config/acls.yaml" "drwxr-x--- ./var/lib/gdx/audit/"; do
    grep -qxF -- "$want" "$T/contents" || fail "the package holds $want"
done
pass "the package holds the binary, units, man pages, /etc/gdx and /var/lib/gdx/audit with their modes"
dpkg-deb -f "$DEB" Depends >"$T/depends"
ok "it depends on the shared libraries it links (librdkafka)" grep -q "librdkafka" "$T/depends"
ok "its conffiles are the files under /etc/gdx" \
    sh -c "dpkg-deb -e '$DEB' '$T/ctl' && grep -qx /etc/gdx/deployment.yaml '$T/ctl/conffiles'"

# --- install on this machine, run, purge --------------------------------------------------
if [ "$(id -u)" != 0 ]; then
    diag "not root: the install part is skipped"
    done_testing
fi
if dpkg-query -W -f='${Status}' gdx 2>/dev/null | grep -q "install ok installed"; then
    diag "a gdx package is already installed here: the install part is skipped"
    done_testing
fi
had_user=0
getent passwd gdx >/dev/null && had_user=1
# tests elsewhere on this machine may use /var/lib/gdx (GDX_STATE_DIR's default): put back its
# owner and mode after the package has taken it over
state_was=$(stat -c '%u:%g %a' /var/lib/gdx 2>/dev/null)
# dpkg's lock may be held by another install: wait for it instead of failing
inst() {
    local i
    for i in $(seq 60); do
        "$@" >>"$T/dpkg.log" 2>&1 && return 0
        grep -q "lock" "$T/dpkg.log" || return 1
        sleep 2
    done
    return 1
}
cleanup_pkg() {
    dpkg-query -W gdx >/dev/null 2>&1 && inst dpkg --purge gdx
    [ "$had_user" = 0 ] && getent passwd gdx >/dev/null && deluser --system gdx >/dev/null 2>&1
    [ -d /var/lib/gdx/audit ] && [ -z "$(ls -A /var/lib/gdx/audit)" ] && rmdir /var/lib/gdx/audit
    if [ -n "$state_was" ] && [ -d /var/lib/gdx ]; then
        chown "${state_was% *}" /var/lib/gdx && chmod "${state_was#* }" /var/lib/gdx
    else
        rmdir /var/lib/gdx 2>/dev/null
    fi
    return 0
}
trap 'cleanup_pkg; tap_cleanup' EXIT
inst dpkg -i "$DEB"
rc=$?
is "$rc" 0 "dpkg -i installs the package"
[ "$rc" = 0 ] || { sed 's/^/#   /' "$T/dpkg.log" | tail -20; done_testing; }
out=$(/usr/bin/gdx --version 2>&1)
case $out in "gdx "[0-9]*) pass "gdx --version runs from the package: $out" ;; *) fail "gdx --version: $out" ;; esac
ok "the gdx system user exists" getent passwd gdx
is "$(stat -c '%U:%G %a' /var/lib/gdx/audit)" "gdx:gdx 750" "/var/lib/gdx/audit belongs to gdx, mode 0750"
is "$(stat -c '%U:%G %a' /etc/gdx/secrets)" "gdx:gdx 700" "/etc/gdx/secrets belongs to gdx, mode 0700"
is "$(stat -c '%U:%G %a' /etc/gdx/deployment.yaml)" "root:gdx 640" "deployment.yaml: root:gdx 0640"
ok "man gdx-topics finds its page" sh -c "man -w gdx-topics | grep -q /usr/share/man/man1/gdx-topics.1"
ok "systemd-analyze verify accepts the installed units" \
    systemd-analyze verify /lib/systemd/system/gdx-uplink.service \
    /lib/systemd/system/gdx-supervise.service
# the audit trail survives a purge
echo '{"seq":1}' >/var/lib/gdx/audit/test-20261130.jsonl
inst dpkg --purge gdx
is "$?" 0 "dpkg --purge removes it"
ok "/usr/bin/gdx is gone" test ! -e /usr/bin/gdx
ok "the audit trail is kept" test -f /var/lib/gdx/audit/test-20261130.jsonl
rm -f /var/lib/gdx/audit/test-20261130.jsonl

done_testing
