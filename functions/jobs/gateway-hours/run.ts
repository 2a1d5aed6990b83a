// gateway-hours (07:30 and 18:30 New York, weekdays; only with `-c gatewayHours=market`): puts the gateway
// task where the window of core/gateway-hours.ts says it should be at this moment, the calendar deciding
// (a holiday's 07:30 run leaves it off).
//
//   start (inside the window): desired count 1, unless it already is; a live account gets an INFO alert
//     asking for the IBKR Mobile approval (every start is a fresh IB login; paper needs none);
//   stop (outside the window), with a task running: the bridge's working orders (GET /orders/open) get
//     STOP_WAIT_MINUTES to finish; what is left is cancelled (DELETE /orders/:id) and named in a CRITICAL
//     alert; only then desired count 0. An order must not outlive its gateway: if the working orders
//     cannot be read, or a cancel fails, the task is left running and a CRITICAL says why.
import type { BrokerOrder } from '#adapters/bridge-client';
import { gatewayService } from '#adapters/ecs-client';
import type { GatewayService } from '#adapters/ecs-client';
import { GATEWAY_WINDOW, inGatewayWindow, STOP_POLL_SECONDS, STOP_WAIT_MINUTES } from '#core/gateway-hours';
import { firstJobNeedingIb } from '#core/login';
import type { RunContext, RunOutcome } from '../shared/define-job';
import { errorMessage } from '../shared/errors';

/** Time kept back from the Lambda's timeout for the cancels and the UpdateService after the wait. */
const STOP_MARGIN_MS = 60_000;

/** `#12 IC-SPY-… SPY BUY 2 left @ 1.25`: enough to find the order in TWS or the orders table. */
export function describeOrder(order: BrokerOrder): string {
  return [
    `#${order.orderId}`,
    order.orderRef,
    order.symbol,
    order.action,
    `${order.remaining} left`,
    order.limitPrice === undefined ? undefined : `@ ${order.limitPrice}`,
  ]
    .filter((part) => part !== undefined && part !== '')
    .join(' ');
}

export async function runGatewayHours(_input: unknown, ctx: RunContext): Promise<RunOutcome> {
  const service = gatewayService();
  if (!service) throw new Error('no gateway service to start or stop (ECS_CLUSTER / ECS_SERVICE not set)');
  const state = await service.describe();
  const details = { desiredBefore: state.desiredCount, runningBefore: state.runningCount };
  if (inGatewayWindow(ctx.now, ctx.config.calendar)) return startGateway(ctx, service, details);
  if (state.desiredCount === 0 && state.runningCount === 0)
    return { did: 'gateway already off', details: { ...details, action: 'none' } };
  // No task runs (it failed to start): no gateway holds an order through this API.
  if (state.runningCount === 0) {
    await service.setDesiredCount(0);
    return { did: 'gateway stopped (no task was running)', details: { ...details, action: 'stop' } };
  }
  return stopGateway(ctx, service, details);
}

async function startGateway(
  ctx: RunContext,
  service: GatewayService,
  details: Record<string, unknown>,
): Promise<RunOutcome> {
  if ((details.desiredBefore as number) >= 1)
    return { did: 'gateway already running', details: { ...details, action: 'none' } };
  await service.setDesiredCount(1);
  const live = process.env.TRADING_MODE === 'live';
  if (live) {
    const first = firstJobNeedingIb(ctx.clock.now(), ctx.config.calendar);
    const minutes = first ? Math.round((first.at - ctx.clock.now()) / 60_000) : undefined;
    await ctx.alert({
      subject: 'ib-login',
      rule: 'gateway-started',
      severity: 'INFO',
      title: 'Gateway starting: approve the IBKR Mobile notification',
      message:
        `The gateway task starts for the day (gatewayHours=market, ${GATEWAY_WINDOW.start}-${GATEWAY_WINDOW.end} New York): ` +
        `every start is a fresh IB login, so IBKR Mobile asks for your approval within a few minutes. Approve it. ` +
        (first ? `The first job that needs IB, ${first.job}, runs in ${minutes} min.` : ''),
    });
  }
  return {
    did: `gateway started (desired count 1)${live ? '; IBKR Mobile approval asked for' : ''}`,
    details: { ...details, action: 'start' },
  };
}

async function stopGateway(
  ctx: RunContext,
  service: GatewayService,
  details: Record<string, unknown>,
): Promise<RunOutcome> {
  const leftRunning = async (why: string, title: string): Promise<RunOutcome> => {
    await ctx.alert({
      subject: 'gateway',
      rule: 'gateway-not-stopped',
      severity: 'CRITICAL',
      title,
      message: `${why}. The gateway task is left running so no order outlives it: check the orders in TWS or the IBKR app, then stop it (aws ecs update-service --desired-count 0) or let the next stop do it.`,
    });
    return { did: `gateway left running: ${why}`, details: { ...details, action: 'none' }, ok: false };
  };

  let working: BrokerOrder[];
  const waitStarted = ctx.clock.now();
  try {
    working = await ctx.bridge.openOrders();
    const deadline = Math.min(
      ctx.clock.now() + STOP_WAIT_MINUTES * 60_000,
      ctx.clock.now() + ctx.remainingMs() - STOP_MARGIN_MS,
    );
    while (working.length > 0 && ctx.clock.now() + STOP_POLL_SECONDS * 1000 <= deadline) {
      ctx.log.info('working orders at the gateway stop: waiting', { orders: working.map(describeOrder) });
      await ctx.clock.sleep(STOP_POLL_SECONDS * 1000);
      working = await ctx.bridge.openOrders();
    }
  } catch (error) {
    return leftRunning(
      `could not read the working orders from the bridge: ${errorMessage(error)}`,
      'Gateway not stopped: working orders unknown',
    );
  }

  const cancelled: string[] = [];
  const failed: string[] = [];
  for (const order of working) {
    try {
      await ctx.bridge.cancelOrder(order.orderId);
      cancelled.push(describeOrder(order));
    } catch (error) {
      failed.push(`${describeOrder(order)} (${errorMessage(error)})`);
    }
  }
  if (failed.length > 0)
    return leftRunning(
      `${failed.length} working order(s) could not be cancelled at the stop: ${failed.join('; ')}` +
        (cancelled.length > 0 ? `; cancelled: ${cancelled.join('; ')}` : ''),
      'Gateway not stopped: an order still works',
    );
  if (cancelled.length > 0)
    await ctx.alert({
      subject: 'gateway',
      rule: 'orders-cancelled-at-stop',
      severity: 'CRITICAL',
      title: `${cancelled.length} order(s) cancelled at the gateway stop`,
      message:
        `Still working ${Math.round((ctx.clock.now() - waitStarted) / 60_000)} min into the gateway's ${GATEWAY_WINDOW.end} stop, cancelled: ${cancelled.join('; ')}. ` +
        `Check each position: an entry not filled is no position; an exit not filled leaves the position open overnight.`,
      numbers: { cancelled: cancelled.length },
    });
  await service.setDesiredCount(0);
  return {
    did: `gateway stopped (desired count 0)${cancelled.length > 0 ? `; ${cancelled.length} working order(s) cancelled first` : ''}`,
    counts: { cancelledOrders: cancelled.length },
    ...(cancelled.length > 0 ? { reasons: cancelled } : {}),
    details: { ...details, action: 'stop', cancelled },
  };
}
