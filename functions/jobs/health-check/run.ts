// health-check (every 10 minutes, every day): are the jobs running, is IB logged in, is the gateway up.
//
//   0. the watchman: every other scheduled job against the schedule table, the market calendar and its
//      last completed run (core/watchman.ts); a CRITICAL per overdue job. IB's login: at the weekly login
//      and every 10 minutes while a login waits for its second factor, the alert of core/login.ts;
//   1. the bridge's /health (status ok and IB connected) and the ECS service (running vs desired count,
//      deployments). IB's nightly restart window is an expected outage: not counted as a failure;
//   2. a failed check increments a counter and records since when the gateway is down (alert-state
//      store, so it survives between invocations); a healthy check clears both;
//   3. alert: WARNING when down, CRITICAL when down for more than 15 minutes during market hours;
//   4. after `restartAfterFailures` consecutive failed checks in market hours (the payload's value on a
//      manual run, else the config's `gateway.restartAfterFailures`), force a new deployment of
//      the gateway service under the bounded policy of decideRestart: at most `gateway.maxRestartsPerDay`,
//      never while an order works, a login waits for its second factor or in IB's restart window, not
//      while deploying, not within 30 minutes of the last. The result says why it did or did not restart.
//
// With gatewayHours=market (core/gateway-hours.ts) the gateway is off by schedule outside 07:30-18:30 on
// trading days: then only the watchman runs (no gateway-down alert, no login alert, no restart), and in the
// window's first minutes a gateway not up yet is starting, not down. There is no weekly cold restart then
// (the task never runs on Sunday): every morning's start is the full login, announced by gateway-hours.
import type { BridgeHealth } from '#adapters/bridge-client';
import type { Config } from '#core/config';
import { GATEWAY_START_GRACE_MINUTES, gatewayOffBySchedule, gatewayPhase } from '#core/gateway-hours';
import type { GatewayService, GatewayServiceState } from '#adapters/ecs-client';
import { gatewayService } from '#adapters/ecs-client';
import type { RunContext, RunOutcome } from '../shared/define-job';
import {
  CRITICAL_AFTER_MINUTES,
  decideRestart,
  judgeGateway,
  RESTART_COOLDOWN_MINUTES,
} from './gateway-policy';
import type { GatewayVerdict } from './gateway-policy';
import { STATE_KEYS } from './state-keys';
import { watchJobs, watchLogin } from './watch';
import { errorMessage } from '../shared/errors';

export interface HealthCheckInput {
  /** Overrides the config's `gateway.restartAfterFailures` for this run only (a manual run). */
  restartAfterFailures?: number | undefined;
}

/**
 * The restart threshold of this run: a payload value wins, so an operator can try a stricter or looser
 * threshold once without editing the config table; otherwise the config's (default 3).
 */
export function restartThreshold(
  input: HealthCheckInput,
  config: Pick<Config, 'gateway'>,
): { value: number; from: 'payload' | 'config' } {
  return input.restartAfterFailures === undefined
    ? { value: config.gateway.restartAfterFailures, from: 'config' }
    : { value: input.restartAfterFailures, from: 'payload' };
}

export async function runHealthCheck(input: HealthCheckInput, ctx: RunContext): Promise<RunOutcome> {
  const overdue = await watchJobs(ctx);
  const phase = gatewayPhase(ctx.now, ctx.gatewayHours, ctx.config.calendar);
  const service: GatewayService | undefined = gatewayService();
  let gateway: RunOutcome;
  let login: string | undefined;
  if (phase === 'off') {
    gateway = await offBySchedule(ctx, gatewayOffBySchedule(ctx.now, ctx.gatewayHours, ctx.config.calendar));
  } else {
    const health = await ctx.bridge.health().catch((error: unknown) => ({ error: errorMessage(error) }));
    const ecs = service
      ? await service.describe().catch((error: unknown) => ({ error: errorMessage(error) }))
      : undefined;
    const verdict = judgeGateway(health, ecs);
    if (phase === 'starting' && !verdict.healthy) {
      gateway = await offBySchedule(
        ctx,
        `gateway starting (gatewayHours=market: not counted in the window's first ${GATEWAY_START_GRACE_MINUTES} min): ${verdict.problems.join('; ')}`,
      );
    } else {
      login = await watchLogin(ctx, verdict);
      gateway = await checkGateway(input, ctx, { service, health, ecs, verdict, loginAlerted: !!login });
    }
  }
  return {
    ...gateway,
    did: overdue.length > 0 ? `${gateway.did}; ${overdue.length} job(s) overdue` : gateway.did,
    counts: { ...gateway.counts, overdueJobs: overdue.length },
    reasons: [...(gateway.reasons ?? []), ...(login ? [login] : []), ...overdue],
    details: { ...gateway.details, watchman: { overdue }, ...(login ? { login } : {}) },
    ...(overdue.length > 0 ? { ok: false } : {}),
  };
}

/**
 * The gateway is off (or still starting) by schedule: nothing to alert or restart. The down-state is
 * cleared, so a gateway that fails later in the day counts from then, not from last night.
 */
async function offBySchedule(ctx: RunContext, why: string | undefined): Promise<RunOutcome> {
  const alerts = ctx.stores.alerts;
  await Promise.all([
    alerts.clear(STATE_KEYS.failures),
    alerts.clear(STATE_KEYS.downSince),
    alerts.clear(STATE_KEYS.loginWaitingSince),
  ]);
  const did = why ?? 'gateway off by schedule';
  return { did, counts: { failures: 0 }, reasons: [did], details: { restart: { done: false, reason: did } } };
}

