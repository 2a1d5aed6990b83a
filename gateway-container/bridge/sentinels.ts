// IB's "no value" placeholders. Prices come as −1 when there is none (e.g. no bid), option
// computations use −1 for "not computed" prices/volatility and −2 for greeks, and any field may carry
// Double.MAX_VALUE or Number.MAX_SAFE_INTEGER. The bridge turns all of them into absent values so no
// caller ever sees a sentinel as if it were a price.

const HUGE = [Number.MAX_VALUE, Number.MAX_SAFE_INTEGER, 2147483647];

function finite(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (HUGE.includes(Math.abs(value))) return undefined;
  return value;
}

/** A bid, ask, last or close price: −1 (and 0 for bid/ask is kept: a real zero bid exists). */
export function priceOrAbsent(value: unknown): number | undefined {
  const v = finite(value);
  return v === undefined || v === -1 ? undefined : v;
}

/** Sizes, volume, open interest: never negative. */
export function sizeOrAbsent(value: unknown): number | undefined {
  const v = finite(value);
  return v === undefined || v < 0 ? undefined : v;
}

/** Implied volatility, option model price, underlying price: −1 means not computed; negatives are invalid. */
export function computedPriceOrAbsent(value: unknown): number | undefined {
  const v = finite(value);
  return v === undefined || v < 0 ? undefined : v;
}

/** Greeks: −2 means not computed. Delta may legitimately be −1 (deep in-the-money put), so only −2 goes. */
export function greekOrAbsent(value: unknown): number | undefined {
  const v = finite(value);
  return v === undefined || v === -2 ? undefined : v;
}

/** Delta must lie in [−1, 1]; anything else is not a delta. */
export function deltaOrAbsent(value: unknown): number | undefined {
  const v = greekOrAbsent(value);
  return v === undefined || v < -1 || v > 1 ? undefined : v;
}

/** Numbers IB sends as strings (account values, what-if margins): empty or MAX_VALUE is absent. */
export function numericStringOrAbsent(value: unknown): number | undefined {
  if (typeof value === 'number') return finite(value);
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  return finite(Number(value.replaceAll(',', '')));
}
