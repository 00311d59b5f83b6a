// Seeded randomness. Every random choice chatquake makes (workload, fault targets, toxicity,
// jitter) comes from here so that one seed reproduces one run. sfc32 is small, fast and passes
// PractRand well beyond what a test run draws.

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] inclusive. */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element, uniformly. Throws on an empty array. */
  pick<T>(items: readonly T[]): T;
  /** A new shuffled copy. */
  shuffle<T>(items: readonly T[]): T[];
  /** Exponentially distributed with the given mean (Poisson inter-arrival times). */
  exponential(mean: number): number;
  /**
   * An independent stream derived from this seed and a label, so adding draws in one part of
   * a run (say the workload) does not shift the choices of another (say the faults).
   */
  fork(label: string): Random;
}

/** 32-bit FNV-1a, used to turn seeds and labels into generator state. */
export function hash32(text: string, basis = 0x811c9dc5): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function createRandom(seed: number | string): Random {
  const key = String(seed);
  let a = hash32(key, 0x811c9dc5);
  let b = hash32(key, 0x9e3779b9);
  let c = hash32(key, 0x85ebca6b);
  let d = 1;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Discard the first outputs: sfc32 mixes weakly right after seeding.
  for (let i = 0; i < 12; i++) next();

  const random: Random = {
    next,
    int(min, max) {
      return min + Math.floor(next() * (max - min + 1));
    },
    chance(p) {
      return next() < p;
    },
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from an empty array');
      return items[Math.floor(next() * items.length)] as T;
    },
    shuffle<T>(items: readonly T[]): T[] {
      const copy = items.slice();
      for (let i = copy.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
      }
      return copy;
    },
    exponential(mean) {
      return -Math.log(1 - next()) * mean;
    },
    fork(label) {
      return createRandom(`${key}/${label}`);
    },
  };
  return random;
}
