// The quotes an entry order would be priced from, read just before it, and the candidate's legs as the
// order workflow prices them.
import type { PricedSpreadLeg } from '#core/orders';
import type { FreshQuotes } from '#core/strategies/index';
import type { OptionQuote, ScoredCandidate } from '#core/types';
import type { RunContext } from '../shared/define-job';
import {
  checkOptionQuote,
  checkUnderlyingQuote,
  optionQuoteRequest,
  stockQuoteRequest,
} from '../shared/quotes';

/**
 * The quotes an order for `candidate` would be priced from, read now: its legs (in its leg order) and
 * the underlying; the reason when one is unusable (missing, stale, delayed, no conId).
 */
export async function refreshQuotes(
  ctx: RunContext,
  candidate: ScoredCandidate,
): Promise<{ ok: true; fresh: FreshQuotes } | { ok: false; reason: string }> {
  const quotes = await ctx.bridge.quotes([
    ...candidate.legs.map((l) => optionQuoteRequest(l.contract)),
    stockQuoteRequest(candidate.symbol),
  ]);
  const now = ctx.clock.now();
  const maxAge = ctx.config.filters.maxQuoteAgeSeconds;
  const legs: OptionQuote[] = [];
  for (const [i, leg] of candidate.legs.entries()) {
    const quote = quotes[i];
    const checked = quote && checkOptionQuote(quote, now, maxAge, leg.contract);
    if (!checked || !checked.ok) {
      return {
        ok: false,
        reason: `fresh quote for ${leg.contract.right}${leg.contract.strike} unusable: ${checked && !checked.ok ? checked.reasons.join('; ') : 'missing'}`,
      };
    }
    if (leg.contract.conId === undefined)
      return { ok: false, reason: `leg ${leg.contract.right}${leg.contract.strike} has no conId` };
    legs.push(checked.quote);
  }
  const stock = quotes[candidate.legs.length];
  const underlying = stock && checkUnderlyingQuote(stock, candidate.symbol, now, maxAge);
  if (!underlying || !underlying.ok) {
    return {
      ok: false,
      reason: `fresh ${candidate.symbol} quote unusable: ${underlying && !underlying.ok ? underlying.reasons.join('; ') : 'missing'}`,
    };
  }
  return { ok: true, fresh: { underlyingPrice: underlying.quote.price, legs } };
}

/** The legs of a (re-quoted) candidate as the order workflow prices them. */
export function pricedLegs(candidate: ScoredCandidate): PricedSpreadLeg[] {
  return candidate.legs.map((l) => ({
    conId: l.contract.conId!,
    held: l.action === 'SELL' ? 'SHORT' : 'LONG',
    ratio: l.ratio,
    quote: l.quote,
  }));
}
