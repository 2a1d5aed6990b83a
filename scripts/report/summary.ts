// What a simulated trading day did, as one JSON document (out/summary.json) that the HTML report and
// the tests read. Everything comes from the records the jobs wrote (DynamoDB) and from the simulator's
// own view of the broker (orders, positions, account), side by side, so they can be compared. The
// report from the deployed stack (scripts/report.ts) reads the same records without a broker:
// collectStoredDay / collectStoredRun.
import { addDays, nyClockTime, nyDate, sessionFor } from '../../functions/core/calendar';
import type { MarketCalendar } from '../../functions/core/calendar';
import { closeCause } from '../../functions/core/close-cause';
import { parseConfig } from '../../functions/core/config';
import { heldInstruments } from '../../functions/core/holdings';
import type { JobName } from '../../functions/core/config';
import { dayPnl, marksFrom, realisedBetween, realisedEntries } from '../../functions/core/day-pnl';
import type { OrderIntentRecord } from '../../functions/core/intents';
import type { AlertSeverity, IsoDate, RealisedKind, ScoreBreakdown } from '../../functions/core/types';
import type {
  ArchivedCandidate,
  CandidateReevaluation,
  CandidateRecord,
  DecisionRecord,
  PnlSnapshot,
  PositionRecord,
  Stores,
} from '../../functions/adapters/ports';
import type { Simulator } from '../../gateway-container/simulator/index';
import type { PublishedAlert } from '../local/stack';

/** How one job run ended, as the day runner judges it. */
export type RunStatus =
  | 'ran'
  | 'skipped'
  /** The job's handler file does not exist yet. */
  | 'not-available'
  /** Returned ok: false with an error: bad payload or invalid config; nothing was done. */
  | 'refused'
  /** Finished but returned ok: false: something needs an operator (a rejected order, a mismatch). */
  | 'needs-attention'
  /** The handler threw. */
  | 'failed';

export interface RunRecord {
  /** Simulated instant the run started, epoch ms, and the same as New York HH:MM. */
  at: number;
  time: string;
  job: JobName;
  trigger: 'schedule' | 'event' | 'manual';
  /** What the run was for: "pre-market", "event: OrderFilled ×2". */
  label?: string;
  status: RunStatus;
  did?: string;
  skipped?: string;
  error?: string;
  counts?: Record<string, number>;
  reasons?: string[];
  /** Real ms the handler took. */
  elapsedMs: number;
  /** The bridge's IB connection state when the run started. */
  bridge?: string;
  /** Set when a failure was expected by the scenario (e.g. a data job while the gateway is down). */
  tolerated?: string;
}

export interface CandidateView {
  id: string;
  strategy: string;
  symbol: string;
  expiry: string;
  dte: number;
  strikes: string;
  width: number;
  creditMid: number;
  maxLossUsd: number;
  pop: number;
  score: number;
  breakdown: ScoreBreakdown;
  eligible: boolean;
  rejections: string[];
}

/** Execution's second look at a candidate: re-scored on fresh quotes, placed or refused, and why. */
export interface ReevaluationView extends CandidateReevaluation {
  time: string;
  candidateId: string;
}

export interface OrderView {
  intentKey: string;
  purpose: string;
  strategy: string;
  symbol: string;
  status: string;
  action: string;
  quantity: number;
  filledQuantity: number;
  limitPrice: number;
  avgFillPrice?: number;
  orderId?: number;
  repriceCount: number;
  dryRun: boolean;
  reason: string;
  rule?: number;
  statusReason?: string;
  createdAt: number;
}

export interface PositionView {
  id: string;
  strategy: string;
  symbol: string;
  expiry: string;
  status: string;
  source: string;
  quantity: number;
  entryCredit: number;
  width: number;
  legs: { conId?: number; right: string; strike: number; expiry: string; quantity: number }[];
  /** Everything the position owns at IB by conId: spread legs, orphaned legs, assigned shares. */
  holdings: { conId: number; quantity: number }[];
  openedAt: number;
  closedAt?: number;
  closeReason?: string;
  realisedPnlUsd?: number;
  /** The last P&L snapshot of the day. */
  lastPnl?: Pick<
    PnlSnapshot,
    'at' | 'unrealisedMidUsd' | 'unrealisedNaturalUsd' | 'pctOfMaxProfit' | 'underlyingPrice'
  >;
  /** Decisions of the day: how many per rule, and every one that was not a plain HOLD. */
  decisionsByRule: Record<string, number>;
  /**
   * The day's P&L path (realised so far + unrealised at mid), one point per P&L snapshot, oldest first;
   * the report joins the days of a position into its line from entry to exit. On the day it closed, a
   * last point at the close carries what it realised in all.
   */
  pnlPath?: { at: number; pnlUsd: number }[];
  /** What closed it, in the words of `closesByRule` ("profit target", "expiry", ...), for the chart marker. */
  closedBy?: string;
  notableDecisions: DecisionView[];
  lastDecision?: DecisionView;
}

