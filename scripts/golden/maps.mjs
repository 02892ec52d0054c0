// Text CRUSH maps for the golden vectors: small builders that print Ceph's text format, and the
// list of maps that together cover bucket algorithms, tunables and profiles, rule steps, device
// classes, choose_args, holes for indep and multi-level hierarchies. Used by gen.mjs and the fuzzer.

export const CEPH_TYPES = [
  [0, 'osd'], [1, 'host'], [2, 'chassis'], [3, 'rack'], [4, 'row'], [5, 'pdu'], [6, 'pod'],
  [7, 'room'], [8, 'datacenter'], [9, 'zone'], [10, 'region'], [11, 'root'],
];

// Pacific's profile values (CrushWrapper::set_tunables_*), in the order crushtool -d prints them.
const LEGACY = { choose_local_tries: 2, choose_local_fallback_tries: 5, choose_total_tries: 19,
  chooseleaf_descend_once: 0, chooseleaf_vary_r: 0, chooseleaf_stable: 0, straw_calc_version: 0,
  allowed_bucket_algs: 22 };
const BOBTAIL = { ...LEGACY, choose_local_tries: 0, choose_local_fallback_tries: 0,
  choose_total_tries: 50, chooseleaf_descend_once: 1 };
const FIREFLY = { ...BOBTAIL, chooseleaf_vary_r: 1 };
const HAMMER = { ...FIREFLY, allowed_bucket_algs: 54 };
const JEWEL = { ...HAMMER, chooseleaf_stable: 1, straw_calc_version: 1 };
export const PROFILES = {
  legacy: LEGACY, argonaut: LEGACY, bobtail: BOBTAIL, firefly: FIREFLY, hammer: HAMMER,
  jewel: JEWEL, optimal: JEWEL, default: JEWEL,
};

export function fmtWeight(w) {
  return w.toFixed(3);
}

/**
 * Print a map. spec: { tunables: {name: value} (printed in insertion order), devices: [{id, name,
 * cls?}], types: [[id, name]], buckets: [{type, name, id, classIds?: [[cls, id]], alg, hash?,
 * items: [[name, weight|null]]}], rules: [{name, id, type, min, max, steps: [string]}],
 * tail?: string }
 */
export function mapText(spec) {
  const out = [];
  for (const [k, v] of Object.entries(spec.tunables ?? {})) out.push(`tunable ${k} ${v}`);
  out.push('');
  for (const d of spec.devices) out.push(`device ${d.id} ${d.name}${d.cls ? ` class ${d.cls}` : ''}`);
  out.push('');
  for (const [id, name] of spec.types ?? CEPH_TYPES) out.push(`type ${id} ${name}`);
  out.push('');
  for (const b of spec.buckets) {
    out.push(`${b.type} ${b.name} {`);
    if (b.id !== undefined && b.id !== null) out.push(`\tid ${b.id}`);
    for (const [cls, id] of b.classIds ?? []) out.push(`\tid ${id} class ${cls}`);
    out.push(`\talg ${b.alg}`);
    out.push(`\thash ${b.hash ?? 0}`);
    for (const [name, w] of b.items) {
      out.push(w === null || w === undefined ? `\titem ${name}` : `\titem ${name} weight ${fmtWeight(w)}`);
    }
    out.push('}');
  }
  out.push('');
  for (const r of spec.rules) {
    out.push(`rule ${r.name} {`);
    out.push(`\tid ${r.id}`);
    out.push(`\ttype ${r.type ?? 'replicated'}`);
    out.push(`\tmin_size ${r.min ?? 1}`);
    out.push(`\tmax_size ${r.max ?? 10}`);
    for (const s of r.steps) out.push(`\tstep ${s}`);
    out.push('}');
  }
  if (spec.tail) out.push(spec.tail);
  return out.join('\n') + '\n';
}

/**
 * A root/[rack]/host/osd hierarchy. opts: { racks: number (0: hosts hang off the root), hosts:
 * hosts per rack (or in total when racks is 0), osds: per host count or (hostIndex) => count,
 * alg: { root, rack, host } or a single alg name or (level, index) => alg,
 * weight: (osdId, hostIndex) => weight, cls: (osdId) => class or null, root: name,
 * bucketWeights: 'omit' | 'explicit' }
 */
