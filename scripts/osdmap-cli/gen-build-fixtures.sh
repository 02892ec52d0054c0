#!/usr/bin/env bash
# Regenerates test/fixtures/osdmap/cli/build/ with Ceph 16.2's own osdmaptool: for every line of
# scripts/osdmap-cli/build-cases.txt ("name<TAB>createsimple args") it runs, under a fixed clock
# (faketime, 2026-01-01 00:00:00 UTC), `osdmaptool --createsimple ARGS NAME.bin --clobber` and records
# the map (NAME.bin), its `--dump json` (NAME.json) and its CRUSH map (`--export-crush`, NAME.crush).
# test/osdmap/build.test.ts compares tsceph's build_simple with them field by field and byte for byte.
# Needs /usr/bin/osdmaptool (Ceph 16.2.15) and faketime. Usage: bash scripts/osdmap-cli/gen-build-fixtures.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/test/fixtures/osdmap/cli/build
osdmaptool=${OSDMAPTOOL:-/usr/bin/osdmaptool}
"$osdmaptool" --version | grep -q '^ceph version 16\.2\.15 ' || { echo "need Ceph 16.2.15's osdmaptool" >&2; exit 1; }
export FAKETIME_NOW='@2026-01-01 00:00:00'
rm -rf "$out"
mkdir -p "$out"
unset CEPH_ARGS
while IFS=$'\t' read -r name args; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  # shellcheck disable=SC2086
  (cd "$out" && TZ=UTC faketime -f "$FAKETIME_NOW x0" "$osdmaptool" $args "$name.bin" --clobber >/dev/null 2>&1)
  (cd "$out" && "$osdmaptool" "$name.bin" --dump json >"$name.json" 2>/dev/null)
  (cd "$out" && "$osdmaptool" "$name.bin" --export-crush "$name.crush" >/dev/null 2>&1)
done <"$here/build-cases.txt"
printf '{"now":{"sec":%d,"nsec":0},"cases":[%s]}\n' "$(TZ=UTC date -d '2026-01-01 00:00:00' +%s)" \
  "$(grep -v '^#' "$here/build-cases.txt" | awk -F'\t' 'NF{printf "%s{\"name\":\"%s\",\"args\":\"%s\"}", (n++?",":""), $1, $2}')" \
  >"$out/cases.json"
