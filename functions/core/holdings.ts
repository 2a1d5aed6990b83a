// The stored position follows the broker (trading rules, "P&L"): option legs IB no longer holds leave the
// position as expired, assigned or exercised, and what an assignment leaves behind (shares and the
// orphaned hedge) is a holding the system closes.
//
// Accounting, chosen so the realised ledger equals the broker's cash to the cent:
//   - the spreads an assignment breaks are settled with `assignmentOutcome`: their whole credit less
//     their share of the opening commissions is realised at once, every leg of them not delivered counts
//     as closed at 0, and the delivered shares open at the strike;
//   - a leg of a broken spread still held at IB becomes an orphaned leg carried at a cost of 0, so
//     selling it later realises its whole price less commission (buying back an orphaned short: minus);
//   - shares are carried at the strike(s) they were delivered at; closing them realises the difference.
// The broker's cash moves by exactly these amounts (credit and commissions at entry, strike × shares at
// delivery, the closing prices and commissions), so the sum of the entries is the cash change.
import { assignmentOutcome, stockDirection } from './pnl';
import { DEFAULT_TICK, roundToTick } from './orders';
import type {
  LegAssignment,
  MarketClock,
  OptionQuote,
  PositionLeg,
  RealisedKind,
  Side,
  StockHolding,
  StrategyPosition,
} from './types';

const cents = (x: number) => Math.round(x * 100) / 100;

/** Every instrument the position holds, by conId, signed: spread legs, orphaned legs and its stock. */
export function heldInstruments(position: StrategyPosition): Map<number, number> {
  const held = new Map<number, number>();
  const add = (conId: number | undefined, quantity: number) => {
    if (conId !== undefined && quantity !== 0) held.set(conId, (held.get(conId) ?? 0) + quantity);
  };
  for (const leg of [...position.legs, ...(position.orphanLegs ?? [])]) add(leg.contract.conId, leg.quantity);
  if (position.stock) add(position.stock.conId, position.stock.shares);
  return held;
}

/** True when the position holds anything an assignment left behind. */
export function hasAssignedHoldings(position: StrategyPosition): boolean {
  return (position.orphanLegs?.length ?? 0) > 0 || (position.stock?.shares ?? 0) !== 0;
}

/** True when the position holds nothing at all any more (no spread, no orphaned leg, no shares). */
export function holdsNothing(position: StrategyPosition): boolean {
  return heldInstruments(position).size === 0;
}

/** How much of `quantity` (signed) of `conId` IB still holds: at most that, and only on the same side. */
function heldAtIb(conId: number | undefined, quantity: number, atIb: ReadonlyMap<number, number>): number {
  const ib = conId === undefined ? 0 : (atIb.get(conId) ?? 0);
  return Math.sign(ib) === Math.sign(quantity) ? Math.min(Math.abs(ib), Math.abs(quantity)) : 0;
}

const stillHeld = (leg: PositionLeg, atIb: ReadonlyMap<number, number>) =>
  heldAtIb(leg.contract.conId, leg.quantity, atIb);

export interface BrokerView {
  /** IB's option positions by conId, signed. */
  options: ReadonlyMap<number, number>;
  /**
   * Shares of the position's symbol at IB that no position's holding explains: what deliveries of this
   * position's gone legs must account for (exactly, or their in-the-money part when several share them).
   */
  newShares: number;
  /** conId of the underlying stock (for the holding). */
  stockConId: number;
  /** Last price of the underlying, when known: tells a delivered in-the-money leg from an expired one. */
  underlyingPrice?: number;
  /** True once the legs' expiry has passed (after the options close on expiration day). */
  pastExpiry: boolean;
  now: number;
}

export type LegFate = 'ASSIGNED' | 'EXERCISED' | 'EXPIRED' | 'UNEXPLAINED';

export interface GoneLeg {
  leg: PositionLeg;
  contracts: number;
  fate: LegFate;
}

export interface Reconciliation {
  /** Legs (or parts of legs) IB no longer holds and what became of them; empty: nothing changed. */
  gone: GoneLeg[];
  /** The position as IB holds it now (legs, quantity, orphaned legs, stock, assignments, commissions). */
  position: StrategyPosition;
  /** Realised by what happened (assignmentOutcome plus stock netted against the holding), dollars. */
  realisedUsd: number;
  kind: RealisedKind;
  /** The new assignments and exercises (also appended to `position.assignments`). */
  assignments: LegAssignment[];
  /** True when the position holds nothing any more: it closes. */
  finished: boolean;
  /** Contracts that left without a delivery before expiry: closed outside the system (alert). */
  unexplained: GoneLeg[];
}