export function hierarchy(opts) {
  const algOf = (level, i) => (typeof opts.alg === 'function' ? opts.alg(level, i)
    : typeof opts.alg === 'string' ? opts.alg : opts.alg[level]);
  const devices = [];
  const buckets = [];
  const rootName = opts.root ?? 'default';
  const nRacks = opts.racks ?? 0;
  const nHostsTotal = nRacks > 0 ? nRacks * opts.hosts : opts.hosts;
  let nextOsd = opts.firstOsd ?? 0;
  let nextId = opts.firstBucketId ?? -2;
  const rootId = opts.rootId ?? -1;
  const hostNames = [];
  const hostWeights = [];
  const explicit = opts.bucketWeights === 'explicit';
  for (let h = 0; h < nHostsTotal; h++) {
    const n = typeof opts.osds === 'function' ? opts.osds(h) : opts.osds;
    const items = [];
    let sum = 0;
    for (let o = 0; o < n; o++) {
      const id = nextOsd++;
      const w = opts.weight ? opts.weight(id, h) : 1;
      const cls = opts.cls ? opts.cls(id) : null;
      devices.push({ id, name: `osd.${id}`, cls });
      items.push([`osd.${id}`, w]);
      sum += Math.floor(w * 0x10000 + 1e-9);
    }
    const name = `${opts.hostPrefix ?? 'host'}${h}`;
    hostNames.push(name);
    hostWeights.push(sum / 0x10000);
    buckets.push({ type: 'host', name, id: nextId--, alg: algOf('host', h), items });
  }
  const top = [];
  if (nRacks > 0) {
    for (let r = 0; r < nRacks; r++) {
      const items = [];
      let sum = 0;
      for (let h = r * opts.hosts; h < (r + 1) * opts.hosts; h++) {
        items.push([hostNames[h], explicit ? hostWeights[h] : null]);
        sum += hostWeights[h];
      }
      const name = `${opts.rackPrefix ?? 'rack'}${r}`;
      buckets.push({ type: 'rack', name, id: nextId--, alg: algOf('rack', r), items });
      top.push([name, explicit ? sum : null]);
    }
  } else {
    for (let h = 0; h < nHostsTotal; h++) top.push([hostNames[h], explicit ? hostWeights[h] : null]);
  }
  buckets.push({ type: opts.rootType ?? 'root', name: rootName, id: rootId, alg: algOf('root', 0), items: top });
  return { devices, buckets, hostNames, nextOsd, nextId };
}

// A deterministic pseudo-random generator (mulberry32) for weights in the golden maps.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REP = (name, id, steps, extra = {}) => ({ name, id, type: 'replicated', steps, ...extra });
const EC = (name, id, steps, extra = {}) => ({ name, id, type: 'erasure', steps, ...extra });

/** Rules that only need a root called `default` and host/osd types. */
export function basicRules(root = 'default') {
  return [
    REP('rep_leaf_host', 0, [`take ${root}`, 'chooseleaf firstn 0 type host', 'emit']),
    EC('ec_leaf_host', 1, ['set_chooseleaf_tries 5', 'set_choose_tries 100', `take ${root}`,
      'chooseleaf indep 0 type host', 'emit'], { min: 3, max: 20 }),
    REP('rep_osd', 2, [`take ${root}`, 'choose firstn 0 type osd', 'emit']),
    EC('ec_host_then_osd', 3, [`take ${root}`, 'choose indep 0 type host', 'choose indep 1 type osd', 'emit']),
    REP('rep_two_per_host', 4, [`take ${root}`, 'choose firstn 2 type host', 'chooseleaf firstn 2 type osd', 'emit']),
  ];
}

/** Rules for root/rack/host/osd maps. */
export function rackRules(root = 'default') {
  return [
    ...basicRules(root),
    REP('rep_leaf_rack', 5, [`take ${root}`, 'chooseleaf firstn 0 type rack', 'emit']),
    REP('rep_rack_then_host', 6, [`take ${root}`, 'choose firstn 2 type rack', 'chooseleaf firstn 2 type host', 'emit']),
    EC('ec_rack_then_host', 7, [`take ${root}`, 'choose indep 3 type rack', 'chooseleaf indep 2 type host', 'emit'], { min: 1, max: 20 }),
    REP('rep_minus_one', 8, [`take ${root}`, 'chooseleaf firstn -1 type host', 'emit']),
  ];
}

function optimal() {
  return { ...JEWEL };
}

