// IB's market-data ticks, decoded into a quote (pure). IB numbers every tick by its type; the table
// below names the ones the bridge reads (names as IB's own TickType) and says what each becomes.

import { EventName } from '@stoqey/ib';
import type { Quote } from '../../contract';
import {
  computedPriceOrAbsent,
  deltaOrAbsent,
  greekOrAbsent,
  priceOrAbsent,
  sizeOrAbsent,
} from '../../sentinels';

/** Which tick message carries the type: tickPrice, tickSize or tickOptionComputation. */
export type TickKind = 'price' | 'size' | 'optionComputation';
export type TickField = 'bid' | 'ask' | 'last' | 'close' | 'bidSize' | 'askSize' | 'volume' | 'openInterest';
export type GreekField = 'iv' | 'delta' | 'gamma' | 'theta' | 'vega' | 'underlyingPrice';

export interface TickTypeRow {
  id: number;
  name: string;
  kind: TickKind;
  /** The quote field it fills; none for types the bridge only recognises (high, low, open, last size). */
  field?: TickField;
  /** IB's delayed variant (account without a real-time subscription): the quote says `delayed`. */
  delayed: boolean;
  /** The model's option computation, preferred over the bid/ask/last ones. */
  model?: boolean;
}

const row = (
  id: number,
  name: string,
  kind: TickKind,
  field?: TickField,
  flags: { delayed?: boolean; model?: boolean } = {},
): TickTypeRow => ({
  id,
  name,
  kind,
  ...(field ? { field } : {}),
  delayed: flags.delayed ?? false,
  ...(flags.model ? { model: true } : {}),
});
const delayed = { delayed: true };

export const TICK_TYPES: readonly TickTypeRow[] = [
  row(0, 'BID_SIZE', 'size', 'bidSize'),
  row(1, 'BID', 'price', 'bid'),
  row(2, 'ASK', 'price', 'ask'),
  row(3, 'ASK_SIZE', 'size', 'askSize'),
  row(4, 'LAST', 'price', 'last'),
  row(5, 'LAST_SIZE', 'size'),
  row(6, 'HIGH', 'price'),
  row(7, 'LOW', 'price'),
  row(8, 'VOLUME', 'size', 'volume'),
  row(9, 'CLOSE', 'price', 'close'),
  row(10, 'BID_OPTION', 'optionComputation'),
  row(11, 'ASK_OPTION', 'optionComputation'),
  row(12, 'LAST_OPTION', 'optionComputation'),
  row(13, 'MODEL_OPTION', 'optionComputation', undefined, { model: true }),
  row(14, 'OPEN', 'price'),
  row(22, 'OPEN_INTEREST', 'size', 'openInterest'),
  // generic tick 101 answers with these two on an option
  row(27, 'OPTION_CALL_OPEN_INTEREST', 'size', 'openInterest'),
  row(28, 'OPTION_PUT_OPEN_INTEREST', 'size', 'openInterest'),
  row(66, 'DELAYED_BID', 'price', 'bid', delayed),
  row(67, 'DELAYED_ASK', 'price', 'ask', delayed),
  row(68, 'DELAYED_LAST', 'price', 'last', delayed),
  row(69, 'DELAYED_BID_SIZE', 'size', 'bidSize', delayed),
  row(70, 'DELAYED_ASK_SIZE', 'size', 'askSize', delayed),
  row(71, 'DELAYED_LAST_SIZE', 'size', undefined, delayed),
  row(72, 'DELAYED_HIGH', 'price', undefined, delayed),
  row(73, 'DELAYED_LOW', 'price', undefined, delayed),
  row(74, 'DELAYED_VOLUME', 'size', 'volume', delayed),
  row(75, 'DELAYED_CLOSE', 'price', 'close', delayed),
  row(76, 'DELAYED_OPEN', 'price', undefined, delayed),
  row(80, 'DELAYED_BID_OPTION', 'optionComputation', undefined, delayed),
  row(81, 'DELAYED_ASK_OPTION', 'optionComputation', undefined, delayed),
  row(82, 'DELAYED_LAST_OPTION', 'optionComputation', undefined, delayed),
  row(83, 'DELAYED_MODEL_OPTION', 'optionComputation', undefined, { delayed: true, model: true }),
  row(86, 'FUTURES_OPEN_INTEREST', 'size', 'openInterest'),
];

