// defineJob: the one way a Lambda job is built. A job declares its name, its manual-payload schema and a
// `run` that uses ports only; its bridge priority and calendar gate come from the schedule table
// (core/schedule.ts). defineJob turns that into a middy handler that:
//
//   1. validates the event (input.ts); a bad payload returns { ok: false, error } and does nothing else;
//   2. logs the validated input (secret-looking fields redacted) with Powertools Logger;
//   3. loads the config from DynamoDB; a ConfigError stops the job with a CRITICAL alert (never a
//      silent fallback to defaults);
//   4. checks the job's `enabled` flag, the market calendar and, for a job that needs IB, the gateway's
//      hours (gatewayHours=market: off by schedule outside 07:30-18:30), and returns { job, skipped: reason };
//   5. runs, and returns { job, ok, tradeDate, did, counts, reasons } for the Lambda console;
//   6. emits one Powertools metric per outcome (Ran, Skipped, InvalidInput, ConfigInvalid, Failed).
//
// An unexpected error is logged, alerted (CRITICAL, with cooldown) and rethrown so Lambda records the
// failure (and a dead-letter queue keeps the event).
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import type { AlertDelivery, Alerter } from '#adapters/alerter';
import type { BridgeClient } from '#adapters/bridge-client';
import type { Clock } from '#adapters/clock';
import type { Stores } from '#adapters/ports';
import { makeAlert } from '#core/alerts';
import type { AlertSpec } from '#core/alerts';
import { marketClock } from '#core/calendar';
import { ConfigError } from '#core/config';
import { gatewayOffBySchedule } from '#core/gateway-hours';
import type { Config, JobName } from '#core/config';
import type { IsoDate, MarketClock } from '#core/types';
import { recordJobCompleted } from './completions';
import { jobContext } from './context';
import type { JobContext } from './context';
import { describeIssues, parseJobEvent, redactForLog } from './input';
import type { BridgeEventType, InputIssue, JobTrigger } from './input';

import { JOB_TIMINGS } from '#core/schedule';
import type { CalendarGate } from '#core/schedule';
import { errorMessage } from './errors';

export type { CalendarGate } from '#core/schedule';

/** What `run` returns; defineJob adds `job`, `ok` and `tradeDate`. */
export interface RunOutcome {
  /** One sentence: what the run did. */
  did: string;
  counts?: Record<string, number>;
  reasons?: string[];
  /** Anything else worth reading in the console (top candidates, per-position decisions, ...). */
  details?: Record<string, unknown>;
  /** False when the run finished but something needs an operator (a rejected order, a mismatch). */
  ok?: boolean;
}

export interface JobResult {
  job: JobName;
  ok: boolean;
  tradeDate?: IsoDate;
  did?: string;
  /** Why the job did not run (disabled, market closed, another invocation in progress). */
  skipped?: string;
  /** Why it failed before running (bad payload, invalid config). */
  error?: string;
  issues?: InputIssue[];
  counts?: Record<string, number>;
  reasons?: string[];
  details?: Record<string, unknown>;
}

