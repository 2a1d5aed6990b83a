// gatewayHours=market against the real bridge, the simulator and DynamoDB Local, with ECS and SNS the
// mocked clients: the gateway-hours job's exact UpdateService calls (start on a trading day, nothing on a
// holiday, working orders settled before the stop), a job outside the window skipped without an alert,
// and the health check off by schedule. Each run gets a clock shifted to the New York time it tests
// (its waits still advance the stack's clock, so the bridge's signatures and pacing hold).
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { BridgeError } from '#adapters/bridge-client';
import type { BridgeClient } from '#adapters/bridge-client';
import type { Clock } from '#adapters/clock';
import { setGatewayService } from '#adapters/ecs-client';
import { nyTimeToEpoch } from '#core/calendar';
import { JOB_NAMES } from '#core/config';
import { handler as gatewayHours } from '#jobs/gateway-hours';
import { handler as healthCheck } from '#jobs/health-check';
import { handler as verifyPositions } from '#jobs/verify-positions';
import { createJobContext, setJobContext } from '#jobs/shared/context';
import '../support/dynamodb';
import { placeSpreadAtBroker } from './broker-spread';
import { lambdaContext, startJobStack } from './support';

const stack = await startJobStack({ seed: 21 });
const { db, sim, clock } = stack;
const CLUSTER = 'ib-options-income';
const SERVICE = 'gateway';
const SCHEDULED = { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} };

const ecs = mockClient(ECSClient);
/** What DescribeServices answers: the service with this desired and running count. */
function serviceWith(desired: number, running = desired) {
  ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: SERVICE,
        status: 'ACTIVE',
        desiredCount: desired,
        runningCount: running,
        pendingCount: 0,
        deployments: [],
      },
    ],
    failures: [],
  });
}
process.env.ECS_CLUSTER = CLUSTER;
process.env.ECS_SERVICE = SERVICE;
setGatewayService(undefined);
afterAll(() => {
  ecs.restore();
  delete process.env.ECS_CLUSTER;
  delete process.env.ECS_SERVICE;
  delete process.env.TRADING_MODE;
  setGatewayService(undefined);
  setJobContext(stack.context);
});

/** The jobs' context at New York `date hhmm`, with these gateway hours and bridge calls replaced. */
function at(
  date: string,
  hhmm: string,
  options: { hours?: 'market' | 'always'; bridge?: (real: BridgeClient) => Partial<BridgeClient> } = {},
): void {
  const offset = nyTimeToEpoch(date, hhmm) - clock.now();
  const shifted: Clock = { now: () => clock.now() + offset, sleep: (ms) => clock.sleep(ms) };
  const real = stack.context;
  setJobContext(
    createJobContext({
      stores: db.stores,
      clock: shifted,
      alerter: real.alerter,
      idempotency: null,
      bridge: (priority) => {
        const client = real.bridge(priority);
        return { ...client, ...options.bridge?.(client) } as BridgeClient;
      },
      env: { GATEWAY_HOURS: options.hours ?? 'market' },
    }),
  );
}

const updates = () => ecs.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input);
const subjects = (from: number) =>
  stack
    .published()
    .slice(from)
    .map((p) => p.Subject);

beforeEach(() => {
  ecs.resetHistory();
  ecs.on(UpdateServiceCommand).resolves({ service: {} });
  delete process.env.TRADING_MODE;
});

