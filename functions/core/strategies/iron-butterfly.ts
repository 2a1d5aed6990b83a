// Iron butterfly: sell a put and a call at ONE strike near the money, buy a put w below and a call w
// above. Defined risk like the condor it resembles: credit c = both sides' mid credits, max profit c·100·q,
// max loss (w − c)·100·q, breakevens K − c and K + c. The trading rules do not name it; where they are
// silent this module chooses, and says so:
// - the short strike is the listed strike nearest spot (ties: the lower) with a put and a call quoted,
//   NOT a strike from the short-delta window: an at-the-money short has |delta| ≈ 0.50 by design;
// - the wings are the allowed widths (`universe.widths`), the same on both sides;
// - hard filters and score are the condor's, unchanged (credit/width, credit, leg spreads, events...);
//   so the short-delta factor, whose zero is at 0.40, scores it 0: the ATM short is where the rules see
//   the most risk, and the butterfly has to earn its entry on the other factors;
// - trend fit is the condor's: it earns the most when the underlying stays in its range.
import type { Config } from '../config';
import type { Candidate, OptionChain, OptionQuote } from '../types';
import { findQuote, mid, yearsToExpiry } from '../chain';
import { probabilityBetween } from '../pricing';
import { ironCondor } from './iron-condor';
import { heldPutAndCall, leg, noVol, quoteVol, quotesByExpiry, roundStrike } from './shared';
import type { BuildContext, StrategyModule } from './shared';

interface Wings {
  shortPut: OptionQuote;
  longPut: OptionQuote;
  shortCall: OptionQuote;
  longCall: OptionQuote;
}

/**
 * One iron butterfly from its four quotes, or why not (a short leg with no volatility for POP). POP is
 * the chance of ending between the breakevens, each side with its short leg's IV. No credit check: the
 * callers decide what to keep.
 */
function butterfly(
  { shortPut, longPut, shortCall, longCall }: Wings,
  at: { spot: number; years: number; dte: number; rate: number },
): Candidate | string {
  const { spot, years, rate } = at;
  const putVol = quoteVol(shortPut, spot, years, rate);
  if (putVol === undefined) return noVol(shortPut);
  const callVol = quoteVol(shortCall, spot, years, rate);
  if (callVol === undefined) return noVol(shortCall);
  const strike = shortPut.contract.strike;
  const width = roundStrike(
    Math.max(strike - longPut.contract.strike, longCall.contract.strike - shortCall.contract.strike),
  );
  const credit = mid(shortPut) - mid(longPut) + mid(shortCall) - mid(longCall);
  const lower = strike - credit;
  const upper = shortCall.contract.strike + credit;
  const pop = probabilityBetween({
    spot,
    lower: Math.max(0, lower),
    upper,
    years,
    rate,
    volLower: putVol,
    volUpper: callVol,
  });
  const multiplier = shortPut.contract.multiplier;
  const maxProfitUsd = credit * multiplier;
  const maxLossUsd = (width - credit) * multiplier;
  const c = shortPut.contract;
  return {
    id: `${c.symbol}:IRON_BUTTERFLY:${c.expiry}:P${strike}/${longPut.contract.strike}:C${shortCall.contract.strike}/${longCall.contract.strike}`,
    strategy: 'IRON_BUTTERFLY',
    symbol: c.symbol,
    expiry: c.expiry,
    dte: at.dte,
    // The condor's leg order: put side (short, long), then call side (short, long).
    legs: [leg(shortPut, 'SELL'), leg(longPut, 'BUY'), leg(shortCall, 'SELL'), leg(longCall, 'BUY')],
    width,
    creditMid: credit,
    creditNatural: shortPut.bid - longPut.ask + shortCall.bid - longCall.ask,
    maxProfitUsd,
    maxLossUsd,
    breakevens: [lower, upper],
    pop,
    // The same all-or-nothing simplification as the spreads and the condor: good enough to rank.
    expectedValueUsd: pop * maxProfitUsd - (1 - pop) * maxLossUsd,
    underlyingPrice: spot,
  };
}