export interface DecisionView {
  at: number;
  time: string;
  action: string;
  rule: number;
  ruleName: string;
  reason: string;
  inputs: Record<string, number | string | boolean>;
  intentKey?: string;
  alert?: { severity: AlertSeverity; reason: string };
}

export interface SimulatorView {
  account: string;
  orders: {
    orderId: number;
    orderRef: string;
    action: string;
    quantity: number;
    limitPrice?: number;
    status: string;
    filled: number;
    remaining: number;
    avgFillPrice: number;
    rejectReason?: string;
    legs: number;
  }[];
  positions: { conId: number; symbol: string; localSymbol: string; position: number; avgCost: number }[];
  executions: number;
  commissionsUsd: number;
  netLiquidation: number;
  realizedPnlUsd: number;
  unrealizedPnlUsd: number;
}

export interface Expectation {
  description: string;
  status: 'met' | 'not met' | 'not checked';
  detail?: string;
}

export interface DaySummary {
  scenario: { name: string; description: string };
  seed: number;
  date: IsoDate;
  speed: number;
  /** Real time of the run. */
  startedAt: string;
  realDurationMs: number;
  /** True when every scheduled run happened and no job failed unexpectedly. */
  completed: boolean;
  /** Why the day is not a success (empty on success). */
  problems: string[];
  runs: RunRecord[];
  candidates: {
    count: number;
    eligible: number;
    minScore: number;
    top: CandidateView[];
    /** How many candidates each hard-filter reason rejected. */
    rejectionReasons: Record<string, number>;
    /** Every re-evaluation execute-strategies recorded on a candidate, oldest first. */
    reevaluations: ReevaluationView[];
    /**
     * The distribution chart's data: how many scored candidates (the archive) have each whole score,
     * index 0–100 (a score is floored). Counts, not every score: a day scores 100k+ candidates.
     */
    scoreCounts?: number[];
    /** Scored candidates at or above `minScore`, exactly (the counts above floor each score). */
    atOrAboveMinScore?: number;
    /** The candidates an opening order was placed for, with their factor breakdown. */
    chosen?: CandidateView[];
  };
  orders: OrderView[];
  orderCounts: {
    intents: number;
    placed: number;
    filled: number;
    partial: number;
    cancelled: number;
    rejected: number;
    dryRun: number;
  };
  positions: PositionView[];
  /** The day's P&L from the core's dayPnl (the figure entry check 4 and daily-statistics use). */
  pnl: {
    realisedUsd: number;
    /** Realised today by how: CLOSE, PARTIAL_CLOSE, EXPIRY, ASSIGNMENT, EXERCISE, EXTERNAL. */
    realisedByKind: Record<RealisedKind, number>;
    unrealisedMidUsd: number;
    unrealisedNaturalUsd: number;
    totalUsd: number;
  };
  simulator: SimulatorView;
  alerts: PublishedAlert[];
  alertCounts: Record<AlertSeverity, number>;
  expectations: Expectation[];
  /** The five counts checked after the day; each must be 0. */
  checks?: DayChecks;
  /** Positions closed that day by what closed them: "profit target", "DTE exit", "expiry", "assignment", ... */
  closesByRule?: Record<string, number>;
  /** The account at the day's end, for the equity curve. */
  equity?: EquityPoint;
}

/** Checked after every simulated day (and summed for a run): each must be 0. */
export interface DayChecks {
  /** Broker orders sharing an orderRef, or two broker orders for one intent. */
  duplicateOrders: number;
  /** Broker orders, executions or positions with no record in DynamoDB. */
  lostRecords: number;
  /** Legs where the system's open positions and the broker's positions differ. */
  unreconciledPositions: number;
  /** Broker option legs or shares no open position owns. */
  orphanLegs: number;
  /** |system realised P&L since the run's start − broker realised from its cash ledger|, dollars, to the cent. */
  pnlMismatchUsd: number;
  /** One line per thing counted (which order, which leg, the two P&L figures); empty when all are 0. */
  details: string[];
}

