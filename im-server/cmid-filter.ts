// A Bloom filter of the (conversation, sender, cmid) keys a node has stored, so that the dedup
// check of a new message, which is nearly always a miss, skips the SQLite index probe: the
// profile at capacity showed findByCmid as one of a node's top self times. A "no" is certain (every
// insert adds its key; deleted rows only leave false "maybe"s), a "maybe" still asks SQLite, so
// the answer is exactly what the index says. Fixed size: past a few million keys the "maybe"s
// grow and the filter stops saving work, but never gives a wrong answer.

export interface CmidFilter {
  add(conv: string, from: string, cmid: string): void;
  /** False when the key was certainly never added. */
  mayHave(conv: string, from: string, cmid: string): boolean;
}

const FNV_PRIME = 0x01000193;

/** FNV-1a of one part of a key, continuing from `h`, then a separator so ("ab","c") and ("a","bc") differ. */
function mix(h: number, part: string): number {
  let x = h;
  for (let i = 0; i < part.length; i++) x = Math.imul(x ^ part.charCodeAt(i), FNV_PRIME);
  return Math.imul(x ^ 0xff, FNV_PRIME);
}

/** FNV-1a over the key's UTF-16 code units, with a seed; 32 bits. */
function hash(seed: number, conv: string, from: string, cmid: string): number {
  return mix(mix(mix(seed, conv), from), cmid) >>> 0;
}

/** `bits` is rounded up to a power of two; default 2^25 (4 MB), about 1% false "maybe"s at 3.5M keys. */
export function createCmidFilter(bits = 2 ** 25, probes = 4): CmidFilter {
  let size = 1024;
  while (size < bits) size *= 2;
  const words = new Uint32Array(size / 32);
  const mask = size - 1;
  const positions = (conv: string, from: string, cmid: string): number[] => {
    // Double hashing (Kirsch–Mitzenmacher): probe i is h1 + i * h2.
    const h1 = hash(0x811c9dc5, conv, from, cmid);
    const h2 = hash(0x9747b28c, conv, from, cmid) | 1;
    const out: number[] = [];
    for (let i = 0; i < probes; i++) out.push((h1 + Math.imul(i, h2)) & mask);
    return out;
  };
  return {
    add(conv, from, cmid) {
      for (const p of positions(conv, from, cmid)) words[p >>> 5]! |= 1 << (p & 31);
    },
    mayHave(conv, from, cmid) {
      for (const p of positions(conv, from, cmid))
        if ((words[p >>> 5]! & (1 << (p & 31))) === 0) return false;
      return true;
    },
  };
}
