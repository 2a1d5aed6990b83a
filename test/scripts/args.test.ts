// The command lines of `npm run invoke`, `npm start` and `npm run local:up`, the day's schedule, and the
// pieces of the local stack that need no servers (the continuous clock, HTML escaping).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JOB_NAMES, parseConfig } from '#core/config';
import { JOB_TIMINGS } from '#core/schedule';
import { InvokeUsageError, parseInvokeArgs } from '#scripts/invoke';
import { continuousNow } from '#scripts/local/stack';
import { LocalUpUsageError, parseLocalUpArgs } from '#scripts/local-up';
import { escapeHtml } from '#scripts/report/html';
import { daySchedule, parseStartArgs, SCENARIOS, UsageError } from '#scripts/start';
import {
  clockTime,
  finiteNumber,
  minutesStep,
  numberAbove,
  oneOf,
  parseFlags,
  tradingDay,
  wholeNumber,
} from '#scripts/args';

function invokeArgs(argv: string[]) {
  const parsed = parseInvokeArgs(argv);
  if ('help' in parsed) throw new Error('expected arguments, got help');
  return parsed;
}

describe('npm run invoke arguments', () => {
  it('merges --dry-run and --min-score into the payload as the old scripts did', () => {
    const parsed = invokeArgs(['execute-strategies', '{"maxOrders": 2}', '--dry-run', '--min-score', '75']);
    expect(parsed.job).toBe('execute-strategies');
    expect(parsed.payload).toEqual({ maxOrders: 2, dryRun: true, minScore: 75 });
  });

  it('takes the flags before the job too, and --min-score=N', () => {
    expect(invokeArgs(['--dry-run', 'monitor', '--min-score=60.5']).payload).toEqual({
      dryRun: true,
      minScore: 60.5,
    });
  });

  it('an explicit flag wins over the same field in the JSON', () => {
    expect(
      invokeArgs(['execute-strategies', '{"dryRun": false, "minScore": 90}', '--dry-run']).payload,
    ).toEqual({
      dryRun: true,
      minScore: 90,
    });
  });

  it('no payload means an empty manual payload', () => {
    expect(invokeArgs(['health-check']).payload).toEqual({});
  });

  it('passes an out-of-range --min-score through for the handler to reject by field name', () => {
    // The handler's schema owns the range (0–100); the CLI only refuses what is not a number at all.
    expect(invokeArgs(['execute-strategies', '--min-score', '150']).payload).toEqual({ minScore: 150 });
    expect(() => parseInvokeArgs(['execute-strategies', '--min-score', 'high'])).toThrow(
      /--min-score: expected a number/,
    );
    expect(() => parseInvokeArgs(['execute-strategies', '--min-score'])).toThrow(/--min-score needs a value/);
  });

  it('bad JSON is a usage error that shows the text and an example', () => {
    expect(() => parseInvokeArgs(['monitor', '{dryRun: true}'])).toThrow(InvokeUsageError);
    expect(() => parseInvokeArgs(['monitor', '{dryRun: true}'])).toThrow(
      /not valid JSON.*\{dryRun: true\}[\s\S]*Example/,
    );
  });

  it('a payload that is JSON but not an object is refused', () => {
    for (const json of ['[1,2]', '42', '"x"', 'null']) {
      expect(() => parseInvokeArgs(['monitor', json])).toThrow(/must be a JSON object/);
    }
  });

  it('an unknown or missing job lists every job', () => {
    for (const argv of [['execute_best_strategies'], []]) {
      try {
        parseInvokeArgs(argv);
        expect.unreachable('should have thrown');
      } catch (error) {
        expect(error).toBeInstanceOf(InvokeUsageError);
        for (const job of JOB_NAMES) expect((error as Error).message).toContain(job);
      }
    }
  });

  it('unknown options and a second payload are refused', () => {
    expect(() => parseInvokeArgs(['monitor', '--dryrun'])).toThrow(/unknown option --dryrun/);
    expect(() => parseInvokeArgs(['monitor', '{}', '{}'])).toThrow(/one JSON payload/);
  });

  it('refuses bad values with the shared messages, and reads --date, --at, --seed, --verbose and -h', () => {
    const cases: [string[], string][] = [
      [['monitor', '--seed', 'x'], '--seed: expected a whole number, got "x"'],
      [['monitor', '--at', '16:61'], '--at: expected HH:MM, got "16:61"'],
      [['monitor', '--date', '2026-02-30'], '--date: expected a date YYYY-MM-DD, got "2026-02-30"'],
      [['monitor', '--dry-run=false'], '--dry-run takes no value'],
    ];
    for (const [argv, message] of cases) {
      expect(() => parseInvokeArgs(argv), argv.join(' ')).toThrow(new InvokeUsageError(message));
    }
    expect(invokeArgs(['monitor', '--date', '2026-06-02', '--at=11:05', '--seed', '4', '--verbose'])).toEqual(
      {
        job: 'monitor',
        payload: {},
        date: '2026-06-02',
        at: '11:05',
        seed: 4,
        verbose: true,
      },
    );
    expect(invokeArgs(['monitor'])).toMatchObject({
      date: '2026-06-01',
      at: '10:30',
      seed: 1,
      verbose: false,
    });
    expect(parseInvokeArgs(['-h'])).toEqual({ help: true });
    expect(parseInvokeArgs(['monitor', '--help'])).toEqual({ help: true });
    // A negative score is a number: the handler, not the CLI, says it is out of range.
    expect(invokeArgs(['execute-strategies', '--min-score', '-5']).payload).toEqual({ minScore: -5 });
  });

  it('a weekend --date for a fresh stack is refused', () => {
    // 2026-06-06 is a Saturday.
    expect(() => parseInvokeArgs(['monitor', '--date', '2026-06-06'])).toThrow(/trading day/);
  });

  it('merging is { ...payload, ...flags } for any object payload (property)', () => {
    const key = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__');
    fc.assert(
      fc.property(
        fc.dictionary(key, fc.jsonValue()),
        fc.boolean(),
        fc.option(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), {
          nil: undefined,
        }),
        (payload, dryRun, minScore) => {
          const argv = ['monitor', JSON.stringify(payload)];
          if (dryRun) argv.push('--dry-run');
          if (minScore !== undefined) argv.push('--min-score', String(minScore));
          const expected: Record<string, unknown> = JSON.parse(JSON.stringify(payload));
          if (dryRun) expected.dryRun = true;
          if (minScore !== undefined) expected.minScore = Number(String(minScore));
          expect(invokeArgs(argv).payload).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('npm start arguments', () => {
  it('defaults to the normal scenario, seed 1, real-time speed', () => {
    const args = parseStartArgs([]);
    expect(args).toMatchObject({ scenario: 'normal', seed: 1, speed: 1, help: false });
    // No --date: the run takes the scenario's own first day (expiry-week's Monday) or DEFAULT_DATE.
    expect(args.date).toBeUndefined();
    expect(SCENARIOS['expiry-week']!.date).toBe('2026-07-13');
  });

  it('reads every flag', () => {
    const args = parseStartArgs([
      '--scenario',
      'sell-off',
      '--seed=7',
      '--date',
      '2026-06-02',
      '--speed',
      '4',
      '--until',
      '11:00',
    ]);
    expect(args).toMatchObject({
      scenario: 'sell-off',
      seed: 7,
      date: '2026-06-02',
      speed: 4,
      until: '11:00',
    });
  });

  it('refuses an unknown scenario naming the known ones', () => {
    expect(() => parseStartArgs(['--scenario', 'meltdown'])).toThrow(UsageError);
    try {
      parseStartArgs(['--scenario', 'meltdown']);
    } catch (error) {
      for (const name of Object.keys(SCENARIOS)) expect((error as Error).message).toContain(name);
    }
  });

  it('moves a --date on a weekend or holiday to the next trading day and says so', () => {
    // Saturday → Monday; Independence Day 2026 is observed on Friday 2026-07-03 → Monday 07-06.
    expect(parseStartArgs(['--date', '2026-06-06'])).toMatchObject({
      date: '2026-06-08',
      dateNote: '--date 2026-06-06 is not a trading day (weekend or NYSE holiday): starting on 2026-06-08',
    });
    expect(parseStartArgs(['--date', '2026-07-03'])).toMatchObject({
      date: '2026-07-06',
      dateNote: '--date 2026-07-03 is not a trading day (weekend or NYSE holiday): starting on 2026-07-06',
    });
    expect(parseStartArgs(['--date', '2026-06-02']).dateNote).toBeUndefined();
    expect(() => parseStartArgs(['--date', '2026-02-30'])).toThrow(
      new UsageError('--date: expected a date YYYY-MM-DD, got "2026-02-30"'),
    );
  });

  it('--days: 1 by default, 1 to 250, refused outside with the range', () => {
    expect(parseStartArgs([]).days).toBe(1);
    expect(parseStartArgs(['--days', '20']).days).toBe(20);
    expect(parseStartArgs(['--days', '250']).days).toBe(250);
    for (const raw of ['0', '1000', '251', '2.5', 'five', '-3']) {
      expect(() => parseStartArgs(['--days', raw]), raw).toThrow(
        new UsageError(`--days: expected a whole number from 1 to 250, got "${raw}"`),
      );
    }
  });

  describe('--faults FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faults-'));
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };

    it('reads a script in the simulator format', () => {
      const path = file(
        'ok.json',
        JSON.stringify([
          { at: '2026-06-01T12:00', fault: 'priceShock', symbol: 'SPY', pct: -5 },
          { fault: 'rejectOrders', reason: 'margin' },
        ]),
      );
      const args = parseStartArgs(['--faults', path]);
      expect(args.faultsFile).toBe(path);
      expect(args.faults).toEqual([
        { at: Date.parse('2026-06-01T16:00:00Z'), action: { fault: 'priceShock', symbol: 'SPY', pct: -5 } },
        { at: undefined, action: { fault: 'rejectOrders', reason: 'margin' } },
      ]);
    });

    it('refuses a missing file, bad JSON and a bad entry, naming the file, the entry and the field', () => {
      const missing = join(dir, 'nope.json');
      expect(() => parseStartArgs(['--faults', missing])).toThrow(
        new UsageError(`--faults: no such file ${missing}`),
      );
      const bad = file('bad.json', '[{"fault": "disconnect",}]');
      expect(() => parseStartArgs(['--faults', bad])).toThrow(new RegExp(`^--faults: ${bad} is not JSON: `));
      const wrong = file(
        'wrong.json',
        JSON.stringify([
          { fault: 'disconnect' },
          { fault: 'restart', durationMinutes: 5 },
          { fault: 'priceShock', symbol: 'SPY', pct: 'lots' },
        ]),
      );
      expect(() => parseStartArgs(['--faults', wrong])).toThrow(
        new UsageError(
          `--faults: ${wrong}: invalid fault script: entry 3, field "pct": Invalid input: expected number, received string`,
        ),
      );
      const unknown = file('unknown.json', JSON.stringify([{ fault: 'disconnect' }, { fault: 'explode' }]));
      expect(() => parseStartArgs(['--faults', unknown])).toThrow(
        new RegExp(
          `^--faults: ${unknown}: invalid fault script: entry 2, field "fault": Invalid discriminator value`,
        ),
      );
      const notList = file('object.json', JSON.stringify({ fault: 'disconnect' }));
      expect(() => parseStartArgs(['--faults', notList])).toThrow(
        new UsageError(
          `--faults: ${notList}: invalid fault script: expected a JSON list of faults (Invalid input: expected array, received object)`,
        ),
      );
    });
  });

  it('refuses nonsense speeds and seeds', () => {
    expect(() => parseStartArgs(['--speed', '0'])).toThrow(/--speed/);
    expect(() => parseStartArgs(['--speed', 'fast'])).toThrow(/--speed/);
    expect(() => parseStartArgs(['--seed', '-1'])).toThrow(/--seed/);
    // One wording for an unknown flag in all three scripts (it used to say "unknown argument" here).
    expect(() => parseStartArgs(['--bogus'])).toThrow('unknown option --bogus (see --help)');
  });

  it('words each bad value as the shared validators do, naming the flag and the value', () => {
    const cases: [string[], string][] = [
      [['--seed', 'x'], '--seed: expected a whole number, got "x"'],
      [['--seed', '-1'], '--seed: expected a whole number, got "-1"'],
      [['--seed=1.5'], '--seed: expected a whole number, got "1.5"'],
      [['--speed', '0'], '--speed: expected a number above 0, at most 1000, got "0"'],
      [['--speed', '1001'], '--speed: expected a number above 0, at most 1000, got "1001"'],
      [['--until', '9:30'], '--until: expected HH:MM, got "9:30"'],
      [['--collect-every', '7'], '--collect-every: expected minutes, a multiple of 5 from 5 to 60, got "7"'],
      [
        ['--collect-every', '65'],
        '--collect-every: expected minutes, a multiple of 5 from 5 to 60, got "65"',
      ],
      [['--seed'], '--seed needs a value'],
      [['--seed', '--speed', '2'], '--seed needs a value (write --seed=VALUE for one that starts with "-")'],
      [['--verbose=yes'], '--verbose takes no value'],
      [['normal'], 'unknown argument "normal" (see --help)'],
      [['-x'], 'unknown option -x (see --help)'],
    ];
    for (const [argv, message] of cases) {
      expect(() => parseStartArgs(argv), argv.join(' ')).toThrow(new UsageError(message));
    }
  });

  it('reads the remaining flags, -h, and the documented defaults', () => {
    expect(parseStartArgs(['-h'])).toMatchObject({ help: true });
    expect(parseStartArgs(['--verbose', '--collect-every', '15', '--out', 'elsewhere'])).toMatchObject({
      verbose: true,
      collectEvery: 15,
      outDir: resolve('elsewhere'),
    });
    const defaults = parseStartArgs([]);
    expect(defaults).toMatchObject({ collectEvery: 5, verbose: false });
    expect(defaults.outDir).toBe(resolve(import.meta.dirname, '../../out'));
    expect(defaults.until).toBeUndefined();
    // The last of a repeated flag wins, as with the hand-written parser.
    expect(parseStartArgs(['--seed', '3', '--seed', '4']).seed).toBe(4);
  });

  it('the scenarios the brief names all exist, each with a description', () => {
    for (const name of [
      'normal',
      'gateway-disconnect',
      'stale-quotes',
      'order-rejected',
      'sell-off',
      'corrupt-config',
      'wing-quote-missing',
    ]) {
      expect(SCENARIOS[name]?.description.length).toBeGreaterThan(10);
    }
  });
});

describe('npm run local:up arguments', () => {
  it('defaults to a time when the market is open', () => {
    expect(parseLocalUpArgs([])).toMatchObject({ at: '09:50', speed: 1, seed: 1 });
    expect(parseLocalUpArgs(['--at', '13:15', '--speed', '2'])).toMatchObject({ at: '13:15', speed: 2 });
    expect(() => parseLocalUpArgs(['--at', '25:00'])).toThrow(LocalUpUsageError);
  });

  it('reads every flag, inline or not, and -h', () => {
    expect(parseLocalUpArgs(['--date=2026-06-02', '--seed', '9', '--speed=0.5', '-h'])).toEqual({
      date: '2026-06-02',
      at: '09:50',
      seed: 9,
      speed: 0.5,
      help: true,
    });
    expect(parseLocalUpArgs([]).date).toBe('2026-06-01');
  });

  it('refuses bad values and unknown flags with the shared messages', () => {
    const cases: [string[], string][] = [
      [['--at', '25:00'], '--at: expected HH:MM, got "25:00"'],
      [['--seed', 'x'], '--seed: expected a whole number, got "x"'],
      [['--speed', 'fast'], '--speed: expected a number above 0, at most 1000, got "fast"'],
      [['--date', '2026-06-06'], '--date: 2026-06-06 is not a trading day (weekend or NYSE holiday)'],
      [['--date', '06/01/2026'], '--date: expected a date YYYY-MM-DD, got "06/01/2026"'],
      [['--at'], '--at needs a value'],
      [['--scenario', 'normal'], 'unknown option --scenario (see --help)'],
      [['extra'], 'unknown argument "extra" (see --help)'],
    ];
    for (const [argv, message] of cases) {
      expect(() => parseLocalUpArgs(argv), argv.join(' ')).toThrow(new LocalUpUsageError(message));
    }
  });
});

describe('the shared validators (scripts/args.ts)', () => {
  const messageOf = (run: () => unknown): string => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return (error as Error).message;
    }
    throw new Error('expected a UsageError');
  };

  it('wholeNumber: digits only, up to nine (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999 }), (n) => {
        expect(wholeNumber('--seed', String(n))).toBe(n);
      }),
    );
    for (const raw of ['x', '', '-1', '1.5', '1e3', ' 1', '1234567890']) {
      expect(messageOf(() => wholeNumber('--seed', raw))).toBe(
        `--seed: expected a whole number, got "${raw}"`,
      );
    }
  });

  it('finiteNumber: any finite number, nothing else', () => {
    fc.assert(
      // String(-0) is "0": the sign of zero does not survive printing, so it is left out.
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)),
        (x) => {
          expect(finiteNumber('--min-score', String(x))).toBe(x);
        },
      ),
    );
    for (const raw of ['high', '', ' ', 'Infinity', 'NaN']) {
      expect(messageOf(() => finiteNumber('--min-score', raw))).toBe(
        `--min-score: expected a number, got "${raw}"`,
      );
    }
  });

  it('numberAbove: the lower bound excluded, the upper included', () => {
    expect(numberAbove('--speed', '1000', 0, 1000)).toBe(1000);
    expect(numberAbove('--speed', '0.001', 0, 1000)).toBe(0.001);
    for (const raw of ['0', '-2', '1000.5', '', 'x']) {
      expect(messageOf(() => numberAbove('--speed', raw, 0, 1000))).toBe(
        `--speed: expected a number above 0, at most 1000, got "${raw}"`,
      );
    }
  });

  it('minutesStep: exactly the multiples of the step from the step to the maximum', () => {
    const accepted = Array.from({ length: 61 }, (_, n) => n).filter((n) => {
      try {
        return minutesStep('--collect-every', String(n), 5, 60) === n;
      } catch {
        return false;
      }
    });
    expect(accepted).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60]);
    expect(messageOf(() => minutesStep('--collect-every', '7.5', 5, 60))).toContain('got "7.5"');
  });

  it('clockTime: every HH:MM of the day and nothing else (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), (h, m) => {
        const text = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
        expect(clockTime('--at', text)).toBe(text);
      }),
    );
    for (const raw of ['24:00', '12:60', '9:30', '0930', '']) {
      expect(messageOf(() => clockTime('--at', raw))).toBe(`--at: expected HH:MM, got "${raw}"`);
    }
  });

  it('tradingDay: a real date first, then an NYSE session', () => {
    expect(tradingDay('--date', '2026-06-01')).toBe('2026-06-01');
    // 2026-02-30 does not exist; 2026-06-06 is a Saturday; 2026-12-25 is Christmas (a Friday).
    expect(messageOf(() => tradingDay('--date', '2026-02-30'))).toBe(
      '--date: expected a date YYYY-MM-DD, got "2026-02-30"',
    );
    expect(messageOf(() => tradingDay('--date', '2026-06-06'))).toBe(
      '--date: 2026-06-06 is not a trading day (weekend or NYSE holiday)',
    );
    expect(messageOf(() => tradingDay('--date', '2026-12-25'))).toMatch(/not a trading day/);
  });

  it('oneOf: lists every name when the value is not one of them', () => {
    expect(oneOf('scenario', 'b', ['a', 'b'])).toBe('b');
    expect(messageOf(() => oneOf('scenario', 'c', ['a', 'b']))).toBe('unknown scenario "c"; scenarios: a, b');
  });

  it("parseFlags: parseArgs grammar, errors in the scripts' words", () => {
    const options = { name: { type: 'string' }, flag: { type: 'boolean' } } as const;
    expect(parseFlags(['--name', 'x', '--flag'], options).values).toEqual({ name: 'x', flag: true });
    expect(parseFlags(['--name=a=b'], options).values).toEqual({ name: 'a=b' });
    // A negative number is a value, not a flag; anything else starting with "-" is not a value.
    expect(parseFlags(['--name', '-5'], options).values).toEqual({ name: '-5' });
    expect(parseFlags(['--name', '-.5'], options).values).toEqual({ name: '-.5' });
    expect(messageOf(() => parseFlags(['--name', '-x'], options))).toMatch(/^--name needs a value/);
    expect(messageOf(() => parseFlags(['--nmae', 'x'], options))).toBe('unknown option --nmae (see --help)');
    expect(messageOf(() => parseFlags(['x'], options))).toBe('unknown argument "x" (see --help)');
    expect(parseFlags(['x', '--flag', 'y'], options, { positionals: true }).positionals).toEqual(['x', 'y']);
    // After "--" everything is positional, even what looks like a flag.
    expect(parseFlags(['--', '--name', '-5'], options, { positionals: true }).positionals).toEqual([
      '--name',
      '-5',
    ]);
  });
});

