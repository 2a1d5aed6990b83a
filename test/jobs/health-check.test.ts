// health-check against DynamoDB Local (alert state, intents), the real bridge when healthy and a bridge
// that cannot be reached when not; ECS and SNS are the mocked clients and their commands are asserted.
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeError } from '#adapters/bridge-client';
import type { BridgeClient } from '#adapters/bridge-client';
import { manualClock } from '#adapters/clock';
import type { Clock } from '#adapters/clock';
import { gatewayService, setGatewayService } from '#adapters/ecs-client';
import { nyTimeToEpoch } from '#core/calendar';
import { handler } from '#jobs/health-check';
import { decideRestart, judgeGateway } from '#jobs/health-check/gateway-policy';
import { STATE_KEYS } from '#jobs/health-check/state-keys';
import { JOB_NAMES } from '#core/config';
import { lastCompletedAt, recordJobCompleted } from '#jobs/shared/completions';
import { createJobContext, setJobContext } from '#jobs/shared/context';
import { sampleIntent } from '../support/dynamodb';
import { lambdaContext, startJobStack, TOPIC } from './support';

const stack = await startJobStack();
const { db, clock } = stack;
const ctx = lambdaContext('health-check');
const CLUSTER = 'ib-options-income';
const SERVICE = 'gateway';

const ecs = mockClient(ECSClient);
const service = (deployments = 1) => ({
  serviceName: SERVICE,
  status: 'ACTIVE',
  runningCount: 1,
  desiredCount: 1,
  pendingCount: 0,
  deployments: Array.from({ length: deployments }, (_, i) => ({
    id: `ecs-svc/${i + 1}`,
    status: i === 0 ? 'PRIMARY' : 'ACTIVE',
    rolloutState: 'COMPLETED' as const,
    runningCount: 1,
    desiredCount: 1,
  })),
});
ecs.on(DescribeServicesCommand).resolves({ services: [service()], failures: [] });
ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [{ id: 'ecs-svc/2', status: 'PRIMARY' }] } });
// Built from the environment, as in Lambda (the mock replaces the client's send).
process.env.ECS_CLUSTER = CLUSTER;
process.env.ECS_SERVICE = SERVICE;
setGatewayService(undefined);
afterAll(() => {
  ecs.restore();
  delete process.env.ECS_CLUSTER;
  delete process.env.ECS_SERVICE;
  setGatewayService(undefined);
});

const UNREACHABLE = 'GET /health: bridge unreachable (connect ECONNREFUSED 127.0.0.1:1)';
/** The stack's context with a bridge whose /health cannot be reached. */
function bridgeDown(at: Clock = clock) {
  const real = stack.context;
  return createJobContext({
    stores: db.stores,
    clock: at,
    alerter: real.alerter,
    idempotency: null,
    bridge: (priority) =>
      ({
        ...real.bridge(priority),
        health: () => Promise.reject(new BridgeError(0, 'NETWORK', UNREACHABLE, true)),
      }) as BridgeClient,
  });
}
const severityAttr = (s: string) => ({ severity: { DataType: 'String', StringValue: s } });

