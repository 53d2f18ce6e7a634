#!/bin/bash
# 0070-install: `make install DESTDIR=...` lays out the expected tree (binary, man pages,
# systemd units, /etc/gdx with commented examples, /var/lib/gdx and its audit directory with
# restrictive modes); systemd-analyze verify accepts the units; the units carry the
# hardening; every man page renders without warnings and lists exactly the options that the
# command's --help lists; the installed binary runs.
. "$(dirname "$0")/../lib.sh"

[ -x "$GDX" ] || skip_all "no $GDX (run make)"
R=$T/root
# the same build as the one under test (build/ or build/san), without the caller's make flags
san=""
case $GDX_BUILD in */san) san="SANITIZE=address,undefined" ;; esac
# shellcheck disable=SC2086
MAKEFLAGS= make -s -C "$GDX_ROOT" --no-print-directory install DESTDIR="$R" PREFIX=/usr/local \
    $san >"$T/install.log" 2>&1
rc=$?
is "$rc" 0 "make install DESTDIR=... succeeds"
[ "$rc" = 0 ] || { sed 's/^/#   /' "$T/install.log" | tail -20; done_testing; }

# path mode: what must be there, with which permissions
while read -r path mode; do
    if [ -e "$R$path" ]; then
        is "$(stat -c %a "$R$path")" "$mode" "$path (mode $mode)"
    else
        fail "$path is installed"
    fi
done <<'EOF'
/usr/local/bin/gdx 755
/usr/local/share/man/man1/gdx.1 644
/usr/local/share/man/man1/gdx-connector.1 644
/usr/local/share/man/man1/gdx-topics.1 644
/usr/local/share/man/man1/gdx-uplink.1 644
/usr/local/lib/systemd/system/gdx-connector@.service 644
/usr/local/lib/systemd/system/gdx-uplink.service 644
/usr/local/lib/systemd/system/gdx-supervise.service 644
/usr/local/share/gdx/broker-config/topics.yaml 644
/usr/local/share/gdx/broker-config/acls.yaml 644
/usr/local/share/gdx/broker-config/kafka/server-1.properties 644
/usr/local/share/gdx/schemas/hotline12345/workorder.avsc 644
/usr/local/share/doc/gdx/operations.md 644
/etc/gdx 750
/etc/gdx/deployment.yaml 640
/etc/gdx/uplink.yaml.example 640
/etc/gdx/admin.yaml.example 640
/etc/gdx/connectors.d 750
/etc/gdx/connectors.d/hotline12345.workorders.yaml.example 640
/etc/gdx/secrets 700
/etc/gdx/keys 700
/etc/gdx/tls 750
/var/lib/gdx 750
/var/lib/gdx/audit 750
EOF
for cmd in $("$GDX" help --list); do
    ok "a man page for gdx $cmd" test -s "$R/usr/local/share/man/man1/gdx-$cmd.1"
done

# the installed binary runs, and the example deployment file (all comments) is inert
out=$("$R/usr/local/bin/gdx" --version 2>&1)
case $out in "gdx "[0-9]*) pass "the installed gdx runs: $out" ;; *) fail "installed gdx --version: $out" ;; esac
ok "every line of the example deployment file is a comment" \
    sh -c "! grep -v '^#' '$R/etc/gdx/deployment.yaml' | grep -q ."
cat >"$T/conn.yaml" <<EOF
connector: {id: hotline12345.workorders, kind: file}
topic: gov.hotline12345.workorders.workorder
schema: $GDX_ROOT/schemas/hotline12345/workorder.avsc
EOF
GDX_DEPLOYMENT=$R/etc/gdx/deployment.yaml "$GDX" connector check -c "$T/conn.yaml" >"$T/chk.out" 2>&1
ok "with it, a connector file without kafka says where the bootstrap servers belong" \
    grep -q "missing required key 'kafka.bootstrap.servers' (here or in the deployment file)" "$T/chk.out"

