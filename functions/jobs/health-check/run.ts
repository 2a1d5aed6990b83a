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
import type { BridgeHealth } from '../../adapters/bridge-client';
import { JOB_NAMES } from '../../core/config';
import type { Config } from '../../core/config';
import { JOB_TIMINGS } from '../../core/schedule';
import { GATEWAY_START_GRACE_MINUTES, gatewayOffBySchedule, gatewayPhase } from '../../core/gateway-hours';
import { overdueJobs } from '../../core/watchman';
import { makeAlert } from '../../core/alerts';
import {
  DEFAULT_WEEKLY_LOGIN,
  firstJobNeedingIb,
  lastWeeklyLogin,
  LOGIN_ALERT_EVERY_MINUTES,
  loginAlert,
  weeklyLoginSchema,
} from '../../core/login';
import { lastCompletedAt } from '../shared/completions';
import type { GatewayService, GatewayServiceState } from '../../adapters/ecs-client';
import { gatewayService } from '../../adapters/ecs-client';
import type { RunContext, RunOutcome } from '../shared/define-job';

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

/** Trading rules: "gateway down > 15 min" is CRITICAL. */
export const CRITICAL_AFTER_MINUTES = 15;
/** A new task needs time to log in; never restart again sooner. */
export const RESTART_COOLDOWN_MINUTES = 30;

// Alert-state keys of the check's own state (not alert cooldown keys: those are `subject#rule`).
export const STATE_KEYS = {
  failures: 'health-check:consecutive-failures',
  downSince: 'health-check:gateway-down-since',
  restart: 'health-check:last-restart',
  /** Restarts forced on one New York day (`…#YYYY-MM-DD`): the claim counter is the count. */
  restartsOn: (date: string) => `health-check:restarts#${date}`,
  /** When the watchman started (its first run): scheduled runs before it expect no completion. */
  watchingSince: 'health-check:watching-since',
  /** Since when IB's login has been seen waiting (cleared once IB is logged in). */
  loginWaitingSince: 'health-check:login-waiting-since',
} as const;

export interface GatewayVerdict {
  healthy: boolean;
  /** An expected outage (IB's restart window): neither healthy nor counted. */
  expectedOutage: boolean;
  /**
   * The bridge works but IB is not logged in, outside the restart window: the gateway's API port does not
   * answer because its login waits (for the second factor, as after the weekly cold restart). IBC keeps
   * retrying the login itself, so this calls for the trader, not for a restart.
   */
  loginWaiting: boolean;
  /** The bridge's /health says IB's restart window is on. */
  inRestartWindow: boolean;
  problems: string[];
}

/** Healthy = the bridge answers ok with IB connected, and ECS runs the desired task count. Pure. */
export function judgeGateway(
  health: BridgeHealth | { error: string },
  ecs: GatewayServiceState | { error: string } | undefined,
): GatewayVerdict {
  const problems: string[] = [];
  let expectedOutage = false;
  let loginWaiting = false;
  if ('error' in health) problems.push(`bridge unreachable: ${health.error}`);
  else if (health.bridgeAlive === false) problems.push(`bridge wedged: ${health.reason ?? health.state}`);
  else if (health.status === 'down' || !health.ibConnected) {
    if (health.inRestartWindow) expectedOutage = true;
    else loginWaiting = !health.ibConnected;
    problems.push(
      `bridge ${health.status}, IB ${health.ibConnected ? 'connected' : 'not connected'} (${health.state}${health.reason ? `: ${health.reason}` : ''})`,
    );
  }
  if (ecs && 'error' in ecs) problems.push(`ECS not readable: ${ecs.error}`);
  else if (ecs && (ecs.runningCount < Math.max(1, ecs.desiredCount) || ecs.status !== 'ACTIVE')) {
    problems.push(`ECS service ${ecs.status}: ${ecs.runningCount} of ${ecs.desiredCount} task(s) running`);
  }
  return {
    healthy: problems.length === 0,
    expectedOutage: expectedOutage && problems.length === 1,
    loginWaiting,
    inRestartWindow: !('error' in health) && health.inRestartWindow,
    problems,
  };
}

