// daily-statistics against DynamoDB Local, the simulator's account (net liquidation) through the bridge,
// SNS mocked. Positions and P&L snapshots are written with hand-worked figures (see the comments).
import { describe, expect, it } from 'vitest';
import { createBridgeClient } from '#adapters/bridge-client';
import { nyTimeToEpoch } from '#core/calendar';
import { handler } from '#jobs/daily-statistics';
import { maxLossUsd, winRate } from '#jobs/daily-statistics/run';
import { samplePosition } from '../support/dynamodb';
import { lambdaContext, SECRET, startJobStack, TOPIC } from './support';

const stack = await startJobStack();
const { db, clock } = stack;
const TRADE_DATE = '2026-06-01';
const ctx = lambdaContext('daily-statistics');
const positions = db.stores.positions;

async function closedPosition(id: string, realisedPnlUsd: number, closedAt: number) {
  await positions.create(samplePosition(id), { source: 'SYSTEM', now: closedAt - 1000 });
  await positions.markClosed(id, { reason: 'test', realisedPnlUsd, now: closedAt });
}

describe('daily-statistics', () => {
  it('sums realised, unrealised at the last mark, win rate and exposure into one INFO summary', async () => {
    const today = nyTimeToEpoch(TRADE_DATE, '10:00');
    // Closed today: +80 and −120 → realised −40, 1 win of 2 (50%). Closed last Friday: +50 →
    // all time 2 wins of 3 (67%).
    await closedPosition('won-today', 80, today);
    await closedPosition('lost-today', -120, today + 60_000);
    await closedPosition('won-friday', 50, nyTimeToEpoch('2026-05-29', '15:00'));
    // Open: 5 wide, 1.25 credit, ×2 → max loss (5 − 1.25) × 100 × 2 = $750; 5 wide, 1.00 credit, ×1 → $400.
    await positions.create(samplePosition('open-a'), { source: 'SYSTEM', now: today });
    await positions.create(
      samplePosition('open-b', {
        quantity: 1,
        entryCredit: 1,
        legs: samplePosition('x').legs.map((l) => ({ ...l, quantity: Math.sign(l.quantity) })),
      }),
      { source: 'SYSTEM', now: today },
    );
    // Marks: open-a −30 then +45.50 (the last counts), open-b −20.25 → unrealised $25.25 at mid;
    // natural: +10 and −60 → −$50.
    const mark = (positionId: string, at: number, mid: number, natural: number) =>
      db.stores.snapshots.putPnl({
        positionId,
        at,
        tradeDate: TRADE_DATE,
        unrealisedMidUsd: mid,
        unrealisedNaturalUsd: natural,
        closeCostMid: 1,
        closeCostNatural: 1,
        pctOfMaxProfit: 0,
      });
    await mark('open-a', today, -30, -70);
    await mark('open-a', today + 300_000, 45.5, 10);
    await mark('open-b', today + 300_000, -20.25, -60);

    const bridge = createBridgeClient({
      baseUrl: stack.bridge.url,
      secret: SECRET,
      priority: 40,
      now: clock.now,
    });
    const netLiq = (await bridge.account()).netLiquidation;
    const pct = ((1150 / netLiq) * 100).toFixed(1);
    const netLiqText = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(netLiq);

    const result = await handler(
      { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} },
      ctx,
    );
    expect(result).toMatchObject({
      ok: true,
      counts: { open: 2, closedToday: 2, winsToday: 1, closedAllTime: 3, winsAllTime: 2, unmarked: 0 },
      details: {
        realisedUsd: -40,
        unrealisedUsd: 25.25,
        unrealisedNaturalUsd: -50,
        exposureUsd: 1150,
        winRatePct: 50,
      },
    });
    const message =
      'Realised -$40.00; 2 closed (win rate 50%; all time 67% of 3). ' +
      'Unrealised $25.25 at mid (-$50.00 natural) on 2 open. ' +
      `Exposure $1,150.00 max loss = ${pct}% of ${netLiqText} net liq (cap 25%). Orders filled: 0 open, 0 close.`;
    expect(stack.published()).toEqual([
      {
        TopicArn: TOPIC,
        Subject: '[INFO] Daily 2026-06-01: realised -$40.00, unrealised $25.25',
        Message: message,
        MessageAttributes: { severity: { DataType: 'String', StringValue: 'INFO' } },
      },
    ]);
  }, 30_000);

  it('max loss and win rate by hand', () => {
    expect(maxLossUsd(samplePosition('p'))).toBe(750);
    expect(winRate([{ realisedPnlUsd: 10 }, { realisedPnlUsd: 0 }, {}])).toEqual({
      wins: 1,
      closed: 2,
      pct: 50,
    });
    expect(winRate([])).toEqual({ wins: 0, closed: 0, pct: undefined });
  });

  it('refuses bad payloads naming the field', async () => {
    expect(await handler({ tradeDate: '1 June' }, ctx)).toMatchObject({
      ok: false,
      error: 'tradeDate: expected a date YYYY-MM-DD',
    });
    expect(await handler({ date: '2026-06-01' }, ctx)).toMatchObject({
      ok: false,
      error: 'date: unknown field',
    });
  });
});
