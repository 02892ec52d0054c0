// Proves osd/core/hobject.ts maps the snap specials both ways (CEPH_NOSNAP <-> SNAP_HEAD, CEPH_SNAPDIR <-> SNAP_DIR, clones by value) and turns a store object into the hobject_t the wire carries, by direct cases.
import assert from 'node:assert/strict';
import { CEPH_NOSNAP, CEPH_SNAPDIR } from '../../msg/messages/osdop.js';
import { snapFromWire, snapToWire, toHObject } from '../../osd/core/hobject.js';
import { SNAP_DIR, SNAP_HEAD, makeObject } from '../../osd/objectstore/types.js';

describe('osd/core/hobject: store and wire object names', () => {
  it('snap specials and clone snaps map both ways', () => {
    for (const [store, wire] of [[SNAP_HEAD, CEPH_NOSNAP], [SNAP_DIR, CEPH_SNAPDIR], [0, 0n], [7, 7n]] as const) {
      assert.equal(snapToWire(store), wire);
      assert.equal(snapFromWire(wire), store);
    }
  });

  it('a store object becomes the hobject_t with the same name, key, namespace, hash and pool', () => {
    const g = makeObject(3, 'obj', 0x80000001, { nspace: 'ns', key: 'k', snap: 4 });
    assert.deepEqual(toHObject(g), { oid: 'obj', key: 'k', nspace: 'ns', hash: 0x80000001, pool: 3, snap: 4n, max: false });
    assert.equal(toHObject(makeObject(3, 'h', 1)).snap, CEPH_NOSNAP);
  });
});
