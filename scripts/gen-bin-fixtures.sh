#!/usr/bin/env bash
# Regenerates test/fixtures/crush/bin/ with Ceph's own crushtool (16.2.x): for every map NAME it writes
#   NAME.bin        the binary map crushtool wrote
#   NAME.dump.json  `crushtool -i NAME.bin --dump`
#   NAME.tree.txt   `crushtool -i NAME.bin --tree`
#   NAME.reenc.bin  only where it differs from NAME.bin: what crushtool writes after decoding NAME.bin
#   NAME.dump-FORMAT.out  for a few maps, `--dump -f FORMAT` in Ceph's other formats
# Sources: src/*.txt compiled with `crushtool -c`, maps made with `crushtool --build`, maps edited
# with crushtool's modification and tunable flags, and legacy encodings (a map cut where older Ceph
# encoders stopped) with NAME.reenc.bin = what crushtool writes after decoding that legacy map.
# Note: crushtool -c leaves some words uninitialised in a few random maps (the decompiled text is the
# same), so a regeneration may change random-*.bin bytes; the tests hold for whichever bytes it wrote.
# Usage: bash scripts/gen-bin-fixtures.sh   (needs /usr/bin/crushtool; run from anywhere)
set -euo pipefail
CRUSHTOOL=${CRUSHTOOL:-/usr/bin/crushtool}
cd "$(dirname "$0")/../test/fixtures/crush/bin"
rm -f ./*.bin ./*.dump.json ./*.tree.txt ./*.out ./random-*.txt

views() { # NAME: write the dump and tree of NAME.bin
  "$CRUSHTOOL" -i "$1.bin" --dump > "$1.dump.json"
  "$CRUSHTOOL" -i "$1.bin" --tree > "$1.tree.txt"
}

# 1. compiled text maps
for src in src/*.txt; do
  name=$(basename "$src" .txt)
  "$CRUSHTOOL" -c "$src" -o "$name.bin"
done
# Text cannot name the compat weight set (id -1): rewrite compat-weightset's s64 id 0 to -1 in place.
# Its choose_args section is the last 80 bytes: s64 id, u32 count, 3 bucket entries (24+24+20 bytes).
size=$(stat -c %s compat-weightset.bin)
printf '\xff\xff\xff\xff\xff\xff\xff\xff' | dd of=compat-weightset.bin bs=1 seek=$((size - 80)) conv=notrunc status=none

# Random maps (scripts/gen-random-crush-maps.py, fixed seeds): the first 12 that crushtool compiles.
tmp=$(mktemp -d)
python3 ../../../../scripts/gen-random-crush-maps.py 0 40 "$tmp"
kept=0
for seed in $(seq 0 39); do
  [ "$kept" -ge 12 ] && break
  if "$CRUSHTOOL" -c "$tmp/random-$seed.txt" -o "random-$seed.bin" >/dev/null 2>&1; then
    kept=$((kept + 1))
    cp "$tmp/random-$seed.txt" "random-$seed.txt"
  else
    rm -f "random-$seed.bin"
  fi
done
rm -rf "$tmp"

# 2. crushtool --build
"$CRUSHTOOL" --build --num_osds 12 host straw2 3 rack straw2 2 root straw2 0 -o build-straw2.bin 2>/dev/null
"$CRUSHTOOL" --build --num_osds 10 host uniform 2 row list 2 root tree 0 -o build-mixed.bin 2>/dev/null
"$CRUSHTOOL" --build --num_osds 7 host straw 3 root straw 0 -o build-straw.bin 2>/dev/null
"$CRUSHTOOL" --build --num_osds 64 host straw2 4 rack tree 4 row list 2 root straw2 0 -o build-64.bin 2>/dev/null

# The CRUSH map inside a new OSDMap (osdmaptool builds it with CrushWrapper::build_simple).
tmp=$(mktemp -d)
"${OSDMAPTOOL:-/usr/bin/osdmaptool}" --createsimple 8 --clobber "$tmp/osdmap" >/dev/null 2>&1
"${OSDMAPTOOL:-/usr/bin/osdmaptool}" "$tmp/osdmap" --export-crush osdmap-simple.bin >/dev/null 2>&1
rm -rf "$tmp"

# 3. edits of the maps above
"$CRUSHTOOL" -i classes.bin --add-item 8 1.5 osd.8 --loc host c --loc rack rb --loc root default -o edit-add-item.bin
"$CRUSHTOOL" -i algs.bin --reweight-item osd.7 2.5 -o edit-reweight-item.bin
"$CRUSHTOOL" -i algs.bin --remove-item osd.4 -o edit-remove-item.bin
"$CRUSHTOOL" -i rules.bin --add-bucket newhost host --loc root default -o edit-add-bucket.bin
"$CRUSHTOOL" -i classes.bin --move b --loc rack rb -o edit-move.bin
"$CRUSHTOOL" -i build-straw2.bin --create-replicated-rule rep-rack root rack -o edit-rule1.bin
"$CRUSHTOOL" -i edit-rule1.bin --create-simple-rule ec-host root host indep -o edit-rule2.bin
"$CRUSHTOOL" -i classes.bin --device-class hdd --create-replicated-rule hdd-rack default rack -o edit-rule-class.bin
"$CRUSHTOOL" -i rules.bin --remove-rule tries -o edit-remove-rule.bin
"$CRUSHTOOL" -i algs-straw1.bin --update-item 3 4.0 osd.3 --loc host s1 --loc rack r1 -o edit-update-item.bin
"$CRUSHTOOL" -i argonaut.bin --set-choose-local-tries 0 --set-choose-local-fallback-tries 0 \
  --set-choose-total-tries 50 --set-chooseleaf-descend-once 1 --set-chooseleaf-vary-r 1 \
  --set-chooseleaf-stable 1 -o edit-tunables.bin
"$CRUSHTOOL" -i algs.bin --reweight --set-choose-total-tries 19 -o edit-reweight.bin
"$CRUSHTOOL" -i argonaut.bin --reclassify --set-subtree-class default hdd -o edit-subtree-class.bin >/dev/null
"$CRUSHTOOL" -i edit-subtree-class.bin --rebuild-class-roots -o edit-rebuild-class-roots.bin
"$CRUSHTOOL" -i argonaut.bin --reclassify --reclassify-root default hdd -o edit-reclassify.bin >/dev/null

# 4. hand-patched binaries Ceph accepts and normalises on decode
# max_devices (offset 12) larger than any device: decode recomputes it.
cp rules.bin patched-max-devices.bin
printf '\x32\x00\x00\x00' | dd of=patched-max-devices.bin bs=1 seek=12 conv=notrunc status=none
# The pre-2012 encoder wrote name-map keys as 64 bits; Ceph still reads them (non-negative keys only).
python3 - empty.bin names64.bin <<'PY'
import struct, sys
src = open(sys.argv[1], 'rb').read()
out = bytearray(src[:16])  # magic, max_buckets 0, max_rules 0, max_devices
pos = 16
for _ in range(3):  # type, item and rule name maps
    (n,) = struct.unpack_from('<I', src, pos); pos += 4
    out += struct.pack('<I', n)
    for _ in range(n):
        key, ln = struct.unpack_from('<iI', src, pos); pos += 8
        out += struct.pack('<qI', key, ln) + src[pos:pos + ln]; pos += ln
out += src[pos:]
open(sys.argv[2], 'wb').write(out)
PY
# Odd but decodable values, patched into algs.bin: an unnamed bucket type (row's type id renamed to
# 33), a list item weight past 2^31 (osd.3 in host l1), an unknown rule opcode with its top bit set,
# chooseleaf_descend_once 2^31 (the dump prints CrushWrapper's int getters).
python3 - algs.bin patched-odd.bin <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
pos = 16
max_buckets, max_rules = struct.unpack_from('<iI', b, 4)
for _ in range(max_buckets):
    (alg,) = struct.unpack_from('<I', b, pos); pos += 4
    if not alg:
        continue
    bid, size = struct.unpack_from('<i', b, pos)[0], struct.unpack_from('<I', b, pos + 12)[0]
    pos += 16
    items = struct.unpack_from('<%di' % size, b, pos); pos += 4 * size
    if alg == 1: pos += 4
    elif alg == 2:
        if bid == -3:  # host l1: items osd.3, osd.4, osd.5 as (weight, sum) pairs
            struct.pack_into('<I', b, pos, 0x80010000)
        pos += 8 * size
    elif alg == 3: pos += 1 + 4 * b[pos]
    elif alg == 4: pos += 8 * size
    elif alg == 5: pos += 4 * size
first_rule = True
for _ in range(max_rules):
    (yes,) = struct.unpack_from('<I', b, pos); pos += 4
    if not yes:
        continue
    (length,) = struct.unpack_from('<I', b, pos); pos += 8
    if first_rule:  # the last step (emit) of rule 0
        struct.pack_into('<I', b, pos + 12 * (length - 1), 0x80000001)
        first_rule = False
    pos += 12 * length
(n,) = struct.unpack_from('<I', b, pos); pos += 4
for _ in range(n):
    key, ln = struct.unpack_from('<iI', b, pos)
    if b[pos + 8:pos + 8 + ln] == b'row':
        struct.pack_into('<i', b, pos, 33)
    pos += 8 + ln
for _ in range(2):  # item and rule names
    (n,) = struct.unpack_from('<I', b, pos); pos += 4
    for _ in range(n):
        pos += 8 + struct.unpack_from('<I', b, pos + 4)[0]
struct.pack_into('<I', b, pos + 12, 0x80000000)  # chooseleaf_descend_once: printed as int
struct.pack_into('<I', b, pos + 4, 0x80000005)  # choose_local_fallback_tries: printed as int
struct.pack_into('<I', b, pos + 18, 0x80000016)  # allowed_bucket_algs: printed unsigned
open(sys.argv[2], 'wb').write(b)
PY
# A repeated key in class_name (classes.bin's second class gets the first one's id): Ceph's denc
# keeps the first value, where the name maps keep the last.
python3 - classes.bin patched-dup-class.bin <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
max_buckets, max_rules = struct.unpack_from('<iI', b, 4)
pos = 16
for _ in range(max_buckets):
    (alg,) = struct.unpack_from('<I', b, pos); pos += 4
    if not alg:
        continue
    (size,) = struct.unpack_from('<I', b, pos + 12); pos += 16 + 4 * size
    pos += {1: 4, 2: 8 * size, 4: 8 * size, 5: 4 * size}.get(alg, 0)
    if alg == 3: pos += 1 + 4 * b[pos]
for _ in range(max_rules):
    (yes,) = struct.unpack_from('<I', b, pos); pos += 4
    if yes:
        (length,) = struct.unpack_from('<I', b, pos); pos += 8 + 12 * length
for _ in range(3):
    (n,) = struct.unpack_from('<I', b, pos); pos += 4
    for _ in range(n):
        pos += 8 + struct.unpack_from('<I', b, pos + 4)[0]
pos += 23  # tunables
(n,) = struct.unpack_from('<I', b, pos); pos += 4 + 8 * n  # class_map
(n,) = struct.unpack_from('<I', b, pos); pos += 4  # class_name
first_key, ln = struct.unpack_from('<iI', b, pos)
struct.pack_into('<i', b, pos + 8 + ln, first_key)
open(sys.argv[2], 'wb').write(b)
PY
# Names no Ceph tool would write (they allow only [-_.0-9a-zA-Z]) but a corrupted map can hold: a
# non-UTF-8 byte (host u1 -> "\xe9\x80"), a control byte (host l1 -> "l\x01"), a quote in a class.
python3 - classes.bin patched-names.bin <<'PY'
import sys
b = open(sys.argv[1], 'rb').read()
for old, new in [(b'\x01\x00\x00\x00a', b'\x01\x00\x00\x00\xe9'),
                 (b'\x01\x00\x00\x00b', b'\x01\x00\x00\x00\x01'),
                 (b'nvme', b'nv"e')]:
    assert old in b, old
    b = b.replace(old, new)
open(sys.argv[2], 'wb').write(b)
PY

# 5. legacy encodings: cut rules.bin (no classes, no choose_args) where older encoders stopped. Its
# tail is 3 x u32 (local, fallback, total), u32 descend_once, u8 vary_r, u8 straw_calc_version,
# u32 allowed_bucket_algs, u8 chooseleaf_stable, then 4 empty luminous sections (4 x u32 0).
size=$(stat -c %s rules.bin)
cut_at() { # NAME BYTES_FROM_END
  head -c $((size - $2)) rules.bin > "$1.bin"
  # crushtool writes a map only when asked to change it; setting a tunable to its decoded value
  # changes nothing but makes it write its encoding of what it decoded.
  local total
  total=$("$CRUSHTOOL" -i "$1.bin" --dump | sed -n 's/.*"choose_total_tries": \([0-9]*\),/\1/p')
  "$CRUSHTOOL" -i "$1.bin" --set-choose-total-tries "$total" -o "$1.reenc.bin"
}
cut_at legacy-pre-luminous 16
cut_at legacy-pre-stable 17
cut_at legacy-pre-algs 21
cut_at legacy-pre-straw-calc 22
cut_at legacy-pre-vary-r 23
cut_at legacy-pre-descend-once 27
cut_at legacy-argonaut 39

for bin in *.bin; do
  case "$bin" in *.reenc.bin) continue ;; esac
  name=${bin%.bin}
  views "$name"
  if [ ! -e "$name.reenc.bin" ]; then
    total=$("$CRUSHTOOL" -i "$bin" --dump | sed -n 's/.*"choose_total_tries": \([0-9]*\),/\1/p')
    "$CRUSHTOOL" -i "$bin" --set-choose-total-tries "$total" -o "$name.reenc.bin"
    if cmp -s "$bin" "$name.reenc.bin"; then rm "$name.reenc.bin"; fi
  fi
done
for name in classes chooseargs compat-weightset rules empty; do
  for format in json xml xml-pretty html html-pretty table table-kv; do
    "$CRUSHTOOL" -i "$name.bin" --dump -f "$format" > "$name.dump-$format.out"
  done
done
echo "wrote $(ls ./*.bin | wc -l) binaries to $(pwd)"
