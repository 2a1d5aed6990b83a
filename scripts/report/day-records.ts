// What one trading day left in the stores, read into the summary's shape: its candidates, orders,
// positions, P&L, closes and alerts. The local day runner adds the simulator's view of the broker
// (collectDayRecords); the report from the deployed stack reads the stores alone (stored-report.ts).
import { nyDate } from '#core/calendar';
import { closeCause } from '#core/close-cause';
import { dayPnl, marksFrom, realisedEntries } from '#core/day-pnl';
import type { OrderIntentRecord } from '#core/intents';
import type { AlertSeverity, IsoDate } from '#core/types';
import type { ArchivedCandidate, PositionRecord, Stores } from '#adapters/ports';
import type { Simulator } from '#simulator/index';
import {
  candidateView,
  orderView,
  positionView,
  round2,
  simulatorView,
  strikesOf,
  viewOfCandidate,
} from './record-views';
import { hhmm } from './summary';
import type { CandidateView, DaySummary } from './summary';

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
export async function readStoredDay(
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

/** Reads what the day left in the stores and the simulator. */
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
