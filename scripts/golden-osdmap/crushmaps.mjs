// CRUSH maps to import into osdmaptool-made OSD maps (`osdmaptool --import-crush`): topologies
// built by `crushtool --build`, and text maps compiled by `crushtool -c` with device classes,
// several rules, weights (zero ones too), sparse device ids and legacy tunables.
// Each entry names the `--createsimple N --with-default-pool` map it goes into (N >= max_devices).

const TYPES = ['osd', 'host', 'chassis', 'rack', 'row', 'pdu', 'pod', 'room', 'datacenter', 'zone', 'region', 'root'];

/** `crushtool -o OUT --build ARGS` topologies. */
export const BUILT = [
  { name: 'b-host-rack-root', osds: 12, args: ['--num_osds', '12', 'host', 'straw2', '3', 'rack', 'straw2', '2', 'root', 'straw2', '0'],
    about: '12 OSDs, 3 per host (straw2), 2 hosts per rack, one root' },
  { name: 'b-straw', osds: 13, args: ['--num_osds', '9', 'host', 'straw', '3', 'root', 'straw', '0'],
    about: 'straw (v1) buckets; 9 OSDs in the crush map of a 13-OSD osdmap (osd.9..12 not in crush)' },
  { name: 'b-list-tree', osds: 13, args: ['--num_osds', '10', 'host', 'list', '5', 'root', 'tree', '0'],
    about: 'list hosts under a tree root' },
  { name: 'b-uniform', osds: 8, args: ['--num_osds', '8', 'host', 'uniform', '2', 'root', 'uniform', '0'],
    about: 'uniform buckets' },
  { name: 'b-flat', osds: 5, args: ['--num_osds', '5', 'root', 'straw2', '0'],
    about: 'OSDs straight under the root' },
  { name: 'b-64', osds: 64, args: ['--num_osds', '64', 'host', 'straw2', '4', 'rack', 'straw2', '4', 'root', 'straw2', '0'],
    about: '64 OSDs, 16 hosts, 4 racks' },
  { name: 'b-100', osds: 100, args: ['--num_osds', '100', 'host', 'straw2', '10', 'root', 'straw2', '0'],
    about: '100 OSDs, 10 hosts' },
];

function header(tunables) {
  const out = [];
  for (const [k, v] of Object.entries(tunables)) out.push(`tunable ${k} ${v}`);
  return out;
}
const JEWEL = { choose_local_tries: 0, choose_local_fallback_tries: 0, choose_total_tries: 50, chooseleaf_descend_once: 1,
  chooseleaf_vary_r: 1, chooseleaf_stable: 1, straw_calc_version: 1, allowed_bucket_algs: 54 };
const LEGACY = { choose_local_tries: 2, choose_local_fallback_tries: 5, choose_total_tries: 19, chooseleaf_descend_once: 0,
  chooseleaf_vary_r: 0, chooseleaf_stable: 0, straw_calc_version: 0, allowed_bucket_algs: 22 };

/**
 * A text map: devices [{id, cls?}], buckets [{name, type, id, alg, items: [[name, weight]]}],
 * rules [{name, id, type, steps}]. Bucket weights are the sums of their items'.
 */
function text({ tunables = JEWEL, devices, buckets, rules }) {
  const out = header(tunables);
  out.push('');
  for (const d of devices) out.push(`device ${d.id} osd.${d.id}${d.cls ? ` class ${d.cls}` : ''}`);
  out.push('');
  TYPES.forEach((t, i) => out.push(`type ${i} ${t}`));
  out.push('');
  for (const b of buckets) {
    out.push(`${b.type} ${b.name} {`, `\tid ${b.id}`, `\talg ${b.alg ?? 'straw2'}`, '\thash 0');
    for (const [n, w] of b.items) out.push(`\titem ${n} weight ${w.toFixed(3)}`);
    out.push('}');
  }
  out.push('');
  for (const r of rules) {
    out.push(`rule ${r.name} {`, `\tid ${r.id}`, `\ttype ${r.type ?? 'replicated'}`, '\tmin_size 1', '\tmax_size 10');
    for (const s of r.steps) out.push(`\tstep ${s}`);
    out.push('}');
  }
  return out.join('\n') + '\n';
}

