// Byte sizes as users type them on command lines: "4096", "64K", "256M", "4G", "1T", with an optional
// "i" and "B" ("4GiB", "64KB") and IEC (power-of-1024) multipliers, as Ceph's tools take them. The one
// parser for every CLI and benchmark flag that takes a size.

const MULTIPLIERS: Readonly<Record<string, number>> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** The byte count `s` names, or undefined if it is not a size (or not a safe integer number of bytes). */
export function parseSize(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(s.trim());
  if (!m) return undefined;
  const v = Math.floor(Number(m[1]) * MULTIPLIERS[m[2]!.toUpperCase()]!);
  return Number.isSafeInteger(v) ? v : undefined;
}
