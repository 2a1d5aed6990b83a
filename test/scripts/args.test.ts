// The command lines of `npm run invoke`, `npm start` and `npm run local:up`, the day's schedule, and the
// pieces of the local stack that need no servers (the continuous clock, HTML escaping).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JOB_NAMES } from '../../functions/core/config';
import { InvokeUsageError, parseInvokeArgs } from '../../scripts/invoke';
import { continuousNow } from '../../scripts/local/stack';
import { LocalUpUsageError, parseLocalUpArgs } from '../../scripts/local-up';
import { escapeHtml } from '../../scripts/report/html';
import { daySchedule, parseStartArgs, SCENARIOS, UsageError } from '../../scripts/start';

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

  it('refuses dates that are not trading days', () => {
    // Saturday; Independence Day 2026 is observed on Friday 2026-07-03; 2026-02-30 does not exist.
    expect(() => parseStartArgs(['--date', '2026-06-06'])).toThrow(/not a trading day/);
    expect(() => parseStartArgs(['--date', '2026-07-03'])).toThrow(/not a trading day/);
    expect(() => parseStartArgs(['--date', '2026-02-30'])).toThrow(/expected a date/);
  });

  it('refuses nonsense speeds and seeds', () => {
    expect(() => parseStartArgs(['--speed', '0'])).toThrow(/--speed/);
    expect(() => parseStartArgs(['--speed', 'fast'])).toThrow(/--speed/);
    expect(() => parseStartArgs(['--seed', '-1'])).toThrow(/--seed/);
    expect(() => parseStartArgs(['--bogus'])).toThrow(/unknown argument/);
  });

  it('the scenarios the brief names all exist, each with a description', () => {
    for (const name of [
      'normal',
      'gateway-disconnect',
      'stale-quotes',
      'order-rejected',
      'sell-off',
      'corrupt-config',
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
});

describe('the day schedule', () => {
  const regular = daySchedule({ open: '09:30', close: '16:00' });
  const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));

  it('runs the monitor every 5 minutes from the open to the close inclusive', () => {
    // 09:30 … 16:00 is 390 minutes: 390 / 5 + 1 = 79 runs.
    const monitor = regular.filter((r) => r.job === 'monitor');
    expect(monitor).toHaveLength(79);
    expect(monitor[0]?.time).toBe('09:30');
    expect(monitor.at(-1)?.time).toBe('16:00');
  });

  it('ends the 5-minute jobs at 13:00 on an early close', () => {
    // 09:30 … 13:00 is 210 minutes: 43 runs; post-market sync 15 minutes after the close.
    const early = daySchedule({ open: '09:30', close: '13:00' });
    expect(early.filter((r) => r.job === 'monitor')).toHaveLength(43);
    expect(early.find((r) => r.job === 'position-sync' && r.label === 'post-market')?.time).toBe('13:15');
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
    const short = daySchedule({ open: '09:30', close: '16:00', until: '10:00' });
    expect(short.every((r) => minutes(r.time) <= minutes('10:00'))).toBe(true);
    expect(short.some((r) => r.job === 'execute-strategies')).toBe(true);
    expect(short.some((r) => r.job === 'daily-statistics')).toBe(false);
  });

  it('passes maxQuotes to strategy-analysis as the schedule detail', () => {
    const runs = daySchedule({ open: '09:30', close: '16:00', analysisMaxQuotes: 40 });
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
