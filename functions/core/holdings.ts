// The stored position follows the broker (trading rules, "P&L"): option legs IB no longer holds leave the
// position as expired, assigned or exercised, and what an assignment leaves behind (shares and the
// orphaned hedge) is a holding the system closes. This module: what a position holds and the orders and
// fills that close its assigned holdings; reconciliation.ts turns the broker's positions into legs gone.
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
import { DEFAULT_TICK, roundToTick } from './orders';
import type { LegAssignment, MarketClock, OptionQuote, PositionLeg, Side, StrategyPosition } from './types';

export const cents = (x: number) => Math.round(x * 100) / 100;

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
export function heldAtIb(
  conId: number | undefined,
  quantity: number,
  atIb: ReadonlyMap<number, number>,
): number {
  const ib = conId === undefined ? 0 : (atIb.get(conId) ?? 0);
  return Math.sign(ib) === Math.sign(quantity) ? Math.min(Math.abs(ib), Math.abs(quantity)) : 0;
}

export const stillHeld = (leg: PositionLeg, atIb: ReadonlyMap<number, number>) =>
  heldAtIb(leg.contract.conId, leg.quantity, atIb);

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
