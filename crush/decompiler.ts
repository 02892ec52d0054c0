// The crushtool text form of a map (`crushtool -d`), byte for byte as Ceph 16.2's
// CrushCompiler::decompile writes it: tunables only where they differ from the legacy values, named
// devices, types, buckets children-first (shadow buckets hidden, their ids listed as "id -N class C"),
// rules with their Pacific mask, and choose_args.
//
// crushtool only ever decompiles a map it has just decoded, and decoding drops weight sets of buckets
// that are gone or not straw2 (update_choose_args); we skip those here so a freshly compiled map prints
// as crushtool prints it after its -c / -d round trip.

import { CephError } from '../common/errors.js';
import { bucketAlgName, getBucketItemWeight } from './builder.js';
import { BucketAlg, CRUSH_LEGACY_ALLOWED_BUCKET_ALGS, CrushBucket, CrushChooseArgMap, RuleOp } from './types.js';
import { CrushWrapper, chooseArgsIdString, chooseArgsKeys, sortedKeys } from './wrapper.js';

/**
 * "%.3f" of (float)w / (float)0x10000 for a weight held in a C int, with glibc's exact
 * round-half-even (0.0625 prints as 0.062).
 */
export function formatFixedpoint(w: number): string {
  const f = Math.fround(w | 0); // (float)i: an integer with at most 24 significant bits
  const neg = f < 0 || Object.is(f, -0);
  const a = Math.abs(f);
  // a / 65536 with three decimals: q = round(a * 1000 / 65536), ties to even
  const num = a * 1000; // < 2^42, exact
  let q = Math.floor(num / 65536);
  const r = num - q * 65536;
  if (r * 2 > 65536 || (r * 2 === 65536 && q % 2 === 1)) q += 1;
  const ip = Math.floor(q / 1000);
  const fp = q - ip * 1000;
  return `${neg ? '-' : ''}${ip}.${String(fp).padStart(3, '0')}`;
}

function hashName(h: number): string {
  return h === 0 ? 'rjenkins1' : 'unknown';
}

function typeName(cw: CrushWrapper, t: number): string {
  const n = cw.getTypeName(t);
  if (n !== undefined) return n;
  return t === 0 ? 'device' : `type${t}`;
}

function itemName(cw: CrushWrapper, t: number): string {
  const n = cw.getItemName(t);
  if (n !== undefined) return n;
  return t >= 0 ? `device${t}` : `bucket${-1 - t}`;
}

function decompileBucketImpl(cw: CrushWrapper, b: CrushBucket, out: string[]): void {
  const id = b.id;
  const name = cw.getItemName(id);
  if (name !== undefined && !CrushWrapper.isValidCrushName(name)) return; // a shadow bucket
  out.push(`${typeName(cw, b.type)} ${itemName(cw, id)} {\n`);
  out.push(`\tid ${id}\t\t# do not change unnecessarily\n`);
  const classIds = cw.names.classBucket.get(id);
  if (classIds) {
    for (const c of sortedKeys(classIds)) {
      const cname = cw.getClassName(c);
      out.push(`\tid ${classIds.get(c)} class ${cname ?? ''}\t\t# do not change unnecessarily\n`);
    }
  }
  out.push(`\t# weight ${formatFixedpoint(b.weight)}\n`);
  const n = b.size;
  let line = `\talg ${bucketAlgName(b.alg)}`;
  let dopos = false;
  switch (b.alg) {
    case BucketAlg.Uniform:
      line += `\t# do not change bucket size (${n}) unnecessarily`;
      dopos = true;
      break;
    case BucketAlg.List:
      line += '\t# add new items at the end; do not change order unnecessarily';
      break;
    case BucketAlg.Tree:
      line += '\t# do not change pos for existing items unnecessarily';
      dopos = true;
      break;
  }
  out.push(`${line}\n`);
  out.push(`\thash ${b.hash}\t# ${hashName(b.hash)}\n`);
  for (let j = 0; j < n; j++) {
    const item = b.items[j]!;
    let l = `\titem ${itemName(cw, item)} weight ${formatFixedpoint(getBucketItemWeight(b, j))}`;
    if (dopos) l += ` pos ${j}`;
    out.push(`${l}\n`);
  }
  out.push('}\n');
}

const enum Dcb {
  InProgress = 1,
  Done = 2,
}

/**
 * Ceph's decompile_bucket: children first, depth first, each bucket once; a bucket met again while it
 * is still open means a cycle. Walked with an explicit stack so that deep maps do not exhaust ours.
 */