/** The golden map set: [{ name, text, numReps: number[], about }]. */
export function goldenMaps() {
  const maps = [];
  // heapGarbage: Pacific grows shadow tree buckets with realloc and never writes some node weights, so
  // its compile of a map with device classes and tree buckets holds heap words (see gen.mjs)
  const add = (name, about, spec, numReps) => maps.push({ name, about, text: mapText(spec), numReps, spec,
    heapGarbage: spec.devices.some((d) => d.cls) && spec.buckets.some((b) => b.alg === 'tree') });

  // --- one bucket algorithm at every level ---
  for (const alg of ['uniform', 'list', 'tree', 'straw', 'straw2']) {
    const r = rng(alg.length * 7919);
    const uniform = alg === 'uniform';
    const h = hierarchy({
      hosts: 5, osds: uniform ? 3 : (i) => [2, 3, 4, 5, 7][i], alg,
      weight: uniform ? () => 1 : (id) => (id % 9 === 4 ? 0 : [0.5, 1, 1.5, 2, 0.25, 3][Math.floor(r() * 6)]),
    });
    const tun = optimal();
    if (alg === 'straw') {
      for (const v of [0, 1]) {
        add(`alg-straw-v${v}`, `straw buckets, straw_calc_version ${v}`,
          { tunables: { ...tun, straw_calc_version: v }, ...h, rules: basicRules() }, [1, 2, 3, 5, 7]);
      }
    } else {
      add(`alg-${alg}`, `${alg} buckets at every level`, { tunables: tun, ...h, rules: basicRules() }, [1, 2, 3, 5, 7]);
    }
  }
  {
    const h = hierarchy({
      racks: 3, hosts: 3, osds: (i) => 2 + (i % 3),
      alg: (level, i) => (level === 'root' ? 'straw2' : level === 'rack' ? ['tree', 'list', 'straw'][i]
        : ['uniform', 'list', 'tree', 'straw', 'straw2'][i % 5]),
      weight: (id, hi) => (hi % 5 === 0 ? 1 : [1, 0.5, 2, 0][id % 4]),
    });
    add('alg-mixed', 'every algorithm mixed in one root/rack/host tree, zero weights',
      { tunables: optimal(), ...h, rules: rackRules() }, [1, 2, 3, 5, 11]);
  }
  // straw v0 vs v1 differ most with equal and repeated weights
  for (const v of [0, 1]) {
    const h = hierarchy({ hosts: 4, osds: 6, alg: 'straw',
      weight: (id) => [1, 1, 2, 2, 0.5, 3, 0, 1.5][id % 8] });
    add(`straw-dupweights-v${v}`, `straw with repeated and zero weights, straw_calc_version ${v}`,
      { tunables: { ...optimal(), straw_calc_version: v }, ...h, rules: basicRules() }, [1, 3, 6]);
  }

  // --- tunable profiles ---
  for (const [p, tun] of Object.entries(PROFILES)) {
    const legacyAlgs = tun.allowed_bucket_algs === 22;
    const h = hierarchy({ racks: 3, hosts: 3, osds: 3,
      alg: legacyAlgs ? (l, i) => (l === 'host' ? ['straw', 'list', 'uniform'][i % 3] : 'straw') : 'straw2',
      weight: (id) => ((id % 3 === 1 && !legacyAlgs) ? 0.5 : (id % 7 === 6 && !legacyAlgs ? 0 : 1)),
    });
    add(`profile-${p}`, `tunables profile ${p}`, { tunables: tun, ...h, rules: rackRules() }, [1, 2, 3, 5, 11]);
  }
  {
    const h = hierarchy({ racks: 2, hosts: 3, osds: 3, alg: 'straw2', weight: (id) => (id % 5 === 0 ? 0 : 1) });
    add('legacy-straw2', 'legacy tunables (no tunable lines) over straw2 buckets', { ...h, rules: rackRules() }, [1, 3, 8]);
  }

  // --- single tunables away from their profile ---
  const tunVariants = [
    ['tun-local-tries', { ...optimal(), choose_local_tries: 3 }],
    ['tun-local-fallback', { ...optimal(), choose_local_tries: 1, choose_local_fallback_tries: 4 }],
    ['tun-total-tries-1', { ...optimal(), choose_total_tries: 1 }],
    ['tun-total-tries-3', { ...optimal(), choose_total_tries: 3 }],
    ['tun-descend-once-0', { ...optimal(), chooseleaf_descend_once: 0 }],
    ['tun-vary-r-0', { ...optimal(), chooseleaf_vary_r: 0 }],
    ['tun-vary-r-2', { ...optimal(), chooseleaf_vary_r: 2 }],
    ['tun-vary-r-4', { ...FIREFLY, chooseleaf_vary_r: 4 }],
    ['tun-stable-0', { ...optimal(), chooseleaf_stable: 0 }],
    ['tun-legacy-stable', { ...LEGACY, chooseleaf_stable: 1 }],
  ];
  for (const [name, tun] of tunVariants) {
    const h = hierarchy({ racks: 2, hosts: 3, osds: (i) => [1, 3, 2][i % 3], alg: (l, i) => (l === 'host' && i % 2 ? 'uniform' : 'straw2'),
      weight: (id, hi) => (hi % 2 ? 1 : [1, 0, 2, 0.5][id % 4]) });
    add(name, `tunables ${JSON.stringify(tun)}`, { tunables: tun, ...h, rules: rackRules() }, [1, 3, 6]);
  }

  // --- every set_* rule step ---
  {
    const h = hierarchy({ racks: 2, hosts: 3, osds: 3, alg: (l, i) => (l === 'host' && i === 1 ? 'uniform' : 'straw2'),
      weight: (id, hi) => (hi === 1 ? 1 : [1, 0, 1, 0.5, 0, 2][id % 6]) });
    const steps = (pre, body) => [...pre, 'take default', ...body, 'emit'];
    const rules = [
      REP('set_choose_tries_2', 0, steps(['set_choose_tries 2'], ['choose firstn 0 type osd'])),
      REP('set_chooseleaf_tries_1', 1, steps(['set_chooseleaf_tries 1'], ['chooseleaf firstn 0 type host'])),
      REP('set_choose_local_tries_4', 2, steps(['set_choose_local_tries 4'], ['chooseleaf firstn 0 type host'])),
      REP('set_local_fallback_3', 3, steps(['set_choose_local_tries 1', 'set_choose_local_fallback_tries 3'], ['choose firstn 0 type osd'])),
      REP('set_vary_r_0', 4, steps(['set_chooseleaf_vary_r 0'], ['chooseleaf firstn 0 type host'])),
      REP('set_vary_r_3', 5, steps(['set_chooseleaf_vary_r 3'], ['chooseleaf firstn 0 type host'])),
      REP('set_stable_0', 6, steps(['set_chooseleaf_stable 0'], ['chooseleaf firstn 0 type host'])),
      REP('set_stable_1', 7, steps(['set_chooseleaf_stable 1'], ['chooseleaf firstn 0 type rack'])),
      EC('set_indep_tries', 8, steps(['set_chooseleaf_tries 3', 'set_choose_tries 7'], ['chooseleaf indep 0 type host'])),
      EC('set_indep_local', 9, steps(['set_choose_local_tries 2', 'set_choose_local_fallback_tries 2'], ['choose indep 0 type osd'])),
      REP('set_all', 10, steps(['set_choose_tries 20', 'set_chooseleaf_tries 2', 'set_choose_local_tries 1',
        'set_choose_local_fallback_tries 1', 'set_chooseleaf_vary_r 1', 'set_chooseleaf_stable 1'], ['chooseleaf firstn 0 type host'])),
    ];
    add('steps-set-optimal', 'every set_* rule step over optimal tunables', { tunables: optimal(), ...h, rules }, [1, 3, 5, 8]);
    add('steps-set-legacy', 'every set_* rule step over legacy tunables', { ...h, rules }, [1, 3, 5, 8]);
  }

  // --- indep holes ---
  {
    const h = hierarchy({ hosts: 3, osds: (i) => [2, 2, 1][i], alg: 'straw2', weight: (id) => (id === 4 ? 0 : 1) });
    const rules = [
      EC('indep_leaf_host', 0, ['take default', 'chooseleaf indep 0 type host', 'emit'], { min: 1, max: 20 }),
      EC('indep_host_osd', 1, ['take default', 'choose indep 0 type host', 'choose indep 2 type osd', 'emit'], { min: 1, max: 20 }),
      EC('indep_osd', 2, ['take default', 'choose indep 0 type osd', 'emit'], { min: 1, max: 20 }),
      EC('indep_fixed_4', 3, ['take default', 'chooseleaf indep 4 type host', 'emit'], { min: 1, max: 20 }),
      REP('firstn_short', 4, ['take default', 'chooseleaf firstn 0 type host', 'emit']),
    ];
    add('indep-holes', 'indep rules asked for more positions than the map can fill (holes)',
      { tunables: optimal(), ...h, rules }, [1, 2, 3, 4, 5, 6]);
    add('indep-holes-legacy', 'holes with legacy tunables', { ...h, rules }, [2, 4, 6]);
  }

  // --- choose_args ---
  {
    const h = hierarchy({ hosts: 3, osds: 3, alg: 'straw2', weight: (id) => [1, 2, 0.5][id % 3] });
    const ws = (n, f) => '[ ' + Array.from({ length: n }, (_, i) => fmtWeight(f(i))).join(' ') + ' ]';
    const entry = (bid, sets, ids) => ['  {', `    bucket_id ${bid}`,
      ...(sets ? ['    weight_set [', ...sets.map((s) => `      ${s}`), '    ]'] : []),
      ...(ids ? [`    ids [ ${ids.join(' ')} ]`] : []), '  }'];
    const caDefault = ['choose_args 18446744073709551615 {',
      ...entry(-1, [ws(3, (i) => [3, 1, 2][i])], null),
      ...entry(-2, [ws(3, (i) => [1, 1, 0][i])], null),
      ...entry(-3, [ws(3, (i) => [0.5, 2, 1][i])], [100, 101, 102]),
      '}'].join('\n');
    const rules = [
      ...basicRules().slice(0, 3),
    ];
    add('choose-args-compat', 'a compat weight set (choose_args -1, written as 2^64-1), one position, with ids',
      { tunables: optimal(), ...h, rules, tail: caDefault }, [1, 2, 3, 4]);
    const caPositions = ['choose_args 0 {',
      ...entry(-1, [ws(3, () => 1), ws(3, (i) => [0, 1, 1][i]), ws(3, (i) => [1, 0, 2][i])], [-10, -11, -12]),
      ...entry(-4, [ws(3, (i) => [2, 1, 1][i]), ws(3, () => 1), ws(3, (i) => [1, 1, 0][i])], null),
      ...entry(-2, null, [7, 8, 9]),
      '}',
      'choose_args 5 {',
      ...entry(-1, [ws(3, () => 0.1)], null),
      '}'].join('\n');
    add('choose-args-positions', 'choose_args 0 with three positions, id remaps, and an unused set 5',
      { tunables: optimal(), ...h, rules, tail: caPositions }, [1, 2, 3, 4]);
    const caOther = ['choose_args 7 {', ...entry(-1, [ws(3, (i) => [0, 0, 1][i])], null), '}'].join('\n');
    add('choose-args-unused', 'choose_args under a pool id that --test does not use',
      { tunables: optimal(), ...h, rules, tail: caOther }, [1, 3]);
  }

  // --- device classes ---
  {
    const classes = ['hdd', 'ssd', 'nvme'];
    const h = hierarchy({ racks: 2, hosts: 3, osds: 4, alg: 'straw2',
      weight: (id) => [1, 0.5, 2, 1, 0][id % 5], cls: (id) => classes[id % 3] });
    const rules = [
      REP('ssd_leaf_host', 0, ['take default class ssd', 'chooseleaf firstn 0 type host', 'emit']),
      EC('hdd_indep_osd', 1, ['take default class hdd', 'choose indep 0 type osd', 'emit']),
      REP('any_leaf_rack', 2, ['take default', 'chooseleaf firstn 0 type rack', 'emit']),
      REP('nvme_rack0', 3, ['take rack0 class nvme', 'chooseleaf firstn 0 type host', 'emit']),
      REP('ssd_then_hdd', 4, ['take default class ssd', 'chooseleaf firstn 1 type host', 'emit',
        'take default class hdd', 'chooseleaf firstn -1 type host', 'emit']),
    ];
    add('classes', 'device classes hdd/ssd/nvme with shadow trees and class-aware take',
      { tunables: optimal(), ...h, rules }, [1, 2, 3, 5]);
    // the same with shadow ids fixed in the text
    const fixed = h.buckets.map((b, i) => ({ ...b, classIds: classes.map((c, k) => [c, -100 - i * 3 - k]) }));
    add('classes-fixed-ids', 'device classes with shadow bucket ids given in the text',
      { tunables: optimal(), devices: h.devices, buckets: fixed, rules }, [1, 3]);
  }

  // --- multi-level hierarchies ---
  add('hier-small', 'root/rack/host/osd 2x2x2',
    { tunables: optimal(), ...hierarchy({ racks: 2, hosts: 2, osds: 2, alg: 'straw2' }), rules: rackRules() }, [1, 2, 3, 5, 6]);
  {
    const r = rng(48);
    add('hier-medium', 'root/rack/host/osd 3x4x4 with random weights',
      { tunables: optimal(), ...hierarchy({ racks: 3, hosts: 4, osds: 4, alg: 'straw2', weight: () => Math.round(r() * 4000) / 1000 }),
        rules: rackRules() }, [1, 2, 3, 5, 6]);
  }
  {
    const r = rng(128);
    add('hier-large', 'root/rack/host/osd 4x8x4 (128 OSDs), mixed host algorithms',
      { tunables: optimal(), ...hierarchy({ racks: 4, hosts: 8, osds: 4, alg: (l, i) => (l === 'host' ? ['straw2', 'straw', 'list', 'tree'][i % 4] : 'straw2'),
        weight: () => [0.5, 1, 1, 2, 4, 0][Math.floor(r() * 6)] }), rules: rackRules() }, [1, 2, 3, 5, 10]);
  }
  {
    // root/room/row/rack/host/osd, deep and narrow
    const devices = [];
    const buckets = [];
    let osd = 0;
    let id = -2;
    const rooms = [];
    for (let ro = 0; ro < 2; ro++) {
      const rows = [];
      for (let rw = 0; rw < 2; rw++) {
        const racks = [];
        for (let rk = 0; rk < 2; rk++) {
          const hosts = [];
          for (let hs = 0; hs < 2; hs++) {
            const items = [];
            for (let o = 0; o < 2; o++) { devices.push({ id: osd, name: `osd.${osd}` }); items.push([`osd.${osd}`, 1 + (osd % 3) * 0.25]); osd++; }
            const n = `h${ro}${rw}${rk}${hs}`;
            buckets.push({ type: 'host', name: n, id: id--, alg: 'straw2', items });
            hosts.push([n, null]);
          }
          const n = `rk${ro}${rw}${rk}`;
          buckets.push({ type: 'rack', name: n, id: id--, alg: 'tree', items: hosts });
          racks.push([n, null]);
        }
        const n = `rw${ro}${rw}`;
        buckets.push({ type: 'row', name: n, id: id--, alg: 'list', items: racks });
        rows.push([n, null]);
      }
      const n = `room${ro}`;
      buckets.push({ type: 'room', name: n, id: id--, alg: 'straw2', items: rows });
      rooms.push([n, null]);
    }
    buckets.push({ type: 'root', name: 'default', id: -1, alg: 'straw2', items: rooms });
    const rules = [
      ...basicRules(),
      REP('room_row_host', 5, ['take default', 'choose firstn 2 type room', 'choose firstn 1 type row', 'chooseleaf firstn 2 type host', 'emit']),
      EC('indep_rows', 6, ['take default', 'choose indep 4 type row', 'chooseleaf indep 1 type host', 'emit']),
      REP('take_room1', 7, ['take room1', 'chooseleaf firstn 0 type rack', 'emit']),
      REP('take_host', 8, ['take h0000', 'choose firstn 0 type osd', 'emit']),
      REP('take_osd', 9, ['take osd.3', 'emit']),
    ];
    add('hier-deep', 'root/room/row/rack/host/osd 2x2x2x2x2 with tree and list levels',
      { tunables: optimal(), devices, buckets, rules }, [1, 2, 3, 5, 9]);
  }

  // --- odd weights, explicit bucket item weights, sparse ids, rule gaps ---
  {
    const h = hierarchy({ hosts: 4, osds: 4, alg: (l, i) => (l === 'host' ? ['straw2', 'straw', 'list', 'tree'][i] : 'straw2'),
      weight: (id) => [0.001, 0.1, 1.234, 99.9, 0, 7.777, 0.333, 12.5, 0.01, 3.141, 42, 0.999, 1e-5, 50, 2.5, 0.05][id],
      bucketWeights: 'explicit' });
    // one host's weight in the root differs from its contents (as after a partial reweight)
    h.buckets[h.buckets.length - 1].items[1][1] = 0.5;
    const rules = basicRules().map((r, i) => ({ ...r, id: [0, 2, 3, 7, 9][i] }));
    add('weights-odd', 'unusual device weights, explicit and mismatched bucket item weights, rule id gaps',
      { tunables: optimal(), ...h, rules }, [1, 3, 4]);
  }
  {
    // sparse device ids and bucket ids, a device in no bucket
    const devices = [0, 3, 4, 9, 10, 17, 20, 21].map((id) => ({ id, name: `osd.${id}` }));
    devices.push({ id: 30, name: 'osd.30' });
    const buckets = [
      { type: 'host', name: 'ha', id: -5, alg: 'straw2', items: [['osd.0', 1], ['osd.3', 1], ['osd.4', 2]] },
      { type: 'host', name: 'hb', id: -9, alg: 'list', items: [['osd.9', 1], ['osd.10', 0.5]] },
      { type: 'host', name: 'hc', id: -12, alg: 'straw', items: [['osd.17', 1], ['osd.20', 1], ['osd.21', 3]] },
      { type: 'root', name: 'default', id: -2, alg: 'straw2', items: [['ha', null], ['hb', null], ['hc', null]] },
    ];
    add('sparse-ids', 'sparse device and bucket ids, a device outside the hierarchy',
      { tunables: optimal(), devices, buckets, rules: basicRules() }, [1, 2, 3, 4]);
  }
  {
    // two roots, multi-take rules
    const a = hierarchy({ hosts: 3, osds: 2, alg: 'straw2', root: 'fast', rootId: -1, firstBucketId: -2, hostPrefix: 'fasthost' });
    const b = hierarchy({ hosts: 4, osds: 3, alg: 'straw2', root: 'slow', rootId: -10, firstBucketId: -11, firstOsd: a.nextOsd, hostPrefix: 'slowhost',
      weight: (id) => (id % 4 === 0 ? 2 : 1) });
    const rules = [
      REP('fast', 0, ['take fast', 'chooseleaf firstn 0 type host', 'emit']),
      REP('slow', 1, ['take slow', 'chooseleaf firstn 0 type host', 'emit']),
      REP('hybrid', 2, ['take fast', 'chooseleaf firstn 1 type host', 'emit', 'take slow', 'chooseleaf firstn -1 type host', 'emit']),
      EC('ec_both', 3, ['take fast', 'chooseleaf indep 2 type host', 'emit', 'take slow', 'chooseleaf indep 2 type host', 'emit']),
      REP('no_emit', 4, ['take fast', 'chooseleaf firstn 0 type host']),
      REP('two_takes_one_emit', 5, ['take fast', 'take slow', 'choose firstn 0 type osd', 'emit']),
    ];
    add('multi-root', 'two roots and rules with several take/emit blocks',
      { tunables: optimal(), devices: [...a.devices, ...b.devices], buckets: [...a.buckets, ...b.buckets], rules }, [1, 2, 3, 4, 6]);
  }
  {
    // many OSDs in one flat bucket per algorithm (exercises tree depth, list length)
    const r = rng(900);
    const n = 40;
    const devices = Array.from({ length: n }, (_, i) => ({ id: i, name: `osd.${i}` }));
    const buckets = ['list', 'tree', 'straw', 'straw2'].map((alg, k) => ({
      type: 'root', name: `flat_${alg}`, id: -1 - k, alg,
      items: devices.map((d) => [d.name, [0, 0.25, 1, 1, 2, 5.5][Math.floor(r() * 6)]]),
    }));
    buckets.push({ type: 'root', name: 'flat_uniform', id: -5, alg: 'uniform', items: devices.map((d) => [d.name, 1]) });
    const rules = buckets.map((b, i) => REP(`r_${b.alg}`, i, [`take ${b.name}`, 'choose firstn 0 type osd', 'emit']));
    rules.push(EC('r_tree_indep', 5, ['take flat_tree', 'choose indep 0 type osd', 'emit']));
    add('flat-40', '40 OSDs directly in one bucket, one root per algorithm (shared devices)',
      { tunables: optimal(), devices, buckets, rules }, [1, 3, 7]);
  }
  for (const m of classAlgMaps()) add(m.name, m.about, m.spec, [1, 3, 5]);
  return maps;
}

