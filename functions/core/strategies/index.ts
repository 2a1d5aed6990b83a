// Strategy builders (trading rules, "Strategies" and "Candidate search"): every candidate of every
// enabled kind the chain allows, each kind from its own module (see registry.ts), and a candidate
// priced again from fresh quotes by the builder that made it.
import type { Config } from '../config';
import type { Candidate, OptionChain, OptionContract, OptionQuote } from '../types';
import { daysToExpiry, yearsToExpiry } from '../chain';
import { buildBearCalls } from './bear-call';
import { buildBullPuts } from './bull-put';
import { STRATEGIES } from './registry';
import type { BuildContext, VerticalSource } from './shared';

export { buildBullPuts } from './bull-put';
export { buildBearCalls } from './bear-call';
export { buildIronCondors } from './iron-condor';
export { buildIronButterflies } from './iron-butterfly';
export * from './registry';
export type { BuildContext, HeldOptionLeg, StrategyModule } from './shared';

/** Every candidate of every strategy enabled in `config.universe.strategies`, in registry order. */
export function buildCandidates(chain: OptionChain, config: Config, ctx: BuildContext): Candidate[] {
  const enabled = new Set(config.universe.strategies);
  // Built at most once, and only when an enabled kind asks: the condor pairs the spreads' own candidates.
  let puts: Candidate[] | undefined;
  let calls: Candidate[] | undefined;
  const verticals: VerticalSource = {
    puts: () => (puts ??= buildBullPuts(chain, config, ctx)),
    calls: () => (calls ??= buildBearCalls(chain, config, ctx)),
  };
  const out: Candidate[] = [];
  for (const strategy of STRATEGIES) {
    if (!enabled.has(strategy.kind)) continue;
    for (const c of strategy.build(chain, config, ctx, verticals)) out.push(c);
  }
  return out;
}

/** The quotes a candidate is rebuilt from: one per leg, in the candidate's leg order, and the spot. */
export interface FreshQuotes {
  underlyingPrice: number;
  legs: readonly OptionQuote[];
}

export type RebuildResult = { ok: true; candidate: Candidate } | { ok: false; reason: string };

const sameOption = (a: OptionContract, b: OptionContract) =>
  a.symbol === b.symbol &&
  a.expiry === b.expiry &&
  a.right === b.right &&
  a.strike === b.strike &&
  (a.conId === undefined || b.conId === undefined || a.conId === b.conId);

/**
 * `candidate` rebuilt from fresh quotes by the builders the analysis uses: credits (mid and natural),
 * max profit and loss, breakevens, POP and expected value from the new quotes and spot; DTE and time to
 * expiry from `ctx`. The search windows (DTE, short delta) are not applied here: the hard filters and
 * the score judge the rebuilt candidate as they judged the original. Refused with a reason: a quote of
 * another contract, a short leg with no volatility for POP, or a credit that is none or at least the width
 * (the builders drop those too).
 */
export function rebuildCandidate(
  candidate: Candidate,
  fresh: FreshQuotes,
  config: Config,
  ctx: BuildContext,
): RebuildResult {
  const fail = (reason: string): RebuildResult => ({ ok: false, reason });
  const { legs } = candidate;
  if (fresh.legs.length !== legs.length)
    return fail(`${fresh.legs.length} fresh quotes for ${legs.length} legs`);
  for (const [i, quote] of fresh.legs.entries()) {
    const want = legs[i]!.contract;
    if (!sameOption(quote.contract, want)) {
      const c = quote.contract;
      return fail(
        `fresh quote ${i + 1} is for ${c.right}${c.strike} ${c.expiry}, not ${want.right}${want.strike} ${want.expiry}`,
      );
    }
  }
  const spot = fresh.underlyingPrice;
  if (!(spot > 0) || !Number.isFinite(spot)) return fail(`underlying price ${spot} is not usable`);
  const rate = config.universe.riskFreeRate;
  const years = yearsToExpiry(ctx.now, candidate.expiry);
  const dte = daysToExpiry(ctx.tradeDate, candidate.expiry);
  const strategy = STRATEGIES.find((s) => s.kind === candidate.strategy);
  if (!strategy) return fail(`no strategy module builds ${String(candidate.strategy)}`);
  const rebuilt = strategy.rebuild({
    candidate,
    legs: fresh.legs,
    spot,
    years,
    dte,
    rate,
  });
  if (typeof rebuilt === 'string') return fail(rebuilt);
  const credit = rebuilt.creditMid.toFixed(2);
  if (!(rebuilt.creditMid > 0)) return fail(`no credit: the fresh mid credit is ${credit}`);
  if (rebuilt.creditMid >= rebuilt.width) {
    return fail(
      `the fresh mid credit ${credit} is at or above the width ${rebuilt.width}: the quotes promise a riskless profit (bad data)`,
    );
  }
  // Same legs, same builder: the id cannot differ unless the candidate was not built by this module.
  if (rebuilt.id !== candidate.id) return fail(`rebuilt as ${rebuilt.id}, not ${candidate.id}`);
  return { ok: true, candidate: rebuilt };
}
