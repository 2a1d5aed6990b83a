// position-sync on option legs opened outside the system that form none of our strategies: they are
// recorded as unrecognised with their legs, never labelled as some strategy, and alerted for a person.
// DynamoDB Local, the real bridge over the simulator; SNS the only mock.
import { describe, expect, it } from 'vitest';
import { handler as sync } from '#jobs/position-sync';
import '../support/dynamodb';
import { lambdaContext, startJobStack, TOPIC } from './support';
import { listedOptions, placeSpreadAtBroker } from './broker-spread';

const stack = await startJobStack({ seed: 11 });
const { db, sim } = stack;
const engine = sim.engine;
const account = engine.accounts()[0]!;
const iwm = engine.findContracts({ symbol: 'IWM', secType: 'STK' })[0]!;
const { params, nearestStrike, option, iso } = listedOptions(engine, 'IWM');

describe('position-sync on legs that form no strategy of ours', () => {
  it('a short put with a long call opened in TWS: recorded as unrecognised with its legs, CRITICAL, never called a bull put', async () => {
    const expiry = params.expirations.find((e) => iso(e) >= '2026-07-01')!;
    const spot = engine.quote(iwm.conId)!.last!;
    const put = option(nearestStrike(spot * 0.95), 'P', expiry);
    const call = option(nearestStrike(spot * 1.05), 'C', expiry);
    const state = placeSpreadAtBroker(engine, {
      orderId: 910_000,
      account,
      symbol: 'IWM',
      short: put,
      long: call,
      purpose: 'open',
      quantity: 2,
      orderRef: 'tws-manual-risk-reversal',
    });
    if (state.status !== 'Filled') sim.advance(1000);
    const before = stack.published().length;

    const result = await sync(
      { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} },
      lambdaContext('position-sync'),
    );

    expect(result.ok).toBe(false);
    expect(result.counts).toMatchObject({ external: 0, unrecognised: 1, mismatches: 0 });
    const legs = `IWM ${iso(expiry)} legs −2 P${put.strike}, +2 C${call.strike}`;
    const reasons = (result.reasons ?? []).filter((r) => r.includes('opened outside'));
    expect(reasons).toEqual([`opened outside the system: ${legs}: no strategy of ours, not recorded`]);
    // Nothing recorded: no strategy's rules can manage these legs.
    expect(await db.stores.positions.listOpen()).toEqual([]);
    const alerts = stack.published().slice(before);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      TopicArn: TOPIC,
      Subject: '[CRITICAL] Opened outside the system: IWM (unrecognised legs)',
    });
    const message = String(alerts[0]!.Message);
    expect(message).toContain(legs);
    expect(message).toContain('manage them by hand');
    expect(message).not.toMatch(/bull put/i);
  }, 60_000);
});
