#!/usr/bin/env bash
# Runs the same crushtool commands through Ceph's crushtool and through ours (node dist/bin/crushtool.js)
# over every binary map given (default: the committed fixture and golden maps) and prints one line per
# difference in stdout, stderr (Ceph's timestamped log lines dropped), exit status or written file.
# An integration check for a developer machine with /usr/bin/crushtool; nothing here is a test input.
# Usage: npm run -s build && bash scripts/crushtool-diff.sh [map.bin ...]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ceph=${CRUSHTOOL:-/usr/bin/crushtool}
ours="node $root/dist/bin/crushtool.js"
maps=("$@")
if [ ${#maps[@]} -eq 0 ]; then
  mapfile -t maps < <(ls "$root"/test/fixtures/crush/bin/*.bin "$root"/test/golden/crush/maps/*.bin 2>/dev/null)
fi
cmds=(
  "--test --show-statistics --show-utilization-all --min-x 0 --max-x 199"
  "--test --show-mappings --show-bad-mappings --min-x 0 --max-x 99"
  "--test --show-choose-tries --num-rep 3 --min-x 0 --max-x 255"
  "--test --show-utilization --pool-id 7 --num-rep 2 --weight 0 0.5 --min-x 0 --max-x 199"
  "--test --show-statistics --mark-down-ratio 0.5 --show-utilization --min-x 0 --max-x 199"
  "--tree"
  "--dump"
  "-d MAP"
  "--show-location 0"
  "--check 1000"
  "--reweight -o OUT"
  "--reweight-item osd.0 0.25 -o OUT"
  "--remove-item osd.1 -o OUT"
  "--add-item 1000 2.0 osd.1000 --loc host newhost --loc root default -o OUT"
  "--create-replicated-rule xr default host -o OUT"
  "--set-chooseleaf-vary-r 0 --set-straw-calc-version 0 -o OUT"
)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Ceph's log lines and pointer values are masked; a crash report is cut after its first line.
strip() {
  grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[+-][0-9]{4} [0-9a-f]+ ' "$1" | sed -E 's/0x[0-9a-f]{8,16}/0xPOINTER/g' |
    awk '{print} /^\*\*\* Caught signal/ {exit}'
}
ndiff=0
for map in "${maps[@]}"; do
  for cmd in "${cmds[@]}"; do
    for who in ceph ours; do
      d=$scratch/$who; rm -rf "$d"; mkdir -p "$d"; cp "$map" "$d/in.map"
      args=${cmd//MAP/in.map}; args=${args//OUT/out.map}
      if [[ "$cmd" == -d* ]]; then a=($args); else a=(-i in.map $args); fi
      if [ $who = ceph ]; then (cd "$d" && PATH="$(dirname "$ceph"):$PATH" timeout 300 crushtool "${a[@]}" >stdout 2>stderr); echo $? > "$d/rc"
      else (cd "$d" && timeout 300 $ours "${a[@]}" >stdout 2>stderr); echo $? > "$d/rc"; fi
    done
    for f in stdout rc out.map; do
      if ! cmp -s "$scratch/ceph/$f" "$scratch/ours/$f" 2>/dev/null; then
        if [ -e "$scratch/ceph/$f" ] || [ -e "$scratch/ours/$f" ]; then
          echo "DIFF $(basename "$map") [$cmd] $f"; ndiff=$((ndiff+1))
        fi
      fi
    done
    if ! cmp -s <(strip "$scratch/ceph/stderr") <(strip "$scratch/ours/stderr"); then
      echo "DIFF $(basename "$map") [$cmd] stderr"; ndiff=$((ndiff+1))
    fi
  done
done
echo "$ndiff differences"
