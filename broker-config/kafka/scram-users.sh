#!/bin/sh
# broker-config/kafka/scram-users.sh - create (or reset) the SCRAM-SHA-512 credentials of every
# principal in broker-config/acls.yaml, from password files in a directory (one file per user,
# named after it, mode 0600): the passwords go through a 0600 properties file, never through
# the command line.
#
#   BOOTSTRAP=kafka1.xiangcheng.gov.cn:9093 ADMIN_CONFIG=admin-client.properties \
#       sh scram-users.sh /root/kafka-passwords [broker-config/acls.yaml]
set -eu
dir=$1
acls=${2:-broker-config/acls.yaml}
: "${BOOTSTRAP:?set BOOTSTRAP}" "${ADMIN_CONFIG:?set ADMIN_CONFIG}"
umask 077
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for user in $(sed -n 's/^  - principal: User://p' "$acls"); do
    if [ ! -f "$dir/$user" ]; then
        echo "scram-users: no password file $dir/$user, skipped" >&2
        continue
    fi
    printf 'SCRAM-SHA-512=[iterations=8192,password=%s]\n' "$(cat "$dir/$user")" >"$tmp"
    kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" \
        --alter --entity-type users --entity-name "$user" --add-config-file "$tmp"
done