export interface RestartDecision {
  restart: boolean;
  reason: string;
}

/**
 * Whether to force a new deployment now: an explicit, bounded policy. Pure; the caller supplies what it
 * read. Never while an order works (replacing the task mid-order could leave it unknown), never while a
 * login waits for its second factor (a new task is a new cold login and a new push: the replacement loop
 * this policy exists to prevent), never in IB's restart window, and at most `maxRestartsPerDay` a day.
 */
export function decideRestart(input: {
  failures: number;
  restartAfterFailures: number;
  marketOpen: boolean;
  inRestartWindow: boolean;
  /** The bridge works but IB is not logged in (judgeGateway's loginWaiting). */
  loginWaiting: boolean;
  ecs: GatewayServiceState | undefined;
  workingIntents: readonly string[];
  lastRestartMinutesAgo: number | undefined;
  restartsToday: number;
  maxRestartsPerDay: number;
}): RestartDecision {
  const { failures, restartAfterFailures } = input;
  if (failures < restartAfterFailures)
    return { restart: false, reason: `${failures} of ${restartAfterFailures} consecutive failed checks` };
  if (!input.marketOpen)
    return { restart: false, reason: `${failures} failed checks, but the market is closed` };
  if (input.inRestartWindow)
    return {
      restart: false,
      reason: "not restarting: inside IB's restart window (the gateway restarts itself)",
    };
  if (input.loginWaiting)
    return {
      restart: false,
      reason:
        'not restarting: IB is not logged in (a login waiting for its second factor); a restart would only send a new IBKR Mobile notification',
    };
  if (!input.ecs)
    return { restart: false, reason: 'no ECS service to restart (ECS_CLUSTER / ECS_SERVICE not set)' };
  if (input.workingIntents.length > 0)
    return {
      restart: false,
      reason: `not restarting: ${input.workingIntents.length} order(s) working (${input.workingIntents.join(', ')})`,
    };
  const rolling = input.ecs.deployments.filter((d) => d.rolloutState === 'IN_PROGRESS');
  if (rolling.length > 0 || input.ecs.deployments.length > 1)
    return { restart: false, reason: 'not restarting: a deployment is already in progress' };
  if (input.lastRestartMinutesAgo !== undefined && input.lastRestartMinutesAgo < RESTART_COOLDOWN_MINUTES)
    return {
      restart: false,
      reason: `not restarting: restarted ${Math.floor(input.lastRestartMinutesAgo)} min ago (wait ${RESTART_COOLDOWN_MINUTES} min)`,
    };
  if (input.restartsToday >= input.maxRestartsPerDay)
    return {
      restart: false,
      reason: `not restarting: already restarted ${input.restartsToday} time(s) today (gateway.maxRestartsPerDay = ${input.maxRestartsPerDay})`,
    };
  return {
    restart: true,
    reason: `${failures} consecutive failed checks in market hours, no order working (restart ${input.restartsToday + 1} of at most ${input.maxRestartsPerDay} today)`,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The watchman: every scheduled job but this one (watched by its own CloudWatch alarm) against the
 * schedule table, the market calendar and its last completed run; one CRITICAL per overdue job.
 */
async function watchJobs(ctx: RunContext): Promise<string[]> {
  const alerts = ctx.stores.alerts;
  const now = ctx.clock.now();
  const watchingSince = await alerts.holdingSince(STATE_KEYS.watchingSince, now);
  const jobs = await Promise.all(
    JOB_NAMES.filter(
      // A job deployed only with gatewayHours=market is not watched without it.
      (name) => name !== ctx.job && (!JOB_TIMINGS[name].deployedWith || ctx.gatewayHours === 'market'),
    ).map(async (name) => ({
      name,
      timing: JOB_TIMINGS[name],
      enabled: ctx.config.jobs[name],
      lastCompletedAt: await lastCompletedAt(alerts, name),
    })),
  );
  const overdue = overdueJobs({ jobs, now, calendar: ctx.config.calendar, watchingSince });
  for (const o of overdue) {
    await ctx.alert({
      subject: o.job,
      rule: 'job-overdue',
      severity: 'CRITICAL',
      title: `${o.job} overdue`,
      message: `${o.message}. A job that stops running raises no error alarm: check its schedule (EventBridge Scheduler), its last logs and its permissions.`,
    });
  }
  return overdue.map((o) => o.message);
}

/** The alert-state key of the login alert (subject#rule). */
const LOGIN_ALERT_KEY = 'ib-login#login-waiting';

/** The login settings the stack passes (WEEKLY_LOGIN, TRADING_MODE); defaults when run locally. */
export function loginSettings(env: Record<string, string | undefined> = process.env): {
  weeklyLogin: string;
  paperOnly: boolean;
} {
  return {
    weeklyLogin: weeklyLoginSchema.parse(env.WEEKLY_LOGIN ?? DEFAULT_WEEKLY_LOGIN),
    paperOnly: env.TRADING_MODE !== 'live',
  };
}

/**
 * IB's login, the health check's business (the container health check no longer replaces a task whose
 * login waits): at the weekly login and every 10 minutes while a login waits, the alert of core/login.ts.
 * Returns what it said, or undefined when IB is logged in outside the weekly login's first 10 minutes.
 */
async function watchLogin(ctx: RunContext, verdict: GatewayVerdict): Promise<string | undefined> {
  const alerts = ctx.stores.alerts;
  const now = ctx.clock.now();
  const { weeklyLogin, paperOnly } = loginSettings();
  const weekly = lastWeeklyLogin(now, weeklyLogin);
  // gatewayHours=market: no weekly cold restart (the task is off on Sundays), the morning start is the login.
  const atWeeklyLogin = ctx.gatewayHours === 'always' && now - weekly < LOGIN_ALERT_EVERY_MINUTES * 60_000;
  const waiting = verdict.loginWaiting && !paperOnly;
  if (!waiting) {
    // Logged in again ("Gateway back up" says so): the next waiting login starts its cadence afresh.
    if (verdict.healthy)
      await Promise.all([alerts.clear(STATE_KEYS.loginWaitingSince), alerts.clear(LOGIN_ALERT_KEY)]);
    if (!atWeeklyLogin) return undefined;
  }
  // A login first seen waiting within two checks of the weekly login waits since the weekly login (the
  // check at that very minute may still find the old session, before IBC has closed the gateway).
  const seen = waiting ? await alerts.holdingSince(STATE_KEYS.loginWaitingSince, now) : now;
  const weeklyCause = seen >= weekly && seen - weekly < 2 * LOGIN_ALERT_EVERY_MINUTES * 60_000;
  const alert = loginAlert({
    now,
    waitingSince: weeklyCause ? weekly : seen,
    cause: weeklyCause ? 'weekly' : 'not-logged-in',
    paperOnly,
    firstJob: firstJobNeedingIb(now, ctx.config.calendar),
  });
  // Its own cadence, not the config's alert cooldown: one alert per 10-minute check while it waits.
  const delivery = await ctx.alerter
    .send(
      makeAlert({
        subject: 'ib-login',
        rule: 'login-waiting',
        severity: alert.severity,
        title: alert.title,
        message: alert.message,
      }),
      { now, cooldownMinutes: LOGIN_ALERT_EVERY_MINUTES - 1 },
    )
    .catch((error: unknown) => ({ sent: false, reason: `alert failed: ${messageOf(error)}` }));
  ctx.log.info('login alert', { slot: alert.slot, severity: alert.severity, sent: delivery.sent });
  return `${alert.title}${delivery.sent ? '' : ` (${delivery.reason})`}`;
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
    const health = await ctx.bridge.health().catch((error: unknown) => ({ error: messageOf(error) }));
    const ecs = service
      ? await service.describe().catch((error: unknown) => ({ error: messageOf(error) }))
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
        restart = { done: false, reason: `new deployment failed: ${messageOf(error)}` };
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