/** OCC's expiration rule: an option $0.01 or more in the money at `price` is exercised (or assigned). */
function inTheMoney(leg: PositionLeg, price: number): boolean {
  const { right, strike } = leg.contract;
  // In whole cents: 205 − 204.99 is 0.00999… in floating point, and OCC exercises that cent.
  return Math.round((right === 'P' ? strike - price : price - strike) * 100) >= 1;
}

/** Signed shares one contract of `leg` delivers when exercised or assigned. */
const sharesPerContract = (leg: PositionLeg) =>
  stockDirection(leg.contract.right, leg.quantity < 0) * leg.contract.multiplier;

/**
 * Shares the expiration delivered for the legs (spread and orphaned) of `position` IB no longer holds,
 * by OCC's rule at the underlying's closing `price`: every gone leg in the money was exercised or
 * assigned, every other expired. Lets several expired positions on one symbol each claim their own
 * part of the new shares (position-sync), rather than the first one met taking all it can explain.
 */
export function sharesDeliveredAtExpiry(
  position: StrategyPosition,
  atIb: ReadonlyMap<number, number>,
  price: number,
): number {
  let shares = 0;
  for (const leg of [...position.legs, ...(position.orphanLegs ?? [])]) {
    const contracts = Math.abs(leg.quantity) - stillHeld(leg, atIb);
    if (contracts > 0 && inTheMoney(leg, price)) shares += contracts * sharesPerContract(leg);
  }
  return shares;
}

/** The delivered contracts per gone leg that account for `shares`, preferring what the price says. */
function deliveries(gone: readonly GoneLeg[], shares: number, view: BrokerView): number[] | undefined {
  const perContract = gone.map((g) => sharesPerContract(g.leg));
  const itm = (g: GoneLeg) =>
    view.underlyingPrice === undefined ? undefined : inTheMoney(g.leg, view.underlyingPrice);
  const farOutOfTheMoney = (g: GoneLeg) => {
    if (view.underlyingPrice === undefined) return false;
    const k = g.leg.contract.strike;
    const otm = g.leg.contract.right === 'P' ? view.underlyingPrice - k : k - view.underlyingPrice;
    return otm > 0.01 * view.underlyingPrice;
  };
  let best: { counts: number[]; score: number } | undefined;
  const counts = gone.map(() => 0);
  const visit = (i: number, sum: number): void => {
    if (i === gone.length) {
      if (sum !== shares) return;
      // Fewer contradictions with the price first, then fewer deliveries (only what the shares demand).
      let score = 0;
      gone.forEach((g, j) => {
        const inTheMoney = itm(g);
        if (inTheMoney !== undefined && inTheMoney !== counts[j]! > 0) score += 1000;
        score += counts[j]!;
      });
      if (!best || score < best.score) best = { counts: [...counts], score };
      return;
    }
    // A leg well out of the money (over 1% of the price) is never delivered: nobody exercises it.
    const limit = farOutOfTheMoney(gone[i]!) ? 0 : gone[i]!.contracts;
    for (let n = 0; n <= limit; n++) {
      counts[i] = n;
      visit(i + 1, sum + n * perContract[i]!);
    }
    counts[i] = 0;
  };
  visit(0, 0);
  if (best) return best.counts;
  // Several positions on one symbol share the new shares: the in-the-money legs' deliveries, when the
  // shares cover them, are this position's part.
  if (view.underlyingPrice === undefined) return undefined;
  const byPrice = gone.map((g) => (itm(g) ? g.contracts : 0));
  const sum = byPrice.reduce((a, n, i) => a + n * perContract[i]!, 0);
  return sum !== 0 && Math.sign(sum) === Math.sign(shares) && Math.abs(sum) <= Math.abs(shares)
    ? byPrice
    : undefined;
}