/**
 * Device classes over each bucket algorithm: the maps of the "--test after edits in the same process"
 * cases (gen.mjs). Each has zero-weight devices (what osdmaptool --mark-up-in reweights to 1.0) and
 * rules with and without a class. With tree buckets no shadow bucket has 5, 6 or more than 8 items:
 * Ceph's mapper can then read past a shadow bucket's zeroed item slack into other heap memory
 * (test/crush/pacific-heap.ts), which nobody can reproduce. Uniform buckets get no shadow trees in Pacific (their
 * clone starts with item weight 0 and refuses every other weight), so that map has no class rules.
 */
export function classAlgMaps() {
  const out = [];
  // [hdd, ssd] devices per host
  const perHost = [[4, 3], [3, 1], [2, 2], [1, 0], [4, 4], [3, 2]];
  const classes = [];
  for (const [h, s] of perHost) classes.push(...Array(h).fill('hdd'), ...Array(s).fill('ssd'));
  const weights = [1, 0.5, 0, 2, 1.5, 3, 1, 0.25, 4];
  const rules = [
    REP('hdd_leaf_host', 0, ['take default class hdd', 'chooseleaf firstn 0 type host', 'emit']),
    EC('ssd_indep_osd', 1, ['take default class ssd', 'choose indep 0 type osd', 'emit'], { min: 1, max: 20 }),
    REP('any_leaf_rack', 2, ['take default', 'chooseleaf firstn 0 type rack', 'emit']),
    REP('hdd_rack0_osd', 3, ['take rack0 class hdd', 'choose firstn 0 type osd', 'emit']),
    EC('hdd_indep_host', 4, ['set_chooseleaf_tries 5', 'take default class hdd', 'chooseleaf indep 0 type host', 'emit'],
      { min: 1, max: 20 }),
  ];
  const algs = {
    list: () => 'list',
    tree: () => 'tree',
    straw: () => 'straw',
    straw2: () => 'straw2',
    mixed: (level, i) => (level === 'host' ? ['tree', 'list', 'straw', 'straw2'][i % 4] : level === 'rack' ? ['tree', 'straw2'][i] : 'tree'),
  };
  for (const [name, alg] of Object.entries(algs)) {
    const h = hierarchy({ racks: 2, hosts: 3, osds: (i) => perHost[i][0] + perHost[i][1], alg,
      weight: (id) => weights[id % weights.length], cls: (id) => classes[id] });
    const spec = { tunables: optimal(), ...h, rules };
    if (name === 'straw2') {
      // weight sets (a compat set and pool 3's, two positions) on the root, a rack and a host: edits
      // keep them summing (adjust_item_weight's update_weight_sets)
      const ws = (n, f) => '[ ' + Array.from({ length: n }, (_, i) => fmtWeight(f(i))).join(' ') + ' ]';
      const host0 = h.buckets.find((b) => b.name === 'host0');
      const entry = (b, sets) => [`  {`, `    bucket_id ${b.id}`, '    weight_set [', ...sets.map((x) => `      ${x}`), '    ]', '  }'];
      const root = h.buckets.find((b) => b.name === 'default');
      const rack1 = h.buckets.find((b) => b.name === 'rack1');
      spec.tail = [
        'choose_args 18446744073709551615 {',
        ...entry(root, [ws(2, (i) => [3, 5][i])]),
        ...entry(host0, [ws(host0.items.length, (i) => [1, 0.5, 2, 0, 1, 1, 3][i])]),
        '}',
        'choose_args 3 {',
        ...entry(rack1, [ws(3, (i) => [1, 2, 0.5][i]), ws(3, (i) => [2, 1, 1][i])]),
        '}',
      ].join('\n');
    }
    out.push({ name: `classes-alg-${name}`, about: `device classes hdd/ssd over ${name} buckets, zero-weight devices${name === 'straw2' ? ', weight sets' : ''}`, spec });
  }
  {
    const h = hierarchy({ racks: 2, hosts: 3, osds: (i) => perHost[i][0] + perHost[i][1],
      alg: (level) => (level === 'host' ? 'uniform' : 'straw2'), weight: (id, hi) => [1, 2, 0.5, 1, 3, 1][hi], cls: (id) => classes[id] });
    out.push({ name: 'classes-alg-uniform', about: 'device classes over uniform hosts (Pacific builds no shadow trees for them), rules without a class',
      spec: { tunables: optimal(), ...h, rules: [rules[2], REP('rep_osd', 1, ['take default', 'choose firstn 0 type osd', 'emit']),
        EC('ec_leaf_host', 4, ['take default', 'chooseleaf indep 0 type host', 'emit'], { min: 1, max: 20 })] } });
  }
  {
    // The map of the bug report: tree buckets, classes hdd/ssd, hosts with zero-weight devices (osd.8,
    // osd.13, osd.25) and class rules; Pacific's shadow trees route some draws past their last item.
    const w = [[0.5, 1, 0.5, 10], [10, 0.5, 2, 3.5], [0, 3.5, 1, 1], [1, 0, 1, 0.5], [10, 10, 3.5, 2], [10, 10, 0.5, 0.5], [0.5, 0, 0.5, 3.5]];
    const devices = [];
    const buckets = w.map((ws, hi) => ({ type: 'host', name: `host${hi}`, id: -2 - hi, alg: 'tree',
      items: ws.map((wt, k) => {
        const id = hi * 4 + k;
        devices.push({ id, name: `osd.${id}`, cls: id % 3 === 2 ? 'ssd' : 'hdd' });
        return [`osd.${id}`, wt];
      }) }));
    buckets.push(
      { type: 'rack', name: 'rack0', id: -9, alg: 'tree', items: [['host0', 12], ['host3', 2.5], ['host6', 4.5]] },
      { type: 'rack', name: 'rack1', id: -10, alg: 'tree', items: [['host1', 16], ['host4', 25.5]] },
      { type: 'rack', name: 'rack2', id: -11, alg: 'tree', items: [['host2', 5.5], ['host5', 21]] },
      { type: 'root', name: 'default', id: -1, alg: 'tree', items: [['rack0', 19], ['rack1', 41.5], ['rack2', 26.5]] },
    );
    out.push({ name: 'classes-tree-bug', about: 'the bug report\'s map: tree buckets everywhere, classes hdd/ssd, zero-weight osd.8, osd.13, osd.25',
      spec: { tunables: optimal(), devices, types: [[0, 'osd'], [1, 'host'], [2, 'rack'], [3, 'root']], buckets, rules: [
        REP('rep_host', 0, ['take default class hdd', 'chooseleaf firstn 0 type host', 'emit']),
        EC('ec_host', 1, ['set_chooseleaf_tries 5', 'set_choose_tries 100', 'take default class hdd', 'chooseleaf indep 0 type host', 'emit'],
          { min: 3, max: 20 }),
        REP('rep_osd', 2, ['take default', 'choose firstn 0 type osd', 'emit']),
        EC('ec_osd', 3, ['take default', 'choose indep 0 type osd', 'emit'], { min: 3, max: 20 }),
      ] } });
  }
  return out;
}

