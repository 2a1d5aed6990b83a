// The monitor's market snapshot: the quotes as the decision engine reads them, and the nearby strikes
// that give a position in danger its model price when a leg's own quote is unusable.
import type { BrokerQuote } from '#adapters/bridge-client';
import type { PositionRecord } from '#adapters/ports';
import { legKey } from '#core/chain';
import { ivSourceStrikes } from '#core/model-price';
import { legQuoteProblem } from '#core/pnl';
import type { OptionContract, OptionQuote } from '#core/types';
import type { RunContext } from '../shared/define-job';
import { optionContractOf, optionQuoteRequest, rawOptionQuote } from '../shared/quotes';
import { errorMessage } from '../shared/errors';

/** The snapshot's quote: leniently converted so the decision engine's data guard names what is wrong. */
export function leniantQuote(
  quote: BrokerQuote | undefined,
  contract: OptionContract,
): OptionQuote | undefined {
  if (!quote || quote.error) return undefined;
  const raw = rawOptionQuote(quote, optionContractOf(quote, contract) ?? contract);
  return {
    ...raw,
    bid: raw.bid ?? Number.NaN,
    ask: raw.ask ?? Number.NaN,
    // Delayed data stays flagged: the core never prices, decides or takes an IV from it.
    ...(quote.delayed ? { delayed: true } : {}),
  } as OptionQuote;
}

/**
 * Quotes of the listed strikes nearest each leg whose snapshot quote is unusable (same expiry and
 * right), for the model price of a position in danger (decision rule 1). Only asked when a leg's quote
 * is unusable, so it is a second, small request (plus the bridge's cached chain of the symbol); when
 * it fails, the position's own quoted legs remain the only IV sources.
 */
export async function nearbyQuotesFor(
  ctx: RunContext,
  positions: readonly PositionRecord[],
  quoteMap: ReadonlyMap<string, OptionQuote | undefined>,
  underlyings: ReadonlyMap<string, unknown>,
  freshness: { now: number; maxAgeSeconds: number },
  reasons: string[],
): Promise<OptionQuote[]> {
  const wanted = new Map<string, OptionContract>();
  const chains = new Map<string, Promise<number[]>>();
  for (const position of positions) {
    // Without a usable underlying price no model price can be had: nothing to ask for.
    if (!underlyings.has(position.symbol)) continue;
    const bad = position.legs.filter((l) => legQuoteProblem(quoteMap.get(legKey(l.contract)), freshness));
    if (bad.length === 0) continue;
    let strikes = chains.get(position.symbol);
    if (!strikes) {
      strikes = ctx.bridge.chain(position.symbol).then((c) => c.strikes);
      chains.set(position.symbol, strikes);
    }
    let listed: number[];
    try {
      listed = await strikes;
    } catch (error) {
      reasons.push(`${position.symbol}: no chain for nearby strikes (${errorMessage(error)})`);
      continue;
    }
    for (const leg of bad) {
      const { contract } = leg;
      const known = new Set(
        position.legs
          .filter((l) => l.contract.expiry === contract.expiry && l.contract.right === contract.right)
          .map((l) => l.contract.strike),
      );
      // The nearest listed strike on each side keeps the market-data lines few (IB allows 100).
      for (const strike of ivSourceStrikes(listed, contract.strike, known, 1)) {
        const near: OptionContract = {
          symbol: contract.symbol,
          expiry: contract.expiry,
          right: contract.right,
          strike,
          multiplier: contract.multiplier,
        };
        wanted.set(legKey(near), near);
      }
    }
  }
  if (wanted.size === 0) return [];
  const contracts = [...wanted.values()];
  try {
    const quotes = await ctx.bridge.quotes(contracts.map(optionQuoteRequest));
    return contracts.flatMap((c, i) => leniantQuote(quotes[i], c) ?? []);
  } catch (error) {
    reasons.push(`nearby strikes not quoted (${errorMessage(error)})`);
    return [];
  }
}
