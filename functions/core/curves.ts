// The shapes scores are made of. A module of its own that imports nothing, so the strategy modules
// (their trend fit) and scoring can share them without an import cycle.

/**
 * Fraction 0–1 of the way from `zero` to `full`, clamped. Works in either direction, so a factor
 * where smaller is better (bid-ask spread) uses the same shape with zero > full.
 */
export function ramp(x: number, zero: number, full: number): number {
  if (!Number.isFinite(x)) return 0;
  const t = (x - zero) / (full - zero);
  return t <= 0 ? 0 : t >= 1 ? 1 : t;
}

/** Full marks inside [fullMin, fullMax], zero at or outside (zeroLow, zeroHigh), linear between. */
export function band(x: number, zeroLow: number, fullMin: number, fullMax: number, zeroHigh: number): number {
  return Math.min(ramp(x, zeroLow, fullMin), ramp(x, zeroHigh, fullMax));
}
