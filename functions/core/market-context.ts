// Per-underlying statistics the filters and the score need, computed from daily history:
// realised volatility, IV rank and where the recent return sits in its own history (trend).

const TRADING_DAYS_PER_YEAR = 252;

function assertFiniteSeries(values: readonly number[], what: string): void {
  const bad = values.findIndex((v) => !Number.isFinite(v) || v <= 0);
  if (bad >= 0) throw new RangeError(`${what}[${bad}] is ${values[bad]}: expected a positive finite number`);
}

/**
 * Annualised close-to-close volatility over the last `window` daily returns (sample standard
 * deviation of log returns × √252). Undefined when there are not enough closes.
 */
export function historicalVolatility(closes: readonly number[], window = 20): number | undefined {
  if (closes.length < window + 1) return undefined;
  const recent = closes.slice(-(window + 1));
  assertFiniteSeries(recent, 'closes');
  const returns = recent.slice(1).map((close, i) => Math.log(close / recent[i]!));
  const mean = returns.reduce((sum, r) => sum + r, 0) / returns.length;
  const variance = returns.reduce((sum, r) => sum + (r - mean) ** 2, 0) / (returns.length - 1);
  return Math.sqrt(variance * TRADING_DAYS_PER_YEAR);
}

/**
 * IV rank, 0–100: where the current implied volatility sits between the lowest and highest of the
 * last `lookback` daily IV values (tastytrade's definition, not IV percentile).
 */
export function ivRank(
  ivHistory: readonly number[],
  currentIv: number,
  lookback = TRADING_DAYS_PER_YEAR,
): number | undefined {
  const window = ivHistory.slice(-lookback);
  if (window.length < 2 || !Number.isFinite(currentIv)) return undefined;
  assertFiniteSeries(window, 'ivHistory');
  const low = Math.min(...window, currentIv);
  const high = Math.max(...window, currentIv);
  if (high === low) return 50;
  return ((currentIv - low) / (high - low)) * 100;
}

/**
 * Trend: the percentile (0–100) of the latest `window`-day return among all `window`-day returns of
 * the last year. High means the underlying rose unusually much for it, low that it fell.
 */
export function trendPercentile(
  closes: readonly number[],
  window = 20,
  lookback = TRADING_DAYS_PER_YEAR,
): number | undefined {
  const recent = closes.slice(-(lookback + 1));
  if (recent.length < window + 2) return undefined;
  assertFiniteSeries(recent, 'closes');
  const returns: number[] = [];
  for (let i = window; i < recent.length; i++) returns.push(recent[i]! / recent[i - window]! - 1);
  const latest = returns[returns.length - 1]!;
  // Mid-rank for ties so a flat history reads as 50, not 0 or 100.
  const below = returns.filter((r) => r < latest).length;
  const equal = returns.filter((r) => r === latest).length;
  return ((below + equal / 2) / returns.length) * 100;
}

/** The index futures collected by default (collect-futures-data) and expected by validate-data-quality. */
export const FUTURE_ROOTS = ['ES', 'NQ'] as const;
