// The command line of `npm start`: its flags (each checked by the shared validators of scripts/args.ts)
// and its --help.
import { resolve } from 'node:path';
import type { IsoDate } from '#core/types';
import type { ScheduledFault } from '#simulator/server/faults';
import {
  clockTime,
  faultScriptFile,
  firstTradingDay,
  minutesStep,
  numberAbove,
  oneOf,
  parseFlags,
  wholeNumber,
  wholeNumberIn,
} from '../args';
import { DEFAULT_DATE, REPO_ROOT } from '../local/stack';
import { SCENARIOS } from '../scenarios/index';
import { MAX_DAYS } from './runner';

export interface StartArgs {
  scenario: string;
  seed: number;
  /** Absent: the scenario's own first day, else DEFAULT_DATE. */
  date?: IsoDate;
  /** Set when --date was a weekend or holiday and the run starts on the next trading day. */
  dateNote?: string;
  days: number;
  faults?: ScheduledFault[];
  faultsFile?: string;
  speed: number;
  outDir: string;
  until?: string;
  collectEvery: number;
  verbose: boolean;
  help: boolean;
}

// What the README and --help document; each value is checked by the shared validators of scripts/args.ts.
const START_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean' },
  scenario: { type: 'string' },
  seed: { type: 'string' },
  date: { type: 'string' },
  days: { type: 'string' },
  faults: { type: 'string' },
  speed: { type: 'string' },
  until: { type: 'string' },
  'collect-every': { type: 'string' },
  out: { type: 'string' },
} as const;

export function parseStartArgs(argv: readonly string[]): StartArgs {
  const { values } = parseFlags(argv, START_OPTIONS);
  const date = values.date === undefined ? undefined : firstTradingDay('--date', values.date);
  const script = values.faults === undefined ? undefined : faultScriptFile('--faults', values.faults);
  return {
    scenario:
      values.scenario === undefined ? 'normal' : oneOf('scenario', values.scenario, Object.keys(SCENARIOS)),
    seed: values.seed === undefined ? 1 : wholeNumber('--seed', values.seed),
    ...(date ? { date: date.date } : {}),
    ...(date?.note ? { dateNote: date.note } : {}),
    days: values.days === undefined ? 1 : wholeNumberIn('--days', values.days, 1, MAX_DAYS),
    ...(script ? { faults: script.faults, faultsFile: script.file } : {}),
    speed: values.speed === undefined ? 1 : numberAbove('--speed', values.speed, 0, 1000),
    outDir: resolve(values.out ?? resolve(REPO_ROOT, 'out')),
    ...(values.until === undefined ? {} : { until: clockTime('--until', values.until) }),
    collectEvery:
      values['collect-every'] === undefined
        ? 5
        : minutesStep('--collect-every', values['collect-every'], 5, 60),
    verbose: values.verbose ?? false,
    help: values.help ?? false,
  };
}

export function helpText(): string {
  const width = Math.max(...Object.keys(SCENARIOS).map((n) => n.length));
  return [
    'npm start [-- options]: simulated trading days through the real job handlers (no AWS, no IB account).',
    '',
    'Options:',
    '  --scenario NAME   a named fault scenario (default normal)',
    '  --seed N          market seed; the same seed replays the same day (default 1)',
    `  --date YYYY-MM-DD the first trading day (default ${DEFAULT_DATE}; a weekend or holiday moves to the next one)`,
    `  --days N          consecutive trading days on one stack, checked after each (default 1, at most ${MAX_DAYS})`,
    "  --faults FILE     a fault script in the simulator's format (a JSON list; see the README)",
    '  --speed N         simulator ms per real ms while a job runs (default 1; the clock jumps between runs)',
    '  --until HH:MM     stop the day early (New York time)',
    '  --collect-every N minutes between data-collection runs (default 5, as scheduled in AWS)',
    '  --out DIR         where summary.json and report.html go (default out/)',
    "  --verbose         the jobs' own JSON logs too",
    '',
    'Scenarios:',
    ...Object.values(SCENARIOS).map((s) => `  ${s.name.padEnd(width)}  ${s.description}`),
  ].join('\n');
}
