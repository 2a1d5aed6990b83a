import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, configSchema, parseConfig } from '#core/config';
import { configTableMarkdown, TABLE_END, TABLE_START, withConfigTable } from '#scripts/config-table';

/** The issues parseConfig throws for `input`; fails the test when it does not throw a ConfigError. */
function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    parseConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error(`expected parseConfig to reject ${JSON.stringify(input)}`);
}

const pathsOf = (input: unknown) => issuesOf(input).map((issue) => issue.path);

// ---------------------------------------------------------------------------------------------------
// Schema introspection: every field of every section, so new fields are covered without editing here.

type AnySchema = z.ZodType;
const sections = Object.entries(configSchema.shape).map(([name, wrapped]) => ({
  name,
  object: (wrapped as unknown as z.ZodDefault<z.ZodObject>).unwrap(),
}));

interface Field {
  section: string;
  field: string;
  /** The field's schema without its default. */
  inner: AnySchema;
  json: Record<string, unknown>;
}

const fields: Field[] = sections.flatMap(({ name, object }) => {
  const json = z.toJSONSchema(object, { io: 'input' }) as {
    properties: Record<string, Record<string, unknown>>;
  };
  return Object.entries(object.shape).map(([field, schema]) => ({
    section: name,
    field,
    inner: (schema as z.ZodDefault).unwrap() as AnySchema,
    json: json.properties[field]!,
  }));
});

const kind = (schema: AnySchema) => schema._zod.def.type;

