// Quote → tick messages, pure: which ticks a quote makes (live or delayed tick types), a combo's quote
// from its legs', and the market data type a line carries. The market-data lines send only changes.

import type { SimAction, SimContract, SimQuote } from '../engine-api';
import * as enc from './encode';
import type { WireField } from './wire';

/** Live tick type → delayed tick type (reqMarketDataType 3/4). */
const DELAYED: Record<number, number> = {
  0: 69,
  1: 66,
  2: 67,
  3: 70,
  4: 68,
  5: 71,
  6: 72,
  7: 73,
  8: 74,
  9: 75,
};
const DELAYED_COMPUTATION: Record<number, number> = { 10: 80, 11: 81, 12: 82, 13: 83 };

/** The market data type a line carries: its connection's, moved to delayed (1→3, 2→4) by `delayedData`. */
export function lineDataType(connectionType: number, delayedOnly: boolean | undefined): number {
  return delayedOnly && connectionType < 3 ? connectionType + 2 : connectionType;
}

export interface ComboLegQuoteSource {
  contract: Pick<SimContract, 'conId'>;
  ratio: number;
  action: SimAction;
}

/** A combo's price is the signed sum of its legs': BUY legs +, SELL legs −; none while a leg lacks one. */
export function comboQuote(
  legs: readonly ComboLegQuoteSource[],
  quoteOf: (conId: number) => SimQuote | undefined,
): SimQuote | undefined {
  let bid = 0;
  let ask = 0;
  let time = 0;
  for (const leg of legs) {
    const q = quoteOf(leg.contract.conId);
    if (!q || q.bid === undefined || q.ask === undefined) return undefined;
    if (leg.action === 'BUY') {
      bid += leg.ratio * q.bid;
      ask += leg.ratio * q.ask;
    } else {
      bid -= leg.ratio * q.ask;
      ask -= leg.ratio * q.bid;
    }
    time = Math.max(time, q.time);
  }
  return { bid, ask, time };
}

/** One tick message; `key` names its slot and `signature` its value, so a line resends only changes. */
export interface Tick {
  key: string;
  signature: string;
  fields: WireField[];
}

export interface TickOptions {
  /** Delayed tick types (market data type 3 or 4). */
  delayed: boolean;
  /** The line's single contract (none for a combo). */
  contract?: Pick<SimContract, 'secType' | 'right'>;
  genericTicks: ReadonlySet<string>;
}

/** Every tick a quote makes, in the order IB sends them. */
export function quoteTicks(reqId: number, q: SimQuote, options: TickOptions): Tick[] {
  const { delayed, contract, genericTicks } = options;
  const ticks: Tick[] = [];
  const t = (type: number): number => (delayed ? (DELAYED[type] ?? type) : type);
  const priceTick = (
    type: number,
    value: number | undefined,
    size: number | undefined,
    attr: number,
  ): void => {
    if (value === undefined) return;
    ticks.push({
      key: `p${type}`,
      signature: String(value),
      fields: enc.tickPrice(reqId, t(type), value, size ?? 0, attr),
    });
  };
  // Sizes also go out on their own: they change without the price, and the client drops the size
  // that rides with a bid (BID_SIZE is tick type 0, which it tests as falsy).
  const sizeTick = (type: number, size: number | undefined): void => {
    if (size === undefined) return;
    ticks.push({ key: `s${type}`, signature: String(size), fields: enc.tickSize(reqId, t(type), size) });
  };
  priceTick(1, q.bid, q.bidSize, 1);
  priceTick(2, q.ask, q.askSize, 1);
  priceTick(4, q.last, q.lastSize, 0);
  priceTick(6, q.high, 0, 0);
  priceTick(7, q.low, 0, 0);
  priceTick(9, q.close, 0, 0);
  sizeTick(0, q.bidSize);
  sizeTick(3, q.askSize);
  sizeTick(5, q.lastSize);
  sizeTick(8, q.volume);
  if (q.openInterest !== undefined && contract?.secType === 'OPT' && genericTicks.has('101')) {
    const type = contract.right === 'C' ? 27 : 28;
    ticks.push({
      key: `s${type}`,
      signature: String(q.openInterest),
      fields: enc.tickSize(reqId, type, q.openInterest),
    });
  }
  const g = q.greeks;
  if (g) {
    const computation = (type: number, optPrice: number | undefined): void => {
      if (optPrice === undefined) return;
      const values: enc.OptionComputation = { ...g, optPrice };
      const tickType = delayed ? (DELAYED_COMPUTATION[type] ?? type) : type;
      ticks.push({
        key: `c${type}`,
        signature: JSON.stringify(values),
        fields: enc.tickOptionComputation(reqId, tickType, values),
      });
    };
    computation(10, q.bid);
    computation(11, q.ask);
    computation(12, q.last);
    computation(13, g.optPrice);
  }
  return ticks;
}
