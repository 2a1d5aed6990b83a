// The five counts checked after every simulated day (issue 9): what the system recorded in DynamoDB
// against what the simulated broker holds. Each is 0 on a sound run; each `details` line names the order,
// the leg or the two figures behind a count, so a non-zero count says where to look.
//
// Realised P&L "since the start" compares like with like: the broker's figure is the change of its cash
// ledger plus the cost still carried in open positions (commissions included; an open moves cash and cost
// by the same amount, a close or a settlement moves them by what it realised) since `baseline`, taken when
// the stack started, before a scenario's set-up; the system's is every realised ledger entry from that
// date on. The stack starts on empty tables, so both sides start at nothing, including a scenario that
// opens a position the day before its first day (early-assignment).
import { realisedBetween } from '#core/day-pnl';
import { heldInstruments } from '#core/holdings';
import type { IsoDate } from '#core/types';
import type { PositionRecord, Stores } from '#adapters/ports';
import type { Simulator } from '#simulator/index';
import type { DayChecks, EquityPoint } from './summary';

const cents = (x: number) => Math.round(x * 100) / 100;

/** The broker's cash plus the cost carried in its open positions: changes only by what is realised. */
export interface BrokerBook {
  cash: number;
  openCost: number;
}

export function brokerBook(simulator: Simulator): BrokerBook {
  const account = simulator.engine.accounts()[0] ?? '';
  const cash = simulator.engine.accountSummary(account).totalCashValue;
  // IB's avgCost is per contract, multiplier and commissions included, positive for shorts too.
  const openCost = simulator.positions(account).reduce((sum, p) => sum + p.avgCost * p.position, 0);
  return { cash, openCost };
}

/** The broker's realised P&L since `baseline`, from its cash ledger, dollars to the cent. */
export function brokerRealisedSince(simulator: Simulator, baseline: BrokerBook): number {
  const now = brokerBook(simulator);
  return cents(now.cash + now.openCost - (baseline.cash + baseline.openCost));
}

export interface ReconcileInput {
  stores: Stores;
  simulator: Simulator;
  /** The first trade date the run's realised P&L counts from (the stack's start date). */
  from: IsoDate;
  /** The day being checked. */
  date: IsoDate;
  baseline: BrokerBook;
}

export interface Reconciliation {
  checks: DayChecks;
  /** The system's realised P&L from `from` to `date`, and the broker's for the same stretch. */
  realisedToDateUsd: number;
  brokerRealisedToDateUsd: number;
  netLiquidation: number;
}

const legName = (conId: number, simulator: Simulator) => {
  const contract = simulator.engine.contractById(conId);
  return contract ? `${contract.localSymbol || contract.symbol} (conId ${conId})` : `conId ${conId}`;
};