/** Values outside a number schema's range (or not numbers at all), each with why it is bad. */
function badNumbers(schema: z.ZodNumber, json: Record<string, unknown>): [string, unknown][] {
  const bad: [string, unknown][] = [
    ['a string', '5'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['null', null],
  ];
  const min = schema.minValue;
  const max = schema.maxValue;
  const bounded = (n: number | null): n is number => n !== null && Math.abs(n) < Number.MAX_SAFE_INTEGER;
  if (bounded(min)) bad.push(['below the minimum', min - 1]);
  if (bounded(max)) bad.push(['above the maximum', max + 1]);
  // An exclusive bound is itself out of range.
  if (typeof json.exclusiveMinimum === 'number')
    bad.push(['at the exclusive minimum', json.exclusiveMinimum]);
  if (typeof json.exclusiveMaximum === 'number')
    bad.push(['at the exclusive maximum', json.exclusiveMaximum]);
  if (schema.isInt) {
    const low = bounded(min) ? min : 0;
    const fraction = low + 0.5;
    if (!bounded(max) || fraction < max) bad.push(['a fraction', fraction]);
  }
  return bad;
}

const numericFields = fields.filter((f) => kind(f.inner) === 'number');
const numericCases = numericFields.flatMap((f) =>
  badNumbers(f.inner as z.ZodNumber, f.json).map(
    ([why, value]) => [`${f.section}.${f.field}`, why, f.section, f.field, value] as const,
  ),
);

const numberArrayFields = fields.filter(
  (f) => kind(f.inner) === 'array' && kind((f.inner as z.ZodArray<AnySchema>).element) === 'number',
);

describe('config defaults', () => {
  it('parse from {} and equal the trading rules', () => {
    const config = parseConfig({});
    expect(config.scoring.minScore).toBe(70);
    expect(config.risk).toMatchObject({
      maxOpenPositions: 5,
      maxPerUnderlying: 2,
      riskPerTradePct: 2,
      maxPortfolioRiskPct: 25,
      marginUsage: 0.5,
      maxDailyLossPct: 3,
      noEntryFirstMinutes: 15,
      noEntryLastMinutes: 30,
    });
    expect(config.exits).toMatchObject({
      stopLossMultiple: 2,
      profitTargetPct: 50,
      exitDte: 21,
      maxDaysInTrade: 30,
      breachDelta: 0.5,
      earningsBlackoutDays: 7,
      assignmentExtrinsicUsd: 0.05,
      dataGuardAlertMinutes: 15,
      dataGuardCriticalMinutes: 10,
      exDividends: {},
    });
    expect(config.orders).toMatchObject({ repriceSeconds: 45, maxReprices: 3, repriceFraction: 1 / 3 });
    expect(config.alerts).toEqual({
      lossCriticalUsd: 500,
      lossWarningUsd: 200,
      profitInfoUsd: 500,
      cooldownMinutes: 60,
    });
    expect(config.trading).toEqual({ mode: 'paper', killSwitch: false, closeOnly: false, dryRun: false });
    expect(config.universe).toMatchObject({
      underlyings: ['SPY', 'QQQ', 'IWM'],
      widths: [1, 2, 5, 10],
      minDte: 21,
      maxDte: 70,
    });
    expect(config.filters).toMatchObject({
      maxQuoteAgeSeconds: 60,
      minCreditToWidth: 0.1,
      minCredit: 0.3,
      maxLegSpreadPct: 50,
      maxVolatility: 35,
    });
    expect(config.calendar).toMatchObject({
      regularOpen: '09:30',
      regularClose: '16:00',
      earlyClose: '13:00',
    });
    expect(Object.values(config.jobs).every((enabled) => enabled === true)).toBe(true);
  });

  it('fill in the rest of a section that is given in part', () => {
    const config = parseConfig({ risk: { maxOpenPositions: 3 } });
    expect(config.risk.maxOpenPositions).toBe(3);
    expect(config.risk.maxPerUnderlying).toBe(2);
    expect(config.scoring.minScore).toBe(70);
  });

  it('are fresh objects on every parse, so mutating one config cannot change the next', () => {
    const first = parseConfig({});
    first.universe.underlyings.push('TSLA');
    first.calendar.holidays.length = 0;
    first.risk.maxOpenPositions = 99;
    const second = parseConfig({});
    expect(second.universe.underlyings).toEqual(['SPY', 'QQQ', 'IWM']);
    expect(second.calendar.holidays.length).toBeGreaterThan(0);
    expect(second.risk.maxOpenPositions).toBe(5);
  });

  it('every field has a default and a description (the README table needs both)', () => {
    const missing = fields
      .filter((f) => f.json.default === undefined || !f.json.description)
      .map((f) => `${f.section}.${f.field}`);
    expect(missing).toEqual([]);
  });
});

describe('config validation names every bad value', () => {
  it('introspects a meaningful number of fields', () => {
    // Guards against the introspection silently finding nothing.
    expect(sections.map((s) => s.name)).toEqual(Object.keys(parseConfig({})));
    expect(numericFields.length).toBeGreaterThan(50);
    expect(numberArrayFields.map((f) => `${f.section}.${f.field}`)).toContain('universe.widths');
  });

  it.each(numericCases)('%s rejects %s', (path, _why, section, field, value) => {
    expect(pathsOf({ [section]: { [field]: value } })).toContain(path);
  });

  it.each(numberArrayFields.map((f) => [`${f.section}.${f.field}`, f] as const))(
    '%s names the bad element',
    (path, f) => {
      for (const [, value] of badNumbers((f.inner as z.ZodArray<z.ZodNumber>).element, {})) {
        expect(pathsOf({ [f.section]: { [f.field]: [1, value] } })).toContain(`${path}.1`);
      }
    },
  );

  it.each(fields.map((f) => [`${f.section}.${f.field}`, f] as const))(
    '%s rejects a value of the wrong type',
    (path, f) => {
      // A map field (exits.exDividends) names the bad entry inside it, under its own path.
      const paths = pathsOf({ [f.section]: { [f.field]: { wrong: 'type' } } });
      expect(
        paths.some((p) => p === path || p.startsWith(`${path}.`)),
        paths.join(', '),
      ).toBe(true);
    },
  );

  it('rejects bad strings, dates, times and enum values', () => {
    const cases: [unknown, string][] = [
      [{ trading: { mode: 'LIVE' } }, 'trading.mode'],
      [{ universe: { underlyings: ['SPY', 'qqq'] } }, 'universe.underlyings.1'],
      [{ universe: { underlyings: [] } }, 'universe.underlyings'],
      [{ universe: { strategies: ['STRANGLE'] } }, 'universe.strategies.0'],
      [{ calendar: { holidays: ['2026-02-30'] } }, 'calendar.holidays.0'],
      [{ calendar: { earlyCloses: ['2026-11-27', '27/11/2026'] } }, 'calendar.earlyCloses.1'],
      [{ filters: { blackoutDates: ['2026-13-01'] } }, 'filters.blackoutDates.0'],
      [{ calendar: { regularOpen: '25:00' } }, 'calendar.regularOpen'],
      [{ calendar: { regularClose: '16:60' } }, 'calendar.regularClose'],
      [{ orders: { timeInForce: 'IOC' } }, 'orders.timeInForce'],
      [{ jobs: { monitor: 'yes' } }, 'jobs.monitor'],
    ];
    for (const [input, path] of cases) expect(pathsOf(input), path).toContain(path);
    // A leap day is a real date.
    expect(parseConfig({ filters: { blackoutDates: ['2028-02-29'] } }).filters.blackoutDates).toEqual([
      '2028-02-29',
    ]);
  });

  it('names every bad field at once, across sections', () => {
    const paths = pathsOf({
      risk: { maxOpenPositions: -1 },
      exits: { exitDte: 1.5 },
      trading: { mode: 'x' },
    });
    expect(paths).toEqual(expect.arrayContaining(['risk.maxOpenPositions', 'exits.exitDte', 'trading.mode']));
  });

  it('says what is wrong in a readable message', () => {
    const [issue] = issuesOf({ risk: { maxOpenPositions: -1 } });
    expect(issue?.message).toMatch(/>=\s*0/);
    expect(() => parseConfig({ risk: { maxOpenPositions: -1 } })).toThrow(/risk\.maxOpenPositions/);
  });

  it('rejects unknown keys, naming each one', () => {
    const issues = issuesOf({ risk: { maxOpenPosition: 3, foo: 1 }, tradng: {} });
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['risk.maxOpenPosition', 'risk.foo', 'tradng']),
    );
    expect(issues.find((i) => i.path === 'risk.maxOpenPosition')?.message).toContain('maxOpenPosition');
    expect(pathsOf({ jobs: { 'not-a-job': false } })).toContain('jobs.not-a-job');
  });

  it('rejects something that is not an object at all', () => {
    for (const input of [null, 42, 'config', []]) expect(pathsOf(input)).toEqual(['(root)']);
    expect(pathsOf({ risk: 'high' })).toEqual(['risk']);
  });
});