describe('gateway-hours: start', () => {
  it('starts the gateway at 07:30 on a trading day and, live, asks for the IBKR Mobile approval', async () => {
    process.env.TRADING_MODE = 'live';
    serviceWith(0);
    at('2026-06-02', '07:30');
    const published = stack.published().length;
    const result = await gatewayHours(SCHEDULED, lambdaContext('gateway-hours'));
    expect(result).toMatchObject({
      ok: true,
      did: 'gateway started (desired count 1); IBKR Mobile approval asked for',
    });
    expect(updates()).toEqual([{ cluster: CLUSTER, service: SERVICE, desiredCount: 1 }]);
    expect(subjects(published)).toEqual(['[INFO] Gateway starting: approve the IBKR Mobile notification']);
    // 08:00: load-historical-data and position-sync both run then.
    expect(String(stack.published().at(-1)!.Message)).toMatch(
      /The first job that needs IB, (load-historical-data|position-sync), runs in 30 min\.$/,
    );
  });

  it('starts a paper gateway without an alert (no second factor)', async () => {
    serviceWith(0);
    at('2026-06-03', '07:30');
    const published = stack.published().length;
    const result = await gatewayHours(SCHEDULED, lambdaContext('gateway-hours'));
    expect(result.did).toBe('gateway started (desired count 1)');
    expect(updates()).toEqual([{ cluster: CLUSTER, service: SERVICE, desiredCount: 1 }]);
    expect(subjects(published)).toEqual([]);
  });

  it('leaves the gateway off on a holiday (the calendar decides, not the cron)', async () => {
    serviceWith(0);
    at('2026-07-03', '07:30'); // Independence Day observed, a Friday
    const result = await gatewayHours(SCHEDULED, lambdaContext('gateway-hours'));
    expect(result.did).toBe('gateway already off');
    expect(updates()).toEqual([]);
  });
});

describe('gateway-hours: stop', () => {
  it('stops at once when no order works', async () => {
    serviceWith(1);
    at('2026-06-02', '18:30');
    const published = stack.published().length;
    const result = await gatewayHours(SCHEDULED, lambdaContext('gateway-hours'));
    expect(result).toMatchObject({ ok: true, did: 'gateway stopped (desired count 0)' });
    expect(updates()).toEqual([{ cluster: CLUSTER, service: SERVICE, desiredCount: 0 }]);
    expect(subjects(published)).toEqual([]);
  });

  it('leaves the gateway running with a CRITICAL when the working orders cannot be read', async () => {
    serviceWith(1);
    at('2026-06-02', '18:30', {
      bridge: () => ({
        openOrders: () => Promise.reject(new BridgeError(503, 'not-ready', 'IB connection not ready', true)),
      }),
    });
    const published = stack.published().length;
    const result = await gatewayHours(SCHEDULED, lambdaContext('gateway-hours'));
    expect(result.ok).toBe(false);
    expect(result.did).toMatch(/^gateway left running: could not read the working orders from the bridge: /);
    expect(updates()).toEqual([]);
    expect(subjects(published)).toEqual(['[CRITICAL] Gateway not stopped: working orders unknown']);
  });

  it('waits for a working order, cancels it, names it in a CRITICAL, and only then stops', async () => {
    const engine = sim.engine;
    const iwm = engine.findContracts({ symbol: 'IWM', secType: 'STK' })[0]!;
    const params = engine.optionParams('IWM')[0]!;
    const expiry = params.expirations[params.expirations.length - 1]!;
    const strikes = [...params.strikes].sort((a, b) => a - b);
    const spot = engine.quote(iwm.conId)!.last!;
    const below = strikes.filter((k) => k < spot * 0.9);
    const put = (strike: number) =>
      engine.findContracts({ symbol: 'IWM', secType: 'OPT', lastTradeDate: expiry, strike, right: 'P' })[0]!;
    const [longPut, shortPut] = [put(below.at(-2)!), put(below.at(-1)!)];
    const orderRef = 'oi-gateway-hours-stop';
    const orderId = 970_001;
    // A GTC order the bridge placed that never fills, as an order still working at 18:30 would be.
    placeSpreadAtBroker(engine, {
      account: engine.accounts()[0]!,
      orderId,
      clientId: 1,
      symbol: 'IWM',
      short: shortPut,
      long: longPut,
      purpose: 'open',
      quantity: 1,
      orderRef,
      limitPrice: -100,
      tif: 'GTC',
    });
    const statusAtIb = () => sim.orders().find((o) => o.request.orderId === orderId)?.status;
    expect(statusAtIb()).toBe('Submitted');

    let statusWhenStopped: string | undefined;
    ecs.on(UpdateServiceCommand).callsFake(() => {
      statusWhenStopped = statusAtIb();
      return { service: {} };
    });
    serviceWith(1);
    at('2026-06-02', '18:30');
    const published = stack.published().length;
    const started = clock.now();
    const result = await gatewayHours(SCHEDULED, lambdaContext('gateway-hours'));

    expect(result).toMatchObject({
      ok: true,
      did: 'gateway stopped (desired count 0); 1 working order(s) cancelled first',
      counts: { cancelledOrders: 1 },
    });
    // Bounded: the wait stops a minute short of the Lambda's 5 minutes left (lambdaContext), under 5 min.
    expect(clock.now() - started).toBeGreaterThanOrEqual(3 * 60_000);
    expect(clock.now() - started).toBeLessThan(5 * 60_000);
    expect(updates()).toEqual([{ cluster: CLUSTER, service: SERVICE, desiredCount: 0 }]);
    expect(statusWhenStopped).toBe('Cancelled');
    expect(subjects(published)).toEqual(['[CRITICAL] 1 order(s) cancelled at the gateway stop']);
    expect(String(stack.published().at(-1)!.Message)).toContain(
      `cancelled: #${orderId} ${orderRef} IWM BUY 1 left @ -100.`,
    );
  }, 60_000);
});

