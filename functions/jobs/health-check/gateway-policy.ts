// The gateway's verdict and the bounded restart policy: pure, the caller supplies what it read.
// (the task never runs on Sunday): every morning's start is the full login, announced by gateway-hours.
import type { BridgeHealth } from '#adapters/bridge-client';
import type { GatewayServiceState } from '#adapters/ecs-client';

/** Trading rules: "gateway down > 15 min" is CRITICAL. */
export const CRITICAL_AFTER_MINUTES = 15;
/** A new task needs time to log in; never restart again sooner. */
export const RESTART_COOLDOWN_MINUTES = 30;

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
