#!/usr/bin/env bash
# Regenerates test/golden/monmap/: MonMaps written by Ceph 16's own monmaptool, for
# test/monmap/monmap.test.ts. Each case is one or more monmaptool invocations on one file; the script
# keeps CASE.bin (the map), CASE.print.txt (`monmaptool --print`, TZ=UTC, without its "monmap file"
# line) and CASE.args.txt (the invocations' arguments, one per line, invocations separated by "|"),
# which the test replays through tsceph's monmaptool emulation (created/last_changed taken from the map).
# Usage: bash scripts/gen-monmap-golden.sh
set -euo pipefail
cd "$(dirname "$0")/.."

want='16.2.15'
command -v monmaptool >/dev/null 2>&1 || { echo "gen-monmap-golden: monmaptool not found (needs ceph $want)" >&2; exit 2; }
v=$(ceph --version | awk '{print $3}')
[ "$v" = "$want" ] || { echo "gen-monmap-golden: ceph is $v, need $want; refusing" >&2; exit 2; }

out=test/golden/monmap
mkdir -p "$out"
rm -f "$out"/*.bin "$out"/*.print.txt "$out"/*.args.txt
tmp=$(mktemp -d /tmp/gen-monmap-golden.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export TZ=UTC
F=0b6bd5a4-61f4-4e57-8a0c-2f0a9d4e8c11

# gen CASE ARGS... ['|' ARGS...]: run monmaptool once per '|'-separated group on $tmp/CASE.
gen() {
  local name=$1; shift
  local file="$tmp/$name" args=() a
  : > "$out/$name.args.txt"
  for a in "$@" '|'; do
    if [ "$a" = '|' ]; then
      monmaptool "${args[@]}" "$file" >/dev/null 2>&1
      printf '%s\n' "${args[@]}" >> "$out/$name.args.txt"
      args=()
      [ "$a" = '|' ] && echo '|' >> "$out/$name.args.txt"
    else
      args+=("$a")
    fi
  done
  sed -i '$ d' "$out/$name.args.txt"   # the last separator
  cp "$file" "$out/$name.bin"
  monmaptool --print "$file" | tail -n +2 > "$out/$name.print.txt"
}

gen single --create --fsid $F --add a 127.0.0.1:3300
gen legacy3 --create --fsid $F --add a 127.0.0.1:3300 --add b 127.0.0.1:6789 --addv c '[v2:127.0.0.2:3300,v1:127.0.0.2:6789]'
gen legacy5 --create --fsid $F --add d 127.0.0.1:5000 --add e 127.0.0.3 --add f v1:127.0.0.4:3300 --add g '[::1]:3300' --add h v2:10.0.0.9:6789
gen nautilus3 --create --enable-all-features --fsid $F --add a 127.0.0.1:3300 --add b 127.0.0.1:6789 --addv c '[v2:127.0.0.2:3300,v1:127.0.0.2:6789]'
gen nautilus-noport --create --enable-all-features --fsid $F --add x 192.168.1.10 --add y 192.168.1.11 --add z '[fe80::1]'
gen nautilus-rm --create --enable-all-features --fsid $F --add a 127.0.0.1:3300 --add b 127.0.0.1:6789 --addv c '[v2:127.0.0.2:3300,v1:127.0.0.2:6789]' '|' --rm b
gen legacy-rm --create --fsid $F --add a 127.0.0.1:3300 --add b 127.0.0.1:6789 --add c 127.0.0.2:3300 '|' --rm a
gen nautilus-rm-add --create --enable-all-features --fsid $F --add a 127.0.0.1:3300 --add b 127.0.0.2:3300 --add c 127.0.0.3:3300 '|' --rm a '|' --add d 127.0.0.4:3300

# realmon: the map a running Ceph 16 monitor publishes (epoch 1, all mon features, min_mon_release 16),
# with `ceph mon dump` plain and -f json (the "quorum" array is the monitor's, not the map's).
port=$((17100 + $$ % 50 * 2))
cat > "$tmp/ceph.conf" <<CONF
[global]
fsid = $F
mon_host = [v2:127.0.0.1:$port,v1:127.0.0.1:$((port + 1))]
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
mon_data = $tmp/mon-\$id
log_file = $tmp/\$name.log
run_dir = $tmp
admin_socket = $tmp/\$name.asok
CONF
monmaptool --create --fsid $F --addv a "[v2:127.0.0.1:$port,v1:127.0.0.1:$((port + 1))]" "$tmp/mkfsmap" >/dev/null
ceph-mon -c "$tmp/ceph.conf" --mkfs -i a --monmap "$tmp/mkfsmap"
ceph-mon -c "$tmp/ceph.conf" -i a -f 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
ceph -c "$tmp/ceph.conf" --connect-timeout 20 mon getmap -o "$out/realmon.bin" 2>/dev/null
ceph -c "$tmp/ceph.conf" mon dump 2>/dev/null > "$out/realmon.print.txt"
ceph -c "$tmp/ceph.conf" mon dump -f json 2>/dev/null > "$out/realmon.dump.json"
kill $pid; wait $pid 2>/dev/null || true
echo "gen-monmap-golden: wrote $(ls "$out"/*.bin | wc -l) maps to $out"