describe('outside the window', () => {
  it('a job that needs IB records "gateway off by schedule" and alerts nothing', async () => {
    at('2026-06-02', '20:00');
    const published = stack.published().length;
    const ordersBefore = sim.orders().length;
    const result = await verifyPositions({}, lambdaContext('verify-positions'));
    expect(result).toEqual({
      job: 'verify-positions',
      tradeDate: '2026-06-02',
      ok: true,
      skipped: 'gateway off by schedule (gatewayHours=market: 07:30-18:30 New York)',
    });
    expect(subjects(published)).toEqual([]);
    expect(sim.orders()).toHaveLength(ordersBefore);
    // The same run with the gateway always on does its work.
    at('2026-06-02', '20:00', { hours: 'always' });
    const always = await verifyPositions({}, lambdaContext('verify-positions'));
    expect(always.skipped).toBeUndefined();
    expect(always.did).toBeDefined();
  });
});

describe('health-check and the window', () => {
  const bridgeDown = () => ({
    health: () => Promise.reject(new BridgeError(0, 'NETWORK', 'GET /health: bridge unreachable', true)),
  });
  it('off by schedule: no gateway-down alert, no restart; always-on hours alert as before', async () => {
    // The gateway's checks alone: the watchman expects nothing of the other jobs here.
    await db.stores.config.saveSection(
      'jobs',
      Object.fromEntries(JOB_NAMES.map((n) => [n, n === 'health-check'])),
      { now: clock.now() },
    );
    serviceWith(0);
    const published = stack.published().length;
    at('2026-06-02', '20:00', { bridge: bridgeDown });
    for (let i = 0; i < 4; i++) {
      const result = await healthCheck({ restartAfterFailures: 1 }, lambdaContext('health-check'));
      expect(result).toMatchObject({
        ok: true,
        did: 'gateway off by schedule (gatewayHours=market: 07:30-18:30 New York)',
      });
    }
    // In the window's first minutes a gateway not up yet is starting, not down.
    at('2026-06-03', '07:40', { bridge: bridgeDown });
    const starting = await healthCheck({}, lambdaContext('health-check'));
    expect(starting.did).toMatch(
      /^gateway starting \(gatewayHours=market: not counted in the window's first 15 min\)/,
    );
    expect(subjects(published)).toEqual([]);
    expect(updates()).toEqual([]);

    // The same check with the gateway always on: down, alerted.
    at('2026-06-02', '20:00', { hours: 'always', bridge: bridgeDown });
    const always = await healthCheck({}, lambdaContext('health-check'));
    expect(always.ok).toBe(false);
    expect(subjects(published)).toEqual(['[WARNING] Gateway down 0 min']);
  });
});