export interface EquityPoint {
  date: IsoDate;
  /** The broker's net liquidation at the day's end (absent from the AWS source when not recorded). */
  netLiquidation?: number;
  /** The system's realised P&L from the run's (or report's) first day to this day's end, dollars. */
  realisedToDateUsd: number;
  /** The broker's own figure for the same, from its cash ledger (local runs only). */
  brokerRealisedToDateUsd?: number;
  /** How far net liquidation (or, without it, realised to date) is below its running peak; ≤ 0. */
  drawdownUsd: number;
}

/** One day as the report draws it: a local day, or a day read back from the deployed tables. */
export type ReportDay = Omit<DaySummary, 'simulator' | 'runs'> &
  Partial<Pick<DaySummary, 'simulator' | 'runs'>>;

/** out/summary.json: a run of one or many trading days. One renderer for both sources. */
export interface RunSummary {
  source: 'local' | 'aws';
  scenario: { name: string; description: string };
  seed?: number;
  from: IsoDate;
  to: IsoDate;
  /** Real time of the run. */
  startedAt: string;
  realDurationMs: number;
  /** True when every day completed and every count is 0. */
  completed: boolean;
  /** Each day's problems, prefixed with its date. */
  problems: string[];
  days: ReportDay[];
  totals: Omit<DayChecks, 'details'> & {
    closesByRule: Record<string, number>;
    alertCounts: Record<AlertSeverity, number>;
    realisedUsd: number;
  };
}

export const hhmm = nyClockTime;

const round2 = (x: number) => Math.round(x * 100) / 100;

