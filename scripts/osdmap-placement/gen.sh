#!/usr/bin/env bash
# Regenerates test/fixtures/osdmap/placement/ with Ceph's own osdmaptool (16.2.x). For every map NAME
# that make-maps.mjs builds (NAME.bin, NAME.cases.json):
#   NAME.dump-all.txt     the PG lines of `osdmaptool NAME.bin --test-map-pgs-dump-all`: raw, up, acting
#                         and their primaries for every PG of every pool
#   NAME.map-pg.txt       `--test-map-pg PGID` for the raw pgids in NAME.cases.json (seeds past pg_num,
#                         a pool that does not exist)
#   NAME.objects.txt      `--test-map-object OBJ --pool ID` for every pool and object name
#   NAME.upmap-cleanup.txt  the commands `--upmap-cleanup` writes (OSDMap::clean_pg_upmaps)
#   NAME.upmap-cleanup.log  the log lines it prints on stderr meanwhile, without time and thread
# and, from record-golden.mjs, golden-mon.json (+ golden-CHECKPOINT.dump-all.txt): the same for the
# golden set's monitor-made maps (test/golden/osdmap/maps/mon).
# Usage: bash scripts/osdmap-placement/gen.sh
set -euo pipefail
OSDMAPTOOL=${OSDMAPTOOL:-/usr/bin/osdmaptool}
root=$(cd "$(dirname "$0")/../.." && pwd)
dir="$root/test/fixtures/osdmap/placement"
mkdir -p "$dir"
rm -f "$dir"/placement-* "$dir"/golden-*
(cd "$root" && npm run -s build) || echo "warning: the build reported errors; using the files tsc emitted" >&2
node "$root/scripts/osdmap-placement/make-maps.mjs" "$dir"

for bin in "$dir"/placement-*.bin; do
  n=${bin%.bin}
  "$OSDMAPTOOL" "$bin" --test-map-pgs-dump-all 2>/dev/null | grep -E '^[0-9]+\.[0-9a-f]+ raw ' > "$n.dump-all.txt"
  : > "$n.map-pg.txt"
  for pg in $(node -e 'for (const p of JSON.parse(require("fs").readFileSync(process.argv[1])).rawPgs) console.log(p)' "$n.cases.json"); do
    "$OSDMAPTOOL" "$bin" --test-map-pg "$pg" 2>/dev/null | grep -v "^osdmaptool: osdmap file" >> "$n.map-pg.txt" || true
  done
  : > "$n.objects.txt"
  node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1])); for (const p of c.pools) for (const o of c.objects) console.log(p + "\t" + o)' "$n.cases.json" |
    while IFS=$'\t' read -r pool obj; do
      printf '%s\t' "$pool" >> "$n.objects.txt"
      "$OSDMAPTOOL" "$bin" --test-map-object "$obj" --pool "$pool" 2>/dev/null | grep "^ object '" >> "$n.objects.txt"
    done
  { "$OSDMAPTOOL" "$bin" --upmap-cleanup "$n.upmap-cleanup.txt" 2>&1 > /dev/null || true; } |
    grep -v "osdmaptool: osdmap file '" | cut -d' ' -f3- > "$n.upmap-cleanup.log"
done

# the golden set's monitor-made maps, when present: checkpoints and every epoch of the history
if [ -d "$root/test/golden/osdmap/maps/mon" ]; then
  node "$root/scripts/osdmap-placement/record-golden.mjs" "$root/test/golden/osdmap/maps/mon" "$dir"
fi
ls "$dir" | wc -l
