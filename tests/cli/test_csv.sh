#!/usr/bin/env bash
# vigil dump --format csv is RFC 4180 (issue 11, item 2): Python's csv
# module in strict mode reads every row of a dump of processes with hostile
# names (quotes, commas, CR/LF in comm and cmdline) as 7 fields, and gets
# the names back.
. "$(dirname "$0")/lib.sh"
need csv_strict "$VIGIL" "$MK"
command -v python3 >/dev/null || { echo "SKIP csv_strict: no python3"; exit 0; }
"$MK" --make-dump hostile "$TMP/h.vgl" || { echo "FAIL csv_strict: cannot write the dump"; exit 0; }
"$VIGIL" dump --format csv "$TMP/h.vgl" >"$TMP/h.csv" || { echo "FAIL csv_strict: vigil dump failed"; exit 0; }
python3 - "$TMP/h.csv" <<'PY'
import csv, io, sys
bad, rows, names = [], 0, set()
with open(sys.argv[1], newline='') as f:
    raw = f.read()
if not raw.endswith('\r\n') or raw.replace('\r\n', '').count('\n'):
    bad.append('records must end with CRLF, no bare LF')
try:
    for row in csv.reader(io.StringIO(raw, newline=''), strict=True):
        rows += 1
        if len(row) != 7:
            bad.append(f'row {rows}: {len(row)} fields: {row!r}')
        elif rows > 1:
            names.add(row[5])
except csv.Error as e:
    bad.append(f'row {rows + 1}: {e}')
for want in ['a"b,c"d', '"', ',,,', 'x""y', '"' * 15]:
    if want not in names:
        bad.append(f'name {want!r} not read back (names: {sorted(names)!r})')
if bad:
    print('FAIL csv_strict: ' + '; '.join(bad[:3]))
else:
    print(f'PASS csv_strict ({rows} rows, {len(names)} names)')
PY
