// Iron condor (trading rules, "Strategies"): a bull put and a bear call of the same expiry, the put's
// short strike below the call's.
import type { Config } from '../config';
import type { Candidate } from '../types';
import { probabilityBetween } from '../pricing';
import { band } from '../curves';
import { heldPutAndCall, infoOf, verticalFrom } from './shared';
import type { BuildContext, StrategyModule, VerticalInfo } from './shared';

/**
 * Every iron condor pairing a bull put with a bear call of the same underlying and expiry whose put
 * short strike is below the call short strike. Wings may differ: max loss uses the wider wing (only
 * one side can finish in the money), breakevens use the total credit, and POP is the chance of
 * ending between them, each side with its short leg's IV.
 */
export function buildIronCondors(
  puts: readonly Candidate[],
  calls: readonly Candidate[],
  config: Config,
  ctx: BuildContext,
): Candidate[] {
  const rate = config.universe.riskFreeRate;
  const groupKey = (c: Candidate) => `${c.symbol}|${c.expiry}`;
  const callsByGroup = new Map<string, VerticalInfo[]>();
  for (const c of calls) {
    if (c.strategy !== 'BEAR_CALL') continue;
    const info = infoOf(c, config, ctx);
    if (!info) continue;
    const key = groupKey(c);
    let list = callsByGroup.get(key);
    if (!list) callsByGroup.set(key, (list = []));
    list.push(info);
  }
  for (const list of callsByGroup.values()) list.sort((a, b) => a.shortStrike - b.shortStrike);

  const out: Candidate[] = [];
  for (const p of puts) {
    if (p.strategy !== 'BULL_PUT') continue;
    const callList = callsByGroup.get(groupKey(p));
    if (!callList) continue;
    const put = infoOf(p, config, ctx);
    if (!put) continue;
    // Calls are sorted by short strike: skip straight to the first one above the put's short strike.
    let lo = 0;
    let hi = callList.length;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (callList[m]!.shortStrike <= put.shortStrike) lo = m + 1;
      else hi = m;
    }
    for (let i = lo; i < callList.length; i++) {
      const call = callList[i]!;
      if (p.creditMid + call.candidate.creditMid >= Math.max(p.width, call.candidate.width)) continue;
      out.push(condor(put, call, rate));
    }
  }
  return out;
}

/**
 * One iron condor from its put and call verticals. Wings may differ: max loss uses the wider wing (only
 * one side can finish in the money), breakevens use the total credit, and POP is the chance of ending
 * between them, each side with its short leg's IV. No credit check: the callers decide what to keep.
 */
function condor(put: VerticalInfo, call: VerticalInfo, rate: number): Candidate {
  const p = put.candidate;
  const c = call.candidate;
  const credit = p.creditMid + c.creditMid;
  const width = Math.max(p.width, c.width);
  const lower = put.shortStrike - credit;
  const upper = call.shortStrike + credit;
  const pop = probabilityBetween({
    spot: p.underlyingPrice,
    // A lower breakeven below zero (tiny strikes, wide call wing) just means the put side cannot lose.
    lower: Math.max(0, lower),
    upper,
    years: put.years,
    rate,
    volLower: put.shortIv,
    volUpper: call.shortIv,
  });
  const multiplier = p.legs[0]!.contract.multiplier;
  const maxProfitUsd = credit * multiplier;
  const maxLossUsd = (width - credit) * multiplier;
  return {
    id: `${p.symbol}:IRON_CONDOR:${p.expiry}:${put.idPart}:${call.idPart}`,
    strategy: 'IRON_CONDOR',
    symbol: p.symbol,
    expiry: p.expiry,
    dte: p.dte,
    legs: [p.legs[0]!, p.legs[1]!, c.legs[0]!, c.legs[1]!],
    width,
    creditMid: credit,
    creditNatural: p.creditNatural + c.creditNatural,
    maxProfitUsd,
    maxLossUsd,
    breakevens: [lower, upper],
    pop,
    // Same all-or-nothing simplification as the verticals.
    expectedValueUsd: pop * maxProfitUsd - (1 - pop) * maxLossUsd,
    underlyingPrice: p.underlyingPrice,
  };
}

export const ironCondor: StrategyModule<'IRON_CONDOR'> = {
  kind: 'IRON_CONDOR',
  label: 'iron condor',
  enabledByDefault: true,
  quotes: { puts: true, calls: true },
  build: (_chain, config, ctx, verticals) =>
    buildIronCondors(verticals.puts(), verticals.calls(), config, ctx),
  rebuild(input) {
    if (input.legs.length !== 4) return `an iron condor has 4 legs, not ${input.legs.length}`;
    const put = verticalFrom(input, 'BULL_PUT', 0);
    if (typeof put === 'string') return put;
    const call = verticalFrom(input, 'BEAR_CALL', 2);
    if (typeof call === 'string') return call;
    return condor(put, call, input.rate);
  },
  // Full in the range [down, up]; its "opposite trend" is a strong trend either way, so it falls linearly
  // to zero at the extreme percentiles (0 and 100), half marks halfway between the band edge and the extreme.
  trendFit: (p, down, up) => band(p, 0, down, up, 100),
  recognises(legs) {
    const sides = heldPutAndCall(legs);
    // Both shorts at one strike is an iron butterfly, not a condor.
    return sides !== undefined && sides.put.short.contract.strike !== sides.call.short.contract.strike;
  },
};