describe('health-check', () => {
  // The gateway's checks alone: every other job disabled, so the watchman expects nothing of them here
  // (its own tests below enable them again).
  beforeAll(async () => {
    const onlyHealthCheck = Object.fromEntries(JOB_NAMES.map((n) => [n, n === 'health-check']));
    await db.stores.config.saveSection('jobs', onlyHealthCheck, { now: clock.now() });
  });
  it('a healthy gateway: reads /health and DescribeServices, nothing else', async () => {
    const result = await handler(
      { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} },
      ctx,
    );
    expect(result).toMatchObject({ ok: true, did: 'gateway healthy', details: { restart: { done: false } } });
    expect(ecs.commandCalls(DescribeServicesCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: CLUSTER, services: [SERVICE] },
    ]);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(stack.published()).toHaveLength(0);
  }, 30_000);

  it('down: WARNING, then CRITICAL after 15 min; no restart while an order works; then exactly one restart', async () => {
    setJobContext(bridgeDown());
    try {
      const first = await handler({ restartAfterFailures: 2 }, ctx);
      const since = new Date(await db.stores.alerts.holdingSince(STATE_KEYS.downSince, 0)).toISOString();
      expect(first).toMatchObject({ ok: false, counts: { failures: 1 } });
      expect(first.details?.restart).toEqual({ done: false, reason: '1 of 2 consecutive failed checks' });
      expect(stack.published()).toEqual([
        {
          TopicArn: TOPIC,
          Subject: '[WARNING] Gateway down 0 min',
          Message: `bridge unreachable: ${UNREACHABLE}. Down since ${since} (1 failed check(s)). Restart: 1 of 2 consecutive failed checks.`,
          MessageAttributes: severityAttr('WARNING'),
        },
      ]);

      const working = sampleIntent('2026-06-01:OPEN:IWM-working', { tradeDate: '2026-06-01' });
      await db.stores.intents.create(working, clock.now());
      await clock.sleep(20 * 60_000);
      const second = await handler({ restartAfterFailures: 2 }, ctx);
      const blocked = `not restarting: 1 order(s) working (${working.intentKey})`;
      expect(second.details?.restart).toEqual({ done: false, reason: blocked });
      expect(stack.published().slice(1)).toEqual([
        {
          TopicArn: TOPIC,
          Subject: '[CRITICAL] Gateway down 20 min',
          Message: `bridge unreachable: ${UNREACHABLE}. Down since ${since} (2 failed check(s)). Restart: ${blocked}.`,
          MessageAttributes: severityAttr('CRITICAL'),
        },
      ]);
      expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);

      await db.stores.intents.transition(working.intentKey, {
        from: 'INTENT',
        to: 'CANCELLED',
        now: clock.now(),
      });
      const third = await handler({ restartAfterFailures: 2 }, ctx);
      expect(third.details?.restart).toEqual({
        done: true,
        reason:
          'forced a new deployment: 3 consecutive failed checks in market hours, no order working (restart 1 of at most 2 today)',
        deploymentId: 'ecs-svc/2',
      });
      expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([
        { cluster: CLUSTER, service: SERVICE, forceNewDeployment: true },
      ]);
      // Same CRITICAL inside the cooldown: suppressed.
      expect(stack.published()).toHaveLength(2);

      const fourth = await handler({ restartAfterFailures: 2 }, ctx);
      expect((fourth.details?.restart as { reason: string }).reason).toBe(
        'not restarting: restarted 0 min ago (wait 30 min)',
      );
      expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    } finally {
      setJobContext(stack.context);
    }

    const back = await handler({}, ctx);
    expect(back).toMatchObject({ ok: true, did: 'gateway healthy' });
    expect(stack.published().slice(2)).toEqual([
      {
        TopicArn: TOPIC,
        Subject: '[INFO] Gateway back up',
        Message: 'The gateway is healthy again after 4 failed check(s).',
        MessageAttributes: severityAttr('INFO'),
      },
    ]);
    expect(await db.stores.alerts.get(STATE_KEYS.failures)).toBeUndefined();
  }, 60_000);

  it('down after the close: counted and alerted as WARNING, never restarted', async () => {
    setJobContext(bridgeDown(manualClock(nyTimeToEpoch('2026-06-01', '20:00'))));
    try {
      const before = ecs.commandCalls(UpdateServiceCommand).length;
      const result = await handler({ restartAfterFailures: 1 }, ctx);
      expect(result.details?.restart).toEqual({
        done: false,
        reason: '1 failed checks, but the market is closed',
      });
      expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(before);
      expect(stack.published().at(-1)).toMatchObject({
        Subject: '[WARNING] Gateway down 0 min',
        MessageAttributes: severityAttr('WARNING'),
      });
    } finally {
      setJobContext(stack.context);
    }

    // Next: IB's nightly restart window. Expected: neither a failure nor a recovery (the count stays 1).
    const real = stack.context;
    const published = stack.published().length;
    setJobContext(
      createJobContext({
        stores: db.stores,
        clock: manualClock(nyTimeToEpoch('2026-06-01', '23:50')),
        alerter: real.alerter,
        idempotency: null,
        bridge: (priority) => {
          const client = real.bridge(priority);
          return {
            ...client,
            health: async () => ({
              ...(await client.health()),
              status: 'down' as const,
              ibConnected: false,
              state: 'disconnected' as const,
              inRestartWindow: true,
            }),
          } as BridgeClient;
        },
      }),
    );
    try {
      const result = await handler({}, ctx);
      expect(result.did).toMatch(/^gateway in IB's restart window \(expected outage, not counted\)/);
      expect(result.counts).toEqual({ failures: 1, overdueJobs: 0 });
      expect((await db.stores.alerts.get(STATE_KEYS.failures))?.sentCount).toBe(1);
      expect(stack.published()).toHaveLength(published);
    } finally {
      setJobContext(stack.context);
    }
  }, 30_000);

  it('judges the gateway and the restart by their rules', () => {
    const health = {
      status: 'down' as const,
      ibConnected: false,
      state: 'disconnected' as const,
      since: 0,
      farms: {},
      tradingMode: 'paper' as const,
      reconnectAttempts: 3,
      inRestartWindow: true,
      queueLength: 0,
      linesInUse: 0,
    };
    // IB's nightly restart window: an expected outage, not a failure.
    expect(judgeGateway(health, undefined)).toMatchObject({ healthy: false, expectedOutage: true });
    const svc = {
      cluster: CLUSTER,
      service: SERVICE,
      status: 'ACTIVE',
      runningCount: 0,
      desiredCount: 1,
      pendingCount: 1,
      deployments: [],
    };
    expect(judgeGateway({ ...health, status: 'ok', ibConnected: true, state: 'ready' }, svc)).toEqual({
      healthy: false,
      expectedOutage: false,
      loginWaiting: false,
      inRestartWindow: true,
      problems: ['ECS service ACTIVE: 0 of 1 task(s) running'],
    });
    // Outside the window, a working bridge with IB not logged in: a login waiting, not a broken task.
    expect(judgeGateway({ ...health, inRestartWindow: false, bridgeAlive: true }, undefined)).toMatchObject({
      healthy: false,
      expectedOutage: false,
      loginWaiting: true,
    });
    // A wedged bridge is not a login waiting (ECS replaces that task by itself).
    expect(
      judgeGateway({ ...health, inRestartWindow: false, bridgeAlive: false, reason: 'stopped' }, undefined),
    ).toMatchObject({ loginWaiting: false, problems: ['bridge wedged: stopped'] });
    // Without ECS_CLUSTER / ECS_SERVICE (a local run) there is no gateway service to restart.
    setGatewayService(undefined);
    expect(gatewayService({})).toBeUndefined();
    expect(gatewayService({ ECS_CLUSTER: CLUSTER, ECS_SERVICE: SERVICE })).toMatchObject({
      cluster: CLUSTER,
      service: SERVICE,
    });
    setGatewayService(undefined);
  });

  it('the restart policy, branch by branch: bounded per day, never while a login waits, an order works or in the restart window', () => {
    const ecsState = {
      cluster: CLUSTER,
      service: SERVICE,
      status: 'ACTIVE',
      runningCount: 0,
      desiredCount: 1,
      pendingCount: 0,
      deployments: [],
    };
    const go = {
      failures: 3,
      restartAfterFailures: 3,
      marketOpen: true,
      inRestartWindow: false,
      loginWaiting: false,
      ecs: ecsState,
      workingIntents: [] as string[],
      lastRestartMinutesAgo: undefined as number | undefined,
      restartsToday: 0,
      maxRestartsPerDay: 2,
    };
    expect(decideRestart(go)).toEqual({
      restart: true,
      reason: '3 consecutive failed checks in market hours, no order working (restart 1 of at most 2 today)',
    });
    expect(decideRestart({ ...go, failures: 2 })).toEqual({
      restart: false,
      reason: '2 of 3 consecutive failed checks',
    });
    expect(decideRestart({ ...go, marketOpen: false }).reason).toBe(
      '3 failed checks, but the market is closed',
    );
    expect(decideRestart({ ...go, inRestartWindow: true }).reason).toBe(
      "not restarting: inside IB's restart window (the gateway restarts itself)",
    );
    expect(decideRestart({ ...go, loginWaiting: true }).reason).toBe(
      'not restarting: IB is not logged in (a login waiting for its second factor); a restart would only send a new IBKR Mobile notification',
    );
    expect(decideRestart({ ...go, ecs: undefined }).reason).toBe(
      'no ECS service to restart (ECS_CLUSTER / ECS_SERVICE not set)',
    );
    expect(decideRestart({ ...go, workingIntents: ['k1'] }).reason).toBe(
      'not restarting: 1 order(s) working (k1)',
    );
    const rolling = [
      { id: 'a', status: 'PRIMARY', rolloutState: 'IN_PROGRESS', runningCount: 0, desiredCount: 1 },
    ];
    expect(decideRestart({ ...go, ecs: { ...ecsState, deployments: rolling } }).reason).toBe(
      'not restarting: a deployment is already in progress',
    );
    expect(decideRestart({ ...go, lastRestartMinutesAgo: 12.5 }).reason).toBe(
      'not restarting: restarted 12 min ago (wait 30 min)',
    );
    expect(decideRestart({ ...go, lastRestartMinutesAgo: 31, restartsToday: 1 }).restart).toBe(true);
    expect(decideRestart({ ...go, lastRestartMinutesAgo: 31, restartsToday: 2 })).toEqual({
      restart: false,
      reason: 'not restarting: already restarted 2 time(s) today (gateway.maxRestartsPerDay = 2)',
    });
  });

  it('refuses bad payloads naming the field, touching neither ECS nor SNS', async () => {
    const calls = ecs.calls().length;
    const published = stack.published().length;
    expect(await handler({ restartAfterFailures: 0 }, ctx)).toMatchObject({
      ok: false,
      error: 'restartAfterFailures: expected a whole number ≥ 1',
    });
    expect(await handler({ restartAfterFailures: '3' }, ctx)).toMatchObject({
      ok: false,
      error: 'restartAfterFailures: expected a whole number',
    });
    expect(ecs.calls().length).toBe(calls);
    expect(stack.published().length).toBe(published);
    expect(await handler({ restartAfterFailures: 21 }, ctx)).toMatchObject({
      ok: false,
      error: 'restartAfterFailures: expected a whole number ≤ 20',
    });
  });

  it("restarts after the config's gateway.restartAfterFailures; a payload value overrides it for that run only", async () => {
    // A healthy check first, so this test starts from zero failures whatever ran before it.
    const healthy = await handler({}, ctx);
    expect(healthy).toMatchObject({ ok: true, did: 'gateway healthy' });
    // No gateway item in the config table: the schema's default, 3.
    expect(healthy.details?.restartAfterFailures).toEqual({ value: 3, from: 'config' });

    await db.stores.config.saveSection('gateway', { restartAfterFailures: 2 }, { now: clock.now() });
    // Past the 30-minute cooldown of the restart the earlier test forced.
    await clock.sleep(31 * 60_000);
    const restartsBefore = ecs.commandCalls(UpdateServiceCommand).length;
    setJobContext(bridgeDown());
    try {
      const first = await handler({}, ctx);
      expect(first.details?.restartAfterFailures).toEqual({ value: 2, from: 'config' });
      expect(first.details?.restart).toEqual({ done: false, reason: '1 of 2 consecutive failed checks' });

      // With the config's 2 this second failure would restart; the payload's 5 holds it back.
      const second = await handler({ restartAfterFailures: 5 }, ctx);
      expect(second.details?.restartAfterFailures).toEqual({ value: 5, from: 'payload' });
      expect(second.details?.restart).toEqual({ done: false, reason: '2 of 5 consecutive failed checks' });
      expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(restartsBefore);

      // The override lasted one run: the next scheduled run is back on the config's 2, and 3 ≥ 2.
      const third = await handler(
        { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} },
        ctx,
      );
      expect(third.details?.restartAfterFailures).toEqual({ value: 2, from: 'config' });
      expect(third.details?.restart).toMatchObject({ done: true });
      expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(restartsBefore + 1);
    } finally {
      setJobContext(stack.context);
      await db.stores.config.saveSection('gateway', {}, { now: clock.now() });
    }
    expect(await handler({}, ctx)).toMatchObject({ ok: true, did: 'gateway healthy' });
  }, 60_000);
  it('runs on a weekend too (scheduled every day): a gateway down on Saturday is counted and alerted, never restarted', async () => {
    // 2026-06-06 is a Saturday: no trading day, so a calendar gate other than 'always' would skip the run.
    setJobContext(bridgeDown(manualClock(nyTimeToEpoch('2026-06-06', '12:00'))));
    try {
      const before = ecs.commandCalls(UpdateServiceCommand).length;
      const result = await handler(
        { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} },
        ctx,
      );
      expect(result.skipped).toBeUndefined();
      expect(result.did).toMatch(/^gateway down/);
      expect(result.details?.restart).toMatchObject({
        done: false,
        reason: expect.stringMatching(/market is closed|of \d+ consecutive/),
      });
      expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(before);
      expect(stack.published().at(-1)).toMatchObject({ MessageAttributes: severityAttr('WARNING') });
    } finally {
      setJobContext(stack.context);
    }
    expect(await handler({}, ctx)).toMatchObject({ ok: true, did: 'gateway healthy' });
  }, 60_000);
});

