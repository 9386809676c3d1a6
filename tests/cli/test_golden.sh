#!/usr/bin/env bash
# Golden outputs: every output vigil makes from a dump, over three recorded
# dumps (tests/data/golden-*.vgl: contention, leak + retention, --all with
# churn), compared byte for byte with what was committed in
# tests/data/golden/.  A change to any output shows up here; when it is
# meant, regenerate with VIGIL_GOLDEN_UPDATE=1 and commit the new files with
# the reason.  `vigil dump` prints every event (MBs of text): its text and
# CSV are pinned by their SHA-256 and line count; diff them against the
# output of a build of the commit that wrote the hash to see what changed.
# The JSON outputs are kept gzipped (compared uncompressed).
. "$(dirname "$0")/lib.sh"
need golden "$VIGIL"
cd "$ROOT" # the report names the dump by the path it was given
export TZ=UTC LC_ALL=C # wall times and number formats the same on any host
GOLD=tests/data/golden
update=${VIGIL_GOLDEN_UPDATE:-0}

# name, command... : runs the command (stdout is the output; exit 0 wanted)
outputs() { # dump stem
	local d=tests/data/golden-$1.vgl
	echo "report.txt report $d"
	echo "report.json.gz report $d --format json"
	echo "report.md report $d --format md"
	echo "dump.txt.sha256 dump $d"
	echo "dump.csv.sha256 dump $d --format csv"
	echo "replay.txt replay $d --batch"
	echo "replay.jsonl.gz replay $d --batch --format json"
}

for stem in contention leak churn; do
	dump=tests/data/golden-$stem.vgl
	if [ ! -f "$dump" ]; then
		fail "golden.$stem" "$dump is missing"
		continue
	fi
	while read -r out args; do
		name=golden.$stem.$out
		want=$GOLD/$stem.$out
		# shellcheck disable=SC2086 # args are words
		if ! "$VIGIL" $args >"$TMP/out" 2>"$TMP/err" </dev/null; then
			fail "$name" "vigil $args exited $?: $(head -c 300 "$TMP/err")"
			continue
		fi
		if [[ $out == *.sha256 ]]; then
			echo "$(sha256sum <"$TMP/out" | cut -d' ' -f1) $(wc -l <"$TMP/out") lines" >"$TMP/out.sum"
			mv "$TMP/out.sum" "$TMP/out"
		fi
		if [ "$update" = 1 ]; then
			if [[ $out == *.gz ]]; then gzip -9n <"$TMP/out" >"$want"; else cp "$TMP/out" "$want"; fi
			pass "$name (updated)"
			continue
		fi
		if [ ! -f "$want" ]; then
			fail "$name" "$want is missing (VIGIL_GOLDEN_UPDATE=1 writes it)"
			continue
		fi
		if [[ $out == *.gz ]]; then gzip -dc "$want" >"$TMP/want"; else cp "$want" "$TMP/want"; fi
		if cmp -s "$TMP/out" "$TMP/want"; then
			pass "$name"
		else
			fail "$name" "differs from $want: $(diff "$TMP/want" "$TMP/out" | head -n 6 | tr '\n' '|' | head -c 600)"
		fi
	done < <(outputs "$stem")
done
