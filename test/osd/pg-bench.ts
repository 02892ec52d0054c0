// Not a test: a write benchmark of the PG write path on the in-memory cluster (3 OSDs on MemStores,
// size 3): N write_full ops (4 KiB unless told) to distinct objects, QD outstanding; prints writes/s and
// CPU per write.
// Run: node dist/test/osd/pg-bench.js [writes=4000] [qd=16] [pgNum=8] [bytes=4096]   (add --cpu-prof to profile)
import { opWriteFull } from '../../msg/messages/osdop.js';
import { realPgDeps } from '../../osd/pg.js';
import { TestCluster } from './pg-net.js';
import { exitWithUsageIfAsked } from '../bench/args.js';

async function main(): Promise<void> {
  exitWithUsageIfAsked(import.meta.url);
  const [writes, qd, pgNum, bytes] = [4000, 16, 8, 4096].map((def, i) => {
    const a = process.argv[2 + i];
    const v = a === undefined ? def : Number(a);
    if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`pg-bench: '${a}' is not a positive integer (--help for usage)`);
    return v;
  }) as [number, number, number, number];
  const c = new TestCluster({ osds: 3, size: 3, minSize: 2, pgNum, deps: realPgDeps });
  await c.start();
  await c.waitState('active+clean');
  const data = Buffer.alloc(bytes, 0x5a);
  let next = 0;
  /** Writes objects next..end-1, one at a time (qd of these run at once). */
  const worker = async (end: number): Promise<void> => {
    while (next < end) {
      const i = next++;
      const r = await c.op(`benchmark_data_obj${i}`, [opWriteFull(data)]);
      if (r.result !== 0) throw new Error(`write ${i}: ${r.result}`);
    }
  };
  // warm up on the last objects, then time the others
  const warm = Math.min(500, Math.ceil(writes / 4), writes);
  next = writes - warm;
  await Promise.all(Array.from({ length: qd }, () => worker(writes)));
  const total = writes - warm;
  next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: qd }, () => worker(total)));
  const ns = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = cpu.user + cpu.system;
  console.log(`writes=${total} qd=${qd} pgNum=${pgNum}: ${(total / (ns / 1e9)).toFixed(0)} writes/s, ` +
    `${(cpuUs / total).toFixed(0)} us CPU per ${bytes}-byte write (whole process: 3 OSDs, network codec, client)`);
  await c.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
