// A rejection check for tests: the promise fails with a CephError of the given errno name (and message).
import assert from 'node:assert/strict';
import { CephError } from '../../common/errors.js';

/** Assert that `p` rejects with a CephError whose code is `code` and whose message matches `re`. */
export async function rejectsCeph(p: Promise<unknown>, code: string, re?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CephError, `expected CephError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (re) assert.match(e.message, re);
    return true;
  });
}
