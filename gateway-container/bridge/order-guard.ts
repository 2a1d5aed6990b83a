// The bridge's hard limits on orders, whoever asks (issue 13: the last line of defence). Pure functions
// over plain data; the bridge does the I/O (contract details, its own quotes, positions, the day's
// counter) and calls `guardOrder` / `guardModification` before anything goes to IB.
//
// Prices follow the bridge's combo convention (README "Orders"): the combo's price is the signed sum of
// its legs for a BUY of the combo (BUY legs +, SELL legs −); a BUY at L pays L, a SELL at L receives L.

import { accountMode } from '#core/entry';

export type GuardRule =
  | 'TRADING_MODE'
  | 'INSTRUMENT'
  | 'MAX_CONTRACTS_PER_ORDER'
  | 'MAX_CONTRACTS_PER_DAY'
  | 'STOCK_CLOSE_ONLY'
  | 'PRICE_BAND'
  | 'CREDIT_TO_OPEN'
  | 'DEBIT_TO_CLOSE';

export interface GuardRefusal {
  rule: GuardRule;
  /** The rule and the numbers behind the refusal. */
  message: string;
}

export interface OrderLimits {
  /**
   * Contracts per opening order, counted as IB will: Σ legs ratio × quantity (an iron condor of 10 is
   * 40). Closing orders are bounded by what the account holds instead.
   */
  maxContractsPerOrder: number;
  /** Contracts of opening orders placed per New York trade date. */
  maxContractsPerDay: number;
  /** Fraction of the spread's width by which the natural–mid band is widened on each side. */
  priceBandWidthFraction: number;
}

export const DEFAULT_PRICE_BAND_WIDTH_FRACTION = 0.1;
/** Legs of the largest order the jobs send: an iron condor. */
export const MAX_LEGS_PER_ORDER = 4;
/** The day's cap in orders of the largest size: room for every open, its cancels and resubmits. */
export const DAY_CAP_ORDERS = 10;

/**
 * The limits a stack derives from the config's `risk.maxContractsPerTrade` (the local stack and the tests
 * use them as they are; the CDK stack adds its margin): per order an iron condor of that size, per day
 * `DAY_CAP_ORDERS` such orders.
 */
export function limitsForContractsPerTrade(maxContractsPerTrade: number): OrderLimits {
  const maxContractsPerOrder = MAX_LEGS_PER_ORDER * maxContractsPerTrade;
  return {
    maxContractsPerOrder,
    maxContractsPerDay: DAY_CAP_ORDERS * maxContractsPerOrder,
    priceBandWidthFraction: DEFAULT_PRICE_BAND_WIDTH_FRACTION,
  };
}
/** Added to the band on each side so a limit rounded onto the tick in the jobs' favour always fits. */
export const PRICE_BAND_TICK = 0.01;

export type Side = 'BUY' | 'SELL';

export interface GuardLeg {
  conId: number;
  action: Side;
  ratio: number;
}

/** What IB's contract details say about a leg. */
export interface LegContract {
  conId: number;
  secType: string;
  symbol: string;
  right?: 'C' | 'P';
  strike?: number;
}

/** The bridge's own quote of a leg, taken at order time. */
export interface LegQuote {
  bid?: number;
  ask?: number;
}

export interface GuardedOrder {
  legs: GuardLeg[];
  action: Side;
  quantity: number;
  limitPrice: number;
}

export type PositionEffect = 'OPEN' | 'CLOSE';

export interface PriceBand {
  /** What bounds the limit: the bridge's own quotes, or only the spread's width (a leg without a quote). */
  basis: 'quotes' | 'width';
  /** From the bridge's own quotes; undefined when the band is the width alone. */
  mid?: number;
  natural?: number;
  /** Largest strike distance between two legs of one right; undefined for a single leg. */
  width?: number;
  /** What the band is widened by on each side: fraction × width (or × the price for a single leg) + a tick. */
  tolerance: number;
  low: number;
  high: number;
}

