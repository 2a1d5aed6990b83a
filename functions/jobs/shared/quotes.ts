// From the bridge's quotes to the core's types. The bridge already replaced IB's sentinels by absent
// fields; the core's validation (validateOptionQuote) still decides what is usable, so one set of rules
// judges every quote.
import type { BrokerQuote, QuoteRequest } from '#adapters/bridge-client';
import { validateOptionQuote, validateUnderlyingQuote } from '#core/chain';
import type { QuoteValidation, RawOptionQuote } from '#core/chain';
import type { OptionContract, OptionQuote, UnderlyingQuote } from '#core/types';

/** The contract a quote belongs to, preferring what IB reported over what was asked. */
export function optionContractOf(quote: BrokerQuote, asked?: OptionContract): OptionContract | undefined {
  const c = quote.contract;
  const symbol = c.symbol ?? asked?.symbol;
  const expiry = c.expiry ?? asked?.expiry;
  const strike = c.strike ?? asked?.strike;
  const right = c.right ?? asked?.right;
  if (!symbol || !expiry || strike === undefined || !right) return undefined;
  const conId = c.conId ?? asked?.conId;
  return {
    symbol,
    expiry,
    strike,
    right,
    multiplier: c.multiplier ?? asked?.multiplier ?? 100,
    ...(conId === undefined ? {} : { conId }),
  };
}

export function rawOptionQuote(quote: BrokerQuote, contract: OptionContract): RawOptionQuote {
  return {
    contract,
    bid: quote.bid,
    ask: quote.ask,
    last: quote.last,
    iv: quote.iv,
    delta: quote.delta,
    gamma: quote.gamma,
    theta: quote.theta,
    vega: quote.vega,
    openInterest: quote.openInterest,
    volume: quote.volume,
    timestamp: quote.timestamp,
  };
}

/** Delayed data is minutes old whatever its timestamp says: never a price or a decision input. */
export const DELAYED_REASON = 'delayed market data (no real-time subscription): not used';

/** Validates one option quote from the bridge; an IB error on the contract is a rejection too. */
export function checkOptionQuote(
  quote: BrokerQuote,
  now: number,
  maxAgeSeconds: number,
  asked?: OptionContract,
): QuoteValidation<OptionQuote> {
  const contract = optionContractOf(quote, asked);
  if (!contract) return { ok: false, reasons: ['the bridge did not say which option this is'] };
  if (quote.error) return { ok: false, reasons: [`IB error ${quote.error.code}: ${quote.error.message}`] };
  if (quote.delayed) return { ok: false, reasons: [DELAYED_REASON] };
  return validateOptionQuote(rawOptionQuote(quote, contract), now, maxAgeSeconds);
}

export function checkUnderlyingQuote(
  quote: BrokerQuote,
  symbol: string,
  now: number,
  maxAgeSeconds: number,
): QuoteValidation<UnderlyingQuote> {
  if (quote.error) return { ok: false, reasons: [`IB error ${quote.error.code}: ${quote.error.message}`] };
  if (quote.delayed) return { ok: false, reasons: [DELAYED_REASON] };
  return validateUnderlyingQuote(
    { symbol, last: quote.last, bid: quote.bid, ask: quote.ask, timestamp: quote.timestamp },
    now,
    maxAgeSeconds,
  );
}

/** What to ask the bridge for an option: by conId when known (no contract lookup), else described. */
export function optionQuoteRequest(contract: OptionContract): QuoteRequest {
  return contract.conId !== undefined
    ? { secType: 'OPT', conId: contract.conId }
    : {
        secType: 'OPT',
        symbol: contract.symbol,
        expiry: contract.expiry,
        strike: contract.strike,
        right: contract.right,
      };
}

export function stockQuoteRequest(symbol: string): QuoteRequest {
  return { secType: 'STK', symbol };
}
