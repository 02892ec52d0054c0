// QD1 latency trace: named time stamps (CLOCK_MONOTONIC nanoseconds, the same clock in every process
// of the machine) written by every process that has TSCEPH_QD1_TRACE set to a directory, one file per
// process (`<dir>/trace.<pid>.txt`, lines of `<ns> <point>`), flushed every second and at exit.
// test/bench/qd1-trace.ts reads the files of a run and cuts them into one timeline per client op (at
// one op in flight every stamp inside an op's client send..receive window belongs to that op).
// Off (the variable unset), every stamp site costs one boolean check: `if (qd1Trace) qd1Stamp('...')`.

import { appendFileSync, mkdirSync } from 'node:fs';

const dir = process.env['TSCEPH_QD1_TRACE'];

/** True when this process records stamps. */
export const qd1Trace: boolean = dir !== undefined && dir !== '';

/** Stamps not yet written: times (ns since boot, exact below 2^53 ns = 104 days) and point names. */
const times: number[] = [];
const points: string[] = [];
/** Most stamps kept between flushes; older ones are dropped past it (a trace left on by mistake). */
const QD1_TRACE_STAMPS_MAX = 1_000_000;
/** Interval between writes of the recorded stamps to the process's file. */
const QD1_TRACE_FLUSH_INTERVAL_MS = 1000;

/** Record that `point` was reached now (call only under `if (qd1Trace)`). */
export function qd1Stamp(point: string): void {
  if (times.length >= QD1_TRACE_STAMPS_MAX) return;
  times.push(Number(process.hrtime.bigint()));
  points.push(point);
}

/** Write the recorded stamps to this process's file (no-op when off or nothing is recorded). */
export function qd1TraceFlush(): void {
  if (!qd1Trace || times.length === 0) return;
  let text = '';
  for (let i = 0; i < times.length; i++) text += `${times[i]} ${points[i]}\n`;
  times.length = 0;
  points.length = 0;
  appendFileSync(`${dir}/trace.${process.pid}.txt`, text);
}

if (qd1Trace) {
  mkdirSync(dir!, { recursive: true });
  setInterval(qd1TraceFlush, QD1_TRACE_FLUSH_INTERVAL_MS).unref();
  process.on('exit', qd1TraceFlush);
}
