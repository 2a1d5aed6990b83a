// Reconciling a position with what the broker holds (trading rules, "P&L"): option legs IB no longer
// holds leave the position as expired, assigned or exercised, by OCC's expiration rule and the shares
// that arrived; what an assignment leaves behind (shares and orphaned legs) joins the position as
// holdings, closed later by holdings.ts. The accounting is described at the top of holdings.ts.
import { cents, holdsNothing, stillHeld } from './holdings';
import { assignmentOutcome, stockDirection } from './pnl';
import type { LegAssignment, PositionLeg, RealisedKind, StockHolding, StrategyPosition } from './types';

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
