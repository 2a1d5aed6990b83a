// The report's days read from the stores alone (the report from the deployed stack): three trading days
// written through the real stores in DynamoDB Local, read back as closes by rule, chosen candidates,
// each position's P&L path, the positions as they stood each evening, and the equity curve.
import { describe, expect, it } from 'vitest';
import { nyTimeToEpoch } from '#core/calendar';
import type { ScoredCandidate } from '#core/types';
import { collectStoredDay, collectStoredRun } from '#scripts/report/stored-report';
import type { ReportDay } from '#scripts/report/summary';
import { sampleCandidate, sampleIntent, samplePosition, useTables } from '../support/dynamodb';

const db = await useTables();
const { stores } = db;
const MON = '2026-02-02';
const TUE = '2026-02-03';
const WED = '2026-02-04';
const at = (date: string, time: string) => nyTimeToEpoch(date, time);

const candidate = (id: string, score: number, strikes: [number, number]): ScoredCandidate => {
  const base = sampleCandidate(id, score);
  const [short, long] = base.legs as [ScoredCandidate['legs'][0], ScoredCandidate['legs'][0]];
  return {
    ...base,
    legs: [
      { ...short, contract: { ...short.contract, strike: strikes[0] } },
      { ...long, contract: { ...long.contract, strike: strikes[1] } },
    ],
    ...(score < 70 ? { rejections: ['short delta 0.41 outside 0.16–0.30'] } : {}),
  };
};

/** An order intent at IB (SUBMITTED), as execute-strategies or the monitor leaves it. */
async function submitted(key: string, overrides: Parameters<typeof sampleIntent>[1], now: number) {
  await stores.intents.create(sampleIntent(key, overrides), now);
  await stores.intents.transition(key, { from: 'INTENT', to: 'SUBMITTED', orderId: 7, now: now + 1 });
}

const snapshot = (positionId: string, date: string, time: string, unrealisedMidUsd: number) =>
  stores.snapshots.putPnl({
    positionId,
    at: at(date, time),
    tradeDate: date,
    unrealisedMidUsd,
    unrealisedNaturalUsd: unrealisedMidUsd - 10,
    closeCostMid: 1,
    closeCostNatural: 1.1,
    pctOfMaxProfit: 20,
  });

// Monday: the analysis scores five (three kept in full), execution opens A and B, and D (archived only).
const A = candidate('SPY:BULL_PUT:2026-03-20:P480/P475', 82, [480, 475]);
const B = candidate('SPY:BULL_PUT:2026-03-20:P470/P465', 75, [470, 465]);
const C = candidate('SPY:BULL_PUT:2026-03-20:P490/P485', 40, [490, 485]);
const D = candidate('SPY:BULL_PUT:2026-03-20:P460/P455', 71, [460, 455]);
const E = candidate('SPY:BULL_PUT:2026-03-20:P450/P445', 30, [450, 445]);
await stores.candidates.putMany(MON, [A, B, C], { scoredAt: at(MON, '09:45'), minScore: 70 });
const encoder = stores.candidates.archiveEncoder({ minScore: 70 });
encoder.add([A, B, C, D, E]);
await stores.candidates.putArchive(MON, 'SPY', encoder.finish(), { scoredAt: at(MON, '09:45') });

/** Execution's opening order for a candidate, filled into a position. */
async function opened(candidateId: string, positionId: string, time: string) {
  const key = `${MON}:OPEN:${positionId}`;
  await submitted(key, { candidateId, positionId }, at(MON, '10:00'));
  await stores.positions.openFromFill({
    intentKey: key,
    position: samplePosition(positionId, { openedAt: at(MON, time) }),
    fill: { filledQuantity: 2, avgFillPrice: 1.25 },
    now: at(MON, time),
  });
}
await opened(A.id, 'P1', '10:05');
await opened(B.id, 'P2', '10:06');
// D was chosen but its order was refused: still chosen, the orders list tells the rest.
await stores.intents.create(
  sampleIntent(`${MON}:OPEN:D`, {
    candidateId: D.id,
    legs: [
      { contract: { ...(D.legs[0] as ScoredCandidate['legs'][0]).contract }, action: 'SELL', ratio: 1 },
      { contract: { ...(D.legs[1] as ScoredCandidate['legs'][0]).contract }, action: 'BUY', ratio: 1 },
    ],
  }),
  at(MON, '10:00'),
);
await snapshot('P1', MON, '11:00', 35);
await snapshot('P1', MON, '10:30', 20);
await stores.snapshots.putDecision({
  positionId: 'P1',
  at: at(MON, '10:30'),
  tradeDate: MON,
  action: 'HOLD',
  rule: 12,
  ruleName: 'P&L alert',
  urgent: false,
  reason: 'loss $210 > $200',
  inputs: { unrealisedUsd: -210 },
  alert: { severity: 'WARNING', reason: 'loss $210 > $200' },
});

// Tuesday: P1 reaches the profit target (rule 8) and closes for +60; an outside position appears.
await snapshot('P1', TUE, '10:00', 40);
const closeP1 = `${TUE}:CLOSE:P1`;
await submitted(
  closeP1,
  { tradeDate: TUE, purpose: 'CLOSE', positionId: 'P1', rule: 8, action: 'BUY', reason: 'rule 8' },
  at(TUE, '10:10'),
);
await stores.positions.closeFromFill({
  intentKey: closeP1,
  positionId: 'P1',
  fill: { filledQuantity: 2, avgFillPrice: -0.6 },
  realisedPnlUsd: 60,
  reason: 'rule 8 profit target',
  now: at(TUE, '10:15'),
});
await stores.positions.create(samplePosition('P3', { openedAt: at(TUE, '11:00') }), {
  source: 'EXTERNAL',
  now: at(TUE, '11:00'),
});

