// A position's life in pure functions: the position an opening fill creates, a strategy recognised from
// legs found at IB, what a set of executions (or an order) filled, and what a closing fill realised.
// The jobs and the store apply these; nothing here reads IB or DynamoDB.
import type { OrderIntent, OrderIntentLeg } from './intents';
import { comboOrderFor } from './orders';
import type { ComboLeg, ComboPurpose, SpreadLeg } from './orders';
import { positionMultiplier, realisedPnl } from './pnl';
import { recogniseStrategy } from './strategies/registry';
import type { OptionContract, Right, StrategyPosition } from './types';

export interface FillSummary {
  /** Contracts (spreads or condors) filled. */
  filledQuantity: number;
  /** Average fill price per share of the combo, positive for a credit received. */
  avgFillPrice: number;
  /** Commissions of these fills, dollars. */
  commissionsUsd?: number;
}

// ---------------------------------------------------------------------------------------------------
// Opening: intent legs → the order's legs → the position its fill creates
// ---------------------------------------------------------------------------------------------------

/** The strategy's legs as held, from an intent's legs (SELL = short). */
export function spreadLegsOf(legs: readonly OrderIntentLeg[]): SpreadLeg[] {
  return legs.map((l) => {
    if (l.contract.conId === undefined)
      throw new RangeError(`leg ${l.contract.right}${l.contract.strike} has no conId`);
    return { conId: l.contract.conId, held: l.action === 'SELL' ? 'SHORT' : 'LONG', ratio: l.ratio };
  });
}

/**
 * The combo an intent (fresh or resumed, opening or closing) sends: its purpose, the BAG legs per the
 * core's sign convention, and the strategy's legs as held. A closing intent's legs hold the strategy's
 * actions (SELL = short) as an opening one does, so the same builder gives the BAG for the close.
 */
export function ticketLegsOf(intent: Pick<OrderIntent, 'purpose' | 'legs' | 'limitPrice'>): {
  purpose: ComboPurpose;
  comboLegs: ComboLeg[];
  spreadLegs: SpreadLeg[];
} {
  const spreadLegs = spreadLegsOf(intent.legs);
  const purpose = intent.purpose === 'CLOSE' || intent.purpose === 'CLOSE_HOLDING' ? 'CLOSE' : 'OPEN';
  return { purpose, comboLegs: comboOrderFor(purpose, spreadLegs, intent.limitPrice).legs, spreadLegs };
}

/** Widest wing of a set of legs, in points (for iron condors the larger side). */
export function widthOf(legs: readonly Pick<OrderIntentLeg, 'contract'>[]): number {
  let width = 0;
  for (const right of ['P', 'C'] as const) {
    const strikes = legs.filter((l) => l.contract.right === right).map((l) => l.contract.strike);
    if (strikes.length >= 2) width = Math.max(width, Math.max(...strikes) - Math.min(...strikes));
  }
  return width;
}

/** The position an opening fill creates: its id is the opening intent key (the IB orderRef). */
export function positionFromFill(
  record: Pick<OrderIntent, 'intentKey' | 'strategy' | 'symbol' | 'legs'>,
  fill: FillSummary,
  openedAt: number,
): StrategyPosition {
  return {
    id: record.intentKey,
    strategy: record.strategy,
    symbol: record.symbol,
    expiry: record.legs[0]?.contract.expiry ?? '',
    legs: record.legs.map((l) => ({
      contract: l.contract,
      quantity: (l.action === 'SELL' ? -1 : 1) * l.ratio * fill.filledQuantity,
    })),
    quantity: fill.filledQuantity,
    // A credit spread opens for a credit; the sign IB reports for the BAG depends on its convention.
    entryCredit: Math.abs(fill.avgFillPrice),
    width: widthOf(record.legs),
    openedAt,
    commissionsUsd: fill.commissionsUsd ?? 0,
  };
}

// ---------------------------------------------------------------------------------------------------
// Legs found at IB
// ---------------------------------------------------------------------------------------------------

/** An IB position's contract, as the bridge reports it (the fields needed here). */
export interface HeldContract {
  contract: {
    conId: number;
    symbol: string;
    /** What it is; only an OPTION (with expiry, strike and right) is an option contract. */
    kind: string;
    expiry?: string | undefined;
    strike?: number | undefined;
    right?: Right | undefined;
    multiplier?: number | undefined;
  };
}

/** The option contract of a broker position, or undefined for stock and anything else. */
export function heldOptionContract(view: HeldContract): OptionContract | undefined {
  const c = view.contract;
  if (c.kind !== 'OPTION' || !c.expiry || c.strike === undefined || !c.right) return undefined;
  return {
    symbol: c.symbol,
    expiry: c.expiry,
    strike: c.strike,
    right: c.right,
    conId: c.conId,
    multiplier: c.multiplier ?? 100,
  };
}

/** An option leg held at IB: signed quantity, IB's average cost (per contract, multiplier included). */
export interface HeldLeg {
  contract: OptionContract;
  quantity: number;
  averageCost: number;
}

