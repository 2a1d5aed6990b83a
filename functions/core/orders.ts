// Order policy for combo orders: the sign convention, the pricing path (mid → natural), the cancel and
// resubmit rule and the order plan (trading rules, "Orders"). The intent key is in intent-key.ts, the
// exit attempt policy in close-attempts.ts.
//
// SIGN CONVENTION (the one place it is defined)
// ---------------------------------------------
// IB prices a combo (secType BAG) as the ratio-weighted signed sum of its legs for a BUY of the combo: a
// leg whose action is BUY adds its price, a SELL leg subtracts it. SELLing the combo trades every leg the
// other way round at that same signed price.
//
// We always build the BAG "long the spread": every leg the strategy holds SHORT appears as a BUY leg and
// every leg it holds LONG as a SELL leg. The BAG's price is then Σ short − Σ long, which is the spread's
// value: the credit collected to open it and the debit paid to close it, positive for a credit spread.
//   - OPEN  = SELL the BAG at +credit. The legs execute reversed: the short strike is sold, the wing bought.
//             A SELL that receives cash has a positive limit (IB's rule). ✔
//   - CLOSE = BUY the BAG at +debit. The legs execute as listed: the short strike is bought back, the
//             wing sold. A BUY that pays cash has a positive limit (the same rule read the other way). ✔
// So limit prices are positive in everyday use; a negative one would only mean the spread is worth less
// than nothing (a close that receives cash), which IB's rule also reads correctly.
import type { Config } from './config';
import { intentKey } from './intent-key';
import type { IsoDate, OptionQuote, Side, StrategyPosition } from './types';

export type ComboPurpose = 'OPEN' | 'CLOSE';
/** CLOSE_HOLDING: a single-leg order closing shares or an orphaned leg an assignment left (core holdings). */
export type OrderPurpose = ComboPurpose | 'CLOSE_HOLDING';

/** SPY, QQQ and IWM options are in the penny pilot: combos trade in $0.01 increments. */
export const DEFAULT_TICK = 0.01;

/** A leg of the strategy as held (or to be held once opened). */
export interface SpreadLeg {
  conId: number;
  held: 'SHORT' | 'LONG';
  /** Legs per one unit of the strategy. */
  ratio: number;
}

export interface PricedSpreadLeg extends SpreadLeg {
  quote: Pick<OptionQuote, 'bid' | 'ask'>;
}

/** A leg of the BAG as IB receives it. */
export interface ComboLeg {
  conId: number;
  action: Side;
  ratio: number;
}

export interface ComboOrder {
  action: Side;
  legs: ComboLeg[];
  /** Per share, signed per IB's rule (see the convention above). */
  limitPrice: number;
}

/**
 * The combo order that opens (receives `pricePerShare` credit) or closes (pays `pricePerShare` debit) the
 * spread made of `legs`. See the sign convention at the top of this file.
 */
export function comboOrderFor(
  purpose: ComboPurpose,
  legs: readonly SpreadLeg[],
  pricePerShare: number,
): ComboOrder {
  if (legs.length === 0) throw new RangeError('a combo needs at least one leg');
  if (!Number.isFinite(pricePerShare))
    throw new RangeError(`combo price must be a number, got ${pricePerShare}`);
  return {
    action: purpose === 'OPEN' ? 'SELL' : 'BUY',
    legs: legs.map((leg) => ({
      conId: leg.conId,
      action: leg.held === 'SHORT' ? 'BUY' : 'SELL',
      ratio: leg.ratio,
    })),
    limitPrice: pricePerShare,
  };
}

/**
 * Per-share value of the spread, in the convention above (credit to open, debit to close). Mid is the
 * signed sum of leg mids. Natural is the worst price: opening sells short legs at the bid and buys long
 * legs at the ask; closing buys short legs at the ask and sells long legs at the bid.
 */
export function spreadPrices(
  legs: readonly PricedSpreadLeg[],
  purpose: ComboPurpose,
): { mid: number; natural: number } {
  let mid = 0;
  let natural = 0;
  for (const leg of legs) {
    const sign = leg.held === 'SHORT' ? 1 : -1;
    const { bid, ask } = leg.quote;
    mid += sign * leg.ratio * ((bid + ask) / 2);
    // The credit is smallest (OPEN) or the debit largest (CLOSE) when every trade crosses the spread.
    const worst = purpose === 'OPEN' ? (sign === 1 ? bid : ask) : sign === 1 ? ask : bid;
    natural += sign * leg.ratio * worst;
  }
  return { mid: clean(mid), natural: clean(natural) };
}

