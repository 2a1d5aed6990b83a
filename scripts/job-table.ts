// Generates the README's job table: the schedule column from the one schedule table
// (functions/core/schedule.ts), so a schedule change cannot leave the README behind; the prose columns
// from JOB_DOCS below. `tsx scripts/job-table.ts` prints it; `--write` replaces the block between the
// job-table markers in README.md. test/scripts/job-table.test.ts fails when the README is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { JOB_NAMES } from '#core/config';
import type { JobName } from '#core/config';
import { JOB_TIMINGS } from '#core/schedule';
import type { JobTiming } from '#core/schedule';
import { cronValues } from '#core/watchman';

export const JOB_TABLE_START = '<!-- job-table:start -->';
export const JOB_TABLE_END = '<!-- job-table:end -->';

/** What each job is for, in the README's words: the script of the original system it replaces, and what it does. */
const JOB_DOCS: Readonly<Record<JobName, { replaces: string; does: string; alsoOn?: string }>> = {
  'load-historical-data': {
    replaces: 'load_historical_data',
    does: 'daily bars + historical IV → HV20, IV rank, trend per underlying',
  },
  'position-sync': {
    replaces: 'sync_positions',
    alsoOn: 'on every fill event',
    does: "IB legs grouped by `orderRef` into positions; opened/closed outside the system alerted; the position follows IB: legs gone are recorded as expired, assigned or exercised with their cash and realised P&L (assignments CRITICAL), shares and orphaned legs kept as holdings; earlier days' intents still marked working closed out against IB",
  },
  'validate-ib-connection': {
    replaces: 'validate_ib_connection',
    does: "account, paper/live match (CRITICAL on mismatch), farms, a quote of every underlying and of one of its options (the put nearest the money, a week or more out): real-time, delayed (10167), not subscribed (354, 10089) or blocked by a competing session (10197), all but real-time a CRITICAL naming the fix (US stocks/ETFs: NYSE, ARCA and NASDAQ, IB's Network A, B and C; US options: OPRA), IB's `liquidHours` for the week against the config calendar (WARNING naming both sessions on a disagreement)",
  },
  'strategy-analysis': {
    replaces: 'run_strategy_analysis',
    does: 'chains + quotes → every candidate scored and archived with its breakdown and reasons; the best 2,000 passing and 50 rejected per underlying also stored as full items; one summary alert ("archived N of N")',
  },
  'execute-strategies': {
    replaces: 'execute_best_strategies',
    does: 'each candidate rebuilt from fresh quotes and filtered and scored again (placed only if still eligible; both scores and why stored on the candidate item), entry workflow, idempotent intents, mid → natural repricing, cancel and remainder; `{ "dryRun": true, "minScore": 75 }`',
  },
  'collect-option-data': { replaces: 'collect_option_data', does: 'ATM IV, skew, volume snapshots' },
  'collect-futures-data': { replaces: 'collect_futures_data', does: 'ES/NQ front-month quotes' },
  monitor: {
    replaces: 'unified_monitor',
    does: "one snapshot → P&L, the exit rules, exits through the same idempotent path (built from the legs IB holds just before the order), assigned shares and orphaned legs closed at the next session's first cycle, alerts with cooldown",
  },
  'daily-statistics': {
    replaces: 'daily_statistics',
    does: "the day's P&L (`dayPnl`: realised by kind, unrealised at mid and natural), win rate, exposure; daily summary alert",
  },
  'validate-data-quality': {
    replaces: 'validate_data_quality',
    does: 'gaps, staleness and delayed data in collected data (early-close aware)',
  },
  'health-check': {
    replaces: 'health_check',
    does: 'bridge `/health` + ECS state; IB\'s login: alerts at the weekly login and every 10 min while a login waits (below); the watchman: a CRITICAL per job that has not completed a run it should have; forces a new gateway deployment after `gateway.restartAfterFailures` (config, default 3) consecutive failed checks in market hours, at most `gateway.maxRestartsPerDay` (default 2) a day, never while an order works, a login waits for its second factor or in the restart window; a manual `{ "restartAfterFailures": N }` overrides the config for that run only; with `-c gatewayHours=market`, outside the gateway hours only the watchman',
  },
  'verify-positions': {
    replaces: 'verify_positions',
    does: 'every difference between DynamoDB and IB; repairs only with `{ "repair": true }`',
  },
  'gateway-hours': {
    replaces: 'none (new)',
    does: 'only with `-c gatewayHours=market`: starts the gateway task on trading days (INFO asking for the IBKR Mobile approval when live) and stops it after working orders finish or are cancelled (CRITICAL naming them); the calendar decides',
  },
};

const pad2 = (n: number) => String(n).padStart(2, '0');

/** "08:00, 16:15", "every 5 min in market hours", "every 10 min, every day (weekends too)", "on demand". */
export function scheduleText(timing: JobTiming, alsoOn?: string): string {
  const parts: string[] = [];
  const times: string[] = [];
  for (const s of timing.schedules) {
    const minutes = cronValues(s.minute, 0, 59);
    const hours = cronValues(s.hour, 0, 23);
    if (minutes.length * hours.length === 1) {
      times.push(`${pad2(hours[0]!)}:${pad2(minutes[0]!)}`);
      continue;
    }
    const step = minutes.length > 1 ? minutes[1]! - minutes[0]! : 60;
    const text =
      `every ${step} min` +
      (timing.calendar === 'market-open' ? ' in market hours' : '') +
      (s.days === 'every-day' ? ', every day (weekends too)' : '');
    if (!parts.includes(text)) parts.push(text);
  }
  if (times.length > 0) parts.unshift(times.sort().join(', '));
  if (alsoOn) parts.push(`${parts.length > 0 ? 'and ' : ''}${alsoOn}`);
  return parts.length > 0 ? parts.join(', ') : 'on demand';
}

export function jobTableMarkdown(): string {
  const rows = JOB_NAMES.map((job) => {
    const doc = JOB_DOCS[job];
    return `| ${job} | ${scheduleText(JOB_TIMINGS[job], doc.alsoOn)} | \`${doc.replaces}\` | ${doc.does} |`;
  });
  return ['| job | ET schedule | replaces the script | what it does |', '|---|---|---|---|', ...rows].join(
    '\n',
  );
}

/** `doc` with the block between the markers replaced by the current table. */
export function withJobTable(doc: string): string {
  const start = doc.indexOf(JOB_TABLE_START);
  const end = doc.indexOf(JOB_TABLE_END);
  if (start < 0 || end < start) throw new Error(`no ${JOB_TABLE_START} … ${JOB_TABLE_END} block`);
  return `${doc.slice(0, start + JOB_TABLE_START.length)}\n${jobTableMarkdown()}\n${doc.slice(end)}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (process.argv.includes('--write')) {
    const readme = resolve(import.meta.dirname, '..', 'README.md');
    writeFileSync(readme, withJobTable(readFileSync(readme, 'utf8')));
    console.log(`wrote the job table into ${readme}`);
  } else {
    console.log(jobTableMarkdown());
  }
}