/** Adds delivered shares to a holding; shares that close part of it realise (price − average) each. */
function mergeStock(
  holding: StockHolding | undefined,
  delivery: { shares: number; averagePrice: number },
  base: Pick<StockHolding, 'symbol' | 'conId'>,
): { holding: StockHolding | undefined; realisedUsd: number } {
  const held = holding?.shares ?? 0;
  if (delivery.shares === 0) return { holding, realisedUsd: 0 };
  if (held === 0 || Math.sign(held) === Math.sign(delivery.shares)) {
    const shares = held + delivery.shares;
    const cost = held * (holding?.averagePrice ?? 0) + delivery.shares * delivery.averagePrice;
    return { holding: { ...base, shares, averagePrice: cost / shares }, realisedUsd: 0 };
  }
  const closing = Math.min(Math.abs(held), Math.abs(delivery.shares));
  const realisedUsd = closing * (delivery.averagePrice - holding!.averagePrice) * Math.sign(held);
  const shares = held + delivery.shares;
  if (shares === 0) return { holding: undefined, realisedUsd };
  const averagePrice = Math.sign(shares) === Math.sign(held) ? holding!.averagePrice : delivery.averagePrice;
  return { holding: { ...base, shares, averagePrice }, realisedUsd };
}

/**
 * Brings the position in line with IB after legs left it: which gone contracts were assigned or
 * exercised (their deliveries must account for the new shares, in-the-money legs preferred), which
 * expired (past expiry, nothing delivered) and which left without explanation. The spreads that broke
 * are settled with `assignmentOutcome`; their legs still held become orphaned legs; the shares join
 * the position's stock holding. Pure: the caller stores the result.
 */
