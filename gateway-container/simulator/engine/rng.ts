// Seeded, counter-based randomness. Every draw is a pure function of (seed, stream name, index), so a
// seed reproduces a run however the clock is stepped (one advance of an hour or sixty of a minute draw
// the same numbers), and a saved state needs no generator state to continue identically.
import { unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand';
import type { RandomGenerator } from 'pure-rand';

/** FNV-1a over a string, 32 bits. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's finaliser: spreads nearby inputs (index 41 vs 42) over the whole 32-bit range. */
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A short-lived generator for one draw site; cheap enough to build per simulated minute. */
export class Draw {
  private readonly rng: RandomGenerator;

  constructor(seed: number, stream: string, index: number) {
    // The index may exceed 32 bits (minutes since 1970 do not, but stay safe): fold both halves in.
    const lo = index >>> 0;
    const hi = Math.floor(index / 4294967296) >>> 0;
    const key =
      mix32(mix32(seed >>> 0) ^ hashString(stream)) ^ mix32(lo + 0x9e3779b9) ^ mix32(hi ^ 0x7f4a7c15);
    this.rng = xoroshiro128plus(mix32(key) | 0);
    // xoroshiro's first outputs from small seeds are poorly mixed; discard a few.
    for (let i = 0; i < 4; i++) this.rng.unsafeNext();
  }

  /** Uniform on [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.rng.unsafeNext() >>> 5;
    const b = this.rng.unsafeNext() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Standard normal by Box–Muller (one of the pair; simplicity over speed). */
  normal(): number {
    const u = 1 - this.uniform(); // (0, 1]: log(0) never happens
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Integer uniform on [from, to], both inclusive. */
  int(from: number, to: number): number {
    return unsafeUniformIntDistribution(from, to, this.rng);
  }
}