const r4 = (x: number): number => Math.round(x * 10_000) / 10_000;

/** Refuses every order when the account IB reports is not of the stack's mode (one rule with the jobs). */
export function checkTradingMode(
  expected: 'paper' | 'live',
  accountId: string | undefined,
): GuardRefusal | undefined {
  if (!accountId)
    return {
      rule: 'TRADING_MODE',
      message: `TRADING_MODE is ${expected} but IB has reported no account yet`,
    };
  const actual = accountMode(accountId);
  if (actual === expected) return undefined;
  return {
    rule: 'TRADING_MODE',
    message: `TRADING_MODE is ${expected} but IB reports a ${actual} account (paper accounts start with DU): every order is refused`,
  };
}

/** Contracts of the order as IB counts them: every leg's ratio × the quantity. */
export function contractsOf(order: Pick<GuardedOrder, 'legs' | 'quantity'>): number {
  return order.legs.reduce((sum, leg) => sum + leg.ratio * order.quantity, 0);
}

/** Only options: one OPT leg of ratio 1, or a combo of OPT legs on one underlying; or one STK leg (closes only). */
export function checkInstrument(
  legs: readonly GuardLeg[],
  contracts: readonly LegContract[],
): GuardRefusal | undefined {
  const refuse = (message: string): GuardRefusal => ({ rule: 'INSTRUMENT', message });
  if (legs.length === 1) {
    const leg = legs[0]!;
    const c = contracts[0]!;
    if (c.secType !== 'OPT' && c.secType !== 'STK')
      return refuse(`leg ${leg.conId} is ${c.secType}: only options (and stock to close) are traded`);
    if (leg.ratio !== 1)
      return refuse(`a single leg must have ratio 1, got ratio ${leg.ratio} (IB would get ratio × quantity)`);
    return undefined;
  }
  const notOption = contracts.find((c) => c.secType !== 'OPT');
  if (notOption)
    return refuse(`combo leg ${notOption.conId} is ${notOption.secType}: every combo leg must be an option`);
  const symbols = [...new Set(contracts.map((c) => c.symbol))];
  if (symbols.length !== 1)
    return refuse(`combo legs are options of ${symbols.join(', ')}: a combo must have one underlying`);
  return undefined;
}

/** Signed quantity each leg trades: + bought, − sold (a SELL of the combo trades every leg reversed). */
export function legTrades(order: Pick<GuardedOrder, 'legs' | 'action' | 'quantity'>): Map<number, number> {
  const trades = new Map<number, number>();
  for (const leg of order.legs) {
    const bought = (leg.action === 'BUY') === (order.action === 'BUY');
    trades.set(leg.conId, (bought ? 1 : -1) * leg.ratio * order.quantity);
  }
  return trades;
}

/**
 * CLOSE when every leg reduces a position the account holds, by no more than it holds once the orders
 * already working are done (`held`: signed position per conId after those working orders); else OPEN.
 */
export function positionEffect(
  order: Pick<GuardedOrder, 'legs' | 'action' | 'quantity'>,
  held: ReadonlyMap<number, number>,
): PositionEffect {
  for (const [conId, trade] of legTrades(order)) {
    const position = held.get(conId) ?? 0;
    const reduces = position !== 0 && Math.sign(trade) === -Math.sign(position);
    if (!reduces || Math.abs(trade) > Math.abs(position)) return 'OPEN';
  }
  return 'CLOSE';
}

/** Largest strike distance between two option legs of one right (the spread's width). */
export function widthOf(contracts: readonly LegContract[]): number | undefined {
  let width: number | undefined;
  for (const right of ['P', 'C'] as const) {
    const strikes = contracts
      .filter((c) => c.right === right && c.strike !== undefined)
      .map((c) => c.strike!);
    if (strikes.length < 2) continue;
    const w = Math.max(...strikes) - Math.min(...strikes);
    width = Math.max(width ?? 0, w);
  }
  return width;
}