/** Rounds `price` onto the tick grid: `up`, `down` or to the `nearest` tick. */
export function roundToTick(price: number, tick: number, mode: 'up' | 'down' | 'nearest'): number {
  if (!(tick > 0)) throw new RangeError(`tick must be positive, got ${tick}`);
  // The epsilon keeps 1.15 / 0.05 = 22.999999… from rounding to the wrong tick.
  const ticks = price / tick;
  const n =
    mode === 'up' ? Math.ceil(ticks - 1e-9) : mode === 'down' ? Math.floor(ticks + 1e-9) : Math.round(ticks);
  return clean(n * tick);
}

/** Rounds toward the better price for us: up when we receive (OPEN), down when we pay (CLOSE). */
function roundInOurFavour(price: number, purpose: ComboPurpose, tick: number): number {
  return roundToTick(price, tick, purpose === 'OPEN' ? 'up' : 'down');
}

/** The first limit: the mid, on the tick in our favour; an opening order asks at least `minCredit`. */
export function initialLimit(
  legs: readonly PricedSpreadLeg[],
  purpose: ComboPurpose,
  tick: number = DEFAULT_TICK,
  minCredit = 0,
): number {
  const { mid } = spreadPrices(legs, purpose);
  const limit = roundInOurFavour(mid, purpose, tick);
  return purpose === 'OPEN' ? Math.max(limit, minCredit) : limit;
}

/**
 * Natural on the tick in our favour (so never worse than natural): urgent exits (rules 3–5) may price
 * here at once. An opening order still never asks less than `minCredit`.
 */
export function urgentLimit(
  legs: readonly PricedSpreadLeg[],
  purpose: ComboPurpose = 'CLOSE',
  tick: number = DEFAULT_TICK,
  minCredit = 0,
): number {
  const { natural } = spreadPrices(legs, purpose);
  const limit = roundInOurFavour(natural, purpose, tick);
  return purpose === 'OPEN' ? Math.max(limit, minCredit) : limit;
}

/**
 * The next limit after `repriceCount` reprices (0 for the first). The path moves in equal steps of
 * `repriceFraction` of the original mid-to-natural distance ("a third of the way" each time with the
 * default), so it reaches natural on reprice ⌈1 / repriceFraction⌉ (the 3rd by default, which is
 * `maxReprices`). Working from the current price and count rather than the original mid keeps the path
 * sensible when natural moves between reprices. Never worse than natural, never below `minCredit` for an
 * opening order; rounded on the tick toward the current price so rounding never overshoots.
 */
export function nextLimit(
  current: number,
  natural: number,
  repriceCount: number,
  orders: Config['orders'],
  purpose: ComboPurpose,
  tick: number = DEFAULT_TICK,
): number {
  let target = roundInOurFavour(natural, purpose, tick);
  if (purpose === 'OPEN') target = Math.max(target, orders.minCredit);
  const isBetterForUs = (a: number, b: number) => (purpose === 'OPEN' ? a > b : a < b);
  // Current already at or worse than the target (natural moved our way): go to the target.
  if (!isBetterForUs(current, target)) return target;

  const f = orders.repriceFraction;
  const remainingShare = 1 - Math.max(0, repriceCount) * f;
  if (remainingShare <= f + 1e-9) return target;
  const exact = current + (target - current) * (f / remainingShare);
  const rounded = roundToTick(exact, tick, target < current ? 'up' : 'down');
  // Between the target and the current price, whatever the rounding did.
  return purpose === 'OPEN' ? clamp(rounded, target, current) : clamp(rounded, current, target);
}

/** After `maxReprices` reprices the order is cancelled instead of repriced again. */
export function shouldCancel(repriceCount: number, orders: Config['orders']): boolean {
  return repriceCount >= orders.maxReprices;
}

export type WorkingOrderStep =
  { kind: 'WAIT'; dueAt: number } | { kind: 'REPRICE'; limit: number } | { kind: 'CANCEL'; reason: string };

/**
 * What to do with a working order now: wait until `repriceSeconds` have passed since it was last priced,
 * then reprice toward natural, or cancel once `maxReprices` reprices have been made.
 */
export function workingOrderStep(
  order: { limit: number; repriceCount: number; lastPricedAt: number; purpose: ComboPurpose },
  natural: number,
  now: number,
  orders: Config['orders'],
  tick: number = DEFAULT_TICK,
): WorkingOrderStep {
  const dueAt = order.lastPricedAt + orders.repriceSeconds * 1000;
  if (now < dueAt) return { kind: 'WAIT', dueAt };
  if (shouldCancel(order.repriceCount, orders)) {
    return {
      kind: 'CANCEL',
      reason: `not filled after ${order.repriceCount} reprice(s) (max ${orders.maxReprices})`,
    };
  }
  return {
    kind: 'REPRICE',
    limit: nextLimit(order.limit, natural, order.repriceCount, orders, order.purpose, tick),
  };
}