# --- the units -------------------------------------------------------------------------------
U=$R/usr/local/lib/systemd/system
for unit in gdx-connector@.service gdx-uplink.service gdx-supervise.service; do
    for want in NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes User=gdx \
        "ReadWritePaths=/var/lib/gdx" "StateDirectory=gdx gdx/audit" RestartPreventExitStatus=78; do
        grep -qx "$want" "$U/$unit" || fail "$unit has $want"
    done
done
pass "every unit has the hardening, the gdx user, state and audit paths and no restart on 78"
ok "gdx-supervise reloads with SIGHUP" grep -qx 'ExecReload=kill -HUP $MAINPID' "$U/gdx-supervise.service"
ok "gdx-supervise runs gdx supervise /etc/gdx/connectors.d" \
    grep -qx "ExecStart=/usr/local/bin/gdx supervise /etc/gdx/connectors.d" "$U/gdx-supervise.service"
ok "gdx-connector@ runs the instance's file" \
    grep -qx "ExecStart=/usr/local/bin/gdx connector run -c /etc/gdx/connectors.d/%i.yaml" \
    "$U/gdx-connector@.service"

if command -v systemd-analyze >/dev/null; then
    # systemd-analyze verify checks that ExecStart's binary and Documentation's man pages
    # exist: point them into the tree (the host has no gdx installed), and verify an instance
    mkdir -p "$T/units"
    for unit in gdx-uplink.service gdx-supervise.service gdx-connector@.service; do
        sed "s|/usr/local/bin/gdx|$R/usr/local/bin/gdx|g" "$U/$unit" >"$T/units/$unit"
    done
    cp "$T/units/gdx-connector@.service" "$T/units/gdx-connector@hotline12345.workorders.service"
    MANPATH=$R/usr/local/share/man systemd-analyze verify "$T/units/gdx-uplink.service" \
        "$T/units/gdx-supervise.service" "$T/units/gdx-connector@hotline12345.workorders.service" \
        >"$T/verify.out" 2>&1
    rc=$?
    is "$rc" 0 "systemd-analyze verify accepts the three units"
    [ "$rc" = 0 ] || sed 's/^/#   /' "$T/verify.out"
    systemd-analyze security --offline=yes "$T/units/gdx-connector@hotline12345.workorders.service" \
        >"$T/security.out" 2>&1
    diag "$(grep 'Overall exposure' "$T/security.out")"
else
    fail "systemd-analyze is installed (Debian package systemd)"
fi

# --- man pages: rendered, and the same options as --help -------------------------------------
M=$R/usr/local/share/man/man1
for page in "$M"/*.1; do
    warn=$(groff -k -man -Tutf8 -ww -z "$page" 2>&1)
    [ -z "$warn" ] || { fail "$(basename "$page") renders without warnings"; diag "$warn"; }
done
pass "every man page renders without troff warnings"
# long options of a man page (\-\-name) and of --help (--name), sorted
man_opts() { grep -o '\\fB\\-\\-[a-z0-9\\-]*' "$1" | sed 's/\\fB\\-\\-//; s/\\f$//; s/\\-/-/g' | sort -u; }
help_opts() { "$GDX" help "$1" | grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' | sed 's/.*--//' | sort -u; }
for cmd in $("$GDX" help --list); do
    is "$(man_opts "$M/gdx-$cmd.1" | tr '\n' ' ')" "$(help_opts "$cmd" | tr '\n' ' ')" \
        "gdx-$cmd(1) and gdx $cmd --help list the same options"
done
ok "gdx-connector(1) has the config keys of connector spec" grep -q '^\.B source\.path' "$M/gdx-connector.1"
for kind in $("$GDX" connector spec | awk '/^connector kinds:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }'); do
    ok "gdx-connector(1) documents kind '$kind'" grep -q "^\.SS kind: $kind" "$M/gdx-connector.1"
done

done_testing
