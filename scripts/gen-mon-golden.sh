#!/usr/bin/env bash
# Regenerates test/golden/mon/results.json (and the binary outputs beside it) by sending every command
# of test/golden/mon/cases.json, as the JSON command map the `ceph` CLI would send, to a throwaway real
# Ceph 16 monitor (one mon, auth none, loopback port 17200-17299) through librados' mon_command, and
# recording r, rs and out for each. A case may take its input from an earlier case's output
# ("inbl_from") and its prior_version from an earlier getcrushmap's rs ("prior_from"). test/mon/services-golden.test.ts replays the same command maps
# through tsceph's MonServices and compares.
# Usage: bash scripts/gen-mon-golden.sh [--keep-tmp]
set -euo pipefail
cd "$(dirname "$0")/.."

want='16.2.15'
for t in ceph-mon monmaptool; do
  command -v "$t" >/dev/null 2>&1 || { echo "gen-mon-golden: $t not found (needs ceph-mon $want)" >&2; exit 2; }
done
v=$(ceph-mon --version | awk '{print $3}')
[ "$v" = "$want" ] || { echo "gen-mon-golden: ceph-mon is $v, need $want; refusing" >&2; exit 2; }
/usr/bin/python3 -c 'import rados' 2>/dev/null || { echo "gen-mon-golden: /usr/bin/python3 cannot import rados (python3-rados)" >&2; exit 2; }

keep=0
[ "${1:-}" = "--keep-tmp" ] && keep=1
out=test/golden/mon
tmp=$(mktemp -d /tmp/gen-mon-golden.XXXXXX)
port=$((17200 + $$ % 100))
fsid=5f1c8e34-5b0a-4a2a-9d2c-6a1e7e4b2c01
pid=''
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
  [ "$keep" = 1 ] && echo "kept $tmp" >&2 || rm -rf "$tmp"
}
trap cleanup EXIT

cat > "$tmp/ceph.conf" <<CONF
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$port
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
auth_allow_insecure_global_id_reclaim = false
mon_warn_on_insecure_global_id_reclaim_allowed = false
mon_data_avail_warn = 1
mon_data_avail_crit = 0
mon_allow_pool_delete = false
mon_data = $tmp/mon-\$id
log_file = $tmp/\$name.log
run_dir = $tmp
admin_socket = $tmp/\$name.asok
CONF
monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$port]" "$tmp/monmap" >/dev/null
ceph-mon -c "$tmp/ceph.conf" --mkfs -i a --monmap "$tmp/monmap"
ceph-mon -c "$tmp/ceph.conf" -i a -f &
pid=$!

/usr/bin/python3 - "$tmp/ceph.conf" "$out" <<'PY'
import json, sys, time, base64, rados
conf, out = sys.argv[1], sys.argv[2]
cases = json.load(open(out + '/cases.json'))
c = rados.Rados(conffile=conf)
for i in range(50):
    try:
        c.connect(timeout=5)
        break
    except Exception:
        time.sleep(0.2)
# Let the monitor finish its first proposals (mgr/service maps) so epochs are stable.
time.sleep(3)
results = {}
binaries = {}
for case in cases:
    inbl = b''
    if 'inbl_hex' in case:
        inbl = bytes.fromhex(case['inbl_hex'])
    if 'inbl_from' in case:
        inbl = binaries[case['inbl_from']]
    cmd = dict(case['cmd'])
    if 'prior_from' in case:
        # the crush version an earlier getcrushmap reported (its rs)
        cmd['prior_version'] = int(results[case['prior_from']]['rs'])
    r, outbl, rs = c.mon_command(json.dumps(cmd), inbl, timeout=10)
    res = {'r': r, 'rs': rs}
    if case.get('binary'):
        binaries[case['name']] = outbl
        open(out + '/' + case['name'] + '.bin', 'wb').write(outbl)
        res['out_file'] = case['name'] + '.bin'
    else:
        res['out'] = outbl.decode()
    results[case['name']] = res
c.shutdown()
with open(out + '/results.json', 'w') as f:
    json.dump(results, f, indent=1, sort_keys=False)
    f.write('\n')
PY
echo "gen-mon-golden: wrote $out/results.json" >&2