const BY_ID = new Map(TICK_TYPES.map((r) => [r.id, r]));

/** The named row of an IB tick type number (undefined for types the bridge ignores). */
export function tickType(id: number): TickTypeRow | undefined {
  return BY_ID.get(id);
}

/** IB's marketDataType: 1 live, 2 frozen, 3 delayed, 4 delayed-frozen. */
export function isDelayedMarketDataType(type: unknown): boolean {
  return Number(type) >= 3;
}

const GREEKS: readonly GreekField[] = ['iv', 'delta', 'gamma', 'theta', 'vega'];

/** The ticks of one market-data line, accumulated into quote fields. */
export class QuoteTicks {
  readonly fields: Partial<Record<TickField, number>> = {};
  readonly greeks: Partial<Record<GreekField, number>> = {};
  /** A delayed tick type or a delayed market-data type was seen: the whole quote is delayed. */
  delayed = false;
  private modelSeen = false;

  /**
   * Takes one event of the line (`args` as the client library emits them, request id first).
   * True when it may have completed the quote.
   */
  apply(event: string, args: readonly unknown[]): boolean {
    if (event === EventName.tickPrice) return this.tick('price', args[1] as number, priceOrAbsent(args[2]));
    if (event === EventName.tickSize) return this.tick('size', args[1] as number, sizeOrAbsent(args[2]));
    if (event === EventName.tickOptionComputation) {
      const [, field, , iv, delta, , , gamma, vega, theta, undPrice] = args as number[];
      return this.optionComputation(field, { iv, delta, gamma, vega, theta, undPrice });
    }
    if (event === EventName.marketDataType && isDelayedMarketDataType(args[1])) this.delayed = true;
    return false;
  }

  /** Bid and ask (an index: last or close), and for options every greek. */
  complete(secType: string | undefined, needsGreeks: boolean): boolean {
    const f = this.fields;
    const hasPrices =
      secType === 'IND'
        ? f.last !== undefined || f.close !== undefined
        : f.bid !== undefined && f.ask !== undefined;
    if (!hasPrices) return false;
    return !needsGreeks || GREEKS.every((k) => this.greeks[k] !== undefined);
  }

  /** The quote fields so far (prices and sizes, then greeks). */
  quoteFields(): Omit<Quote, 'contract' | 'timestamp' | 'stale'> {
    return { ...this.fields, ...this.greeks };
  }

  private tick(kind: 'price' | 'size', id: number, value: number | undefined): boolean {
    const type = tickType(id);
    // a delayed type marks the quote even when its value is one of IB's placeholders
    if (type?.delayed && type.kind !== 'optionComputation') this.delayed = true;
    if (value === undefined) return false;
    if (type?.kind === kind && type.field) this.fields[type.field] = value;
    return true;
  }

  private optionComputation(
    id: number | undefined,
    c: { iv?: number; delta?: number; gamma?: number; vega?: number; theta?: number; undPrice?: number },
  ): boolean {
    const type = id === undefined ? undefined : tickType(id);
    if (type?.delayed && type.kind === 'optionComputation') this.delayed = true;
    const isModel = type?.model === true;
    // prefer the model computation; bid/ask/last computations only fill gaps until it comes
    if (!isModel && this.modelSeen) return false;
    if (isModel) this.modelSeen = true;
    this.set('iv', computedPriceOrAbsent(c.iv));
    this.set('delta', deltaOrAbsent(c.delta));
    this.set('gamma', greekOrAbsent(c.gamma));
    this.set('vega', greekOrAbsent(c.vega));
    this.set('theta', greekOrAbsent(c.theta));
    this.set('underlyingPrice', computedPriceOrAbsent(c.undPrice));
    return true;
  }

  private set(key: GreekField, v: number | undefined): void {
    if (v !== undefined) this.greeks[key] = v;
  }
}
