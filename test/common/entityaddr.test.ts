// Proves the one entity_addr_t parser keeps Ceph's rules where they are subtle: a '[' opens a vector
// unless it is one bracketed IPv6 address, untyped and typed entries, ports and nonces in range,
// "localhost" only where asked for, and host/port back out for sockets.
import { strict as assert } from 'node:assert';
import { addrHostPort, makeEntityAddr, parseAddrVec, parseEntityAddr } from '../../common/entityaddr.js';
import { formatAddrVec } from '../../common/osdmap/index.js';

describe('common/entityaddr', () => {
  it('parses addresses and vectors as entity_addr_t / entity_addrvec_t::parse do', () => {
    assert.equal(formatAddrVec(parseAddrVec('[v2:1.2.3.4:3300/5,v1:1.2.3.4:6789/5]')!), '[v2:1.2.3.4:3300/5,v1:1.2.3.4:6789/5]');
    assert.equal(formatAddrVec(parseAddrVec('[1.2.3.4:6789,5.6.7.8:3300]')!), '[1.2.3.4:6789/0,5.6.7.8:3300/0]');
    assert.equal(formatAddrVec(parseAddrVec('[::1]:3300')!), '[::1]:3300/0');
    assert.equal(formatAddrVec(parseAddrVec('v2:[fe80::1:2]:3300')!), 'v2:[fe80::1:2]:3300/0');
    assert.equal(formatAddrVec(parseAddrVec('[::ffff:1.2.3.4]:1')!), '[::ffff:1.2.3.4]:1/0');
    for (const bad of ['1.2.3', '1.2.3.4:99999', '1.2.3.256', 'v3:1.2.3.4', '[1.2.3.4', '[]', '1.2.3.4/x', 'localhost:3300']) {
      assert.equal(parseAddrVec(bad), null, bad);
    }
    assert.equal(parseEntityAddr('1.2.3.4:3300 '), null, 'trailing text is not an address');
    assert.equal(formatAddrVec(parseAddrVec('localhost:3300', { localhost: true })!), '127.0.0.1:3300/0');
  });

  it('gives sockets their host and port back', () => {
    assert.deepEqual(addrHostPort(makeEntityAddr(2, '10.1.2.3', 3300, 7)), { host: '10.1.2.3', port: 3300 });
    assert.deepEqual(addrHostPort(makeEntityAddr(2, '::1', 6789)), { host: '0:0:0:0:0:0:0:1', port: 6789 });
    assert.throws(() => makeEntityAddr(2, 'ceph-mon-a', 1), /not an IP address/);
  });
});
