#!/usr/bin/env bash
# Regenerates test/fixtures/crush/cli/cases/ with Ceph's own crushtool: for every line of
# test/fixtures/crush/cli/cases.txt ("name<TAB>args[<TAB>CEPH_ARGS]", args split on white space) it runs
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
  "$crushtool" -c split.txt -o split.map
  # Classes under a bucket with a weight set: the shadow copies of buckets without one get empty
  # weight sets, on which a later weight update asserts (found by the fuzzer).
  "$crushtool" -c clone-ws.txt -o clone-ws.map
  # A tree bucket under a straw2 bucket with a weight set: moving out an item that is not the last
  # leaves the tree's size, and Ceph's sums then read the weight set's stale slot (found by the fuzzer).
  "$crushtool" -c tree-ws.txt -o tree-ws.map
  # Rules b and c moved into rule a's ruleset: only a binary map can say that.
  "$crushtool" -c overlap.txt -o overlap.map
  node -e '
    const fs = require("fs");
    const d = fs.readFileSync("overlap.map");
    for (const [ruleset, type, min, max] of [[1, 1, 5, 20], [2, 1, 8, 9]]) {
      const at = d.indexOf(Buffer.from([ruleset, type, min, max]));
      d[at] = 0;
    }
    fs.writeFileSync("overlap.map", d);'
  "$crushtool" --build --num_osds 12 host straw2 3 rack straw2 2 root straw2 0 -o built.map
  "$crushtool" -d built.map -o built.txt
  "$crushtool" --build --num_osds 7 host straw 2 root list 0 -o legacy.map >/dev/null
)

rm -rf "$fix/cases"
mkdir -p "$fix/cases"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

unset CEPH_ARGS
while IFS= read -r line; do
  [[ -z "$line" || "$line" == \#* ]] && continue
  # Fields are split by hand: read would merge the empty args of "name<TAB><TAB>CEPH_ARGS".
  name=${line%%$'\t'*}
  rest=${line#*$'\t'}
  [[ "$rest" == "$line" ]] && rest=''
  args=${rest%%$'\t'*}
  cephargs=''
  [[ "$rest" == *$'\t'* ]] && cephargs=${rest#*$'\t'}
  work=$scratch/$name
  rm -rf "$work"
  cp -r "$fix/inputs" "$work"
  (cd "$work" && find . -type f -exec md5sum {} + | sort) > "$scratch/before"
  set +e
  # argv[0] is "crushtool", as a shell finds it on PATH.
  if [ -n "${cephargs:-}" ]; then
    (cd "$work" && CEPH_ARGS="$cephargs" PATH="$crushdir:$PATH" crushtool $args </dev/null >"$scratch/stdout" 2>"$scratch/stderr")
  else
    (cd "$work" && PATH="$crushdir:$PATH" crushtool $args </dev/null >"$scratch/stdout" 2>"$scratch/stderr")
  fi
  rc=$?
  set -e
  out=$fix/cases/$name
  mkdir -p "$out"
  printf '%s\n' "$args" > "$out/args"
  if [ -n "${cephargs:-}" ]; then printf '%s\n' "$cephargs" > "$out/ceph_args"; fi
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

# C's printf("%g") of float32 values, for the tester's number formatting (glibc, through bash's
# printf builtin): "value<TAB>formatted", values written with 17 significant digits (exact doubles).
node -e '
const vals = [0, 1, -1, 0.25, 26.08695652173913, 1.3043478260869565, 341.3333333333333, 2/3, 1e-5, 1.5e-4,
  123456, 1234567, 999999.5, 9999995, 0.1, 100000, 1e6, 1e7, 3.4e38, 1e-38, 0.000123456789, 5e-5, 12345.678,
  0.979492, 1003/1024, 10071/10240, 1/3, 3.5, 7.25, 2.6087, 0.5, 1.5, 2.5, 1234565, 1234575, 12345650,
  -1234565, 2 ** -16, 0.0001, 65536.5, 1048576.5];
for (const v of vals) console.log(Math.fround(v).toPrecision(17));
' | while read -r v; do printf '%s\t%g\n' "$v" "$v"; done > "$fix/printf-g.txt"