/**
 * The combo's mid and natural for this order's side from the bridge's own quotes, and the band around
 * them: [min(mid, natural) − tolerance, max(mid, natural) + tolerance]. A missing bid counts as 0 (a
 * worthless option); a missing ask refuses, as nothing can be said about the price.
 */
export function priceBand(
  order: Pick<GuardedOrder, 'legs' | 'action'>,
  contracts: readonly LegContract[],
  quotes: readonly LegQuote[],
  fraction: number,
): PriceBand | GuardRefusal {
  let mid = 0;
  let natural = 0;
  for (const [i, leg] of order.legs.entries()) {
    const q = quotes[i];
    if (q?.ask === undefined || !Number.isFinite(q.ask))
      return {
        rule: 'PRICE_BAND',
        message: `no ask for leg ${leg.conId} in the bridge's own quote: the limit cannot be checked`,
      };
    const bid = q.bid !== undefined && Number.isFinite(q.bid) ? q.bid : 0;
    const sign = leg.action === 'BUY' ? 1 : -1;
    mid += sign * leg.ratio * ((bid + q.ask) / 2);
    // natural: a BUY of the combo buys its BUY legs at the ask and sells its SELL legs at the bid; a SELL the reverse
    const paysAsk = (sign === 1) === (order.action === 'BUY');
    natural += sign * leg.ratio * (paysAsk ? q.ask : bid);
  }
  const width = order.legs.length > 1 ? widthOf(contracts) : undefined;
  const scale = width ?? Math.abs(natural);
  const tolerance = r4(fraction * scale + PRICE_BAND_TICK);
  return {
    basis: 'quotes',
    mid: r4(mid),
    natural: r4(natural),
    ...(width === undefined ? {} : { width }),
    tolerance,
    low: r4(Math.min(mid, natural) - tolerance),
    high: r4(Math.max(mid, natural) + tolerance),
  };
}

function isRefusal(x: PriceBand | GuardRefusal): x is GuardRefusal {
  return 'rule' in x;
}

/**
 * The band an order's limit must lie in. When a leg has no usable quote the band cannot be measured. A
 * closing spread is still bounded by its structure: it is never worth more than its width, so a limit
 * in −width..width cannot act as a market order, and it goes ahead rather than block a protective exit
 * whose missing wing the monitor priced from the model (the lifecycle's data guard). An opening order or
 * a single leg without a quote is refused.
 */
export function bandFor(
  order: Pick<GuardedOrder, 'legs' | 'action'>,
  contracts: readonly LegContract[],
  quotes: readonly LegQuote[],
  fraction: number,
  effect: PositionEffect,
): PriceBand | GuardRefusal {
  const band = priceBand(order, contracts, quotes, fraction);
  if (!isRefusal(band) || effect !== 'CLOSE' || order.legs.length < 2) return band;
  const width = widthOf(contracts);
  if (width === undefined) return band;
  return { basis: 'width', width, tolerance: 0, low: -width, high: width };
}

/** The limit against the band, and for a spread the credit rules: a credit to open, at most the width to close. */
export function checkPrice(
  order: Pick<GuardedOrder, 'action' | 'limitPrice'>,
  band: PriceBand,
  effect: PositionEffect,
): GuardRefusal | undefined {
  const L = order.limitPrice;
  if (L < band.low || L > band.high) {
    const widthText = band.width === undefined ? 'the price' : `width ${band.width}`;
    const basis =
      band.basis === 'width'
        ? `a leg has no quote, so only the width ${band.width} bounds a close`
        : `mid ${band.mid}, natural ${band.natural}, ± ${band.tolerance} = fraction of ${widthText} + a tick`;
    return {
      rule: 'PRICE_BAND',
      message: `${order.action} limit ${L} is outside ${band.low}..${band.high} (${basis})`,
    };
  }
  if (band.width === undefined) return undefined;
  // cash received at the limit: a SELL receives L, a BUY pays L
  const credit = order.action === 'SELL' ? L : -L;
  if (effect === 'OPEN' && !(credit > 0))
    return {
      rule: 'CREDIT_TO_OPEN',
      message: `an opening spread must collect a credit: ${order.action} at ${L} is a debit of ${r4(-credit)}`,
    };
  if (effect === 'CLOSE' && -credit > band.width)
    return {
      rule: 'DEBIT_TO_CLOSE',
      message: `closing a spread never pays more than its width ${band.width}: ${order.action} at ${L} pays ${r4(-credit)}`,
    };
  return undefined;
}

