// Snapshots against DynamoDB Local: P&L and decisions per position, market data per symbol, by day,
// over pages; the TTL attribute is set (whether DynamoDB has deleted expired items is never asserted).
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { DecisionRecord, MarketDataSnapshot, PnlSnapshot } from '#adapters/ports';
import { useTables } from '../support/dynamodb';

const db = await useTables();
const paged = db.storesWith({ pageSize: 3 }).snapshots;
const OPEN = Date.UTC(2026, 1, 2, 14, 30);
const FIVE_MIN = 5 * 60_000;

const pnl = (positionId: string, i: number, tradeDate = '2026-02-02'): PnlSnapshot => ({
  positionId,
  at: OPEN + i * FIVE_MIN,
  tradeDate,
  unrealisedMidUsd: 10 * i - 30,
  unrealisedNaturalUsd: 10 * i - 55,
  closeCostMid: 1.25 - i * 0.05,
  closeCostNatural: 1.4 - i * 0.05,
  pctOfMaxProfit: i * 4,
  underlyingPrice: 500 + i,
});

describe('snapshot store', () => {
  it('lists a position’s P&L in time order, within a range, and everything of a day', async () => {
    for (let i = 0; i < 10; i++) await paged.putPnl(pnl('pos-a', i));
    for (let i = 0; i < 4; i++) await paged.putPnl(pnl('pos-b', i));
    await paged.putPnl(pnl('pos-a', 300, '2026-02-03'));

    const all = await paged.listPnl('pos-a');
    expect(all.map((s) => s.at)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => OPEN + i * FIVE_MIN),
      OPEN + 300 * FIVE_MIN,
    ]);
    expect(all[3]).toEqual(pnl('pos-a', 3));

    const range = await paged.listPnl('pos-a', { from: OPEN + 2 * FIVE_MIN, to: OPEN + 5 * FIVE_MIN });
    expect(range.map((s) => s.at)).toEqual([2, 3, 4, 5].map((i) => OPEN + i * FIVE_MIN));
    expect((await paged.listPnl('pos-a', { from: OPEN + 9 * FIVE_MIN })).length).toBe(2);
    expect((await paged.listPnl('pos-a', { to: OPEN })).length).toBe(1);

    const day = await paged.listPnlByDay('2026-02-02');
    expect(day).toHaveLength(14);
    expect(day.map((s) => s.at)).toEqual([...day.map((s) => s.at)].sort((a, b) => a - b));
  });

  it('keeps a decision’s rule, reason and inputs, NaN included, and finds the latest', async () => {
    const base: DecisionRecord = {
      positionId: 'pos-d',
      at: OPEN,
      tradeDate: '2026-02-02',
      action: 'HOLD',
      rule: 0,
      ruleName: 'no rule matched',
      urgent: false,
      reason: 'nothing to do',
      inputs: { pctOfMaxProfit: Number.NaN, minutesToClose: 390, bridgeUp: true, ruleSet: 'default' },
    };
    const close: DecisionRecord = {
      ...base,
      at: OPEN + FIVE_MIN,
      action: 'CLOSE',
      rule: 8,
      ruleName: 'profit target',
      reason: 'profit 52% of max profit ≥ 50%',
      inputs: { pctOfMaxProfit: 52, profitTargetPct: 50, lossMultiple: Number.POSITIVE_INFINITY },
      alert: { severity: 'INFO', reason: 'closing at profit target' },
      intentKey: '2026-02-02:CLOSE:pos-d',
    };
    await paged.putDecision(base);
    await paged.putDecision(close);

    const [first, second] = await paged.listDecisions('pos-d');
    expect(first?.inputs.pctOfMaxProfit).toBeNaN();
    expect(first).toEqual(base);
    expect(second).toEqual(close);
    expect(await paged.latestDecision('pos-d')).toEqual(close);
    expect(await paged.latestDecision('pos-none')).toBeUndefined();
    expect((await paged.listDecisionsByDay('2026-02-02')).map((d) => d.rule)).toEqual([0, 8]);
  });

  it('a retried write at the same instant replaces the earlier one rather than doubling it', async () => {
    await paged.putPnl({ ...pnl('pos-r', 1), unrealisedMidUsd: 1 });
    await paged.putPnl({ ...pnl('pos-r', 1), unrealisedMidUsd: 2 });
    expect((await paged.listPnl('pos-r')).map((s) => s.unrealisedMidUsd)).toEqual([2]);
  });

  it('batch-writes collected market data, keeps its own kind, and lists it by symbol and by day', async () => {
    const snapshots: MarketDataSnapshot[] = [];
    for (let i = 0; i < 30; i++) {
      for (const symbol of ['SPY', 'QQQ']) {
        snapshots.push({
          kind: 'OPTION_METRICS',
          symbol,
          at: OPEN + i * FIVE_MIN,
          tradeDate: '2026-02-02',
          data: { atmIv: 0.18 + i / 1000, skew: -0.03, volume: 1000 * i, note: null },
        });
      }
    }
    snapshots.push({
      kind: 'FUTURE_QUOTE',
      symbol: 'ESH6',
      at: OPEN,
      tradeDate: '2026-02-02',
      data: { bid: 6010.25, ask: 6010.5 },
    });
    await paged.putMarketData(snapshots);

    const spy = await paged.listMarketData('OPTION_METRICS', 'SPY');
    expect(spy).toHaveLength(30);
    expect(spy[7]).toEqual(snapshots.find((s) => s.symbol === 'SPY' && s.at === OPEN + 7 * FIVE_MIN));
    expect(await paged.listMarketDataByDay('OPTION_METRICS', '2026-02-02')).toHaveLength(60);
    expect(await paged.listMarketDataByDay('FUTURE_QUOTE', '2026-02-02')).toEqual([snapshots.at(-1)]);

    const raw = await db.docClient.send(
      new GetCommand({ TableName: db.names.snapshots, Key: { series: 'FUTURE_QUOTE#ESH6', at: OPEN } }),
    );
    // 90 days after the snapshot, in epoch seconds.
    expect(raw.Item?.expiresAt).toBe(OPEN / 1000 + 90 * 86_400);
  });
});
