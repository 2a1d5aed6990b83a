// The job schedule as data: when each scheduled job runs (New York wall-clock crons), its bridge queue
// priority and the market-calendar gate its handler applies. One copy, runtime-safe (no CDK): lib/jobs-table.ts
// builds the EventBridge schedules from it, and the health check's watchman reads it to know which job is
// overdue. Times are New York wall-clock times (EventBridge Scheduler evaluates them in America/New_York, so
// 09:45 stays 09:45 across daylight-saving changes). Schedules fire on weekdays unless `days` says every day;
// each job asks the market calendar itself whether today is an NYSE trading day (holidays, 13:00 early closes).
import type { JobName } from './config';
import type { GatewayHours } from './gateway-hours';

/** When the calendar lets a job run: during the regular session, on any trading day, or always. */
export type CalendarGate = 'market-open' | 'trading-day' | 'always';

/** One EventBridge Scheduler cron, in New York time. */
export interface JobSchedule {
  /** Distinguishes a job's schedules in construct ids and the README (`pre-market`, `9h`, ...). */
  label: string;
  minute: string;
  hour: string;
  /** Monday to Friday (the default), or every day of the week. */
  days?: 'weekdays' | 'every-day';
  /** What the README says about this run. */
  description: string;
}

export interface JobTiming {
  /** Bridge queue priority (lower = more urgent); defineJob takes it from here. */
  priority: number;
  /** The calendar gate of a scheduled run (defineJob applies it unless the job picks one per trigger). */
  calendar: CalendarGate;
  /** Empty for an on-demand job. */
  schedules: readonly JobSchedule[];
  /** Needs IB logged in to do its work (the login alerts count down to the first such run). */
  needsIb: boolean;
  /** Deployed only with this deploy setting (gateway-hours: `-c gatewayHours=market`); default always. */
  deployedWith?: 'gatewayHours=market';
}

/** Every 5 minutes from 09:30 to 15:55 New York time: two crons, since 09:00-09:25 is before the open. */
const everyFiveMinutesInMarketHours = (what: string): JobSchedule[] => [
  { label: 'open', minute: '30-55/5', hour: '9', description: `${what} every 5 min, 09:30-09:55` },
  { label: 'day', minute: '0-55/5', hour: '10-15', description: `${what} every 5 min, 10:00-15:55` },
];

/**
 * Whether a job with this `deployedWith` exists in a deploy whose gateway runs `gatewayHours`: the one rule
 * the CDK stack (what it deploys), the watchman (what it expects to run) and `npm start` (what it walks) share.
 */
export function deployedUnder(deployedWith: JobTiming['deployedWith'], gatewayHours: GatewayHours): boolean {
  return deployedWith === undefined || deployedWith === `gatewayHours=${gatewayHours}`;
}

export const JOB_TIMINGS: Readonly<Record<JobName, JobTiming>> = {
  'load-historical-data': {
    priority: 10,
    calendar: 'trading-day',
    needsIb: true,
    schedules: [{ label: 'daily', minute: '0', hour: '8', description: 'daily bars and historical IV' }],
  },
  'position-sync': {
    priority: 15,
    calendar: 'trading-day',
    needsIb: true,
    schedules: [
      {
        label: 'pre-market',
        minute: '0',
        hour: '8',
        description: 'IB positions and executions before the open',
      },
      { label: 'post-market', minute: '15', hour: '16', description: 'final state of the day' },
    ],
  },
  'validate-ib-connection': {
    priority: 20,
    calendar: 'trading-day',
    needsIb: true,
    schedules: [
      { label: 'daily', minute: '45', hour: '8', description: 'account, mode, permissions, farms' },
    ],
  },
  'strategy-analysis': {
    priority: 25,
    calendar: 'market-open',
    needsIb: true,
    schedules: [
      { label: 'daily', minute: '45', hour: '9', description: 'chains and quotes to scored candidates' },
    ],
  },
  'execute-strategies': {
    priority: 26,
    calendar: 'market-open',
    needsIb: true,
    schedules: [
      { label: 'daily', minute: '0', hour: '10', description: 'orders for candidates ≥ min score' },
    ],
  },
  'collect-option-data': {
    priority: 30,
    calendar: 'market-open',
    needsIb: true,
    schedules: everyFiveMinutesInMarketHours('chain metrics'),
  },
  'collect-futures-data': {
    priority: 31,
    calendar: 'market-open',
    needsIb: true,
    schedules: everyFiveMinutesInMarketHours('ES/NQ quotes'),
  },
  monitor: {
    priority: 32,
    calendar: 'market-open',
    needsIb: true,
    schedules: everyFiveMinutesInMarketHours('positions, P&L and exit rules'),
  },
  'daily-statistics': {
    priority: 40,
    calendar: 'trading-day',
    needsIb: true,
    schedules: [{ label: 'daily', minute: '30', hour: '16', description: 'P&L, win rate, exposure' }],
  },
  'validate-data-quality': {
    priority: 50,
    calendar: 'trading-day',
    needsIb: false,
    schedules: [
      { label: 'daily', minute: '0', hour: '18', description: 'gaps and staleness in collected data' },
    ],
  },
  'health-check': {
    priority: 100,
    calendar: 'always',
    needsIb: false,
    // Every 10 minutes of every day, weekends included: a gateway that died on Saturday, or a weekly login
    // still waiting for its second factor, is known (and re-alerted every 10 minutes) before Monday's
    // open; it is also the watchman of every other job. ≈ 4,400 invocations a month, inside Lambda's free tier.
    schedules: [
      {
        label: 'every-10-min',
        minute: '*/10',
        hour: '*',
        days: 'every-day',
        description: 'bridge, IB login, gateway service and every job’s last run',
      },
    ],
  },
  // Starts and stops the gateway task around the session (core/gateway-hours.ts); its own calendar check.
  'gateway-hours': {
    priority: 5,
    calendar: 'always',
    needsIb: false,
    deployedWith: 'gatewayHours=market',
    schedules: [
      { label: 'start', minute: '30', hour: '7', description: 'gateway task started on trading days' },
      {
        label: 'stop',
        minute: '30',
        hour: '18',
        description: 'working orders settled, gateway task stopped',
      },
    ],
  },
  // On demand only (console or CLI invoke).
  'verify-positions': { priority: 15, calendar: 'always', needsIb: true, schedules: [] },
};
