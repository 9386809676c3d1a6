#!/usr/bin/env bash
# A config file others can write is refused (issue 11, item 3): exit 2
# with the owner and the mode named, unless --insecure-config is given for
# an explicit --config.  No BPF needed: `vigil report` reads the config too.
. "$(dirname "$0")/lib.sh"
need config_trust "$VIGIL"
DUMP=$ROOT/tests/data/real-x86.vgl
printf '[record]\nringbuf_mb = 1024\n' >"$TMP/vigil.conf"
chmod 0644 "$TMP/vigil.conf"
expect config_trust.own_0644 0 "" report --config "$TMP/vigil.conf" "$DUMP"
chmod 0664 "$TMP/vigil.conf"
expect config_trust.group_writable 2 "writable by group \(owner uid [0-9]+.*mode 0664\).*refusing" \
	report --config "$TMP/vigil.conf" "$DUMP"
chmod 0666 "$TMP/vigil.conf"
expect config_trust.world_writable 2 "writable by group and others .*mode 0666" \
	record --all --duration 0.5 --config "$TMP/vigil.conf" -o "$TMP/never.vgl"
[ ! -e "$TMP/never.vgl" ] && pass config_trust.no_dump_left || fail config_trust.no_dump_left "a dump was created"
expect config_trust.insecure_flag 0 "warning: .*mode 0666.*--insecure-config" \
	report --insecure-config --config "$TMP/vigil.conf" "$DUMP"
expect config_trust.flag_needs_config 2 "applies to a --config FILE only" report --insecure-config "$DUMP"
if [ "$(id -u)" = 0 ]; then
	chmod 0644 "$TMP/vigil.conf"; chown 65534 "$TMP/vigil.conf"
	expect config_trust.other_owner 2 "owned by uid 65534.*mode 0644" report --config "$TMP/vigil.conf" "$DUMP"
	chown 0 "$TMP/vigil.conf"
	mkdir -m 0777 "$TMP/open"; chmod 0777 "$TMP/open"; cp "$TMP/vigil.conf" "$TMP/open/"
	expect config_trust.open_directory 2 "its directory .*/open is writable by group and others" \
		report --config "$TMP/open/vigil.conf" "$DUMP"
fi