describe('the day schedule', () => {
  const calendar = parseConfig({}).calendar;
  const regular = daySchedule({ date: '2026-06-01', calendar });
  const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));

  it('runs the monitor every 5 minutes of the session, as its two crons fire: 09:30 to 15:55', () => {
    // 09:30 … 15:55 is 385 minutes: 385 / 5 + 1 = 78 runs (a 16:00 fire would be after the close).
    const monitor = regular.filter((r) => r.job === 'monitor');
    expect(monitor).toHaveLength(78);
    expect(monitor[0]?.time).toBe('09:30');
    expect(monitor.at(-1)?.time).toBe('15:55');
  });

  it('leaves out the 5-minute fires after a 13:00 early close (the handler would skip them); post-market stays 16:15', () => {
    // 2026-11-27, the day after Thanksgiving, closes at 13:00: 09:30 … 12:55 is 42 runs.
    const early = daySchedule({ date: '2026-11-27', calendar });
    expect(early.filter((r) => r.job === 'monitor')).toHaveLength(42);
    expect(early.filter((r) => r.job === 'collect-option-data').at(-1)?.time).toBe('12:55');
    expect(early.find((r) => r.job === 'position-sync' && r.label === 'post-market')?.time).toBe('16:15');
  });

  it('takes every time and priority from the one schedule table', () => {
    for (const run of regular) expect(run.priority).toBe(JOB_TIMINGS[run.job].priority);
    const analysis = JOB_TIMINGS['strategy-analysis'].schedules[0]!;
    expect(regular.find((r) => r.job === 'strategy-analysis')?.time).toBe(
      `${analysis.hour.padStart(2, '0')}:${analysis.minute.padStart(2, '0')}`,
    );
  });

  it('keeps the architecture table: times, and priority order within a minute', () => {
    const at = (job: string, label?: string) =>
      regular.find((r) => r.job === job && (label === undefined || r.label === label))?.time;
    expect(at('position-sync', 'pre-market')).toBe('08:00');
    expect(at('validate-ib-connection')).toBe('08:45');
    expect(at('strategy-analysis')).toBe('09:45');
    expect(at('execute-strategies')).toBe('10:00');
    expect(at('position-sync', 'post-market')).toBe('16:15');
    expect(at('daily-statistics')).toBe('16:30');
    expect(at('validate-data-quality')).toBe('18:00');
    for (let i = 1; i < regular.length; i++) {
      const [a, b] = [regular[i - 1]!, regular[i]!];
      const ordered = minutes(a.time) < minutes(b.time) || (a.time === b.time && a.priority <= b.priority);
      expect(ordered, `${a.time} ${a.job} before ${b.time} ${b.job}`).toBe(true);
    }
    // At 08:00 the history load (priority 10) goes before the pre-market sync (15).
    const eight = regular.filter((r) => r.time === '08:00').map((r) => r.job);
    expect(eight.indexOf('load-historical-data')).toBeLessThan(eight.indexOf('position-sync'));
  });

  it('--until cuts the day', () => {
    const short = daySchedule({ date: '2026-06-01', calendar, until: '10:00' });
    expect(short.every((r) => minutes(r.time) <= minutes('10:00'))).toBe(true);
    expect(short.some((r) => r.job === 'execute-strategies')).toBe(true);
    expect(short.some((r) => r.job === 'daily-statistics')).toBe(false);
  });

  it('passes maxQuotes to strategy-analysis as the schedule detail', () => {
    const runs = daySchedule({ date: '2026-06-01', calendar, analysisMaxQuotes: 40 });
    expect(runs.find((r) => r.job === 'strategy-analysis')?.payload).toEqual({ maxQuotes: 40 });
  });
});

describe('continuousNow', () => {
  it('never goes backwards and never runs ahead of the simulator by more than one step', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 40 }), (steps) => {
        let sim = 1_000_000;
        const now = continuousNow({ now: () => sim }, 4, 250);
        let last = now();
        for (const step of steps) {
          sim += step;
          const value = now();
          expect(value).toBeGreaterThanOrEqual(last);
          expect(value).toBeGreaterThanOrEqual(sim);
          // At most one step (250 real ms) at speed 4 beyond the simulator's own time.
          expect(value).toBeLessThanOrEqual(Math.max(last, sim + 250 * 4));
          last = value;
        }
      }),
    );
  });
});

describe('escapeHtml', () => {
  it('leaves no markup-significant character in any string', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(escapeHtml(text)).not.toMatch(/[<>"']/);
        // Unescaping gives the text back: nothing lost, nothing doubled.
        const back = escapeHtml(text)
          .replaceAll('&lt;', '<')
          .replaceAll('&gt;', '>')
          .replaceAll('&quot;', '"')
          .replaceAll('&#39;', "'")
          .replaceAll('&amp;', '&');
        expect(back).toBe(text);
      }),
    );
  });
});
