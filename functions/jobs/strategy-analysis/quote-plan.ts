// Which options strategy-analysis quotes for one underlying.
//
// Every expiry inside the DTE window, and per expiry the strikes a short leg
// could use (|delta| inside the window) plus the widest wing beyond them. The delta band is found from
// the underlying's implied volatility (the last OPTION_IMPLIED_VOLATILITY bar, else HV20): a strike
// whose lognormal distance from spot is more than z·σ√T away, with z for the smallest short |delta|
// and a 25% margin for the skew, cannot be a short leg. Never wider than ±15% of spot. If the subset is
// still over `maxQuotes`, expiries closest to the DTE sweet spot (dteFullMin–dteFullMax) are kept first;
// a budget below even the best expiry's window quotes that expiry's strikes nearest the middle of its
// windows (the short-leg band and the nearer wings) rather than nothing.
import type { ChainDefinition } from '#adapters/bridge-client';
import { daysToExpiry } from '#core/chain';
import type { Config } from '#core/config';
import { normCdf } from '#core/pricing';
import { quoteSides } from '#core/strategies/index';
import type { IsoDate, OptionContract } from '#core/types';

/** Option quotes per underlying when the payload names no `maxQuotes`. */
export const DEFAULT_MAX_QUOTES = 600;

/** Outer bound of the strike window, as a fraction of spot. */
export const MAX_STRIKE_DISTANCE = 0.15;

/** z with N(z) = p, by bisection on the core's normal CDF (p in (0, 1)). */
export function inverseNormal(p: number): number {
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (normCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface QuotePlan {
  expiries: IsoDate[];
  contracts: OptionContract[];
}

/** The options worth quoting for one underlying (see the header comment). Pure. */
export function planQuotes(
  chain: Pick<ChainDefinition, 'symbol' | 'expirations' | 'strikes' | 'multiplier'>,
  spot: number,
  vol: number,
  tradeDate: IsoDate,
  config: Config,
  maxQuotes: number,
): QuotePlan {
  const { minDte, maxDte, shortDeltaMin, widths, strategies } = config.universe;
  // Each enabled strategy module says which sides of the chain it needs.
  const sides = quoteSides(strategies);
  const wantPuts = sides.puts;
  const wantCalls = sides.calls;
  // At the money (iron butterfly): both rights at the strikes either side of spot, so the short put and
  // call can share one strike whichever side of spot it lies.
  const above = chain.strikes.filter((k) => k >= spot);
  const below = chain.strikes.filter((k) => k <= spot);
  const putsUpTo = sides.atTheMoney && above.length > 0 ? Math.min(...above) : spot;
  const callsFrom = sides.atTheMoney && below.length > 0 ? Math.max(...below) : spot;
  const maxWidth = Math.max(...widths);
  const z = inverseNormal(1 - shortDeltaMin) * 1.25;
  const sweetSpot = (config.scoring.dteFullMin + config.scoring.dteFullMax) / 2;
  const eligible = chain.expirations
    .map((expiry) => ({ expiry, dte: daysToExpiry(tradeDate, expiry) }))
    .filter((e) => e.dte >= minDte && e.dte <= maxDte)
    .sort((a, b) => Math.abs(a.dte - sweetSpot) - Math.abs(b.dte - sweetSpot) || a.dte - b.dte);
  const expiries: IsoDate[] = [];
  const contracts: OptionContract[] = [];
  for (const { expiry, dte } of eligible) {
    const reach = Math.min(Math.exp(z * vol * Math.sqrt(Math.max(dte, 1) / 365)) - 1, MAX_STRIKE_DISTANCE);
    const lowest = Math.max(spot * (1 - reach) - maxWidth, spot * (1 - MAX_STRIKE_DISTANCE));
    const highest = Math.min(spot * (1 + reach) + maxWidth, spot * (1 + MAX_STRIKE_DISTANCE));
    const puts: OptionContract[] = [];
    const calls: OptionContract[] = [];
    for (const strike of chain.strikes) {
      const base = { symbol: chain.symbol, expiry, strike, multiplier: chain.multiplier };
      if (wantPuts && strike >= lowest && strike <= putsUpTo) puts.push({ ...base, right: 'P' });
      if (wantCalls && strike <= highest && strike >= callsFrom) calls.push({ ...base, right: 'C' });
    }
    if (contracts.length + puts.length + calls.length <= maxQuotes) {
      expiries.push(expiry);
      contracts.push(...puts, ...calls);
    } else if (contracts.length === 0 && maxQuotes > 0) {
      // Not even the best expiry fits whole: its middle strikes rather than no analysis at all.
      const cut = middleOfWindows(puts, (lowest + spot) / 2, calls, (spot + highest) / 2, maxQuotes);
      if (cut.length > 0) {
        expiries.push(expiry);
        contracts.push(...cut);
      }
      break;
    }
  }
  return { expiries: expiries.sort(), contracts };
}

/** At most `budget` of the puts and calls, shared evenly, each side's nearest its window's middle. */
function middleOfWindows(
  puts: readonly OptionContract[],
  putMiddle: number,
  calls: readonly OptionContract[],
  callMiddle: number,
  budget: number,
): OptionContract[] {
  const byCloseness = (side: readonly OptionContract[], middle: number) =>
    [...side].sort((a, b) => Math.abs(a.strike - middle) - Math.abs(b.strike - middle));
  const putsFirst = byCloseness(puts, putMiddle);
  const callsFirst = byCloseness(calls, callMiddle);
  // An even split, and what one side cannot use goes to the other.
  const putShare = Math.min(putsFirst.length, Math.max(Math.ceil(budget / 2), budget - callsFirst.length));
  const callShare = Math.min(callsFirst.length, budget - putShare);
  return [...putsFirst.slice(0, putShare), ...callsFirst.slice(0, callShare)].sort(
    (a, b) => a.right.localeCompare(b.right) || a.strike - b.strike,
  );
}
