// Quote faults the tests inject into the simulator (missing, sentinel, stale quotes): what a client
// sees of a contract's quote under its fault. The market itself is untouched (fills use raw quotes).
import type { SimQuote } from '../engine-api';
import { STALE_AGE_MS } from './engine-options';
import type { QuoteFault } from './engine-options';
import type { BaseContract } from './instruments';
import type { World } from './world';

/** The fault set for the contract itself, else for its symbol, else for everything. */
export function faultFor(world: World, contract: BaseContract): QuoteFault | undefined {
  return (
    world.quoteFaults.get(String(contract.conId)) ??
    world.quoteFaults.get(contract.symbol) ??
    world.quoteFaults.get('all')
  );
}

/**
 * The quote clients see under the contract's fault: `missing` has no fields, `sentinel` IB's no-value
 * markers, `stale` the quote frozen when the fault was first seen (dated STALE_AGE_MS back); no fault,
 * the market's own.
 */
export function faultedQuote(world: World, conId: number): SimQuote | undefined {
  const contract = world.lookup(conId);
  if (!contract) return undefined;
  const fault = faultFor(world, contract);
  if (fault !== 'stale') world.frozen.delete(conId);
  switch (fault) {
    case 'missing':
      return { time: world.now };
    case 'sentinel':
      // IB's "no value" markers: −1 for prices and IV, −2 for greeks (the client decodes them as-is).
      return {
        bid: -1,
        ask: -1,
        last: -1,
        bidSize: 0,
        askSize: 0,
        greeks:
          contract.secType === 'OPT'
            ? {
                impliedVol: -1,
                delta: -2,
                gamma: -2,
                vega: -2,
                theta: -2,
                optPrice: -1,
                pvDividend: -1,
                undPrice: -1,
              }
            : undefined,
        time: world.now,
      };
    case 'stale': {
      let frozen = world.frozen.get(conId);
      if (!frozen) {
        frozen = { ...structuredClone(world.rawQuote(conId)!), time: world.now - STALE_AGE_MS };
        world.frozen.set(conId, frozen);
      }
      return structuredClone(frozen);
    }
    default: {
      const raw = world.rawQuote(conId);
      return raw && structuredClone(raw);
    }
  }
}