function decompileBucket(cw: CrushWrapper, start: number, states: Map<number, Dcb>, out: string[]): void {
  const open = (id: number): CrushBucket | null => {
    if (id === 0) return null;
    const b = cw.getBucket(id);
    if (!b) return null;
    const st = states.get(id);
    if (st === Dcb.Done) return null;
    if (st === Dcb.InProgress) {
      throw new CephError(
        'EINVAL',
        'decompile_crush_bucket: logic error: tried to decompile a bucket that is already being decompiled',
      );
    }
    states.set(id, Dcb.InProgress);
    return b;
  };
  const first = open(start);
  if (!first) return;
  const stack: { b: CrushBucket; i: number }[] = [{ b: first, i: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.i < top.b.size) {
      const item = top.b.items[top.i++]!;
      const d = states.get(item);
      if (d === undefined) {
        const child = open(item);
        if (child) stack.push({ b: child, i: 0 });
      } else if (d === Dcb.InProgress) {
        throw new CephError(
          'EINVAL',
          `decompile_crush_bucket: error: while trying to output bucket ${top.b.id}, we found out that it ` +
            'contains one of the buckets that contain it. This is not allowed. The buckets must form a ' +
            'directed acyclic graph.',
        );
      }
      continue;
    }
    decompileBucketImpl(cw, top.b, out);
    states.set(top.b.id, Dcb.Done);
    stack.pop();
  }
}

function decompileChooseArgs(cw: CrushWrapper, key: number, cmap: CrushChooseArgMap, out: string[]): void {
  out.push(`choose_args ${chooseArgsIdString(key)} {\n`);
  for (let i = 0; i < cmap.length; i++) {
    const arg = cmap[i];
    if (!arg) continue;
    const nIds = arg.ids ? arg.ids.length : 0;
    if (nIds === 0 && arg.weightSet.length === 0) continue;
    // decoding drops the weight sets of buckets that are gone or not straw2
    const b = i < cw.crush.buckets.length ? cw.crush.buckets[i] : null;
    if (!b || b.alg !== BucketAlg.Straw2) continue;
    out.push('  {\n');
    out.push(`    bucket_id ${-1 - i}\n`);
    if (arg.weightSet.length > 0) {
      out.push('    weight_set [\n');
      for (const ws of arg.weightSet) {
        let l = '      [ ';
        for (let k = 0; k < ws.length; k++) l += `${formatFixedpoint(ws[k]!)} `;
        out.push(`${l}]\n`);
      }
      out.push('    ]\n');
    }
    if (nIds > 0) {
      let l = '    ids [ ';
      for (let k = 0; k < nIds; k++) l += `${arg.ids![k]} `;
      out.push(`${l}]\n`);
    }
    out.push('  }\n');
  }
  out.push('}\n');
}

/**
 * The `crushtool -d` text of a map. Names are byte strings (one char per byte, as the decoder and the
 * compiler keep them), so write the text out as latin1 to get crushtool's bytes. Where Ceph's decompiler gives up half way (a cycle of buckets, a
 * rule taking an item that has no name) crushtool still prints what it wrote so far and exits 0; so do
 * we: the text stops at the same byte. decompileCrushMapResult() also says why it stopped.
 */
export function decompileCrushMap(cw: CrushWrapper): string {
  return decompileCrushMapResult(cw).text;
}

/** The decompiled text and, when Ceph's decompiler would stop early, the error it stopped on. */
export function decompileCrushMapResult(cw: CrushWrapper): { text: string; error: CephError | null } {
  const out: string[] = [];
  try {
    decompileInto(cw, out);
    return { text: out.join(''), error: null };
  } catch (e) {
    if (!(e instanceof CephError)) throw e;
    return { text: out.join(''), error: e };
  }
}