/** Maps that crushtool must refuse to compile, with what is wrong. */
export function badMaps() {
  const good = mapText({ tunables: optimal(), ...hierarchy({ hosts: 2, osds: 2, alg: 'straw2' }), rules: basicRules().slice(0, 1) });
  const edits = [
    ['unknown-item', 'a bucket names an item that does not exist', (t) => t.replace('item osd.3 weight 1.000', 'item osd.33 weight 1.000')],
    ['dup-bucket-id', 'two buckets share an id', (t) => t.replace('id -3', 'id -2')],
    ['dup-device-id', 'two devices share an id', (t) => t.replace('device 1 osd.1', 'device 0 osd.1')],
    ['unknown-type', 'a bucket of an undeclared type', (t) => t.replace('host host0 {', 'shelf host0 {')],
    ['unknown-alg', 'an unknown bucket algorithm', (t) => t.replace('alg straw2', 'alg straw3')],
    ['syntax-brace', 'a missing closing brace', (t) => t.replace('}\nhost host1', '\nhost host1')],
    ['syntax-garbage', 'a stray word at top level', (t) => t.replace('type 0 osd', 'type 0 osd\nfrobnicate 7')],
    ['rule-unknown-take', 'a rule takes an unknown bucket', (t) => t.replace('step take default', 'step take nowhere')],
    ['rule-unknown-type', 'a rule chooses an unknown type', (t) => t.replace('type host\n\tstep emit', 'type shelf\n\tstep emit')],
    ['rule-unknown-class', 'a rule takes an unknown class', (t) => t.replace('step take default', 'step take default class ssd')],
    ['unknown-tunable', 'an unknown tunable', (t) => t.replace('tunable choose_total_tries 50', 'tunable choose_everything 50')],
    ['item-twice', 'the same item in two buckets', (t) => t.replace('item osd.3 weight 1.000', 'item osd.3 weight 1.000\n\titem osd.0 weight 1.000')],
    ['bucket-before-item', 'a bucket used before it is defined', (t) => {
      const i = t.indexOf('host host0 {');
      const j = t.indexOf('root default {');
      const k = t.indexOf('}\n', j) + 2;
      return t.slice(0, i) + t.slice(j, k) + t.slice(i, j) + t.slice(k);
    }],
    ['empty', 'an empty file', () => ''],
    ['weight-not-number', 'a weight that is not a number', (t) => t.replace('item osd.0 weight 1.000', 'item osd.0 weight heavy')],
    ['uniform-unequal', 'a uniform bucket with unequal weights', (t) => t.replace('alg straw2', 'alg uniform').replace('item osd.1 weight 1.000', 'item osd.1 weight 2.000')],
  ];
  return edits.map(([name, about, f]) => ({ name, about, text: f(good) }));
}
