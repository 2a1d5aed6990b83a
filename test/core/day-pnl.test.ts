// The day's P&L by hand: which realised entries and which marks count, and which do not.
import { describe, expect, it } from 'vitest';
import { nyTimeToEpoch } from '#core/calendar';
import { dayPnl, latestPerPosition, marksFrom, realisedBetween } from '#core/day-pnl';
import type { LedgerPosition, PositionMark } from '#core/day-pnl';
import type { IsoDate, RealisedEntry, RealisedKind } from '#core/types';

const DAY = '2026-06-01';
const at = (hhmm: string, date = DAY) => nyTimeToEpoch(date, hhmm);
const entry = (kind: RealisedKind, usd: number, when: number): RealisedEntry => {
  const date = new Date(when - 4 * 3_600_000).toISOString().slice(0, 10); // New York in June is UTC−4
  return { at: when, tradeDate: date, usd, kind };
};
const marks = (list: [string, number, number][]) =>
  new Map<string, PositionMark>(list.map(([id, when, usd]) => [id, { at: when, unrealisedUsd: usd }]));

describe('dayPnl', () => {
  it('sums the day’s realised entries of every kind plus the marks of the open positions', () => {
    const positions: LedgerPosition[] = [
      // Partial close Friday (not today) and the close today.
      {
        id: 'a',
        status: 'CLOSED',
        realised: [entry('PARTIAL_CLOSE', 100, at('15:00', '2026-05-29')), entry('CLOSE', -300, at('10:00'))],
      },
      // Still open after a partial close today; marked after it.
      { id: 'b', status: 'OPEN', realised: [entry('PARTIAL_CLOSE', -150.5, at('09:50'))] },
      { id: 'd', status: 'CLOSED', realised: [entry('EXPIRY', 60.25, at('16:30'))] },
      { id: 'e', status: 'OPEN', realised: [entry('ASSIGNMENT', -200, at('10:20'))] },
      { id: 'f', status: 'CLOSED', realised: [entry('EXTERNAL', 12, at('11:00'))] },
      // Open, nothing realised.
      { id: 'g', status: 'OPEN' },
    ];
    const day = dayPnl({
      tradeDate: DAY,
      positions,
      marks: marks([
        ['a', at('09:55'), -280], // closed since: ignored
        ['b', at('10:05'), -50],
        ['e', at('10:25'), -15.75],
        ['g', at('10:25'), 20],
      ]),
    });
    expect(day).toEqual({
      tradeDate: DAY,
      realisedUsd: -578.25,
      unrealisedUsd: -45.75,
      totalUsd: -624,
      byKind: {
        CLOSE: -300,
        PARTIAL_CLOSE: -150.5,
        EXPIRY: 60.25,
        ASSIGNMENT: -200,
        EXERCISE: 0,
        EXTERNAL: 12,
      },
      perPosition: [
        { positionId: 'a', realisedUsd: -300, unrealisedUsd: undefined, totalUsd: -300 },
        { positionId: 'b', realisedUsd: -150.5, unrealisedUsd: -50, totalUsd: -200.5 },
        { positionId: 'd', realisedUsd: 60.25, unrealisedUsd: undefined, totalUsd: 60.25 },
        { positionId: 'e', realisedUsd: -200, unrealisedUsd: -15.75, totalUsd: -215.75 },
        { positionId: 'f', realisedUsd: 12, unrealisedUsd: undefined, totalUsd: 12 },
        { positionId: 'g', realisedUsd: 0, unrealisedUsd: 20, totalUsd: 20 },
      ],
      unmarked: [],
    });
  });

  it('leaves out positions closed on other days, and what they realised then', () => {
    const day = dayPnl({
      tradeDate: DAY,
      positions: [
        { id: 'old', status: 'CLOSED', realised: [entry('CLOSE', 500, at('10:00', '2026-05-29'))] },
      ],
      marks: marks([['old', at('10:00'), 99]]),
    });
    expect(day).toMatchObject({ realisedUsd: 0, unrealisedUsd: 0, totalUsd: 0, perPosition: [] });
  });

  it('does not use a mark taken before the position last realised P&L (it still holds the closed part)', () => {
    const day = dayPnl({
      tradeDate: DAY,
      positions: [
        { id: 'b', status: 'OPEN', realised: [entry('PARTIAL_CLOSE', -150, at('09:50'))] },
        { id: 'new', status: 'OPEN' },
      ],
      marks: marks([['b', at('09:40'), -60]]),
    });
    expect(day).toMatchObject({
      realisedUsd: -150,
      unrealisedUsd: 0,
      totalUsd: -150,
      unmarked: ['b', 'new'],
    });
  });

  it('counts a position closed before the ledger existed at its closing date', () => {
    const day = dayPnl({
      tradeDate: DAY,
      positions: [
        { id: 'legacy', status: 'CLOSED', closedAt: at('11:00'), realisedPnlUsd: -42 },
        { id: 'legacy-friday', status: 'CLOSED', closedAt: at('11:00', '2026-05-29'), realisedPnlUsd: 7 },
        { id: 'legacy-unknown', status: 'CLOSED', closedAt: at('11:00') },
      ],
      marks: new Map(),
    });
    expect(day).toMatchObject({ realisedUsd: -42, byKind: { CLOSE: -42 } });
  });

  it('is not a number when a figure is not (entry check 4 then refuses)', () => {
    const day = dayPnl({
      tradeDate: DAY,
      positions: [{ id: 'b', status: 'OPEN' }],
      marks: marks([['b', at('10:00'), Number.NaN]]),
    });
    expect(day.totalUsd).toBeNaN();
  });

  it('marks from snapshots: the latest of each position, at mid or natural', () => {
    const snapshots = [
      { positionId: 'x', at: 2, unrealisedMidUsd: -5, unrealisedNaturalUsd: -9 },
      { positionId: 'x', at: 1, unrealisedMidUsd: 1, unrealisedNaturalUsd: 0 },
      { positionId: 'y', at: 3, unrealisedMidUsd: 4, unrealisedNaturalUsd: 2 },
    ];
    expect(latestPerPosition(snapshots).get('x')?.at).toBe(2);
    expect(marksFrom(snapshots)).toEqual(
      new Map([
        ['x', { at: 2, unrealisedUsd: -5 }],
        ['y', { at: 3, unrealisedUsd: 4 }],
      ]),
    );
    expect(marksFrom(snapshots, 'natural').get('x')).toEqual({ at: 2, unrealisedUsd: -9 });
  });
});

describe('realisedBetween', () => {
  const entry = (tradeDate: IsoDate, usd: number, kind: RealisedKind = 'CLOSE') => ({
    at: Date.parse(`${tradeDate}T20:00:00Z`),
    tradeDate,
    usd,
    kind,
  });
  const positions = [
    { id: 'a', status: 'CLOSED' as const, realised: [entry('2026-11-02', 10.1), entry('2026-11-04', -3.3)] },
    { id: 'b', status: 'OPEN' as const, realised: [entry('2026-11-03', 0.2, 'PARTIAL_CLOSE')] },
    // Closed before the ledger existed: its whole P&L on its closing date.
    { id: 'c', status: 'CLOSED' as const, closedAt: Date.parse('2026-11-05T20:00:00Z'), realisedPnlUsd: 7 },
  ];

  it('sums the ledger entries dated inside the range, both ends included, to the cent', () => {
    expect(realisedBetween(positions, '2026-11-02', '2026-11-05')).toBe(14);
    expect(realisedBetween(positions, '2026-11-03', '2026-11-04')).toBe(-3.1);
    expect(realisedBetween(positions, '2026-11-06', '2026-11-30')).toBe(0);
  });
});