export interface JobLog {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/** Everything `run` gets: the config read for this invocation, the time, and the ports. */
export interface RunContext {
  job: JobName;
  priority: number;
  trigger: JobTrigger;
  config: Config;
  /** The invocation's start instant, epoch ms (steps that wait read `clock.now()` again). */
  now: number;
  market: MarketClock;
  tradeDate: IsoDate;
  clock: Clock;
  stores: Stores;
  bridge: BridgeClient;
  alerter: Alerter;
  idempotency: JobContext['idempotency'];
  /** When the gateway runs (`-c gatewayHours`, core/gateway-hours.ts). */
  gatewayHours: JobContext['gatewayHours'];
  log: JobLog;
  /** Time left in this invocation, ms (Lambda's getRemainingTimeInMillis; unbounded when run without one). */
  remainingMs: () => number;
  /** Sends an alert with the config's cooldown at the clock's current time; never throws (logs instead). */
  alert(spec: AlertSpec): Promise<AlertDelivery>;
}

export interface JobDefinition<S extends z.ZodType> {
  name: JobName;
  /** The manual payload (also a schedule's `detail`); a strict object (see `payloadSchema`). */
  inputSchema: S;
  /** Bridge events this job also runs on (position-sync). */
  acceptsEvents?: readonly BridgeEventType[];
  /**
   * Calendar gate per trigger, for a job whose gate depends on it (position-sync runs on events at any
   * time); otherwise the schedule table's (functions/core/schedule.ts), as is the bridge priority.
   */
  calendar?: (trigger: JobTrigger, input: z.infer<S>) => CalendarGate;
  run(input: z.infer<S>, ctx: RunContext): Promise<RunOutcome>;
  /**
   * Wraps the run (execute-strategies: Powertools idempotency keyed on job + trade date). Returns the
   * run's outcome, or `{ skipped }` when the wrapper decided not to run it.
   */
  around?: (
    input: z.infer<S>,
    ctx: RunContext,
    run: () => Promise<RunOutcome>,
    lambdaContext: Context,
  ) => Promise<RunOutcome | { skipped: string }>;
}

export type JobOutcomeMetric = 'Ran' | 'Skipped' | 'InvalidInput' | 'ConfigInvalid' | 'Failed';

export interface JobHandler {
  (event: unknown, context: Context): Promise<JobResult>;
  readonly jobName: JobName;
  /** The job's Powertools logger (tests lower or raise its level). */
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export const METRICS_NAMESPACE = 'IbOptionsIncome';

function gateReason(gate: CalendarGate, market: MarketClock): string | undefined {
  if (gate === 'always') return undefined;
  if (!market.isTradingDay) return `${market.tradeDate} is not a trading day (weekend or NYSE holiday)`;
  if (gate === 'market-open' && !market.isOpen) {
    return market.minutesSinceOpen < 0
      ? `market not open yet (${market.tradeDate}, opens in ${Math.ceil(-market.minutesSinceOpen)} min)`
      : `market closed for the day (${market.tradeDate}${market.earlyClose ? ', early close' : ''})`;
  }
  return undefined;
}

/** Builds the middy handler of a job (see the header comment for what it does, in order). */
export function defineJob<S extends z.ZodType>(definition: JobDefinition<S>): JobHandler {
  const timing = JOB_TIMINGS[definition.name];
  const logger = new Logger({ serviceName: definition.name });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: definition.name });
  const log: JobLog = {
    debug: (message, data) => logger.debug(message, data ?? {}),
    info: (message, data) => logger.info(message, data ?? {}),
    warn: (message, data) => logger.warn(message, data ?? {}),
    error: (message, data) => logger.error(message, data ?? {}),
  };
  const count = (outcome: JobOutcomeMetric) => metrics.addMetric(outcome, MetricUnit.Count, 1);

