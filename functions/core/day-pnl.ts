// A trading day's P&L, computed in ONE place for entry check 4, daily-statistics and the report:
// what was realised on the day (closes, partial closes, expiries, assignments, closes found at IB: the
// positions' realised ledger entries dated that day) plus the unrealised P&L of the positions still open,
// all read at one snapshot. A position closed on the day contributes its realised entries only: a mark
// taken while it was still open is not counted on top (that would count its P&L twice).
import { nyDate } from './calendar';
import type { IsoDate, RealisedEntry, RealisedKind } from './types';

/** What the day's P&L needs of a stored position (the position store's record fits it). */
export interface LedgerPosition {
  id: string;
  status: 'OPEN' | 'CLOSED';
  /** The realised ledger (absent on positions stored before it existed). */
  realised?: readonly RealisedEntry[];
  closedAt?: number;
  realisedPnlUsd?: number;
}

export interface DayPnlInput {
  tradeDate: IsoDate;
  /** Open positions and the closed ones that may have realised P&L on the day. */
  positions: readonly LedgerPosition[];
  /**
   * Unrealised P&L of the open positions at ONE snapshot, by position id (e.g. each position's latest
   * P&L snapshot of the day, at mid). Marks of positions no longer open are ignored.
   */
  marks: ReadonlyMap<string, PositionMark>;
}

export interface PositionMark {
  /** Epoch ms the mark was taken. */
  at: number;
  unrealisedUsd: number;
}

export interface PositionDayPnl {
  positionId: string;
  realisedUsd: number;
  /** Undefined for a closed position, or an open one the snapshot has no value for. */
  unrealisedUsd: number | undefined;
  totalUsd: number;
}

export interface DayPnl {
  tradeDate: IsoDate;
  realisedUsd: number;
  unrealisedUsd: number;
  /** realised + unrealised; NaN when any figure is not a number (entry check 4 then refuses). */
  totalUsd: number;
  /** Realised on the day by how it was realised. */
  byKind: Record<RealisedKind, number>;
  /** Every position that realised P&L on the day or is open, in input order. */
  perPosition: PositionDayPnl[];
  /**
   * Open positions without a usable mark, counted as 0 and named so it can be said: none in the
   * snapshot, or one taken before the position last realised P&L (it still holds the part since closed,
   * whose P&L is already in the realised figure).
   */
  unmarked: string[];
}

const KINDS: readonly RealisedKind[] = [
  'CLOSE',
  'PARTIAL_CLOSE',
  'EXPIRY',
  'ASSIGNMENT',
  'EXERCISE',
  'EXTERNAL',
];

const cents = (usd: number) => Math.round(usd * 100) / 100;

/**
 * The ledger of a position. A position closed before the ledger existed has none: its whole realised
 * P&L counts on its closing date, as it did then.
 */
export function realisedEntries(position: LedgerPosition): readonly RealisedEntry[] {
  if (position.realised) return position.realised;
  if (position.status !== 'CLOSED' || position.closedAt === undefined) return [];
  if (position.realisedPnlUsd === undefined) return [];
  return [
    {
      at: position.closedAt,
      tradeDate: nyDate(position.closedAt),
      usd: position.realisedPnlUsd,
      kind: 'CLOSE',
    },
  ];
}

/** The day's P&L: realised on `tradeDate` plus unrealised of the open positions at one snapshot. */
export function dayPnl(input: DayPnlInput): DayPnl {
  const byKind = Object.fromEntries(KINDS.map((kind) => [kind, 0])) as Record<RealisedKind, number>;
  const perPosition: PositionDayPnl[] = [];
  const unmarked: string[] = [];
  let realisedUsd = 0;
  let unrealisedUsd = 0;
  for (const position of input.positions) {
    let realised = 0;
    let realisedToday = false;
    let lastRealisedAt = -Infinity;
    for (const entry of realisedEntries(position)) {
      lastRealisedAt = Math.max(lastRealisedAt, entry.at);
      if (entry.tradeDate !== input.tradeDate) continue;
      realised += entry.usd;
      byKind[entry.kind] += entry.usd;
      realisedToday = true;
    }
    let unrealised: number | undefined;
    if (position.status === 'OPEN') {
      const mark = input.marks.get(position.id);
      if (mark && mark.at >= lastRealisedAt) unrealised = mark.unrealisedUsd;
      else unmarked.push(position.id);
    }
    if (!realisedToday && position.status !== 'OPEN') continue;
    realisedUsd += realised;
    unrealisedUsd += unrealised ?? 0;
    perPosition.push({
      positionId: position.id,
      realisedUsd: cents(realised),
      unrealisedUsd: unrealised === undefined ? undefined : cents(unrealised),
      totalUsd: cents(realised + (unrealised ?? 0)),
    });
  }
  for (const kind of KINDS) byKind[kind] = cents(byKind[kind]);
  return {
    tradeDate: input.tradeDate,
    realisedUsd: cents(realisedUsd),
    unrealisedUsd: cents(unrealisedUsd),
    totalUsd: cents(realisedUsd + unrealisedUsd),
    byKind,
    perPosition,
    unmarked,
  };
}

/** The latest snapshot of each position (ties: the later in the list), e.g. of one day's P&L snapshots. */
export function latestPerPosition<T extends { positionId: string; at: number }>(
  snapshots: readonly T[],
): Map<string, T> {
  const latest = new Map<string, T>();
  for (const s of snapshots) {
    const seen = latest.get(s.positionId);
    if (!seen || s.at >= seen.at) latest.set(s.positionId, s);
  }
  return latest;
}

/** What a mark needs of a stored P&L snapshot (the snapshot store's record fits it). */
export interface UnrealisedSnapshot {
  positionId: string;
  at: number;
  unrealisedMidUsd: number;
  unrealisedNaturalUsd: number;
}

/** Each position's latest snapshot as its mark, at mid (the rules' unrealised) or at natural. */
export function marksFrom(
  snapshots: readonly UnrealisedSnapshot[],
  price: 'mid' | 'natural' = 'mid',
): Map<string, PositionMark> {
  const marks = new Map<string, PositionMark>();
  for (const [id, s] of latestPerPosition(snapshots)) {
    marks.set(id, { at: s.at, unrealisedUsd: price === 'mid' ? s.unrealisedMidUsd : s.unrealisedNaturalUsd });
  }
  return marks;
}

/**
 * Realised P&L dated `from`..`to` (trade dates, inclusive) over the given positions' ledgers, to the
 * cent: the equity curve's cumulative realised line and the figure a run compares with the broker's.
 */
export function realisedBetween(positions: readonly LedgerPosition[], from: IsoDate, to: IsoDate): number {
  let usd = 0;
  for (const position of positions) {
    for (const entry of realisedEntries(position)) {
      if (entry.tradeDate >= from && entry.tradeDate <= to) usd += entry.usd;
    }
  }
  return cents(usd);
}