function strikesOf(legs: readonly { contract: { strike: number; right: string } }[]): string {
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

function viewOfCandidate(c: CandidateFields, strikes: string): CandidateView {
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

function orderView(i: OrderIntentRecord): OrderView {
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

function positionView(
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

/** A rejection reason without its numbers, so reasons of one kind count together. */
const reasonShape = (reason: string) => reason.replace(/[\d.]+/g, 'N');

function countBy<T>(items: readonly T[], key: (item: T) => string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) for (const k of key(item)) counts[k] = (counts[k] ?? 0) + 1;
  return counts;
}

/** What the stores hold of one trading day: everything of the report's day but the broker's view. */
export type StoredDayRecords = Pick<
  DaySummary,
  'candidates' | 'orders' | 'orderCounts' | 'positions' | 'pnl' | 'alertCounts'
> & {
  closesByRule: Record<string, number>;
  /** The config could not be read: the minimum score shown is the default. */
  minScoreFallback: boolean;
  /** False when the day left no record at all (no analysis, order, decision, P&L snapshot or close). */
  hasRecords: boolean;
};

/**
 * A position as it stood at the end of `tradeDate`: one closed on a later day was still open then, and
 * P&L realised on later days was not realised yet. (Legs and quantity are today's: a later partial
 * close is not undone.)
 */
export function positionAtDayEnd(p: PositionRecord, tradeDate: IsoDate): PositionRecord {
  const closedLater = p.status === 'CLOSED' && p.closedAt !== undefined && nyDate(p.closedAt) > tradeDate;
  const ledger = realisedEntries(p);
  const realised = ledger.filter((e) => e.tradeDate <= tradeDate);
  if (!closedLater && realised.length === ledger.length) return p;
  const { closedAt: _closedAt, closeReason: _reason, closeIntentKey: _intent, ...open } = p;
  return {
    ...(closedLater ? { ...open, status: 'OPEN' as const } : p),
    realised,
    realisedPnlUsd: round2(realised.reduce((sum, e) => sum + e.usd, 0)),
  };
}

/**
 * Reads one trading day from the stores alone (no broker): the local day runner adds the simulator's
 * view, the report from the deployed stack has only this. `positions` are every stored position (read
 * once for a run of many days).
 */
async function readStoredDay(
  stores: Stores,
  tradeDate: IsoDate,
  context: { positions: readonly PositionRecord[]; minScore?: number },
): Promise<StoredDayRecords> {
  const [candidates, intents, pnl, decisions] = await Promise.all([
    stores.candidates.listByTradeDate(tradeDate),
    stores.intents.listByTradeDate(tradeDate),
    stores.snapshots.listPnlByDay(tradeDate),
    stores.snapshots.listDecisionsByDay(tradeDate),
  ]);
  let minScore = context.minScore ?? 70;
  let minScoreFallback = context.minScore === undefined;
  if (context.minScore === undefined) {
    try {
      minScore = (await stores.config.loadConfig()).scoring.minScore;
      minScoreFallback = false;
    } catch {
      // A corrupt config is a scenario of its own; the summary still reports the rest.
    }
  }
  // Execution chose these: it wrote an opening order for them (the orders list says what became of it).
  const openings = intents.filter((i) => i.purpose === 'OPEN' && i.candidateId !== undefined);
  const chosenIds = new Set(openings.map((i) => i.candidateId as string));
  // Counts come from the archive, which holds every scored candidate; the full items are only the best
  // per underlying (enough for the top list). A day analysed before the archive existed has none.
  const scores: number[] = [];
  let archivedEligible = 0;
  const archivedReasons: Record<string, number> = {};
  const chosenArchived = new Map<string, ArchivedCandidate>();
  for await (const row of stores.candidates.readArchive(tradeDate)) {
    scores.push(row.score);
    if (row.eligible) archivedEligible += 1;
    for (const reason of row.rejections.map(reasonShape))
      archivedReasons[reason] = (archivedReasons[reason] ?? 0) + 1;
    if (chosenIds.has(row.id)) chosenArchived.set(row.id, row);
  }
  const archived = scores.length;
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  const chosen: CandidateView[] = [];
  for (const id of chosenIds) {
    const full = candidates.find((c) => c.id === id);
    const row = chosenArchived.get(id);
    const intent = openings.find((i) => i.candidateId === id) as OrderIntentRecord;
    if (full) chosen.push(candidateView(full));
    // Not kept in full: its archive row, the strikes from its order.
    else if (row) chosen.push(viewOfCandidate(row, strikesOf(intent.legs)));
  }

  // Positions of the day, as they stood at its end: open then, or closed on it.
  const atDayEnd = context.positions
    .filter((p) => nyDate(p.openedAt) <= tradeDate)
    .map((p) => positionAtDayEnd(p, tradeDate));
  const open = atDayEnd.filter((p) => p.status === 'OPEN');
  const closedToday = atDayEnd.filter(
    (p) => p.status === 'CLOSED' && nyDate(p.closedAt ?? p.updatedAt) === tradeDate,
  );
  const closesByRule: Record<string, number> = {};
  const closedBy = new Map<string, string>();
  for (const p of closedToday) {
    const last = realisedEntries(p).at(-1);
    const intentKey = p.closeIntentKey ?? last?.ref;
    const closingOrder = intentKey === undefined ? undefined : await stores.intents.get(intentKey);
    const cause = closeCause({
      ...(closingOrder ? { closingOrder } : {}),
      ...(last ? { lastRealisedKind: last.kind } : {}),
    });
    closedBy.set(p.id, cause);
    closesByRule[cause] = (closesByRule[cause] ?? 0) + 1;
  }
  const positions = [...open, ...closedToday].map((p) =>
    positionView(p, pnl, decisions, { tradeDate, closedBy: closedBy.get(p.id) }),
  );
  const day = dayPnl({ tradeDate, positions: atDayEnd, marks: marksFrom(pnl) });
  const natural = dayPnl({ tradeDate, positions: open, marks: marksFrom(pnl, 'natural') });
  const status = (s: OrderIntentRecord['status']) => intents.filter((i) => i.status === s).length;
  // What the tables keep of alerts: the decisions that raised one (the monitor's rules). See
  // collectStoredDay for what they cannot tell.
  const alertCounts: Record<AlertSeverity, number> = { INFO: 0, WARNING: 0, CRITICAL: 0 };
  for (const d of decisions) if (d.alert) alertCounts[d.alert.severity] += 1;
  const hasRecords =
    archived > 0 ||
    candidates.length > 0 ||
    intents.length > 0 ||
    pnl.length > 0 ||
    decisions.length > 0 ||
    closedToday.length > 0 ||
    atDayEnd.some(
      (p) => nyDate(p.openedAt) === tradeDate || realisedEntries(p).some((e) => e.tradeDate === tradeDate),
    );
  return {
    minScoreFallback,
    hasRecords,
    candidates: {
      count: archived > 0 ? archived : candidates.length,
      eligible: archived > 0 ? archivedEligible : candidates.filter((c) => c.eligible).length,
      minScore,
      top: sorted.slice(0, 15).map(candidateView),
      rejectionReasons:
        archived > 0 ? archivedReasons : countBy(candidates, (c) => c.rejections.map(reasonShape)),
      reevaluations: candidates
        .flatMap((c) => (c.reevaluations ?? []).map((r) => ({ ...r, time: hhmm(r.at), candidateId: c.id })))
        .sort((a, b) => a.at - b.at),
      ...scoreDistribution(archived > 0 ? scores : candidates.map((c) => c.score), minScore),
      chosen,
    },
    orders: intents.map(orderView),
    orderCounts: {
      intents: intents.length,
      placed: intents.filter((i) => i.orderId !== undefined).length,
      filled: status('FILLED'),
      partial: status('PARTIAL'),
      cancelled: status('CANCELLED'),
      rejected: status('REJECTED'),
      dryRun: status('DRY_RUN'),
    },
    positions,
    closesByRule,
    pnl: {
      realisedUsd: day.realisedUsd,
      realisedByKind: day.byKind,
      unrealisedMidUsd: day.unrealisedUsd,
      unrealisedNaturalUsd: natural.unrealisedUsd,
      totalUsd: day.totalUsd,
    },
    alertCounts,
  };
}

/** Reads what the day left in the stores and the simulator. */
/** Whole-score counts (index 0–100) and the exact number at or above `minScore`. */
export function scoreDistribution(
  scores: readonly number[],
  minScore: number,
): { scoreCounts: number[]; atOrAboveMinScore: number } {
  const scoreCounts = Array.from({ length: 101 }, () => 0);
  let atOrAboveMinScore = 0;
  for (const score of scores) {
    scoreCounts[Math.min(100, Math.max(0, Math.floor(score)))]! += 1;
    if (score >= minScore) atOrAboveMinScore += 1;
  }
  return { scoreCounts, atOrAboveMinScore };
}

export async function collectDayRecords(input: {
  stores: Stores;
  simulator: Simulator;
  tradeDate: IsoDate;
  /** Positions opened before the day still matter; CLOSED ones are kept when touched today. */
  dayStart: number;
}): Promise<
  Pick<
    DaySummary,
    'candidates' | 'orders' | 'orderCounts' | 'positions' | 'pnl' | 'simulator' | 'closesByRule'
  > & {
    minScoreFallback: boolean;
  }
> {
  const { stores, simulator, tradeDate } = input;
  const [open, closed] = await Promise.all([
    stores.positions.listByStatus('OPEN'),
    stores.positions.listByStatus('CLOSED'),
  ]);
  const stored = await readStoredDay(stores, tradeDate, { positions: [...open, ...closed] });
  // The local run counts the alerts it saw published (every one, not only the monitor's).
  const { alertCounts: _fromDecisions, hasRecords: _hasRecords, ...records } = stored;
  return { ...records, simulator: simulatorView(simulator) };
}

const DEPLOYED = { name: 'deployed stack', description: "read from the stack's DynamoDB tables" };

/**
 * Equity at the end of each trading day from..to from the realised ledgers: realised to date from
 * `from`, and the drawdown below its running peak (counted from 0, the realised P&L before `from`).
 * The tables hold no net liquidation (daily-statistics reads it from the broker and only reports it).
 */
export function storedEquity(
  positions: readonly PositionRecord[],
  days: readonly IsoDate[],
  from: IsoDate,
): EquityPoint[] {
  let peak = 0;
  return days.map((date) => {
    const realisedToDateUsd = realisedBetween(positions, from, date);
    peak = Math.max(peak, realisedToDateUsd);
    return { date, realisedToDateUsd, drawdownUsd: round2(realisedToDateUsd - peak) };
  });
}

/** NYSE trading days from..to, inclusive. */
export function tradingDaysFrom(from: IsoDate, to: IsoDate, calendar: MarketCalendar): IsoDate[] {
  const days: IsoDate[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) if (sessionFor(date, calendar)) days.push(date);
  return days;
}

/**
 * One trading day as the report draws it, from the stores alone. What this source cannot know: the
 * broker's view (its orders, positions, executions, account; so no `simulator` and no `checks`), the
 * job runs (in CloudWatch Logs, not the tables), and of alerts only those a decision raised (rule 12
 * P&L, the data guard): alerts of jobs (a failure, a rejected order, a close, the daily summary) leave
 * no record in the tables, the alert-state table keeps only the last send per key for 7 days, and a
 * decision's alert may have been held back by the cooldown. So `alerts` is empty and `alertCounts`
 * counts the decisions' alerts.
 */
export async function collectStoredDay(
  stores: Stores,
  tradeDate: IsoDate,
  options: {
    /** Every stored position (read here when absent). */
    positions?: readonly PositionRecord[];
    /** The report's first day: realised to date counts from it (default: this day). */
    from?: IsoDate;
    minScore?: number;
    calendar?: MarketCalendar;
    scenario?: { name: string; description: string };
    /** Real time of the read. */
    startedAt?: string;
  } = {},
): Promise<ReportDay & { hasRecords: boolean }> {
  const positions =
    options.positions ??
    (
      await Promise.all([stores.positions.listByStatus('OPEN'), stores.positions.listByStatus('CLOSED')])
    ).flat();
  const from = options.from ?? tradeDate;
  const calendar = options.calendar ?? parseConfig({}).calendar;
  const { minScoreFallback, ...stored } = await readStoredDay(stores, tradeDate, {
    positions,
    ...(options.minScore === undefined ? {} : { minScore: options.minScore }),
  });
  const problems = minScoreFallback
    ? [`the config could not be read: minimum score ${stored.candidates.minScore} (the default) shown`]
    : [];
  return {
    scenario: options.scenario ?? DEPLOYED,
    // No seed, speed or run time: nothing was simulated.
    seed: 0,
    date: tradeDate,
    speed: 1,
    startedAt: options.startedAt ?? new Date().toISOString(),
    realDurationMs: 0,
    completed: problems.length === 0,
    problems,
    ...stored,
    alerts: [],
    expectations: [],
    equity: storedEquity(positions, tradingDaysFrom(from, tradeDate, calendar), from).at(-1) ?? {
      date: tradeDate,
      realisedToDateUsd: 0,
      drawdownUsd: 0,
    },
  };
}

function addCounts(into: Record<string, number>, counts: Readonly<Record<string, number>>): void {
  for (const [key, n] of Object.entries(counts)) into[key] = (into[key] ?? 0) + n;
}

/**
 * The report of from..to from the stores alone (source 'aws'): one day per NYSE trading day that left
 * any record. The broker's five counts are not known here: `checks` is absent on every day and the
 * totals' counts sum none (0).
 */
export async function collectStoredRun(
  stores: Stores,
  range: {
    from: IsoDate;
    to: IsoDate;
    calendar?: MarketCalendar;
    scenario?: { name: string; description: string };
  },
): Promise<RunSummary> {
  const realStart = Date.now();
  const startedAt = new Date(realStart).toISOString();
  const { from, to } = range;
  const calendar = range.calendar ?? parseConfig({}).calendar;
  const scenario = range.scenario ?? DEPLOYED;
  const [open, closed] = await Promise.all([
    stores.positions.listByStatus('OPEN'),
    stores.positions.listByStatus('CLOSED'),
  ]);
  const positions = [...open, ...closed];
  let minScore: number | undefined;
  try {
    minScore = (await stores.config.loadConfig()).scoring.minScore;
  } catch {
    // Each day then says so (its problems) and shows the default.
  }
  const tradingDays = tradingDaysFrom(from, to, calendar);
  const equity = new Map(storedEquity(positions, tradingDays, from).map((e) => [e.date, e]));
  const days: ReportDay[] = [];
  for (const date of tradingDays) {
    const { hasRecords, ...day } = await collectStoredDay(stores, date, {
      positions,
      from,
      calendar,
      scenario,
      startedAt,
      ...(minScore === undefined ? {} : { minScore }),
    });
    // The drawdown runs over every trading day of the range, recorded or not.
    if (hasRecords) days.push({ ...day, equity: equity.get(date) as EquityPoint });
  }
  const closesByRule: Record<string, number> = {};
  const alertCounts: Record<AlertSeverity, number> = { INFO: 0, WARNING: 0, CRITICAL: 0 };
  for (const day of days) {
    addCounts(closesByRule, day.closesByRule ?? {});
    addCounts(alertCounts, day.alertCounts);
  }
  const problems = days.flatMap((day) => day.problems.map((p) => `${day.date}: ${p}`));
  return {
    source: 'aws',
    scenario,
    from,
    to,
    startedAt,
    realDurationMs: Date.now() - realStart,
    completed: days.every((day) => day.completed),
    problems,
    days,
    totals: {
      duplicateOrders: 0,
      lostRecords: 0,
      unreconciledPositions: 0,
      orphanLegs: 0,
      pnlMismatchUsd: 0,
      closesByRule,
      alertCounts,
      realisedUsd: realisedBetween(positions, from, to),
    },
  };
}