  async function handle(event: unknown, lambdaContext: Context): Promise<JobResult> {
    const job = definition.name;
    const parsed = parseJobEvent(event, definition.inputSchema, definition.acceptsEvents);
    if (!parsed.ok) {
      const error = describeIssues(parsed.issues);
      log.warn('invalid input: nothing done', { issues: parsed.issues });
      count('InvalidInput');
      return { job, ok: false, error, issues: parsed.issues };
    }
    const { input, trigger } = parsed;
    log.info('input', {
      trigger: trigger.kind === 'event' ? `event ${trigger.event.type}` : trigger.kind,
      input: redactForLog(input) as Record<string, unknown>,
    });

    const ctx = jobContext();
    const clock = ctx.clock;
    const now = clock.now();
    const alertWith = (cooldownMinutes: number) => async (spec: AlertSpec) => {
      const alert = makeAlert(spec);
      try {
        const delivery = await ctx.alerter.send(alert, { now: clock.now(), cooldownMinutes });
        log.info(delivery.sent ? 'alert sent' : 'alert suppressed', {
          key: alert.key,
          severity: alert.severity,
          reason: delivery.reason,
        });
        return delivery;
      } catch (error) {
        log.error('alert failed', { key: alert.key, error: errorMessage(error) });
        return { sent: false, reason: `alert failed: ${errorMessage(error)}` };
      }
    };

    let config: Config;
    try {
      config = await ctx.stores.config.loadConfig();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      log.error('invalid config: trading stopped', { issues: error.issues });
      count('ConfigInvalid');
      // The cooldown cannot come from a config that failed to load: use the documented default.
      await alertWith(60)({
        subject: 'config',
        rule: 'config-invalid',
        severity: 'CRITICAL',
        title: `Config invalid: ${job} stopped`,
        message: `${job} did not run: ${error.message}. Fix the config item(s) named; no trading until then.`,
      });
      return { job, ok: false, error: error.message, did: 'nothing: the config is invalid' };
    }

    const market = marketClock(now, config.calendar);
    const base = { job, tradeDate: market.tradeDate };
    if (!config.jobs[job]) {
      count('Skipped');
      return { ...base, ok: true, skipped: `disabled in config (jobs.${job} = false)` };
    }
    const gate = definition.calendar?.(trigger, input) ?? timing.calendar;
    const closed = gateReason(gate, market);
    if (closed) {
      log.info('skipped by the market calendar', { reason: closed });
      count('Skipped');
      return { ...base, ok: true, skipped: closed };
    }
    // A bridge event proves the gateway is up; a scheduled or manual run outside its hours finds it off,
    // which is the plan, not a failure: recorded, no alert.
    const gatewayOff =
      timing.needsIb && trigger.kind !== 'event'
        ? gatewayOffBySchedule(now, ctx.gatewayHours, config.calendar)
        : undefined;
    if (gatewayOff) {
      log.info('skipped: gateway off by schedule', { reason: gatewayOff });
      count('Skipped');
      return { ...base, ok: true, skipped: gatewayOff };
    }

    const runContext: RunContext = {
      job,
      priority: timing.priority,
      trigger,
      config,
      now,
      market,
      tradeDate: market.tradeDate,
      clock,
      stores: ctx.stores,
      bridge: ctx.bridge(timing.priority),
      alerter: ctx.alerter,
      idempotency: ctx.idempotency,
      gatewayHours: ctx.gatewayHours,
      log,
      remainingMs:
        typeof lambdaContext?.getRemainingTimeInMillis === 'function'
          ? () => lambdaContext.getRemainingTimeInMillis()
          : () => Number.POSITIVE_INFINITY,
      alert: alertWith(config.alerts.cooldownMinutes),
    };
    try {
      const run = () => definition.run(input, runContext);
      const outcome = definition.around
        ? await definition.around(input, runContext, run, lambdaContext)
        : await run();
      if ('skipped' in outcome) {
        count('Skipped');
        return { ...base, ok: true, skipped: outcome.skipped };
      }
      count('Ran');
      // For the health check's watchman; a failed record must not fail a run that did its work.
      await recordJobCompleted(ctx.stores.alerts, job, clock.now()).catch((error: unknown) =>
        log.error('could not record the completed run', { error: errorMessage(error) }),
      );
      const result: JobResult = { ...base, ok: outcome.ok ?? true, did: outcome.did };
      if (outcome.counts) result.counts = outcome.counts;
      if (outcome.reasons) result.reasons = outcome.reasons;
      if (outcome.details) result.details = outcome.details;
      log.info('done', { did: outcome.did, counts: outcome.counts ?? {} });
      return result;
    } catch (error) {
      count('Failed');
      log.error('job failed', { error: errorMessage(error) });
      await runContext.alert({
        subject: job,
        rule: 'job-failed',
        severity: 'CRITICAL',
        title: `${job} failed`,
        message: `${job} failed on ${market.tradeDate}: ${errorMessage(error)}`,
      });
      throw error;
    }
  }

  const handler = middy(handle)
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true })) as unknown as (
    event: unknown,
    context: Context,
  ) => Promise<JobResult>;
  return Object.assign(handler, { jobName: definition.name, logger, metrics });
}