/**
 * The longest an order is worked, from placement to its cancel: `maxReprices` reprices `repriceSeconds`
 * apart, then one more wait before the cancel (see `workingOrderStep`).
 */
export function orderLifetimeMs(orders: Pick<Config['orders'], 'repriceSeconds' | 'maxReprices'>): number {
  return (orders.maxReprices + 1) * orders.repriceSeconds * 1000;
}

// ---------------------------------------------------------------------------------------------------
// Intent keys and exit attempts live in ./intent-key and ./close-attempts; re-exported here, where the
// jobs and scripts look for them.

export { fnv1a64, intentKey, MAX_INTENT_ATTEMPT } from './intent-key';
export type { IntentKeyInput } from './intent-key';
export { nextCloseAttempt } from './close-attempts';
export type { CloseAttempt, CloseAttemptIntent } from './close-attempts';

// ---------------------------------------------------------------------------------------------------
// Order plans

/** What the bridge is asked to place. Limit orders only: the type has no market order on purpose. */
export interface OrderPlan {
  intentKey: string;
  purpose: ComboPurpose;
  /** Candidate id for OPEN, position id for CLOSE. */
  subjectId: string;
  symbol: string;
  secType: 'BAG';
  orderType: 'LMT';
  action: Side;
  quantity: number;
  legs: ComboLeg[];
  /** Per share, signed per the convention at the top of this file. */
  limitPrice: number;
  /** The spread's mid and natural per share when the plan was made (same convention). */
  mid: number;
  natural: number;
  tick: number;
  timeInForce: Config['orders']['timeInForce'];
  /** Always explicit: false for a dry run. */
  transmit: boolean;
  dryRun: boolean;
}

export interface PlanComboInput {
  purpose: ComboPurpose;
  subjectId: string;
  symbol: string;
  tradeDate: IsoDate;
  legs: readonly PricedSpreadLeg[];
  quantity: number;
  /** Price at natural at once (urgent exits, rules 3–5). */
  urgent?: boolean;
  dryRun: boolean;
  attempt?: number;
  tick?: number;
}

/** A complete limit-order plan for one combo: priced at mid (or natural when urgent), keyed, signed. */
export function planCombo(input: PlanComboInput, orders: Config['orders']): OrderPlan {
  const tick = input.tick ?? DEFAULT_TICK;
  const minCredit = input.purpose === 'OPEN' ? orders.minCredit : 0;
  const { mid, natural } = spreadPrices(input.legs, input.purpose);
  const limit = input.urgent
    ? urgentLimit(input.legs, input.purpose, tick, minCredit)
    : initialLimit(input.legs, input.purpose, tick, minCredit);
  const combo = comboOrderFor(input.purpose, input.legs, limit);
  return {
    intentKey: intentKey({
      tradeDate: input.tradeDate,
      subjectId: input.subjectId,
      purpose: input.purpose,
      ...(input.attempt === undefined ? {} : { attempt: input.attempt }),
    }),
    purpose: input.purpose,
    subjectId: input.subjectId,
    symbol: input.symbol,
    secType: 'BAG',
    orderType: 'LMT',
    action: combo.action,
    quantity: input.quantity,
    legs: combo.legs,
    limitPrice: combo.limitPrice,
    mid,
    natural,
    tick,
    timeInForce: orders.timeInForce,
    transmit: !input.dryRun,
    dryRun: input.dryRun,
  };
}

/**
 * The priced legs of an open position, for a closing order; `quoteOf` finds each leg's quote. Returns
 * the legs without a conId or a quote instead when any is missing (the order cannot be built then).
 */
export function positionSpreadLegs(
  position: StrategyPosition,
  quoteOf: (leg: StrategyPosition['legs'][number]) => Pick<OptionQuote, 'bid' | 'ask'> | undefined,
): { ok: true; legs: PricedSpreadLeg[] } | { ok: false; missing: string[] } {
  const legs: PricedSpreadLeg[] = [];
  const missing: string[] = [];
  for (const leg of position.legs) {
    const name = `${leg.contract.right}${leg.contract.strike}`;
    const quote = quoteOf(leg);
    if (leg.contract.conId === undefined) missing.push(`${name}: no conId`);
    else if (quote === undefined) missing.push(`${name}: no quote`);
    else {
      legs.push({
        conId: leg.contract.conId,
        held: leg.quantity < 0 ? 'SHORT' : 'LONG',
        ratio: position.quantity > 0 ? Math.abs(leg.quantity) / position.quantity : 1,
        quote,
      });
    }
  }
  return missing.length > 0 ? { ok: false, missing } : { ok: true, legs };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** Strips float noise (0.1 + 0.2) from prices that are sums of two-decimal quotes. */
function clean(x: number): number {
  return Math.round(x * 1e8) / 1e8;
}
