// `npm start`: simulated trading days through the real job handlers, with no AWS and no IB account.
//
// Starts the local stack (DynamoDB Local, the TWS-protocol simulator, the bridge), walks the job
// schedule from 08:00 New York (position-sync pre-market, strategy-analysis 09:45,
// execute-strategies 10:00 on the paper account, monitor every 5 minutes until the close,
// position-sync 16:15, ...) by jumping the simulator's clock from one run to the next, prints a line
// per run, and writes out/summary.json and out/report.html. `--days N` walks N trading days on the same
// stack (the night between: expiries settle, IB Gateway restarts at 23:45) and checks five counts after
// each day (scripts/report/reconcile.ts).
//
//   npm start                                   # the normal day
//   npm start -- --days 20                      # twenty trading days, checked after each
//   npm start -- --faults my-faults.json        # a fault script in the simulator's format
//   npm start -- --scenario sell-off --seed 7   # a named fault scenario
//   npm start -- --help                         # the scenarios and flags
//
// A job file that does not load, or a job that throws, fails the run (exit code 1). The parts live in
// scripts/day/: schedule.ts (the day's runs), cli.ts (flags, --help), runner.ts (the days on one stack),
// day-summary.ts (each run's record, the day's summary, the run's totals), console.ts (what is printed).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hideSdkNodeVersionWarning } from './local/stack';
import type { LocalStack } from './local/stack';
import { UsageError } from './args';
import { helpText, parseStartArgs } from './day/cli';
import type { StartArgs } from './day/cli';
import { runClosingLines } from './day/console';
import { runDays } from './day/runner';

// The names of the parts stay importable from here, as tests and the bench import them.
export { daySchedule } from './day/schedule';
export type { ScheduledRun, ScheduleOptions } from './day/schedule';
export { helpText, parseStartArgs } from './day/cli';
export type { StartArgs } from './day/cli';
export {
  checkDayOf,
  DEFAULT_ANALYSIS_MAX_QUOTES,
  MAX_DAYS,
  NIGHTLY_RESTART_TIME,
  runDay,
  runDays,
  tradingDays,
} from './day/runner';
export type { RunDayOptions, RunDaysOptions } from './day/runner';
export { runTotals } from './day/day-summary';
export { closingLines, dayCloseLine, runClosingLines } from './day/console';

// The scenarios moved to scripts/scenarios/index.ts; their names stay importable from here.
export { consistencyChecks, SCENARIOS, shockUnderlying } from './scenarios/index';
export type { Scenario, ScenarioContext, ScenarioEvent } from './scenarios/index';

// One usage error class for the three local scripts (scripts/args.ts); re-exported under its old name.
export { UsageError };

/** Keeps the jobs' Powertools JSON logs and metrics out of the progress lines (--verbose keeps them). */
export function quietJobLogs(verbose: boolean): void {
  if (verbose) return;
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
}

async function main(argv: string[]): Promise<number> {
  let args: StartArgs;
  try {
    args = parseStartArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`npm start: ${error.message}\n\n${helpText()}`);
      return 2;
    }
    throw error;
  }
  if (args.help) {
    console.log(helpText());
    return 0;
  }
  quietJobLogs(args.verbose);
  hideSdkNodeVersionWarning();
  let stack: LocalStack | undefined;
  let interrupted = false;
  const onSignal = (signal: string) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping the local stack …`);
    // A day mid-job would finish its job first; stop everything now so nothing is left behind.
    void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  try {
    if (args.dateNote) console.log(args.dateNote);
    if (args.faultsFile) console.log(`Fault script: ${args.faultsFile} (${args.faults?.length ?? 0} faults)`);
    const run = await runDays({
      scenario: args.scenario,
      seed: args.seed,
      date: args.date,
      days: args.days,
      ...(args.faults ? { faults: args.faults } : {}),
      speed: args.speed,
      ...(args.until ? { until: args.until } : {}),
      collectEveryMinutes: args.collectEvery,
      outDir: args.outDir,
      aborted: () => interrupted,
      onStack: (s) => {
        stack = s;
      },
    });
    for (const line of runClosingLines(run)) console.log(line);
    console.log(`  wrote ${resolve(args.outDir, 'summary.json')} and ${resolve(args.outDir, 'report.html')}`);
    return run.completed ? 0 : 1;
  } catch (error) {
    console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