function decompileInto(cw: CrushWrapper, out: string[]): void {
  const m = cw.crush;
  out.push('# begin crush map\n');
  const i32 = (v: number): number => v | 0;
  if (i32(m.chooseLocalTries) !== 2) out.push(`tunable choose_local_tries ${i32(m.chooseLocalTries)}\n`);
  if (i32(m.chooseLocalFallbackTries) !== 5) {
    out.push(`tunable choose_local_fallback_tries ${i32(m.chooseLocalFallbackTries)}\n`);
  }
  if (i32(m.chooseTotalTries) !== 19) out.push(`tunable choose_total_tries ${i32(m.chooseTotalTries)}\n`);
  if (i32(m.chooseleafDescendOnce) !== 0) {
    out.push(`tunable chooseleaf_descend_once ${i32(m.chooseleafDescendOnce)}\n`);
  }
  if (m.chooseleafVaryR !== 0) out.push(`tunable chooseleaf_vary_r ${m.chooseleafVaryR & 0xff}\n`);
  if (m.chooseleafStable !== 0) out.push(`tunable chooseleaf_stable ${m.chooseleafStable & 0xff}\n`);
  if (m.strawCalcVersion !== 0) out.push(`tunable straw_calc_version ${m.strawCalcVersion & 0xff}\n`);
  if (m.allowedBucketAlgs >>> 0 !== CRUSH_LEGACY_ALLOWED_BUCKET_ALGS) {
    out.push(`tunable allowed_bucket_algs ${m.allowedBucketAlgs >>> 0}\n`);
  }

  out.push('\n# devices\n');
  for (let i = 0; i < m.maxDevices; i++) {
    const name = cw.getItemName(i);
    if (name === undefined) continue;
    const cls = cw.getItemClass(i);
    out.push(`device ${i} ${name}${cls !== undefined ? ` class ${cls}` : ''}\n`);
  }

  out.push('\n# types\n');
  let n = cw.getNumTypeNames();
  // Ceph walks ids upwards from 0 until it has printed every name (negative ids are never reached)
  for (let i = 0; n > 0 && i <= 0x7fffffff; i++) {
    const name = cw.getTypeName(i);
    if (name === undefined) {
      if (i === 0) out.push('type 0 osd\n');
      if (i > cw.getMaxTypeId()) break;
      continue;
    }
    n--;
    out.push(`type ${i} ${name}\n`);
  }

  out.push('\n# buckets\n');
  const states = new Map<number, Dcb>();
  for (let bucket = -1; bucket > -1 - m.buckets.length; bucket--) decompileBucket(cw, bucket, states, out);

  out.push('\n# rules\n');
  for (let i = 0; i < m.rules.length; i++) {
    const r = m.rules[i];
    if (!r) continue;
    const rname = cw.getRuleName(i);
    out.push(`rule ${rname ?? ''} {\n`);
    out.push(`\tid ${i}\n`);
    if (i !== r.mask.ruleset) {
      out.push(`\t# WARNING: ruleset ${r.mask.ruleset} != id ${i}; this will not recompile to the same map\n`);
    }
    switch (r.mask.type) {
      case 1:
        out.push('\ttype replicated\n');
        break;
      case 3:
        out.push('\ttype erasure\n');
        break;
      default:
        out.push(`\ttype ${r.mask.type}\n`);
    }
    out.push(`\tmin_size ${r.mask.minSize}\n`);
    out.push(`\tmax_size ${r.mask.maxSize}\n`);
    for (const s of r.steps) {
      switch (s.op) {
        case RuleOp.Noop:
          out.push('\tstep noop\n');
          break;
        case RuleOp.Take: {
          out.push('\tstep take ');
          const split = cw.splitIdClass(s.arg1);
          if (split.ret < 0) {
            throw new CephError(split.ret === -22 ? 'EINVAL' : 'ENOENT', `rule ${i} takes item ${s.arg1}, which has no name`);
          }
          let item = s.arg1;
          let l = '';
          if (split.cls >= 0) item = split.id;
          l += itemName(cw, item);
          if (split.cls >= 0) {
            const cname = cw.getClassName(split.cls);
            l += cname !== undefined ? ` class ${cname}` : ` # unexpected class ${split.cls}`;
          }
          out.push(`${l}\n`);
          break;
        }
        case RuleOp.Emit:
          out.push('\tstep emit\n');
          break;
        case RuleOp.SetChooseTries:
          out.push(`\tstep set_choose_tries ${s.arg1}\n`);
          break;
        case RuleOp.SetChooseLocalTries:
          out.push(`\tstep set_choose_local_tries ${s.arg1}\n`);
          break;
        case RuleOp.SetChooseLocalFallbackTries:
          out.push(`\tstep set_choose_local_fallback_tries ${s.arg1}\n`);
          break;
        case RuleOp.SetChooseleafTries:
          out.push(`\tstep set_chooseleaf_tries ${s.arg1}\n`);
          break;
        case RuleOp.SetChooseleafVaryR:
          out.push(`\tstep set_chooseleaf_vary_r ${s.arg1}\n`);
          break;
        case RuleOp.SetChooseleafStable:
          out.push(`\tstep set_chooseleaf_stable ${s.arg1}\n`);
          break;
        case RuleOp.ChooseFirstN:
          out.push(`\tstep choose firstn ${s.arg1} type ${typeName(cw, s.arg2)}\n`);
          break;
        case RuleOp.ChooseIndep:
          out.push(`\tstep choose indep ${s.arg1} type ${typeName(cw, s.arg2)}\n`);
          break;
        case RuleOp.ChooseleafFirstN:
          out.push(`\tstep chooseleaf firstn ${s.arg1} type ${typeName(cw, s.arg2)}\n`);
          break;
        case RuleOp.ChooseleafIndep:
          out.push(`\tstep chooseleaf indep ${s.arg1} type ${typeName(cw, s.arg2)}\n`);
          break;
        default:
          break; // Ceph prints nothing for an unknown op
      }
    }
    out.push('}\n');
  }

  if (cw.names.chooseArgs.size > 0) {
    out.push('\n# choose_args\n');
    for (const key of chooseArgsKeys(cw.names.chooseArgs)) {
      decompileChooseArgs(cw, key, cw.names.chooseArgs.get(key)!, out);
    }
  }
  out.push('\n# end crush map\n');
}