/** Every eligible iron butterfly: per expiry in the DTE window, the at-the-money strike and each width. */
export function buildIronButterflies(chain: OptionChain, config: Config, ctx: BuildContext): Candidate[] {
  const spot = chain.underlying.price;
  const rate = config.universe.riskFreeRate;
  const callsOf = new Map(quotesByExpiry(chain, 'C', config, ctx).map((e) => [e.expiry, e.quotes]));
  const out: Candidate[] = [];
  for (const { expiry, dte, quotes: puts } of quotesByExpiry(chain, 'P', config, ctx)) {
    const calls = callsOf.get(expiry);
    if (!calls) continue;
    const callAt = new Map(calls.map((q) => [q.contract.strike, q]));
    let shortPut: OptionQuote | undefined;
    let shortCall: OptionQuote | undefined;
    // Puts are sorted by strike, so a strict `<` keeps the lower of two equally near strikes.
    for (const put of puts) {
      const call = callAt.get(put.contract.strike);
      if (!call) continue;
      if (!shortPut || Math.abs(put.contract.strike - spot) < Math.abs(shortPut.contract.strike - spot)) {
        shortPut = put;
        shortCall = call;
      }
    }
    if (!shortPut || !shortCall) continue;
    const strike = shortPut.contract.strike;
    const years = yearsToExpiry(ctx.now, expiry);
    for (const width of config.universe.widths) {
      const longPut = findQuote(chain, expiry, roundStrike(strike - width), 'P');
      const longCall = findQuote(chain, expiry, roundStrike(strike + width), 'C');
      if (!longPut || !longCall) continue;
      const built = butterfly({ shortPut, longPut, shortCall, longCall }, { spot, years, dte, rate });
      if (typeof built === 'string') continue;
      // As for the spreads: no credit, or a credit at or above the width (bad data), is nothing to rank.
      if (!(built.creditMid > 0) || built.creditMid >= width) continue;
      out.push(built);
    }
  }
  return out;
}

export const ironButterfly: StrategyModule<'IRON_BUTTERFLY'> = {
  kind: 'IRON_BUTTERFLY',
  label: 'iron butterfly',
  // New and riskier at the short strike than a condor: a trader turns it on in `universe.strategies`.
  enabledByDefault: false,
  quotes: { puts: true, calls: true, atTheMoney: true },
  build: (chain, config, ctx) => buildIronButterflies(chain, config, ctx),
  rebuild({ candidate, legs, spot, years, dte, rate }) {
    if (legs.length !== 4) return `an iron butterfly has 4 legs, not ${legs.length}`;
    const shape = candidate.legs.map((l) => `${l.action} ${l.contract.right}`).join(', ');
    if (shape !== 'SELL P, BUY P, SELL C, BUY C')
      return `${candidate.id}: legs are ${shape}, not a short and a long put then a short and a long call`;
    const [shortPut, longPut, shortCall, longCall] = legs as [
      OptionQuote,
      OptionQuote,
      OptionQuote,
      OptionQuote,
    ];
    return butterfly({ shortPut, longPut, shortCall, longCall }, { spot, years, dte, rate });
  },
  // Its shorts sit at the money: the default breach (spot beyond a short strike, |delta| ≥ 0.50) holds from
  // the first minute, so rule 5 closes it only when spot leaves the profit zone (a breakeven).
  breach: 'atBreakevens',
  // The condor's range fit: full inside [down, up], falling to zero at the extreme percentiles.
  trendFit: (p, down, up) => ironCondor.trendFit(p, down, up),
  recognises(legs) {
    const sides = heldPutAndCall(legs);
    return sides !== undefined && sides.put.short.contract.strike === sides.call.short.contract.strike;
  },
};
