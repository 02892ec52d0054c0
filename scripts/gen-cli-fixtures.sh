#!/usr/bin/env bash
# Regenerates test/fixtures/crush/cli/cases/ with Ceph's own crushtool: for every line of
# test/fixtures/crush/cli/cases.txt ("name<TAB>args", args split on white space) it runs
# `crushtool args` in a scratch copy of test/fixtures/crush/cli/inputs/ and records stdout, stderr,
# the exit status and every file the run created or changed. test/crush/cli.test.ts replays them.
# Needs /usr/bin/crushtool (Ceph 16.2). Usage: bash scripts/gen-cli-fixtures.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fix=$root/test/fixtures/crush/cli
crushtool=${CRUSHTOOL:-/usr/bin/crushtool}
crushdir=$(dirname "$crushtool")

# Inputs that are themselves made by crushtool.
(
  cd "$fix/inputs"
  "$crushtool" -c holes.txt -o holes.map
  "$crushtool" -c classes.txt -o classes.map
  "$crushtool" --build --num_osds 12 host straw2 3 rack straw2 2 root straw2 0 -o built.map
  "$crushtool" --build --num_osds 7 host straw 2 root list 0 -o legacy.map >/dev/null
)

rm -rf "$fix/cases"
mkdir -p "$fix/cases"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

while IFS=$'\t' read -r name args; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  work=$scratch/$name
  rm -rf "$work"
  cp -r "$fix/inputs" "$work"
  (cd "$work" && find . -type f -exec md5sum {} + | sort) > "$scratch/before"
  set +e
  # argv[0] is "crushtool", as a shell finds it on PATH.
  (cd "$work" && PATH="$crushdir:$PATH" crushtool $args </dev/null >"$scratch/stdout" 2>"$scratch/stderr")
  rc=$?
  set -e
  out=$fix/cases/$name
  mkdir -p "$out"
  printf '%s\n' "$args" > "$out/args"
  printf '%s\n' "$rc" > "$out/rc"
  cp "$scratch/stdout" "$out/stdout"
  cp "$scratch/stderr" "$out/stderr"
  (cd "$work" && find . -type f -exec md5sum {} + | sort) > "$scratch/after"
  comm -13 "$scratch/before" "$scratch/after" | awk '{print $2}' | while read -r f; do
    mkdir -p "$out/files"
    cp "$work/$f" "$out/files/$(basename "$f")"
  done
done < "$fix/cases.txt"
echo "cases: $(ls "$fix/cases" | wc -l)"
