#!/usr/bin/env bash
# Regenerates the crushtool text-format fixtures under test/fixtures/crush/text/ with Ceph's own
# crushtool (Pacific 16.2). Inputs are hand-written; outputs are what crushtool makes of them:
#   maps/NAME.txt   -> maps/NAME.bin, maps/NAME.expected   crushtool -c NAME.txt, and -d of that
#   bad/NAME.txt    -> bad/NAME.expected-err   "rc=N" then crushtool -c's stderr ("abort" if it crashes)
#   ../bin/NAME.bin -> decoded/NAME.expected  crushtool -d of the encoding fixtures (decode + decompile)
#   verbose/NAME.v1, NAME.v4                 stderr of crushtool -c NAME.txt -v (and -v -v -v -v)
#   queries/show-location-MAP-ID.expected     crushtool -i MAP --show-location ID
#   queries/mappings-MAP-RULE-N.expected       crushtool --test --show-mappings, x 0..63
#   edits/edits.list (name, base map, crushtool edit flags) ->
#                      edits/NAME.bin, NAME.expected  crushtool -i base --FLAGS -o out, and -d of that
#                      edits/NAME.expected-err "rc=N" then stderr, when crushtool refuses the edit
#                      edits/NAME.stdout       what --reclassify printed
# Usage: bash scripts/gen-text-fixtures.sh
set -euo pipefail
cd "$(dirname "$0")/../test/fixtures/crush/text"
command -v crushtool >/dev/null || { echo "crushtool (Ceph 16.2) is required" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in maps/*.txt; do
  n=${f%.txt}
  crushtool -c "$f" -o "$n.bin"
  crushtool -d "$n.bin" > "$n.expected"
done

cd bad
for f in *.txt; do
  n=${f%.txt}
  rc=0
  crushtool -c "$f" -o "$tmp/b.bin" 2> "$tmp/err" || rc=$?
  if [ "$rc" -eq 134 ] || [ "$rc" -eq 139 ]; then
    printf 'rc=%s\nabort\n' "$rc" > "$n.expected-err"
  else
    { printf 'rc=%s\n' "$rc"; cat "$tmp/err"; } > "$n.expected-err"
  fi
done
cd ..

# crushtool -c -v (once and four times): the compiler's progress lines on stderr
mkdir -p verbose
for spec in "maps classes" "maps odd-names" "bad duplicate-bucket-class" "bad rule-unknown-type"; do
  set -- $spec
  ( cd "$1" && crushtool -c "$2.txt" -o "$tmp/v.bin" -v 2> "../verbose/$2.v1" > /dev/null || true )
  ( cd "$1" && crushtool -c "$2.txt" -o "$tmp/v.bin" -v -v -v -v 2> "../verbose/$2.v4" > /dev/null || true )
done

# the binary maps of the encoding fixtures, as crushtool decompiles them
mkdir -p decoded
for f in ../bin/*.bin; do
  n=$(basename "${f%.bin}")
  crushtool -d "$f" > "decoded/$n.expected" 2> /dev/null || rm -f "decoded/$n.expected"
done

# edits.list: NAME <tab> BASE-MAP <tab> crushtool flags (split on spaces)
while IFS=$'\t' read -r name base flags; do
  case "$name" in ''|'#'*) continue ;; esac
  crushtool -c "maps/$base.txt" -o "$tmp/base.bin"
  rm -f "edits/$name.expected" "edits/$name.expected-err" "edits/$name.bin" "$tmp/out.bin"
  rc=0
  # shellcheck disable=SC2086
  crushtool -i "$tmp/base.bin" $flags -o "$tmp/out.bin" > "$tmp/out" 2> "$tmp/err" || rc=$?
  # --reclassify reports its work on stdout; keep that too
  case "$flags" in *--reclassify*) cp "$tmp/out" "edits/$name.stdout" ;; esac
  if [ "$rc" -eq 0 ]; then
    cp "$tmp/out.bin" "edits/$name.bin"
    crushtool -d "$tmp/out.bin" > "edits/$name.expected"
  elif [ "$rc" -eq 134 ] || [ "$rc" -eq 139 ]; then
    printf 'rc=%s\nabort\n' "$rc" > "edits/$name.expected-err"
    # Pacific can crash freeing the map after it has written it; the map it wrote is still the answer
    if [ -s "$tmp/out.bin" ]; then crushtool -d "$tmp/out.bin" > "edits/$name.expected"; fi
  else
    # drop Ceph's timestamped debug log lines; keep what crushtool itself says
    { printf 'rc=%s\n' "$rc"; grep -Ev '^([0-9]{4}-[0-9]{2}-[0-9]{2}T|$)' "$tmp/err" || true; } > "edits/$name.expected-err"
  fi
done < edits/edits.list
# crushtool --show-location ID (CrushWrapper::get_full_location)
mkdir -p queries
for spec in "classes 4" "classes 6" "classes 99" "algs 8" "legacy-ssd 5" "odd-names 3" "holes 3"; do
  set -- $spec
  crushtool -c "maps/$1.txt" -o "$tmp/q.bin"
  crushtool -i "$tmp/q.bin" --show-location "$2" > "queries/show-location-$1-$2.expected"
done
# crushtool --test --show-mappings (CrushWrapper::do_rule through crushtool's tester)
for spec in "classes 0 3" "classes 1 3" "classes 2 4" "choose_args 0 2" "algs 0 3" "rules 1 6" "rules 2 3"; do
  set -- $spec
  crushtool -c "maps/$1.txt" -o "$tmp/q.bin"
  crushtool -i "$tmp/q.bin" --test --rule "$2" --num-rep "$3" --min-x 0 --max-x 63 --show-mappings \
    > "queries/mappings-$1-$2-$3.expected"
done
echo "text fixtures regenerated"
