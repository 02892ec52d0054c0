#!/usr/bin/env bash
# Regenerates test/fixtures/osdmap/views/ with Ceph's own osdmaptool (16.2.x): for every map NAME,
#   NAME.bin             the binary map (osdmaptool --createsimple, a real monitor's (mon-*), or one
#                        make-maps.mjs builds and writes through tsceph's codec)
#   NAME.print.txt       `osdmaptool NAME.bin --print`
#   NAME.dump.json       `osdmaptool NAME.bin --dump json-pretty`
#   NAME.dump-json.txt   `--dump json`          NAME.dump.xml  `--dump xml-pretty`
#   NAME.tree.txt        `osdmaptool NAME.bin --tree`
#   NAME.tree.json       `--tree=json-pretty`   NAME.tree.xml  `--tree=xml`
#   NAME.print-tz.txt    for the rich map only: --print with TZ=America/New_York
#   NAME.dump-table-kv.txt, NAME.tree-table.txt   for a few maps: `--dump table-kv`, `--tree=table`
#   NAME.inc.bin         an encoded OSDMap::Incremental (make-maps.mjs), with NAME.inc.json and
#                        NAME.inc-json.txt: Ceph's Incremental::dump of it (json-pretty, json), printed by
#                        libceph-common itself through inc-dump.cc (no Ceph tool prints incrementals)
# and unordered-order.txt: libstdc++'s std::unordered_map iteration orders (unordered-order.cc, built
# with g++), which OSDMap::blocklist's order follows.
# osdmaptool runs with TZ=UTC (utime_t prints local time). Usage: bash scripts/osdmap-views/gen.sh
set -euo pipefail
OSDMAPTOOL=${OSDMAPTOOL:-/usr/bin/osdmaptool}
root=$(cd "$(dirname "$0")/../.." && pwd)
dir="$root/test/fixtures/osdmap/views"
mkdir -p "$dir"
# Incrementals a real 16.2.15 monitor made (scripts/golden-osdmap's cluster), chosen so that together
# they fill every section of Incremental::dump; copied from the golden history when it is there, else
# the committed copies are kept.
golden="$root/test/golden/osdmap/maps/mon/history"
mon_epochs="0001 0002 0003 0005 0035 0040 0041 0106 0112 0122 0131 0135 0141 0161"
# Likewise two of its full maps: mon-states (down/out OSDs, reweights, affinities, flags, blocklist,
# weight sets, temps, upmaps) and mon-thawed.
if [ -d "$golden" ]; then
  rm -f "$dir"/*.bin "$dir"/*.txt "$dir"/*.json "$dir"/*.xml
  for e in $mon_epochs; do gzip -dc "$golden/inc-$e.bin.gz" > "$dir/mon-$e.inc.bin"; done
  cp "$golden/../mon-states.bin" "$golden/../mon-thawed.bin" "$dir/"
else
  find "$dir" -maxdepth 1 -type f ! -name 'mon-*.bin' -delete
fi
export TZ=UTC

# 1. maps osdmaptool makes itself (a fixed clock: created/modified are "now")
mk() { # NAME ARGS...
  local name=$1; shift
  faketime -f '@2026-01-01 00:00:00 x0' "$OSDMAPTOOL" --createsimple "$@" "$dir/$name.bin" --clobber > /dev/null 2>&1
}
mk simple-1 1
mk simple-1-pool 1 --with-default-pool
mk simple-4-pool 4 --with-default-pool
mk simple-13-pool 13 --with-default-pool --pg-bits 4 --pgp-bits 2

# 2. maps osdmaptool cannot make, encoded by tsceph
(cd "$root" && npm run -s build) || echo "warning: the build reported errors; using the files tsc emitted" >&2
node "$root/scripts/osdmap-views/make-maps.mjs" "$dir"

# 3. what osdmaptool prints for each
for bin in "$dir"/*.bin; do
  case $bin in *.inc.bin) continue ;; esac
  n=${bin%.bin}
  "$OSDMAPTOOL" "$bin" --print > "$n.print.txt" 2>/dev/null
  "$OSDMAPTOOL" "$bin" --dump json-pretty > "$n.dump.json" 2>/dev/null
  "$OSDMAPTOOL" "$bin" --dump json > "$n.dump-json.txt" 2>/dev/null
  "$OSDMAPTOOL" "$bin" --dump xml-pretty > "$n.dump.xml" 2>/dev/null
  "$OSDMAPTOOL" "$bin" --tree > "$n.tree.txt" 2>/dev/null
  "$OSDMAPTOOL" "$bin" --tree=json-pretty > "$n.tree.json" 2>/dev/null
  "$OSDMAPTOOL" "$bin" --tree=xml > "$n.tree.xml" 2>/dev/null
done
TZ=America/New_York "$OSDMAPTOOL" "$dir/rich.bin" --print > "$dir/rich.print-tz.txt" 2>/dev/null
for n in rich tree-weightsets mon-states; do
  "$OSDMAPTOOL" "$dir/$n.bin" --dump table-kv > "$dir/$n.dump-table-kv.txt" 2>/dev/null
  "$OSDMAPTOOL" "$dir/$n.bin" --tree=table > "$dir/$n.tree-table.txt" 2>/dev/null
done
tmp=$(mktemp -d)
g++ -O1 -o "$tmp/uo" "$root/scripts/osdmap-views/unordered-order.cc"
"$tmp/uo" > "$dir/unordered-order.txt"
lib=/usr/lib/x86_64-linux-gnu/ceph
g++ -O1 -o "$tmp/inc-dump" "$root/scripts/osdmap-views/inc-dump.cc" "$lib/libceph-common.so.2" -Wl,-rpath,"$lib"
for inc in "$dir"/*.inc.bin; do
  n=${inc%.bin}
  "$tmp/inc-dump" "$inc" json-pretty > "$n.json"
  "$tmp/inc-dump" "$inc" json > "$n-json.txt"
done
rm -rf "$tmp"
echo "wrote $(ls "$dir"/*.bin | grep -vc "\.inc\.bin$") maps and $(ls "$dir"/*.inc.bin | wc -l) incrementals to $dir"
