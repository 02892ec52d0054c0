#!/usr/bin/env bash
# Makes test/fixtures/osdmap/codec/*.bin with Ceph 16.2's own osdmaptool and crushtool, under a
# stopped clock so every run writes the same bytes. The codec test decodes each map and re-encodes it
# byte for byte (richer maps from a real monitor come from the golden set, test/golden/osdmap).
# Usage: bash scripts/osdmap-codec/gen-fixtures.sh   (needs Debian's ceph-base 16.2.x and faketime)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=test/fixtures/osdmap/codec
for t in osdmaptool crushtool faketime; do
  command -v "$t" >/dev/null || { echo "gen-fixtures: $t not found" >&2; exit 2; }
done
export LC_ALL=C CEPH_ARGS=
clock=(faketime -f '@2026-01-01 00:00:00 x0')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f "$out"/*.bin
for n in 1 2 5 13 64; do
  "${clock[@]}" osdmaptool --createsimple "$n" "$out/simple-$n.bin" --clobber >/dev/null 2>&1
  "${clock[@]}" osdmaptool --createsimple "$n" --with-default-pool "$out/simple-$n-pool.bin" --clobber >/dev/null 2>&1
done
"${clock[@]}" osdmaptool --createsimple 7 --with-default-pool --pg-bits 3 --pgp-bits 2 "$out/simple-7-bits.bin" --clobber >/dev/null 2>&1
# A 12-OSD map whose CRUSH map is a host/rack/root hierarchy built by crushtool.
"${clock[@]}" osdmaptool --createsimple 12 --with-default-pool "$out/imported-12.bin" --clobber >/dev/null 2>&1
crushtool --build --num_osds 12 host straw2 3 rack straw2 2 root straw2 0 -o "$tmp/c12.bin" >/dev/null 2>&1
"${clock[@]}" osdmaptool "$out/imported-12.bin" --import-crush "$tmp/c12.bin" >/dev/null 2>&1
# Saved after CRUSH weight changes: osdmaptool applies an incremental, so the epoch moves on.
cp "$out/imported-12.bin" "$out/adjusted-12.bin"
"${clock[@]}" osdmaptool "$out/adjusted-12.bin" --adjust-crush-weight 0:2.5,3:0.5,11:0 --save >/dev/null 2>&1
ls -l "$out"
