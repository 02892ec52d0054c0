#!/usr/bin/env bash
# Golden PGMap outputs from a REAL Ceph 16 cluster: one ceph-mon, one ceph-mgr (no python modules: the
# PG map commands are its C++ DaemonServer), two ceph-osd on MemStore, a pool "rbd" (8 PGs, size 2)
# holding three objects. Once every PG is active+clean it saves, under test/golden/pgmap/:
#   pg-dump.json       `ceph pg dump -f json` (every pg_stat_t and osd_stat_t: the test feeds these to
#                      our PGMap as if the OSDs had reported them)
#   osdmap.bin         the osdmap those stats were taken against
#   <name>.txt         Ceph's plain outputs of the same moment (pg dump pgs_brief / pools / sum / osds,
#                      df, df detail, osd df, osd pool stats, pg ls, pg map, pg stat) and their
#                      JSON forms; pg-dump-after.json is taken last to show the map did not change
#                      (the mgr is told to collect stats only every 120 s while capturing)
#   *-degraded.*       the same after osd.1 is killed and marked down (every PG undersized, those with objects degraded)
# Ports 18300-18349 on 127.0.0.1. Stops only the processes it started, by PID.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/test/golden/pgmap
mkdir -p /tmp/he "$OUT"
DIR=$(mktemp -d /tmp/he/pgmap-golden.XXXXXX)
CONF=$DIR/ceph.conf
FSID=$(cat /proc/sys/kernel/random/uuid)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
mkdir -p "$DIR/empty-modules" "$DIR/mgr.x"
cat > "$CONF" <<EOF
[global]
fsid = $FSID
mon_host = v2:127.0.0.1:18300
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
run_dir = $DIR
log_file = $DIR/\$name.log
mon_data = $DIR/mon.\$id
osd_data = $DIR/osd.\$id
mgr_data = $DIR/mgr.\$id
ms_bind_msgr1 = false
ms_bind_port_min = 18301
ms_bind_port_max = 18349
mon_allow_pool_size_one = true
osd_crush_chooseleaf_type = 0
osd_pool_default_pg_autoscale_mode = off
osd_pool_default_size = 2
osd_pool_default_min_size = 1
osd_objectstore = memstore
memstore_device_bytes = 268435456
osd_op_num_shards = 2
osd_op_num_threads_per_shard = 1
mgr_module_path = $DIR/empty-modules
mgr_stats_period = 1
mon_pg_warn_min_per_osd = 0
mon_data_avail_warn = 1
mon_data_avail_crit = 0
EOF
ceph() { /usr/bin/ceph -c "$CONF" --connect-timeout 20 "$@"; }
monmaptool --create --fsid "$FSID" --addv a '[v2:127.0.0.1:18300]' "$DIR/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap"
ceph-mon -c "$CONF" -i a -f & PIDS+=($!)
for _ in $(seq 100); do ceph mon stat >/dev/null 2>&1 && break; sleep 0.3; done
ceph-mgr -c "$CONF" -i x -f & PIDS+=($!)
for i in 0 1; do ceph osd create >/dev/null; mkdir -p "$DIR/osd.$i"; ceph-osd -c "$CONF" -i $i --mkfs 2>/dev/null; done
OSD_PIDS=()
for i in 0 1; do ceph-osd -c "$CONF" -i $i -f & PIDS+=($!); OSD_PIDS+=($!); done
for _ in $(seq 200); do [ "$(ceph osd stat -f json | python3 -c 'import json,sys; print(json.load(sys.stdin)["num_up_osds"])')" = 2 ] && break; sleep 0.5; done
ceph osd pool create rbd 8 8 >/dev/null 2>&1
for n in 1 2 3; do head -c $((n * 4096 + 100)) /dev/urandom > "$DIR/obj$n"; rados -c "$CONF" -p rbd put "obj$n" "$DIR/obj$n"; done
clean() { ceph pg stat -f json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["pg_summary"]["num_pg_by_state"]; print(1 if len(s)==1 and s[0]["name"]=="active+clean" and d["pg_summary"]["num_pgs"]==8 else 0)'; }
for _ in $(seq 200); do [ "$(clean)" = 1 ] && break; sleep 0.5; done
# Let the OSDs report the objects (mgr_stats_period 1 s; OSDs report every few seconds), then two
# quiet reports so io rates fall to zero.
sleep 8
# Freeze the PG map while capturing: the mgr asks the OSDs for stats only every 120 s from now on.
ceph config set mgr mgr_stats_period 120
sleep 4
ceph osd getmap -o "$OUT/osdmap.bin" 2>/dev/null
ceph pg dump -f json 2>/dev/null > "$OUT/pg-dump.json"
ceph pg dump pgs_brief 2>/dev/null > "$OUT/pg-dump-pgs_brief.txt"
ceph pg dump pools 2>/dev/null > "$OUT/pg-dump-pools.txt"
ceph pg dump sum 2>/dev/null > "$OUT/pg-dump-sum.txt"
ceph pg dump osds 2>/dev/null > "$OUT/pg-dump-osds.txt"
ceph df > "$OUT/df.txt"
ceph df detail > "$OUT/df-detail.txt"
ceph osd df > "$OUT/osd-df.txt"
ceph osd pool stats > "$OUT/osd-pool-stats.txt"
ceph pg stat > "$OUT/pg-stat.txt"
ceph pg dump pgs 2>/dev/null > "$OUT/pg-dump-pgs.txt"
ceph pg dump 2>/dev/null > "$OUT/pg-dump-all.txt"
ceph pg ls-by-pool rbd > "$OUT/pg-ls-by-pool.txt"
ceph pg ls 1 active > "$OUT/pg-ls-1-active.txt"
ceph pg stat -f json > "$OUT/pg-stat.json"
ceph pg dump pgs_brief -f json 2>/dev/null > "$OUT/pg-dump-pgs_brief.json"
ceph pg dump pools -f json 2>/dev/null > "$OUT/pg-dump-pools.json"
ceph pg dump sum -f json 2>/dev/null > "$OUT/pg-dump-sum.json"
ceph pg ls -f json > "$OUT/pg-ls.json"
ceph df -f json > "$OUT/df.json"
ceph df detail -f json > "$OUT/df-detail.json"
ceph osd df -f json > "$OUT/osd-df.json"
ceph osd pool stats -f json > "$OUT/osd-pool-stats.json"
ceph pg map 1.3 > "$OUT/pg-map.txt"
ceph pg map 1.3 -f json > "$OUT/pg-map.json"
ceph -s > "$OUT/status.txt"
ceph health detail > "$OUT/health-detail.txt" || true
# Taken again: the golden test checks nothing changed while the outputs above were captured.
ceph pg dump -f json 2>/dev/null > "$OUT/pg-dump-after.json"
ceph -s -f json > "$OUT/status.json"
# Phase 2: osd.1 killed (kill -9 of the PID started above) and marked down: every PG is
# undersized on osd.0 alone, those holding objects degraded. Stats flow again until that shows, then freeze again.
ceph config set mgr mgr_stats_period 1
kill -9 "${OSD_PIDS[1]}"
ceph osd down 1 >/dev/null 2>&1
degraded() { ceph pg stat 2>/dev/null | grep -q 'objects degraded' && echo 1 || echo 0; }
for _ in $(seq 120); do [ "$(degraded)" = 1 ] && break; sleep 0.5; done
sleep 4
ceph config set mgr mgr_stats_period 120
sleep 4
ceph osd getmap -o "$OUT/osdmap-degraded.bin" 2>/dev/null
ceph pg dump -f json 2>/dev/null > "$OUT/pg-dump-degraded.json"
ceph pg stat > "$OUT/pg-stat-degraded.txt"
ceph -s > "$OUT/status-degraded.txt"
ceph -s -f json > "$OUT/status-degraded.json"
ceph health detail > "$OUT/health-detail-degraded.txt" || true
ceph osd pool stats > "$OUT/osd-pool-stats-degraded.txt"
ceph df > "$OUT/df-degraded.txt"
ceph pg dump -f json 2>/dev/null > "$OUT/pg-dump-degraded-after.json"
echo "wrote $OUT"