export interface GuardInput {
  order: GuardedOrder;
  /** Contract details of each leg, in leg order. */
  contracts: LegContract[];
  /** The bridge's quote of each leg, in leg order. */
  quotes: LegQuote[];
  /** Signed position per conId once the orders already working are done. */
  held: ReadonlyMap<number, number>;
  /** Contracts of opening orders already placed today. */
  placedToday: number;
  limits: OrderLimits;
}

export type GuardResult =
  | { ok: true; contracts: number; effect: PositionEffect; band: PriceBand }
  | { ok: false; refusal: GuardRefusal };

/** Every limit on a new order, in order: instrument, stock closes, size, day cap, price. */
export function guardOrder(input: GuardInput): GuardResult {
  const { order, limits } = input;
  const no = (refusal: GuardRefusal): GuardResult => ({ ok: false, refusal });
  const instrument = checkInstrument(order.legs, input.contracts);
  if (instrument) return no(instrument);
  const effect = positionEffect(order, input.held);
  const isStock = input.contracts.some((c) => c.secType === 'STK');
  if (isStock && effect !== 'CLOSE') {
    const conId = order.legs[0]!.conId;
    return no({
      rule: 'STOCK_CLOSE_ONLY',
      message: `stock is only traded to close shares the account holds: ${legTrades(order).get(conId)} shares against a position of ${input.held.get(conId) ?? 0} (after working orders)`,
    });
  }
  // Shares are not contracts: a stock order is bounded by the shares held instead.
  const contracts = isStock ? 0 : contractsOf(order);
  // Both caps bound what an order may open. A closing order only reduces what the account holds, by no
  // more than it holds, so it is bounded by that: an exit (a stop loss of a large position) is never
  // refused for its size.
  if (effect === 'OPEN' && contracts > limits.maxContractsPerOrder)
    return no({
      rule: 'MAX_CONTRACTS_PER_ORDER',
      message: `${contracts} contracts (${order.legs.length} leg(s) × ratio × quantity ${order.quantity}) exceed BRIDGE_MAX_CONTRACTS_PER_ORDER ${limits.maxContractsPerOrder}`,
    });
  if (effect === 'OPEN' && input.placedToday + contracts > limits.maxContractsPerDay)
    return no({
      rule: 'MAX_CONTRACTS_PER_DAY',
      message: `${input.placedToday} contracts opened today + ${contracts} exceed BRIDGE_MAX_CONTRACTS_PER_DAY ${limits.maxContractsPerDay}`,
    });
  const band = bandFor(order, input.contracts, input.quotes, limits.priceBandWidthFraction, effect);
  if (isRefusal(band)) return no(band);
  const price = checkPrice(order, band, effect);
  if (price) return no(price);
  return { ok: true, contracts, effect, band };
}

/** A new limit for a working order: the same price rules as at placement (size cannot change). */
export function guardModification(input: {
  order: GuardedOrder;
  contracts: LegContract[];
  quotes: LegQuote[];
  effect: PositionEffect;
  limits: OrderLimits;
}): GuardRefusal | undefined {
  const band = bandFor(
    input.order,
    input.contracts,
    input.quotes,
    input.limits.priceBandWidthFraction,
    input.effect,
  );
  if (isRefusal(band)) return band;
  return checkPrice(input.order, band, input.effect);
}