export function reconcileWithBroker(position: StrategyPosition, view: BrokerView): Reconciliation {
  const orphans = position.orphanLegs ?? [];
  const goneOf = (legs: readonly PositionLeg[]) =>
    legs
      .map((leg) => ({ leg, contracts: Math.abs(leg.quantity) - stillHeld(leg, view.options) }))
      .filter((g) => g.contracts > 0);
  const goneSpread = goneOf(position.legs);
  const goneOrphans = goneOf(orphans);
  const all: GoneLeg[] = [...goneSpread, ...goneOrphans].map((g) => ({ ...g, fate: 'EXPIRED' as LegFate }));
  if (all.length === 0) {
    return {
      gone: [],
      position,
      realisedUsd: 0,
      kind: 'EXTERNAL',
      assignments: [],
      finished: false,
      unexplained: [],
    };
  }
  // No set of deliveries accounts for the shares: the legs left some other way (closed outside).
  const found = deliveries(all, view.newShares, view);
  const explained = found !== undefined;
  const delivered = found ?? all.map(() => 0);

  // Whole spreads still held after the gone contracts leave; the rest of the broken ones are orphans.
  const ratio = (leg: PositionLeg) =>
    position.quantity > 0 ? Math.abs(leg.quantity) / position.quantity : 1;
  const remaining =
    position.legs.length === 0
      ? 0
      : Math.min(...position.legs.map((leg) => Math.floor(stillHeld(leg, view.options) / ratio(leg))));
  const broken = position.quantity - remaining;
  const sign = (leg: PositionLeg) => Math.sign(leg.quantity);
  const legs =
    remaining === 0
      ? []
      : position.legs.map((leg) => ({ ...leg, quantity: sign(leg) * ratio(leg) * remaining }));
  const newOrphans: PositionLeg[] = [];
  for (const leg of position.legs) {
    const extra = stillHeld(leg, view.options) - ratio(leg) * remaining;
    if (extra > 0) newOrphans.push({ contract: leg.contract, quantity: sign(leg) * extra });
  }
  for (const leg of orphans) {
    const left = stillHeld(leg, view.options);
    if (left > 0) newOrphans.push({ contract: leg.contract, quantity: sign(leg) * left });
  }

  // The broken spreads settle with the core's assignment rule: credit in, delivered legs at the strike.
  const commissionShare =
    position.quantity > 0
      ? cents((position.commissionsUsd * broken) / position.quantity)
      : position.commissionsUsd;
  const brokenPosition: StrategyPosition = {
    ...position,
    legs: position.legs.map((leg) => ({ ...leg, quantity: sign(leg) * ratio(leg) * broken })),
    quantity: broken,
    commissionsUsd: commissionShare,
  };
  const spreadDeliveries = goneSpread
    .map((g, i) => ({ contract: g.leg.contract, contracts: delivered[i]! }))
    .filter((d) => d.contracts > 0);
  const outcome =
    broken > 0 && explained
      ? assignmentOutcome({ position: brokenPosition, delivered: spreadDeliveries })
      : { realisedUsd: 0, stock: undefined };
  // Orphaned legs are carried at 0: delivering one moves only shares.
  let shares = outcome.stock?.shares ?? 0;
  let cost = shares * (outcome.stock?.averagePrice ?? 0);
  goneOrphans.forEach((g, i) => {
    const n = delivered[goneSpread.length + i]!;
    const s = n * g.leg.contract.multiplier * stockDirection(g.leg.contract.right, g.leg.quantity < 0);
    shares += s;
    cost += s * g.leg.contract.strike;
  });
  let stockRealised = 0;
  let holding = position.stock;
  if (shares !== 0) {
    const merged = mergeStock(
      holding,
      { shares, averagePrice: cost / shares },
      { symbol: position.symbol, conId: position.stock?.conId ?? view.stockConId },
    );
    holding = merged.holding;
    stockRealised = merged.realisedUsd;
  } else if (cost !== 0) {
    // Deliveries that cancel out in shares still moved cash (bought at one strike, sold at another).
    stockRealised = -cost;
  }
  // Legs that left unexplained while the holding's shares left too: all of it happened outside.
  if (!explained && holding && Math.sign(view.newShares) === -Math.sign(holding.shares)) {
    const left =
      holding.shares +
      Math.sign(holding.shares) * -Math.min(Math.abs(view.newShares), Math.abs(holding.shares));
    holding = left === 0 ? undefined : { ...holding, shares: left };
  }

  const assignments: LegAssignment[] = [];
  all.forEach((g, i) => {
    const n = delivered[i]!;
    const short = g.leg.quantity < 0;
    if (n > 0) {
      const s = n * g.leg.contract.multiplier * stockDirection(g.leg.contract.right, short);
      assignments.push({
        at: view.now,
        kind: short ? 'ASSIGNED' : 'EXERCISED',
        contract: g.leg.contract,
        contracts: n,
        strike: g.leg.contract.strike,
        shares: s,
        cashUsd: cents(-s * g.leg.contract.strike),
      });
      g.fate = short ? 'ASSIGNED' : 'EXERCISED';
    } else {
      g.fate = explained && view.pastExpiry ? 'EXPIRED' : 'UNEXPLAINED';
    }
  });
  const unexplained = all.filter((g) => g.fate === 'UNEXPLAINED');

  const next: StrategyPosition = {
    ...position,
    legs,
    quantity: remaining,
    commissionsUsd: cents(position.commissionsUsd - (broken > 0 ? commissionShare : 0)),
    assignments: [...(position.assignments ?? []), ...assignments],
  };
  if (newOrphans.length > 0) next.orphanLegs = newOrphans;
  else delete next.orphanLegs;
  if (holding && holding.shares !== 0) next.stock = holding;
  else delete next.stock;
  if (next.assignments!.length === 0) delete next.assignments;

  const kind: RealisedKind = assignments.some((a) => a.kind === 'ASSIGNED')
    ? 'ASSIGNMENT'
    : assignments.length > 0
      ? 'EXERCISE'
      : unexplained.length > 0
        ? 'EXTERNAL'
        : 'EXPIRY';
  return {
    gone: all,
    position: next,
    realisedUsd: cents(outcome.realisedUsd + stockRealised),
    kind,
    assignments,
    finished: holdsNothing(next),
    unexplained,
  };
}

/**
 * The whole spreads of the position IB holds now, for a closing combo: each leg at most what IB holds
 * (same side), and only as many spreads as every leg can fill. `missing` names the legs IB holds less of.
 */