describe('gateway.restartAfterFailures (the health-check restart threshold)', () => {
  it('defaults to 3 failed checks, as the health-check job did before it was configurable', () => {
    expect(parseConfig({}).gateway).toEqual({ restartAfterFailures: 3, maxRestartsPerDay: 2 });
    expect(parseConfig({ gateway: {} }).gateway.restartAfterFailures).toBe(3);
  });

  it('bounds the restarts a day: 0 (never) to 10, whole numbers only', () => {
    expect(parseConfig({ gateway: { maxRestartsPerDay: 0 } }).gateway.maxRestartsPerDay).toBe(0);
    expect(() => parseConfig({ gateway: { maxRestartsPerDay: 11 } })).toThrow(/maxRestartsPerDay/);
    expect(() => parseConfig({ gateway: { maxRestartsPerDay: 1.5 } })).toThrow(/maxRestartsPerDay/);
  });

  it('accepts whole numbers from 1 to 20', () => {
    for (const n of [1, 2, 19, 20]) {
      expect(parseConfig({ gateway: { restartAfterFailures: n } }).gateway.restartAfterFailures).toBe(n);
    }
  });

  it('rejects 0, 21, fractions and strings with a message naming the field', () => {
    for (const bad of [0, 21, -3, 2.5, '3']) {
      const issues = issuesOf({ gateway: { restartAfterFailures: bad } });
      expect(issues.map((i) => i.path)).toEqual(['gateway.restartAfterFailures']);
      expect(() => parseConfig({ gateway: { restartAfterFailures: bad } })).toThrow(
        /^invalid config: gateway\.restartAfterFailures: /,
      );
    }
    expect(issuesOf({ gateway: { restartAfterFailures: 21 } })[0]?.message).toMatch(/<=\s*20/);
    expect(issuesOf({ gateway: { restartAfterFailures: 0 } })[0]?.message).toMatch(/>=\s*1/);
    expect(pathsOf({ gateway: { restartAfter: 2 } })).toEqual(['gateway.restartAfter']);
  });
});

