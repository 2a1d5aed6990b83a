// How each stored record appears in the summary: a candidate, an order intent, a position with its P&L
// path and decisions, and the simulator's view of the broker.
import { nyDate } from '#core/calendar';
import { realisedEntries } from '#core/day-pnl';
import { heldInstruments } from '#core/holdings';
import type { OrderIntentRecord } from '#core/intents';
import type { IsoDate } from '#core/types';
import type { CandidateRecord, DecisionRecord, PnlSnapshot, PositionRecord } from '#adapters/ports';
import type { Simulator } from '#simulator/index';
import { hhmm } from './summary';
import type { CandidateView, DecisionView, OrderView, PositionView, SimulatorView } from './summary';

export const round2 = (x: number) => Math.round(x * 100) / 100;

export function strikesOf(legs: readonly { contract: { strike: number; right: string } }[]): string {
  return legs.map((leg) => `${leg.contract.right}${leg.contract.strike}`).join('/');
}

/** What a candidate view needs besides its strikes: a stored candidate and an archive row both fit. */
type CandidateFields = Pick<
  CandidateRecord,
  | 'id'
  | 'strategy'
  | 'symbol'
  | 'expiry'
  | 'dte'
  | 'width'
  | 'creditMid'
  | 'maxLossUsd'
  | 'pop'
  | 'score'
  | 'breakdown'
  | 'eligible'
  | 'rejections'
>;

export function viewOfCandidate(c: CandidateFields, strikes: string): CandidateView {
  return {
    id: c.id,
    strategy: c.strategy,
    symbol: c.symbol,
    expiry: c.expiry,
    dte: c.dte,
    strikes,
    width: c.width,
    creditMid: c.creditMid,
    maxLossUsd: c.maxLossUsd,
    pop: c.pop,
    score: c.score,
    breakdown: c.breakdown,
    eligible: c.eligible,
    rejections: c.rejections,
  };
}

export function candidateView(c: CandidateRecord): CandidateView {
  return viewOfCandidate(c, strikesOf(c.legs));
}

export function orderView(i: OrderIntentRecord): OrderView {
  return {
    intentKey: i.intentKey,
    purpose: i.purpose,
    strategy: i.strategy,
    symbol: i.symbol,
    status: i.status,
    action: i.action,
    quantity: i.quantity,
    filledQuantity: i.filledQuantity,
    limitPrice: i.limitPrice,
    ...(i.avgFillPrice === undefined ? {} : { avgFillPrice: i.avgFillPrice }),
    ...(i.orderId === undefined ? {} : { orderId: i.orderId }),
    repriceCount: i.repriceCount,
    dryRun: i.dryRun,
    reason: i.reason,
    ...(i.rule === undefined ? {} : { rule: i.rule }),
    ...(i.statusReason === undefined ? {} : { statusReason: i.statusReason }),
    createdAt: i.createdAt,
  };
}

function decisionView(d: DecisionRecord): DecisionView {
  return {
    at: d.at,
    time: hhmm(d.at),
    action: d.action,
    rule: d.rule,
    ruleName: d.ruleName,
    reason: d.reason,
    inputs: d.inputs,
    ...(d.intentKey === undefined ? {} : { intentKey: d.intentKey }),
    ...(d.alert === undefined ? {} : { alert: d.alert }),
  };
}

/** The day's P&L path of a position: realised so far + unrealised at mid at each snapshot, oldest first. */
function pnlPathOf(
  p: PositionRecord,
  snapshots: readonly PnlSnapshot[],
  tradeDate: IsoDate,
): { at: number; pnlUsd: number }[] {
  const ledger = realisedEntries(p);
  const realisedAt = (at: number) => ledger.filter((e) => e.at <= at).reduce((sum, e) => sum + e.usd, 0);
  const path = snapshots.map((s) => ({ at: s.at, pnlUsd: round2(realisedAt(s.at) + s.unrealisedMidUsd) }));
  // The day it closed the line ends at the exit, at what the close realised in all.
  if (p.status === 'CLOSED' && p.closedAt !== undefined && nyDate(p.closedAt) === tradeDate) {
    path.push({ at: p.closedAt, pnlUsd: round2(realisedAt(Number.POSITIVE_INFINITY)) });
  }
  return path;
}