describe('health-check: the watchman', () => {
  // Tuesday 9 June 2026, a trading day, after every time the tests above use (clocks never run back).
  const DAY = '2026-06-09';
  const contextAt = (at: number) => {
    const real = stack.context;
    return createJobContext({
      stores: db.stores,
      clock: manualClock(at),
      alerter: real.alerter,
      idempotency: null,
      bridge: real.bridge,
    });
  };
  const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} };

  it('names in a CRITICAL each job that has not completed a run it should have; records its own completion', async () => {
    await db.stores.config.saveSection('jobs', {}, { now: clock.now() });
    // The watchman starts watching at its first run (here, or an earlier test's).
    setJobContext(contextAt(nyTimeToEpoch(DAY, '08:00')));
    try {
      await handler(scheduled, ctx);
      // Every job completed after its latest scheduled run but monitor, whose last run was 10:35.
      for (const name of JOB_NAMES) {
        if (name !== 'monitor' && name !== 'health-check')
          await recordJobCompleted(db.stores.alerts, name, nyTimeToEpoch(DAY, '10:50'));
      }
      await recordJobCompleted(db.stores.alerts, 'monitor', nyTimeToEpoch(DAY, '10:35'));
      const now = nyTimeToEpoch(DAY, '11:00');
      setJobContext(contextAt(now));
      const before = stack.published().length;
      const result = await handler(scheduled, ctx);
      const overdue = stack
        .published()
        .slice(before)
        .filter((p) => String(p.Subject).includes('overdue'));
      expect(overdue).toEqual([
        {
          TopicArn: TOPIC,
          Subject: '[CRITICAL] monitor overdue',
          Message:
            'monitor last completed 10:35, expected every 5 minutes since. A job that stops running raises no error alarm: check its schedule (EventBridge Scheduler), its last logs and its permissions.',
          MessageAttributes: severityAttr('CRITICAL'),
        },
      ]);
      expect(result.details?.watchman).toEqual({
        overdue: ['monitor last completed 10:35, expected every 5 minutes since'],
      });
      expect(await lastCompletedAt(db.stores.alerts, 'health-check')).toBe(now);
    } finally {
      setJobContext(stack.context);
    }
  }, 30_000);
});