describe('exits: rule 6 and the data guard', () => {
  it('takes ex-dividend dates per underlying and names a bad item by its path', () => {
    const exDividends = { SPY: [{ exDate: '2026-06-18', amount: 1.78 }], IWM: [] };
    expect(parseConfig({ exits: { exDividends } }).exits.exDividends).toEqual(exDividends);
    const cases: [unknown, string][] = [
      [{ SPY: [{ exDate: '2026-06-31', amount: 1.78 }] }, 'exits.exDividends.SPY.0.exDate'],
      [{ SPY: [{ exDate: '2026-06-18', amount: 0 }] }, 'exits.exDividends.SPY.0.amount'],
      [
        { SPY: [{ exDate: '2026-06-18', amount: 1 }, { exDate: '2026-09-18' }] },
        'exits.exDividends.SPY.1.amount',
      ],
      [{ SPY: [{ exDate: '2026-06-18', amount: 1, paid: '2026-06-30' }] }, 'exits.exDividends.SPY.0.paid'],
      [{ spy: [] }, 'exits.exDividends.spy'],
      [{ SPY: { exDate: '2026-06-18', amount: 1 } }, 'exits.exDividends.SPY'],
    ];
    for (const [value, path] of cases)
      expect(pathsOf({ exits: { exDividends: value } }), path).toContain(path);
  });

  it('tells an old config item what became of retired fields', () => {
    const issues = issuesOf({ exits: { minExtrinsic: 0.1, rollEnabled: false } });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'exits.minExtrinsic', message: 'renamed: use exits.assignmentExtrinsicUsd' },
        {
          path: 'exits.rollEnabled',
          message: 'removed with rule 11 (the iron condor roll): delete this field',
        },
      ]),
    );
  });

  it.each(['valueOf', 'toString', 'constructor', 'hasOwnProperty'])(
    'an unknown key named like an Object member (%s) is an unknown key, not a retired field',
    (key) => {
      expect(issuesOf({ [key]: {} })).toEqual([{ path: key, message: `Unrecognized key: "${key}"` }]);
    },
  );
});

describe('cross-field rules are named', () => {
  const cases: [string, unknown, string][] = [
    [
      'short delta window inverted',
      { universe: { shortDeltaMin: 0.4, shortDeltaMax: 0.3 } },
      'universe.shortDeltaMin',
    ],
    [
      'short delta window empty',
      { universe: { shortDeltaMin: 0.3, shortDeltaMax: 0.3 } },
      'universe.shortDeltaMin',
    ],
    ['DTE window inverted', { universe: { minDte: 60, maxDte: 30 } }, 'universe.minDte'],
    ['delta full band below the zero point', { scoring: { deltaFullMin: 0.05 } }, 'scoring.deltaFullMin'],
    [
      'delta full band inverted',
      { scoring: { deltaFullMin: 0.3, deltaFullMax: 0.2 } },
      'scoring.deltaFullMin',
    ],
    ['delta full band above the zero point', { scoring: { deltaFullMax: 0.45 } }, 'scoring.deltaFullMin'],
    ['DTE full band inverted', { scoring: { dteFullMin: 60 } }, 'scoring.dteFullMin'],
    ['DTE zero point inside the band', { scoring: { dteZeroLow: 45 } }, 'scoring.dteFullMin'],
    ['IV rank zero above full', { scoring: { ivRankZero: 60 } }, 'scoring.ivRankZero'],
    ['credit/width zero above full', { scoring: { creditToWidthZero: 0.5 } }, 'scoring.creditToWidthZero'],
    [
      'liquidity spread bounds inverted',
      { scoring: { liquiditySpreadFullPct: 50 } },
      'scoring.liquiditySpreadFullPct',
    ],
    [
      'open interest bounds inverted',
      { scoring: { liquidityOiZero: 600 } },
      'scoring.liquiditySpreadFullPct',
    ],
    ['IV/HV zero above full', { scoring: { ivHvZero: 1.5 } }, 'scoring.ivHvZero'],
    ['trend percentiles inverted', { scoring: { trendDownPercentile: 70 } }, 'scoring.trendDownPercentile'],
    ['loss warning above critical', { alerts: { lossWarningUsd: 600 } }, 'alerts.lossWarningUsd'],
    ['loss warning equal to critical', { alerts: { lossWarningUsd: 500 } }, 'alerts.lossWarningUsd'],
    ['early close after the close', { calendar: { earlyClose: '17:00' } }, 'calendar.earlyClose'],
    ['open after the early close', { calendar: { regularOpen: '13:30' } }, 'calendar.earlyClose'],
  ];

  it.each(cases)('%s', (_name, input, path) => {
    const issues = issuesOf(input);
    expect(issues.map((i) => i.path)).toEqual([path]);
  });

  it('accepts the edges the rules allow', () => {
    expect(() => parseConfig({ universe: { minDte: 30, maxDte: 30 } })).not.toThrow();
    expect(() => parseConfig({ scoring: { deltaFullMin: 0.2, deltaFullMax: 0.2 } })).not.toThrow();
    expect(() => parseConfig({ calendar: { earlyClose: '16:00' } })).not.toThrow();
  });
});