export function closableSpread(
  position: StrategyPosition,
  atIb: ReadonlyMap<number, number>,
): { position: StrategyPosition; missing: string[] } {
  const ratio = (leg: PositionLeg) =>
    position.quantity > 0 ? Math.abs(leg.quantity) / position.quantity : 1;
  const missing = position.legs
    .filter((leg) => stillHeld(leg, atIb) < Math.abs(leg.quantity))
    .map(
      (leg) =>
        `${leg.contract.right}${leg.contract.strike} (IB holds ${stillHeld(leg, atIb)} of ${Math.abs(leg.quantity)})`,
    );
  if (missing.length === 0) return { position, missing };
  const spreads =
    position.legs.length === 0
      ? 0
      : Math.min(...position.legs.map((leg) => Math.floor(stillHeld(leg, atIb) / ratio(leg))));
  return {
    position: {
      ...position,
      quantity: spreads,
      legs:
        spreads === 0
          ? []
          : position.legs.map((leg) => ({
              ...leg,
              quantity: Math.sign(leg.quantity) * ratio(leg) * spreads,
            })),
    },
    missing,
  };
}

/**
 * Whether assigned holdings are due to be closed now: the market is open and this session opened after
 * the last assignment was found, i.e. the next session's first monitor cycle (and every later one until
 * they are closed). An assignment found before the open (the usual overnight notice) is due that day.
 */
export function holdingsDue(position: StrategyPosition, market: MarketClock): boolean {
  if (!hasAssignedHoldings(position) || !market.isOpen || market.openAt === undefined) return false;
  const last = Math.max(0, ...(position.assignments ?? []).map((a) => a.at));
  return last < market.openAt;
}

/** One single-leg limit order that closes (part of) an assigned holding. */
export interface HoldingOrder {
  kind: 'STOCK' | 'OPTION';
  conId: number;
  /** What the order does: SELL long shares / a long leg, BUY back short ones. */
  action: Side;
  /** Shares for stock, contracts for an option leg. */
  quantity: number;
  /** Per share, positive: the limit IB receives for this single-leg order. */
  limitPrice: number;
  /** The rule and the numbers behind the price. */
  reason: string;
}

/**
 * Offset of the stock limit beyond the touch: max(1 cent, 0.05% of the price) on the cent. A sell at
 * bid − offset (a buy at ask + offset) is marketable, so it fills at once at the touch or better, yet
 * caps the slippage a jump between the quote and the fill could cost to that offset.
 */
export function stockLimitOffset(price: number): number {
  return Math.max(0.01, roundToTick(price * 0.0005, 0.01, 'nearest'));
}

/**
 * The orders that close the position's assigned holdings, from what IB holds now (at most, never more
 * than the position owns, never a leg IB does not hold): the shares with a marketable limit at the
 * touch (see `stockLimitOffset`), each orphaned option leg as a single-leg limit at its mid on the tick
 * in our favour (the order workflow moves it toward natural). A holding without a usable quote is
 * listed in `missing` and not ordered.
 */
export function holdingCloseOrders(
  position: StrategyPosition,
  atIb: ReadonlyMap<number, number>,
  quoteOf: (conId: number) => Pick<OptionQuote, 'bid' | 'ask'> | undefined,
): { orders: HoldingOrder[]; missing: string[] } {
  const orders: HoldingOrder[] = [];
  const missing: string[] = [];
  const stock = position.stock;
  if (stock && stock.shares !== 0) {
    const held = heldAtIb(stock.conId, stock.shares, atIb);
    const quote = quoteOf(stock.conId);
    if (held === 0) missing.push(`${stock.symbol} shares: IB holds none of ${Math.abs(stock.shares)}`);
    else if (!quote || !(quote.bid > 0) || !(quote.ask >= quote.bid))
      missing.push(`${stock.symbol} shares: no usable quote`);
    else {
      const long = stock.shares > 0;
      const touch = long ? quote.bid : quote.ask;
      const offset = stockLimitOffset(touch);
      const limitPrice = cents(long ? touch - offset : touch + offset);
      orders.push({
        kind: 'STOCK',
        conId: stock.conId,
        action: long ? 'SELL' : 'BUY',
        quantity: held,
        limitPrice,
        reason: `${long ? 'sell' : 'buy back'} ${held} ${stock.symbol} shares (delivered at ${stock.averagePrice.toFixed(2)}) at ${limitPrice.toFixed(2)}: ${long ? 'bid' : 'ask'} ${touch.toFixed(2)} ${long ? '−' : '+'} ${offset.toFixed(2)}`,
      });
    }
  }
  for (const leg of position.orphanLegs ?? []) {
    const name = `${leg.contract.right}${leg.contract.strike} ${leg.contract.expiry}`;
    const held = stillHeld(leg, atIb);
    const quote = leg.contract.conId === undefined ? undefined : quoteOf(leg.contract.conId);
    if (held === 0 || leg.contract.conId === undefined) missing.push(`${name}: IB holds none`);
    else if (!quote || !(quote.ask > 0) || !(quote.bid >= 0) || quote.bid > quote.ask)
      missing.push(`${name}: no usable quote`);
    else {
      const long = leg.quantity > 0;
      const mid = (quote.bid + quote.ask) / 2;
      // In our favour: a sale rounds up, a purchase down; never through the far side of the market.
      const limitPrice = Math.max(
        DEFAULT_TICK,
        long ? roundToTick(mid, DEFAULT_TICK, 'up') : roundToTick(mid, DEFAULT_TICK, 'down'),
      );
      orders.push({
        kind: 'OPTION',
        conId: leg.contract.conId,
        action: long ? 'SELL' : 'BUY',
        quantity: held,
        limitPrice,
        reason: `${long ? 'sell' : 'buy back'} the orphaned ${name} ×${held} at ${limitPrice.toFixed(2)} (mid of ${quote.bid.toFixed(2)}/${quote.ask.toFixed(2)})`,
      });
    }
  }
  return { orders, missing };
}

