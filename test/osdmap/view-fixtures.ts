// The fixtures the view tests (print, dump, tree) replay: maps in test/fixtures/osdmap/views with what
// Ceph 16.2.15's osdmaptool printed for each (made by scripts/osdmap-views/gen.sh).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeOSDMap } from '../../common/osdmap/encoding.js';
import type { OSDMap } from '../../common/osdmap/osdmap.js';

export const viewsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'osdmap', 'views');

/** The full maps (incrementals, *.inc.bin, are not), by name without .bin, sorted. */
export const viewMaps: string[] = readdirSync(viewsDir)
  .filter((f) => f.endsWith('.bin') && !f.endsWith('.inc.bin'))
  .map((f) => f.slice(0, -4))
  .sort();

export function loadViewMap(name: string): OSDMap {
  return decodeOSDMap(readFileSync(join(viewsDir, name + '.bin')));
}

/** A recorded output. Names hold one byte per char, so output chars are bytes: read as latin1. */
export function wantView(file: string): string {
  return readFileSync(join(viewsDir, file), 'latin1');
}
