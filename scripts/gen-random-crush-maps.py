# Writes random CRUSH text maps (seeded, so reproducible) for gen-bin-fixtures.sh: every bucket
# algorithm, sparse ids, device classes, choose_args, random tunables and rule steps. Some do not
# compile (crushtool refuses them); the caller keeps the ones that do.
# Usage: python3 scripts/gen-random-crush-maps.py FIRST_SEED END_SEED OUT_DIR
import random, sys
def gen(seed):
    r = random.Random(seed)
    L = []
    if r.random() < 0.8:
        for name, vals in [('choose_local_tries',[0,1,2,3]),('choose_local_fallback_tries',[0,5,2]),('choose_total_tries',[19,50,7,100]),
                           ('chooseleaf_descend_once',[0,1]),('chooseleaf_vary_r',[0,1,2]),('chooseleaf_stable',[0,1]),('straw_calc_version',[0,1]),('allowed_bucket_algs',[22,54,62])]:
            if r.random() < 0.85: L.append(f'tunable {name} {r.choice(vals)}')
    ndev = r.randint(1, 40)
    classes = ['hdd','ssd','nvme','Zeta','a_b']
    devs = []
    did = 0
    for i in range(ndev):
        did += r.choice([1,1,1,2,5])
        c = f' class {r.choice(classes)}' if r.random() < 0.6 else ''
        devs.append(did)
        L.append(f'device {did} osd.{did}{c}')
    types = sorted(r.sample(range(1, 15), 3))
    L.append('type 0 osd')
    tn = ['host','rack','root']
    for t, n in zip(types, tn): L.append(f'type {t} {n}')
    # hosts
    pool = devs[:]
    r.shuffle(pool)
    hosts = []
    bid = -1
    used = set()
    def nid():
        nonlocal bid
        bid -= r.choice([1,1,2])
        return bid
    buckets = []
    nh = r.randint(1, 8)
    for h in range(nh):
        k = r.randint(0, 5)
        items = [pool.pop() for _ in range(min(k, len(pool)))]
        hosts.append((f'host{h}', nid(), types[0], items))
    racks = []
    hs = hosts[:]
    r.shuffle(hs)
    for k in range(r.randint(1, 3)):
        take = [hs.pop() for _ in range(min(len(hs), r.randint(1, 4)))]
        racks.append((f'rack{k}', nid(), types[1], [h[0] for h in take]))
    leftover = [h[0] for h in hs]
    root = ('default', nid(), types[2], [x[0] for x in racks] + leftover)
    algs = ['uniform','list','tree','straw','straw2','straw2','straw2']
    weights = {}
    def w():
        return r.choice([1.0, 0.5, 2.0, r.randint(0, 100000)/1000.0, 0.0, r.randint(1,3000)/1000.0])
    out = []
    def emit(name, id_, t, items, isdev):
        alg = r.choice(algs)
        tname = tn[types.index(t)]
        out.append(f'{tname} {name} {{')
        out.append(f'\tid {id_}')
        out.append(f'\talg {alg}')
        out.append('\thash 0')
        total = 0
        uw = w()
        for it in items:
            iw = uw if alg == 'uniform' else (w() if isdev else weights[it])
            if alg == 'uniform' and not isdev: iw = uw
            total += iw
            nm = f'osd.{it}' if isdev else it
            out.append(f'\titem {nm} weight {iw:.3f}')
        out.append('}')
        weights[name] = total
        return alg
    balg = {}
    for h in hosts: balg[h[1]] = (emit(h[0], h[1], h[2], h[3], True), len(h[3]))
    for k in racks: balg[k[1]] = (emit(k[0], k[1], k[2], k[3], False), len(k[3]))
    balg[root[1]] = (emit(root[0], root[1], root[2], root[3], False), len(root[3]))
    L += out
    nr = r.randint(0, 4)
    rid = -1
    for i in range(nr):
        rid += r.choice([1,1,2])
        L.append(f'rule rule{i} {{')
        L.append(f'\tid {rid}')
        L.append(f'\ttype {r.choice(["replicated","erasure"])}')
        L.append(f'\tmin_size {r.randint(0,3)}')
        L.append(f'\tmax_size {r.randint(3,20)}')
        for s in range(r.randint(0, 2)):
            L.append('\tstep ' + r.choice(['set_choose_tries 100','set_chooseleaf_tries 5','set_chooseleaf_vary_r 1','set_chooseleaf_stable 0','set_choose_local_tries 1','set_choose_local_fallback_tries 2']))
        c = f' class {r.choice(classes)}' if r.random() < 0.3 else ''
        L.append(f'\tstep take default{c}')
        L.append(f'\tstep {r.choice(["choose","chooseleaf"])} {r.choice(["firstn","indep"])} {r.choice([0,1,2,-1])} type {r.choice(["osd","host","rack"])}')
        L.append('\tstep emit')
        L.append('}')
    if r.random() < 0.5:
        for cid in r.sample([1,2,5,9,100], r.randint(1,2)):
            L.append(f'choose_args {cid} {{')
            for b, (alg, size) in balg.items():
                if r.random() < 0.5 or size == 0: continue
                L.append('  {')
                L.append(f'    bucket_id {b}')
                if r.random() < 0.7:
                    L.append('    weight_set [')
                    for p in range(r.randint(1, 2)):
                        L.append('      [ ' + ' '.join(f'{r.randint(0,5000)/1000:.3f}' for _ in range(size)) + ' ]')
                    L.append('    ]')
                if r.random() < 0.4:
                    L.append('    ids [ ' + ' '.join(str(-100 - r.randint(0, 50)) for _ in range(size)) + ' ]')
                L.append('  }')
            L.append('}')
    return '\n'.join(L) + '\n'
for s in range(int(sys.argv[1]), int(sys.argv[2])):
    open(f'{sys.argv[3]}/random-{s}.txt', 'w').write(gen(s))