/** A strategy position from option legs found at IB, when they form one of our strategies. */
export function externalPosition(legs: HeldLeg[], openedAt: number): StrategyPosition | undefined {
  // Each strategy module recognises its own legs (strategies/registry.ts).
  const strategy = recogniseStrategy(legs);
  if (!strategy) return undefined;
  const quantity = Math.abs(legs[0]!.quantity);
  const multiplier = legs[0]!.contract.multiplier;
  // IB's average cost is per contract including the multiplier: short legs brought the credit in.
  const credit = legs.reduce((s, l) => s + (l.quantity < 0 ? 1 : -1) * l.averageCost, 0) / multiplier;
  const first = legs[0]!.contract;
  const strikes = legs
    .map((l) => `${l.contract.right}${l.contract.strike}`)
    .sort()
    .join('/');
  return {
    id: `ext-${first.symbol}-${first.expiry}-${strikes}`,
    strategy,
    symbol: first.symbol,
    expiry: first.expiry,
    legs: legs.map((l) => ({ contract: l.contract, quantity: l.quantity })),
    quantity,
    entryCredit: Math.max(0, Math.round(credit * 100) / 100),
    width: widthOf(legs),
    openedAt,
    commissionsUsd: 0,
  };
}

// ---------------------------------------------------------------------------------------------------
// Fills
// ---------------------------------------------------------------------------------------------------

/** An IB execution as the bridge reports it (the fields a fill summary needs). */
export interface ExecutionReport {
  orderId: number;
  /** `kind` COMBO: the execution of the whole combo (IB's BAG), else one leg's. */
  contract: { conId: number; kind: string };
  shares: number;
  price: number;
  commission?: number | undefined;
}

/** Filled quantity, average price and commissions of one order's executions. */
export function summariseFills(
  executions: readonly ExecutionReport[],
  intent: Pick<OrderIntent, 'legs'>,
): { filledQuantity: number; avgFillPrice: number; commissionsUsd: number; orderId: number | undefined } {
  const bag = executions.filter((e) => e.contract.kind === 'COMBO');
  const commissionsUsd = Math.round(executions.reduce((s, e) => s + (e.commission ?? 0), 0) * 100) / 100;
  const orderId = executions[0]?.orderId;
  if (bag.length > 0) {
    const shares = bag.reduce((s, e) => s + e.shares, 0);
    const value = bag.reduce((s, e) => s + e.shares * e.price, 0);
    return { filledQuantity: shares, avgFillPrice: shares > 0 ? value / shares : 0, commissionsUsd, orderId };
  }
  // No BAG report: the legs tell the quantity (first leg over its ratio) and the price (signed sum).
  const first = intent.legs[0];
  const firstShares = executions
    .filter((e) => e.contract.conId === first?.contract.conId)
    .reduce((s, e) => s + e.shares, 0);
  const filledQuantity = first ? firstShares / first.ratio : 0;
  let price = 0;
  for (const leg of intent.legs) {
    const fills = executions.filter((e) => e.contract.conId === leg.contract.conId);
    const shares = fills.reduce((s, e) => s + e.shares, 0);
    const avg = shares > 0 ? fills.reduce((s, e) => s + e.shares * e.price, 0) / shares : 0;
    price += (leg.action === 'SELL' ? 1 : -1) * leg.ratio * avg;
  }
  return { filledQuantity, avgFillPrice: price, commissionsUsd, orderId };
}

/** An IB order as the bridge reports it (the fields a fill summary needs). */
export interface OrderReport {
  filled: number;
  averagePrice?: number | undefined;
  lastFillPrice?: number | undefined;
  fills: readonly { commission?: number | undefined }[];
}

/** What an order at IB has filled; `fallbackPrice` (its limit) when IB gives no price. */
export function fillOf(view: OrderReport, fallbackPrice: number): FillSummary {
  // Leg executions carry the commissions; the BAG execution carries none of its own.
  const commissionsUsd = view.fills.reduce((sum, f) => sum + (f.commission ?? 0), 0);
  return {
    filledQuantity: view.filled,
    avgFillPrice: view.averagePrice ?? view.lastFillPrice ?? fallbackPrice,
    commissionsUsd: Math.round(commissionsUsd * 100) / 100,
  };
}

// ---------------------------------------------------------------------------------------------------
// Closing
// ---------------------------------------------------------------------------------------------------

/**
 * Realised P&L, to the cent, of buying back `quantity` spreads at the fill's price: the credit they
 * opened for less the debit, net of the fill's commissions and of `otherCostsUsd` (the opening
 * commissions, on the close that ends the position). A partial close passes neither extra argument.
 */
export function closeRealisedUsd(
  position: Pick<StrategyPosition, 'legs' | 'entryCredit'>,
  fill: FillSummary,
  quantity = fill.filledQuantity,
  otherCostsUsd = 0,
): number {
  // The round trip as one fill sold at credit − debit per share, so the dollars are computed exactly as
  // before this was shared (one rounding of the same sum): a half-cent result rounds the same way.
  const roundTrip = realisedPnl([
    {
      side: 'SLD',
      price: position.entryCredit - Math.abs(fill.avgFillPrice),
      quantity,
      multiplier: positionMultiplier(position),
      commission: otherCostsUsd,
    },
  ]);
  return Math.round((roundTrip - (fill.commissionsUsd ?? 0)) * 100) / 100;
}
