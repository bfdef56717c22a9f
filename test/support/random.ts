/**
 * Seeded pseudo-random numbers for tests: every case draws its weights and inputs from its own seed,
 * so a failure reproduces bit for bit (mulberry32: small, fast, good enough for test data).
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer uniform in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** A Float32Array of `n` values uniform in [lo, hi). */
  fill(n: number, lo = -1, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(lo, hi);
    return out;
  }
}

/** Hashes a string (e.g. a case name) to a 32-bit seed (FNV-1a). */
export function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A tensor of the given shape with values uniform in [lo, hi). */
export function randomTensor(rng: Rng, shape: number[], lo = -1, hi = 1): { data: Float32Array; shape: number[] } {
  return { data: rng.fill(shape.reduce((a, b) => a * b, 1), lo, hi), shape: [...shape] };
}
