#!/bin/sh
# Regenerates test/fixtures/mon/pacific-mon-command-descriptions.json: what a real Ceph 16 ceph-mon
# answers to get_command_descriptions (asked through python3-rados, as the ceph CLI asks it).
# Needs ceph-mon, monmaptool and python3-rados installed; uses loopback port 17398.
set -eu
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json >/dev/null || true
node --input-type=module -e "
import { startRealCephMon } from './dist/test/support/real-ceph-mon.js';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const mon = await startRealCephMon({ port: 17398 });
try {
  const py = 'import rados, json, sys\nc = rados.Rados(conffile=sys.argv[1])\nc.connect(timeout=10)\nr, out, rs = c.mon_command(json.dumps({\"prefix\": \"get_command_descriptions\"}), b\"\")\nassert r == 0, rs\nsys.stdout.buffer.write(out)\n';
  const r = spawnSync('/usr/bin/python3', ['-c', py, mon.conf], { maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  writeFileSync('test/fixtures/mon/pacific-mon-command-descriptions.json', r.stdout);
} finally {
  await mon.stop();
}
"