// Wednesday: P2 expires (+122), P3 is closed outside the system (−250).
await stores.positions.markClosed('P2', {
  reason: 'expired',
  realisedPnlUsd: 122,
  kind: 'EXPIRY',
  now: at(WED, '16:30'),
});
await stores.positions.markClosed('P3', {
  reason: 'closed outside the system',
  realisedPnlUsd: -250,
  kind: 'EXTERNAL',
  now: at(WED, '12:00'),
});

const run = await collectStoredRun(stores, { from: MON, to: '2026-02-06' });
const day = (date: string) => run.days.find((d) => d.date === date) as ReportDay;
const position = (d: ReportDay, id: string) => d.positions.find((p) => p.id === id);

describe('report from the stores alone', () => {
  it('has one day per trading day with records, from the AWS source, with no broker view', () => {
    expect(run.source).toBe('aws');
    expect(run.days.map((d) => d.date)).toEqual([MON, TUE, WED]);
    for (const d of run.days) {
      expect(d.simulator).toBeUndefined();
      expect(d.checks).toBeUndefined();
      expect(d.runs).toBeUndefined();
    }
  });

  it('lists every archived score and the candidates execution chose (from the archive when not kept in full)', () => {
    const mon = day(MON);
    const counts = mon.candidates.scoreCounts ?? [];
    expect(counts.flatMap((n, score) => Array.from({ length: n }, () => score))).toEqual([
      30, 40, 71, 75, 82,
    ]);
    expect(mon.candidates.atOrAboveMinScore).toBe(3);
    expect(mon.candidates.count).toBe(5);
    const chosen = mon.candidates.chosen ?? [];
    expect(chosen.map((c) => c.id).sort()).toEqual([A.id, B.id, D.id].sort());
    expect(chosen.find((c) => c.id === D.id)).toMatchObject({
      score: 71,
      strikes: 'P460/P455',
      symbol: 'SPY',
    });
    expect(chosen.find((c) => c.id === A.id)).toMatchObject({ score: 82, strikes: 'P480/P475' });
    expect(day(TUE).candidates.chosen).toEqual([]);
  });

  it('names each close by what closed it, per day and in the totals', () => {
    expect(day(MON).closesByRule).toEqual({});
    expect(day(TUE).closesByRule).toEqual({ 'profit target': 1 });
    expect(position(day(TUE), 'P1')?.closedBy).toBe('profit target');
    expect(day(WED).closesByRule).toEqual({ expiry: 1, 'closed outside the system': 1 });
    expect(position(day(WED), 'P2')?.closedBy).toBe('expiry');
    expect(position(day(WED), 'P3')?.closedBy).toBe('closed outside the system');
    expect(run.totals.closesByRule).toEqual({
      'profit target': 1,
      expiry: 1,
      'closed outside the system': 1,
    });
  });

  it('shows each position as it stood that evening, with its P&L path of the day', () => {
    const p1Monday = position(day(MON), 'P1');
    expect(p1Monday).toMatchObject({ status: 'OPEN' });
    expect(p1Monday?.closedAt).toBeUndefined();
    expect(p1Monday?.closedBy).toBeUndefined();
    expect(p1Monday?.pnlPath).toEqual([
      { at: at(MON, '10:30'), pnlUsd: 20 },
      { at: at(MON, '11:00'), pnlUsd: 35 },
    ]);
    // The day it closed, the line ends at the exit with what it realised.
    expect(position(day(TUE), 'P1')?.pnlPath).toEqual([
      { at: at(TUE, '10:00'), pnlUsd: 40 },
      { at: at(TUE, '10:15'), pnlUsd: 60 },
    ]);
    expect(position(day(TUE), 'P2')?.status).toBe('OPEN');
    // Closed before Wednesday: not Wednesday's; opened on Tuesday: not Monday's.
    expect(position(day(WED), 'P1')).toBeUndefined();
    expect(position(day(MON), 'P3')).toBeUndefined();
  });

  it('realises each day what its ledgers say, and the equity curve sums them from the first day', () => {
    expect(run.days.map((d) => d.pnl.realisedUsd)).toEqual([0, 60, -128]);
    expect(day(WED).pnl.realisedByKind).toMatchObject({ EXPIRY: 122, EXTERNAL: -250 });
    expect(run.days.map((d) => d.equity)).toEqual([
      { date: MON, realisedToDateUsd: 0, drawdownUsd: 0 },
      { date: TUE, realisedToDateUsd: 60, drawdownUsd: 0 },
      { date: WED, realisedToDateUsd: -68, drawdownUsd: -128 },
    ]);
    expect(run.totals.realisedUsd).toBe(-68);
  });

  it('counts the alerts the decisions raised; the broker counts are not known', () => {
    expect(day(MON).alertCounts).toEqual({ INFO: 0, WARNING: 1, CRITICAL: 0 });
    expect(run.totals.alertCounts).toEqual({ INFO: 0, WARNING: 1, CRITICAL: 0 });
  });

  it('reads one day on its own, realised to date from a given first day', async () => {
    const wed = await collectStoredDay(stores, WED, { from: TUE });
    expect(wed.equity).toEqual({ date: WED, realisedToDateUsd: -68, drawdownUsd: -128 });
    expect(wed.closesByRule).toEqual(day(WED).closesByRule);
    expect(wed.hasRecords).toBe(true);
    expect((await collectStoredDay(stores, '2026-02-05')).hasRecords).toBe(false);
  });
});