/**
 * The position after a holding order filled `quantity` at `price` per share with `commissionsUsd`, and
 * what that realised: shares realise (price − delivered average) each, an orphaned leg (carried at 0) its
 * whole price; commissions are deducted. Throws RangeError for a conId the position does not hold.
 */
export function applyHoldingFill(
  position: StrategyPosition,
  fill: { conId: number; quantity: number; price: number; commissionsUsd: number },
): { position: StrategyPosition; realisedUsd: number } {
  const next: StrategyPosition = { ...position };
  const stock = position.stock;
  if (stock && stock.conId === fill.conId) {
    const closing = Math.min(Math.abs(stock.shares), fill.quantity);
    const direction = Math.sign(stock.shares);
    const realisedUsd = cents(closing * (fill.price - stock.averagePrice) * direction - fill.commissionsUsd);
    const shares = stock.shares - direction * closing;
    if (shares === 0) delete next.stock;
    else next.stock = { ...stock, shares };
    return { position: next, realisedUsd };
  }
  const orphan = (position.orphanLegs ?? []).find((l) => l.contract.conId === fill.conId);
  if (!orphan) throw new RangeError(`position ${position.id} holds no stock or orphaned leg ${fill.conId}`);
  const closing = Math.min(Math.abs(orphan.quantity), fill.quantity);
  const direction = Math.sign(orphan.quantity);
  const realisedUsd = cents(
    direction * fill.price * closing * orphan.contract.multiplier - fill.commissionsUsd,
  );
  const left = (position.orphanLegs ?? [])
    .map((l) => (l === orphan ? { ...l, quantity: l.quantity - direction * closing } : l))
    .filter((l) => l.quantity !== 0);
  if (left.length > 0) next.orphanLegs = left;
  else delete next.orphanLegs;
  return { position: next, realisedUsd };
}

/** One line for alerts: "1 × P205 assigned: +100 shares at 205.00, cash −$20,500.00". */
export function describeAssignment(a: LegAssignment): string {
  const cash = `${a.cashUsd < 0 ? '−' : '+'}$${Math.abs(a.cashUsd).toFixed(2)}`;
  return `${a.contracts} × ${a.contract.right}${a.strike} ${a.kind === 'ASSIGNED' ? 'assigned' : 'exercised'}: ${a.shares > 0 ? '+' : ''}${a.shares} shares at ${a.strike.toFixed(2)}, cash ${cash}`;
}

/** "100 IWM shares at 205.00, orphaned P200 2026-07-17 ×1". */
export function describeHoldings(position: StrategyPosition): string {
  const parts: string[] = [];
  if (position.stock) {
    parts.push(
      `${position.stock.shares} ${position.stock.symbol} shares at ${position.stock.averagePrice.toFixed(2)}`,
    );
  }
  for (const leg of position.orphanLegs ?? []) {
    parts.push(
      `orphaned ${leg.contract.right}${leg.contract.strike} ${leg.contract.expiry} ×${leg.quantity}`,
    );
  }
  return parts.join(', ');
}