async function checkGateway(
  input: HealthCheckInput,
  ctx: RunContext,
  read: {
    service: GatewayService | undefined;
    health: BridgeHealth | { error: string };
    ecs: GatewayServiceState | { error: string } | undefined;
    verdict: GatewayVerdict;
    /** The login alert went out (watchLogin): it replaces the gateway-down alert. */
    loginAlerted: boolean;
  },
): Promise<RunOutcome> {
  const threshold = restartThreshold(input, ctx.config);
  const restartAfterFailures = threshold.value;
  const { service, health, ecs, verdict } = read;
  const alerts = ctx.stores.alerts;
  const ecsState = ecs && !('error' in ecs) ? ecs : undefined;
  const details: Record<string, unknown> = {
    bridge: 'error' in health ? { error: health.error } : { status: health.status, state: health.state },
    ecs: ecsState
      ? {
          status: ecsState.status,
          running: ecsState.runningCount,
          desired: ecsState.desiredCount,
          deployments: ecsState.deployments.map((d) => `${d.status} ${d.rolloutState ?? ''}`.trim()),
        }
      : ecs
        ? ecs
        : 'not configured (ECS_CLUSTER / ECS_SERVICE)',
    restartAfterFailures: threshold,
  };

  if (verdict.healthy || verdict.expectedOutage) {
    // An expected outage neither counts nor resets: the failures before it still lead to a restart.
    const wasDown = verdict.healthy ? await alerts.get(STATE_KEYS.failures) : undefined;
    if (verdict.healthy)
      await Promise.all([alerts.clear(STATE_KEYS.failures), alerts.clear(STATE_KEYS.downSince)]);
    if (wasDown) {
      await ctx.alert({
        subject: 'gateway',
        rule: 'gateway-recovered',
        severity: 'INFO',
        title: 'Gateway back up',
        message: `The gateway is healthy again after ${wasDown.sentCount} failed check(s).`,
      });
    }
    return {
      did: verdict.healthy
        ? 'gateway healthy'
        : `gateway in IB's restart window (expected outage, not counted): ${verdict.problems.join('; ')}`,
      counts: { failures: verdict.healthy ? 0 : ((await alerts.get(STATE_KEYS.failures))?.sentCount ?? 0) },
      reasons: verdict.problems,
      details: {
        ...details,
        restart: { done: false, reason: verdict.healthy ? 'healthy' : 'expected outage (IB restart window)' },
      },
    };
  }

  // One claim per failed check with no cooldown: the claim counter is the consecutive-failure count.
  const now = ctx.clock.now();
  await alerts.tryClaimAlert(STATE_KEYS.failures, 'INFO', now, 0);
  const failures = (await alerts.get(STATE_KEYS.failures))?.sentCount ?? 1;
  const downSince = await alerts.holdingSince(STATE_KEYS.downSince, now);
  const downMinutes = Math.max(0, (now - downSince) / 60_000);
  const marketOpen = ctx.market.isOpen;

  const working = ecsState ? (await ctx.stores.intents.listWorking()).map((i) => i.intentKey) : [];
  const last = await alerts.get(STATE_KEYS.restart);
  const restartsKey = STATE_KEYS.restartsOn(ctx.market.tradeDate);
  const decision = decideRestart({
    failures,
    restartAfterFailures,
    marketOpen,
    inRestartWindow: verdict.inRestartWindow,
    loginWaiting: verdict.loginWaiting,
    ecs: ecsState,
    workingIntents: working,
    lastRestartMinutesAgo: last ? (now - last.lastSentAt) / 60_000 : undefined,
    restartsToday: (await alerts.get(restartsKey))?.sentCount ?? 0,
    maxRestartsPerDay: ctx.config.gateway.maxRestartsPerDay,
  });
  let restart: { done: boolean; reason: string; deploymentId?: string } = {
    done: false,
    reason: decision.reason,
  };
  if (decision.restart && service) {
    // The claim stops two overlapping checks from both restarting.
    const claim = await alerts.tryClaimAlert(STATE_KEYS.restart, 'INFO', now, RESTART_COOLDOWN_MINUTES);
    if (claim.claimed) {
      await alerts.tryClaimAlert(restartsKey, 'INFO', now, 0);
      try {
        const out = await service.forceNewDeployment();
        restart = { done: true, reason: `forced a new deployment: ${decision.reason}`, ...out };
      } catch (error) {
        restart = { done: false, reason: `new deployment failed: ${errorMessage(error)}` };
      }
    } else {
      restart = { done: false, reason: 'not restarting: another check restarted it just now' };
    }
  }
  ctx.log.info('gateway restart decision', { restart });

  const critical = marketOpen && downMinutes > CRITICAL_AFTER_MINUTES;
  if (!read.loginAlerted)
    await ctx.alert({
      subject: 'gateway',
      rule: 'gateway-down',
      severity: critical ? 'CRITICAL' : 'WARNING',
      title: `Gateway down ${Math.round(downMinutes)} min${restart.done ? ': restarting' : ''}`,
      message:
        `${verdict.problems.join('; ')}. Down since ${new Date(downSince).toISOString()} (${failures} failed check(s)). ` +
        `Restart: ${restart.reason}.`,
      numbers: { failures, downMinutes: Math.round(downMinutes) },
    });
  return {
    did: `gateway down (${failures} consecutive failed check(s), ${Math.round(downMinutes)} min)${restart.done ? '; forced a new deployment' : '; not restarted'}`,
    counts: { failures, downMinutes: Math.round(downMinutes), workingOrders: working.length },
    reasons: [...verdict.problems, `restart: ${restart.reason}`],
    details: { ...details, restart },
    ok: false,
  };
}