/** The five counts for the state the stores and the simulator are in now. */
export async function reconcile(input: ReconcileInput): Promise<Reconciliation> {
  const { stores, simulator, from, date, baseline } = input;
  const details: string[] = [];
  const account = simulator.engine.accounts()[0] ?? '';
  const [open, closed] = await Promise.all([
    stores.positions.listByStatus('OPEN'),
    stores.positions.listByStatus('CLOSED'),
  ]);
  const positions: PositionRecord[] = [...open, ...closed];
  const orders = simulator.orders().filter((o) => !o.request.whatIf);

  // duplicateOrders: every broker order beyond the first for one orderRef (= one intent).
  let duplicateOrders = 0;
  const byRef = new Map<string, number[]>();
  for (const o of orders)
    byRef.set(o.request.orderRef, [...(byRef.get(o.request.orderRef) ?? []), o.request.orderId]);
  for (const [ref, ids] of byRef) {
    if (ids.length < 2) continue;
    duplicateOrders += ids.length - 1;
    details.push(`duplicate order: orderRef ${ref} is on ${ids.length} broker orders (#${ids.join(', #')})`);
  }

  // lostRecords: a broker order with no intent; a fill the intent does not record; a filled opening
  // intent whose position is not in the table.
  let lostRecords = 0;
  const intents = await Promise.all([...byRef.keys()].map((ref) => stores.intents.get(ref)));
  const intentByRef = new Map(intents.filter((i) => i !== undefined).map((i) => [i.intentKey, i]));
  const positionIds = new Set(positions.map((p) => p.id));
  const filledByRef = new Map<string, number>();
  for (const o of orders)
    filledByRef.set(o.request.orderRef, (filledByRef.get(o.request.orderRef) ?? 0) + o.filled);
  for (const [ref, ids] of byRef) {
    const intent = intentByRef.get(ref);
    const filled = filledByRef.get(ref) ?? 0;
    if (!intent) {
      lostRecords += 1;
      details.push(
        `lost record: broker order #${ids.join(', #')} (orderRef ${ref}, filled ${filled}) has no intent`,
      );
      continue;
    }
    if (intent.filledQuantity !== filled) {
      lostRecords += 1;
      details.push(
        `lost record: broker order #${ids.join(', #')} (${ref}) filled ${filled}, the intent records ${intent.filledQuantity}`,
      );
      continue;
    }
    if (intent.purpose === 'OPEN' && filled > 0 && !positionIds.has(intent.positionId ?? ref)) {
      lostRecords += 1;
      details.push(
        `lost record: ${ref} filled ${filled} but position ${intent.positionId ?? ref} is not stored`,
      );
    }
  }

  // unreconciledPositions: instruments the open positions hold in a quantity the broker does not;
  // orphanLegs: instruments the broker holds that no open position owns.
  const ours = new Map<number, number>();
  for (const p of open)
    for (const [conId, q] of heldInstruments(p)) ours.set(conId, (ours.get(conId) ?? 0) + q);
  const broker = new Map(
    simulator
      .positions(account)
      .filter((p) => p.position !== 0)
      .map((p) => [p.contract.conId, p.position]),
  );
  let unreconciledPositions = 0;
  for (const [conId, quantity] of ours) {
    const held = broker.get(conId) ?? 0;
    if (held === quantity) continue;
    unreconciledPositions += 1;
    const owners = open.filter((p) => heldInstruments(p).has(conId)).map((p) => p.id);
    details.push(
      `unreconciled: ${legName(conId, simulator)} is ${quantity} in ${owners.join(', ')}, ${held} at the broker`,
    );
  }
  let orphanLegs = 0;
  const everOwned = new Set(
    positions.flatMap((p) => [...heldInstruments(p).keys(), ...p.legs.map((l) => l.contract.conId)]),
  );
  for (const [conId, held] of broker) {
    if (ours.has(conId)) continue;
    orphanLegs += 1;
    details.push(
      `orphan: the broker holds ${held} × ${legName(conId, simulator)}, no open position owns it` +
        (everOwned.has(conId) ? ' (a closed position did)' : ' (no position ever did)'),
    );
  }

  const realisedToDateUsd = realisedBetween(positions, from, date);
  const brokerRealisedToDateUsd = brokerRealisedSince(simulator, baseline);
  const pnlMismatchUsd = cents(Math.abs(realisedToDateUsd - brokerRealisedToDateUsd));
  if (pnlMismatchUsd !== 0) {
    details.push(
      `P&L mismatch: the system realised $${realisedToDateUsd.toFixed(2)} since ${from}, the broker's cash ledger $${brokerRealisedToDateUsd.toFixed(2)}`,
    );
  }

  return {
    checks: { duplicateOrders, lostRecords, unreconciledPositions, orphanLegs, pnlMismatchUsd, details },
    realisedToDateUsd,
    brokerRealisedToDateUsd,
    netLiquidation: simulator.engine.accountSummary(account).netLiquidation,
  };
}

/** The day's point on the equity curve; `peak` is the highest net liquidation before this day. */
export function equityPoint(date: IsoDate, r: Reconciliation, peak: number | undefined): EquityPoint {
  const top = Math.max(peak ?? r.netLiquidation, r.netLiquidation);
  return {
    date,
    netLiquidation: r.netLiquidation,
    realisedToDateUsd: r.realisedToDateUsd,
    brokerRealisedToDateUsd: r.brokerRealisedToDateUsd,
    drawdownUsd: cents(r.netLiquidation - top),
  };
}

/** True when every count is 0. */
export const checksClean = (c: DayChecks) =>
  c.duplicateOrders === 0 &&
  c.lostRecords === 0 &&
  c.unreconciledPositions === 0 &&
  c.orphanLegs === 0 &&
  c.pnlMismatchUsd === 0;