export function positionView(
  p: PositionRecord,
  pnl: PnlSnapshot[],
  decisions: DecisionRecord[],
  day: { tradeDate: IsoDate; closedBy?: string | undefined },
): PositionView {
  const mine = decisions.filter((d) => d.positionId === p.id).sort((a, b) => a.at - b.at);
  const byRule: Record<string, number> = {};
  for (const d of mine) {
    const key = `${d.rule} ${d.ruleName}`;
    byRule[key] = (byRule[key] ?? 0) + 1;
  }
  const snapshots = pnl.filter((s) => s.positionId === p.id).sort((a, b) => a.at - b.at);
  const last = snapshots.at(-1);
  const lastDecision = mine.at(-1);
  const pnlPath = pnlPathOf(p, snapshots, day.tradeDate);
  return {
    id: p.id,
    strategy: p.strategy,
    symbol: p.symbol,
    expiry: p.expiry,
    status: p.status,
    source: p.source,
    quantity: p.quantity,
    entryCredit: p.entryCredit,
    width: p.width,
    legs: p.legs.map((leg) => ({
      ...(leg.contract.conId === undefined ? {} : { conId: leg.contract.conId }),
      right: leg.contract.right,
      strike: leg.contract.strike,
      expiry: leg.contract.expiry,
      quantity: leg.quantity,
    })),
    holdings: [...heldInstruments(p)].map(([conId, quantity]) => ({ conId, quantity })),
    openedAt: p.openedAt,
    ...(p.closedAt === undefined ? {} : { closedAt: p.closedAt }),
    ...(p.closeReason === undefined ? {} : { closeReason: p.closeReason }),
    ...(p.realisedPnlUsd === undefined ? {} : { realisedPnlUsd: p.realisedPnlUsd }),
    ...(last
      ? {
          lastPnl: {
            at: last.at,
            unrealisedMidUsd: last.unrealisedMidUsd,
            unrealisedNaturalUsd: last.unrealisedNaturalUsd,
            pctOfMaxProfit: last.pctOfMaxProfit,
            ...(last.underlyingPrice === undefined ? {} : { underlyingPrice: last.underlyingPrice }),
          },
        }
      : {}),
    decisionsByRule: byRule,
    ...(pnlPath.length > 0 ? { pnlPath } : {}),
    ...(day.closedBy === undefined ? {} : { closedBy: day.closedBy }),
    // A plain HOLD with no rule and no alert says nothing the counts do not.
    notableDecisions: mine.filter((d) => d.action !== 'HOLD' || d.rule !== 0 || d.alert).map(decisionView),
    ...(lastDecision ? { lastDecision: decisionView(lastDecision) } : {}),
  };
}

export function simulatorView(simulator: Simulator): SimulatorView {
  const account = simulator.engine.accounts()[0] ?? '';
  const summary = simulator.engine.accountSummary(account);
  const executions = simulator.executions();
  return {
    account,
    orders: simulator
      .orders()
      .filter((o) => !o.request.whatIf)
      .map((o) => ({
        orderId: o.request.orderId,
        orderRef: o.request.orderRef,
        action: o.request.action,
        quantity: o.request.quantity,
        ...(o.request.limitPrice === undefined ? {} : { limitPrice: o.request.limitPrice }),
        status: o.status,
        filled: o.filled,
        remaining: o.remaining,
        avgFillPrice: o.avgFillPrice,
        ...(o.rejectReason === undefined ? {} : { rejectReason: o.rejectReason }),
        legs: o.request.contract.legs?.length ?? 1,
      })),
    positions: simulator
      .positions(account)
      .filter((p) => p.position !== 0)
      .map((p) => ({
        conId: p.contract.conId,
        symbol: p.contract.symbol,
        localSymbol: p.contract.localSymbol,
        position: p.position,
        avgCost: p.avgCost,
      })),
    executions: executions.length,
    commissionsUsd: round2(executions.reduce((sum, e) => sum + e.commission.commission, 0)),
    netLiquidation: summary.netLiquidation,
    realizedPnlUsd: summary.realizedPnl,
    unrealizedPnlUsd: summary.unrealizedPnl,
  };
}