describe('parseConfig on arbitrary input', () => {
  // Config-shaped input (known sections and fields with random JSON values, plus stray keys) reaches
  // far deeper into the schema than fully random JSON would.
  const sectionInput = (object: z.ZodObject) =>
    fc.dictionary(fc.constantFrom(...Object.keys(object.shape), 'stray'), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 6,
    });
  const configLike = fc.record(
    Object.fromEntries(sections.map(({ name, object }) => [name, sectionInput(object)])),
    { requiredKeys: [] },
  );
  const anyInput = fc.oneof(
    fc.jsonValue(),
    configLike,
    fc.json().map((text) => JSON.parse(text) as unknown),
  );

  it('throws nothing but ConfigError, and what it accepts parses to itself', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        let config;
        try {
          config = parseConfig(input);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          const issues = (error as ConfigError).issues;
          expect(issues.length).toBeGreaterThan(0);
          for (const issue of issues) expect(issue.message.length).toBeGreaterThan(0);
          return;
        }
        expect(parseConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('README config table', () => {
  const readmePath = resolve(import.meta.dirname, '../../README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const hasMarkers = readme.includes(TABLE_START) && readme.includes(TABLE_END);

  it('has one row per field, with the default and the range from the schema', () => {
    const rows = configTableMarkdown().split('\n').slice(2);
    expect(rows).toHaveLength(fields.length);
    for (const f of fields) {
      const row = rows.find((r) => r.startsWith(`| \`${f.section}\` | \`${f.field}\` |`));
      expect(row, `${f.section}.${f.field}`).toBeDefined();
      // Column count survives descriptions containing pipes (|delta|).
      expect(row!.split(/(?<!\\)\|/).length, row).toBe(7);
      if (kind(f.inner) === 'number') {
        const n = f.inner as z.ZodNumber;
        if (n.maxValue !== null && n.maxValue < Number.MAX_SAFE_INTEGER)
          expect(row).toContain(String(n.maxValue));
        if (n.minValue !== null && n.minValue > Number.MIN_SAFE_INTEGER)
          expect(row).toContain(String(n.minValue));
        expect(row).toContain(n.isInt ? 'integer' : 'number');
      }
    }
  });

  it('rewrites only the block between the markers, idempotently', () => {
    const doc = `# Title\n\nbefore\n${TABLE_START}\nstale table\n${TABLE_END}\nafter\n`;
    const once = withConfigTable(doc);
    expect(once).toBe(`# Title\n\nbefore\n${TABLE_START}\n${configTableMarkdown()}\n${TABLE_END}\nafter\n`);
    expect(withConfigTable(once)).toBe(once);
    expect(() => withConfigTable('# no markers')).toThrow(/config-table:start/);
  });

  it.skipIf(!hasMarkers)(
    'README.md holds the current table (run `npx tsx scripts/config-table.ts --write`)',
    () => {
      const block = readme.slice(readme.indexOf(TABLE_START) + TABLE_START.length, readme.indexOf(TABLE_END));
      expect(block.trim()).toBe(configTableMarkdown());
    },
  );
});