describe('health-check: the weekly IB login', () => {
  // Sunday 14 June 2026, the default weekly login at 18:00 New York; later than every test above.
  const SUNDAY = '2026-06-14';
  const waitingHealth = {
    status: 'down' as const,
    ibConnected: false,
    state: 'disconnected' as const,
    since: 0,
    farms: {},
    tradingMode: 'unknown' as const,
    reconnectAttempts: 4,
    inRestartWindow: false,
    bridgeAlive: true,
    queueLength: 0,
    linesInUse: 0,
    reason: 'socket closed: connect ECONNREFUSED 127.0.0.1:4001',
  };
  const at = (hhmm: string) => {
    const real = stack.context;
    return createJobContext({
      stores: db.stores,
      clock: manualClock(nyTimeToEpoch(SUNDAY, hhmm)),
      alerter: real.alerter,
      idempotency: null,
      bridge: (priority) => ({ ...real.bridge(priority), health: async () => waitingHealth }) as BridgeClient,
    });
  };
  const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} };
  const loginAlerts = (from: number) =>
    stack
      .published()
      .slice(from)
      .filter((p) => String(p.Subject).includes('IBKR Mobile'))
      .map((p) => ({ subject: p.Subject, message: p.Message }));

  it('alerts at the weekly login, again every 10 minutes (CRITICAL from the second), and never replaces the task', async () => {
    process.env.TRADING_MODE = 'live';
    const before = stack.published().length;
    const restarts = ecs.commandCalls(UpdateServiceCommand).length;
    try {
      for (const hhmm of ['18:00', '18:05', '18:10', '18:20']) {
        setJobContext(at(hhmm));
        await handler(scheduled, ctx);
      }
      expect(loginAlerts(before)).toEqual([
        {
          subject: '[WARNING] Approve the IBKR Mobile notification now',
          message:
            "IB Gateway restarted for IB's weekly full login and waits for its second factor: approve the IBKR Mobile notification now. The first job that needs IB, load-historical-data, runs in 14 h 0 min.",
        },
        {
          subject: '[CRITICAL] IB login waiting 10 min: approve the IBKR Mobile notification now',
          message: expect.stringContaining('load-historical-data, runs in 13 h 50 min'),
        },
        {
          subject: '[CRITICAL] IB login waiting 20 min: approve the IBKR Mobile notification now',
          message: expect.stringContaining('load-historical-data, runs in 13 h 40 min'),
        },
      ]);
      expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(restarts);
      // No gateway-down alert besides: the login alert says what to do.
      expect(
        stack
          .published()
          .slice(before)
          .filter((p) => String(p.Subject).includes('Gateway down')),
      ).toEqual([]);

      // Approved at 18:23: the next check finds IB logged in ("Gateway back up") and the cadence stops.
      const approved = stack.published().length;
      setJobContext(
        createJobContext({
          stores: db.stores,
          clock: manualClock(nyTimeToEpoch(SUNDAY, '18:30')),
          alerter: stack.context.alerter,
          idempotency: null,
          bridge: stack.context.bridge,
        }),
      );
      await handler(scheduled, ctx);
      expect(
        stack
          .published()
          .slice(approved)
          .map((p) => p.Subject),
      ).toEqual(['[INFO] Gateway back up']);
      expect(await db.stores.alerts.get('ib-login#login-waiting')).toBeUndefined();
    } finally {
      delete process.env.TRADING_MODE;
      setJobContext(stack.context);
    }
  }, 30_000);
});