/** hosts: [[hostName, rackName|null, [[osdId, weight, cls?]]]] -> devices and buckets. */
function tree(hosts, { rootAlg = 'straw2', hostAlg = 'straw2' } = {}) {
  const devices = [];
  const buckets = [];
  const racks = new Map();
  let id = -1;
  const rootId = id--;
  const sum = (items) => items.reduce((a, [, w]) => a + w, 0);
  for (const [h, rack, osds] of hosts) {
    const items = osds.map(([o, w, cls]) => {
      devices.push({ id: o, cls });
      return [`osd.${o}`, w];
    });
    buckets.push({ name: h, type: 'host', id: id--, alg: hostAlg, items });
    const parent = rack ?? '';
    if (!racks.has(parent)) racks.set(parent, []);
    racks.get(parent).push([h, sum(items)]);
  }
  const rootItems = [];
  for (const [rack, items] of racks) {
    if (rack === '') rootItems.push(...items);
    else {
      buckets.push({ name: rack, type: 'rack', id: id--, alg: 'straw2', items });
      rootItems.push([rack, sum(items)]);
    }
  }
  buckets.push({ name: 'default', type: 'root', id: rootId, alg: rootAlg, items: rootItems });
  devices.sort((a, b) => a.id - b.id);
  return { devices, buckets };
}

/** Text maps compiled with `crushtool -c`. */
export function textMaps() {
  const classes = tree([
    ['h0', 'r0', [[0, 1, 'hdd'], [1, 1, 'hdd'], [2, 0.5, 'ssd']]],
    ['h1', 'r0', [[3, 2, 'hdd'], [4, 1, 'ssd'], [5, 1, 'hdd']]],
    ['h2', 'r1', [[6, 1, 'hdd'], [7, 1.5, 'ssd'], [8, 1, 'nvme']]],
    ['h3', 'r1', [[9, 1, 'hdd'], [10, 1, 'hdd'], [11, 0.25, 'ssd']]],
  ]);
  const weights = tree([
    ['h0', null, [[0, 0], [1, 0.1], [2, 5]]],
    ['h1', null, [[3, 1], [4, 0], [5, 3.333]]],
    ['h2', null, [[6, 0.01], [7, 10], [8, 1]]],
    ['h3', null, [[9, 2], [10, 2], [11, 2]]],
  ]);
  const sparse = tree([
    ['h0', null, [[0, 1], [5, 1]]],
    ['h1', null, [[2, 1], [7, 1]]],
  ]);
  const legacy = tree([
    ['h0', null, [[0, 1], [1, 1]]],
    ['h1', null, [[2, 1], [3, 1]]],
    ['h2', null, [[4, 1], [5, 1]]],
    ['h3', null, [[6, 1], [7, 1]]],
  ], { rootAlg: 'straw', hostAlg: 'straw' });
  return [
    { name: 't-classes', osds: 12, about: 'device classes hdd/ssd/nvme, racks, five rules (replicated by host, ssd by host, '
      + 'hdd by rack, erasure indep by osd, two-step choose rack then chooseleaf host)',
    text: text({ ...classes, rules: [
      { name: 'replicated_rule', id: 0, steps: ['take default', 'chooseleaf firstn 0 type host', 'emit'] },
      { name: 'ssd_host', id: 1, steps: ['take default class ssd', 'chooseleaf firstn 0 type host', 'emit'] },
      { name: 'hdd_rack', id: 2, steps: ['take default class hdd', 'chooseleaf firstn 0 type rack', 'emit'] },
      { name: 'ec_osd', id: 3, type: 'erasure', steps: ['set_chooseleaf_tries 5', 'set_choose_tries 100', 'take default', 'choose indep 0 type osd', 'emit'] },
      { name: 'rack_then_host', id: 4, steps: ['take default', 'choose firstn 2 type rack', 'chooseleaf firstn 2 type host', 'emit'] },
    ] }) },
    { name: 't-weights', osds: 12, about: 'uneven weights, zero-weight OSDs (never chosen), a 10x heavy OSD',
      text: text({ ...weights, rules: [{ name: 'replicated_rule', id: 0, steps: ['take default', 'chooseleaf firstn 0 type host', 'emit'] }] }) },
    { name: 't-sparse', osds: 8, about: 'device ids 0,2,5,7 only: max_devices 8 with holes',
      text: text({ ...sparse, rules: [{ name: 'replicated_rule', id: 0, steps: ['take default', 'choose firstn 0 type osd', 'emit'] }] }) },
    { name: 't-legacy', osds: 8, about: 'legacy (argonaut) tunables and straw v0 buckets',
      text: text({ tunables: LEGACY, ...legacy, rules: [{ name: 'replicated_rule', id: 0, steps: ['take default', 'chooseleaf firstn 0 type host', 'emit'] }] }) },
  ];
}
