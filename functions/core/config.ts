// The one config schema. Each section is one config item (one DynamoDB item later), validated on
// every read; the README's config reference is generated from the descriptions here.
import { z } from 'zod';
import { NYSE_EARLY_CLOSES, NYSE_HOLIDAYS } from './nyse-calendar';
import { DEFAULT_STRATEGIES, STRATEGY_KINDS } from './strategies/registry';

const pct = (description: string, dflt: number, max = 100) =>
  z.number().min(0).max(max).default(dflt).describe(description);

// A real calendar date: the regex alone would let 2026-02-30 through to the calendar functions.
const isRealDate = (value: string) => {
  const [year, month, day] = value.split('-').map(Number) as [number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
};
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine(isRealDate, 'must be a real calendar date YYYY-MM-DD');
// 00:00–23:59; a looser pattern (\d{2}:\d{2}) would accept 25:99 and fail later inside the calendar.
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a New York time HH:MM (00:00–23:59)');
const symbol = z.string().regex(/^[A-Z][A-Z0-9.]{0,9}$/, 'must be an upper-case ticker such as SPY');

export const JOB_NAMES = [
  'position-sync',
  'load-historical-data',
  'validate-ib-connection',
  'strategy-analysis',
  'execute-strategies',
  'collect-option-data',
  'collect-futures-data',
  'monitor',
  'daily-statistics',
  'validate-data-quality',
  'health-check',
  'verify-positions',
  'gateway-hours',
] as const;
export type JobName = (typeof JOB_NAMES)[number];

export const tradingSchema = z
  .object({
    mode: z
      .enum(['paper', 'live'])
      .default('paper')
      .describe('paper or live; live is refused unless the IB account is live too'),
    killSwitch: z.boolean().default(false).describe('true stops every new order (entries and exits)'),
    closeOnly: z.boolean().default(false).describe('true allows exit orders only'),
    dryRun: z
      .boolean()
      .default(false)
      .describe('default for runs that do not say: do everything except transmit'),
  })
  .strict();

export const universeSchema = z
  .object({
    underlyings: z
      .array(symbol)
      .min(1)
      .max(20)
      .default(['SPY', 'QQQ', 'IWM'])
      .describe('underlyings to trade'),
    strategies: z
      .array(z.enum(STRATEGY_KINDS))
      .min(1)
      .default(DEFAULT_STRATEGIES)
      .describe('strategies the analysis builds'),
    widths: z
      .array(z.number().positive().max(100))
      .min(1)
      .default([1, 2, 5, 10])
      .describe('allowed wing widths in points (used where listed)'),
    shortDeltaMin: z.number().gt(0).lt(1).default(0.1).describe('smallest |delta| of a short strike'),
    shortDeltaMax: z.number().gt(0).lt(1).default(0.35).describe('largest |delta| of a short strike'),
    minDte: z.number().int().min(0).max(365).default(21).describe('shortest days to expiry at entry'),
    maxDte: z.number().int().min(1).max(365).default(70).describe('longest days to expiry at entry'),
    riskFreeRate: z
      .number()
      .min(0)
      .max(0.2)
      .default(0.04)
      .describe('continuously compounded rate for pricing and POP'),
  })
  .strict()
  .refine((u) => u.shortDeltaMin < u.shortDeltaMax, {
    message: 'shortDeltaMin must be below shortDeltaMax',
    path: ['shortDeltaMin'],
  })
  .refine((u) => u.minDte <= u.maxDte, { message: 'minDte must not exceed maxDte', path: ['minDte'] });

export const filtersSchema = z
  .object({
    maxQuoteAgeSeconds: z
      .number()
      .positive()
      .max(3600)
      .default(60)
      .describe('quotes older than this are stale at analysis'),
    minCreditToWidth: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe('reject when credit / width is below this'),
    minCredit: z
      .number()
      .min(0)
      .max(100)
      .default(0.3)
      .describe('smallest credit per spread, dollars per share'),
    maxLegSpreadPct: pct('reject when any leg bid-ask width exceeds this % of its mid', 50, 1000),
    maxVolatility: z
      .number()
      .positive()
      .max(200)
      .default(35)
      .describe('reject when VIX or underlying IV (vol points) exceeds this'),
    blackoutDates: z.array(isoDate).default([]).describe('market-wide event blackout dates (FOMC, CPI, ...)'),
  })
  .strict();

/** Score shapes: each factor earns `points` at or beyond `full`, zero at or beyond `zero`, linear between. */
export const scoringSchema = z
  .object({
    minScore: z.number().min(0).max(100).default(70).describe('candidates below this score are not executed'),
    ivRankFull: z.number().min(0).max(100).default(50).describe('IV rank that earns full marks'),
    ivRankZero: z.number().min(0).max(100).default(10).describe('IV rank that earns zero'),
    creditToWidthFull: z
      .number()
      .min(0)
      .max(1)
      .default(1 / 3)
      .describe('credit / width that earns full marks'),
    creditToWidthZero: z.number().min(0).max(1).default(0.1).describe('credit / width that earns zero'),
    deltaFullMin: z
      .number()
      .min(0)
      .max(1)
      .default(0.16)
      .describe('short |delta| band with full marks: low end'),
    deltaFullMax: z
      .number()
      .min(0)
      .max(1)
      .default(0.3)
      .describe('short |delta| band with full marks: high end'),
    deltaZeroLow: z
      .number()
      .min(0)
      .max(1)
      .default(0.08)
      .describe('short |delta| at or below which delta scores zero'),
    deltaZeroHigh: z
      .number()
      .min(0)
      .max(1)
      .default(0.4)
      .describe('short |delta| at or above which delta scores zero'),
    liquiditySpreadFullPct: pct('leg spread (% of mid) with full liquidity marks', 10, 1000),
    liquiditySpreadZeroPct: pct('leg spread (% of mid) with zero liquidity marks', 40, 1000),
    liquidityOiFull: z
      .number()
      .int()
      .min(0)
      .default(500)
      .describe('open interest per leg for full liquidity marks'),
    liquidityOiZero: z
      .number()
      .int()
      .min(0)
      .default(50)
      .describe('open interest below which liquidity scores zero'),
    dteFullMin: z.number().int().min(0).default(40).describe('DTE band with full marks: low end'),
    dteFullMax: z.number().int().min(0).default(50).describe('DTE band with full marks: high end'),
    dteZeroLow: z.number().int().min(0).default(21).describe('DTE at or below which DTE fit scores zero'),
    dteZeroHigh: z.number().int().min(0).default(70).describe('DTE at or above which DTE fit scores zero'),
    ivHvFull: z.number().positive().default(1.2).describe('IV / HV20 ratio with full marks'),
    ivHvZero: z.number().positive().default(0.8).describe('IV / HV20 ratio with zero'),
    trendUpPercentile: z
      .number()
      .min(0)
      .max(100)
      .default(60)
      .describe('20-day return percentile above which the trend is up'),
    trendDownPercentile: z
      .number()
      .min(0)
      .max(100)
      .default(40)
      .describe('20-day return percentile below which the trend is down'),
  })
  .strict()
  .refine((s) => s.ivRankZero < s.ivRankFull, {
    message: 'ivRankZero must be below ivRankFull',
    path: ['ivRankZero'],
  })
  .refine((s) => s.creditToWidthZero < s.creditToWidthFull, {
    message: 'creditToWidthZero must be below creditToWidthFull',
    path: ['creditToWidthZero'],
  })
  .refine(
    (s) =>
      s.deltaZeroLow < s.deltaFullMin && s.deltaFullMin <= s.deltaFullMax && s.deltaFullMax < s.deltaZeroHigh,
    {
      message: 'delta bands must satisfy deltaZeroLow < deltaFullMin <= deltaFullMax < deltaZeroHigh',
      path: ['deltaFullMin'],
    },
  )
  .refine(
    (s) => s.liquiditySpreadFullPct < s.liquiditySpreadZeroPct && s.liquidityOiZero < s.liquidityOiFull,
    {
      message: 'liquidity bounds must have full marks stricter than zero marks',
      path: ['liquiditySpreadFullPct'],
    },
  )
  .refine(
    (s) => s.dteZeroLow < s.dteFullMin && s.dteFullMin <= s.dteFullMax && s.dteFullMax < s.dteZeroHigh,
    {
      message: 'DTE bands must satisfy dteZeroLow < dteFullMin <= dteFullMax < dteZeroHigh',
      path: ['dteFullMin'],
    },
  )
  .refine((s) => s.ivHvZero < s.ivHvFull, { message: 'ivHvZero must be below ivHvFull', path: ['ivHvZero'] })
  .refine((s) => s.trendDownPercentile < s.trendUpPercentile, {
    message: 'trendDownPercentile must be below trendUpPercentile',
    path: ['trendDownPercentile'],
  });

export const riskSchema = z
  .object({
    maxOpenPositions: z.number().int().min(0).max(100).default(5).describe('open strategy positions at most'),
    maxPerUnderlying: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(2)
      .describe('open positions per underlying at most'),
    maxDailyLossPct: pct("stop new entries when today's loss reaches this % of net liquidation", 3),
    riskPerTradePct: pct('risk budget per trade, % of net liquidation (sizes the order)', 2),
    maxPortfolioRiskPct: pct('total max loss of open positions after the trade, % of net liquidation', 25),
    marginUsage: z
      .number()
      .gt(0)
      .max(1)
      .default(0.5)
      .describe('what-if margin must be ≤ available funds × this'),
    noEntryFirstMinutes: z
      .number()
      .int()
      .min(0)
      .max(390)
      .default(15)
      .describe('no entries in the first minutes of the session'),
    noEntryLastMinutes: z
      .number()
      .int()
      .min(0)
      .max(390)
      .default(30)
      .describe('no entries in the last minutes of the session'),
    maxContractsPerTrade: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(10)
      .describe('hard cap on contracts per order'),
  })
  .strict();

/** One announced ex-dividend date of an underlying and the dividend per share. */
const exDividend = z
  .object({
    exDate: isoDate,
    amount: z.number().positive().max(100),
  })
  .strict();

export const exitsSchema = z
  .object({
    stopLossMultiple: z
      .number()
      .positive()
      .max(10)
      .default(2)
      .describe('close when loss ≥ this × entry credit'),
    profitTargetPct: pct('close when profit ≥ this % of max profit', 50),
    exitDte: z
      .number()
      .int()
      .min(0)
      .max(365)
      .default(21)
      .describe('close at or below this many days to expiry'),
    maxDaysInTrade: z
      .number()
      .int()
      .min(1)
      .max(365)
      .default(30)
      .describe('close a winner held this many days'),
    maxCloseAttemptsPerDay: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(3)
      .describe(
        'exit orders per position per day that may fail (rejected, or never reached IB) before a CRITICAL alert and no further exit that day',
      ),
    expiryCloseMinutesBeforeClose: z
      .number()
      .int()
      .min(0)
      .max(120)
      .default(15)
      .describe(
        'on expiration day close risky positions this many minutes before the close (15:45, 12:45 early)',
      ),
    expiryNearSpotPct: pct('expiration day: a short strike within this % of spot counts as at risk', 1),
    breachDelta: z.number().gt(0).lt(1).default(0.5).describe('close when a short leg |delta| reaches this'),
    assignmentExtrinsicUsd: z
      .number()
      .min(0)
      .max(10)
      .default(0.05)
      .describe('assignment risk: an ITM short leg with less extrinsic value than this, per share'),
    earningsBlackoutDays: z
      .number()
      .int()
      .min(0)
      .max(60)
      .default(7)
      .describe('close when earnings fall within this many days'),
    dataGuardAlertMinutes: z
      .number()
      .int()
      .min(1)
      .max(240)
      .default(15)
      .describe('alert when the data guard holds longer'),
    dataGuardCriticalMinutes: z
      .number()
      .int()
      .min(1)
      .max(240)
      .default(10)
      .describe(
        'CRITICAL when a position in danger (short strike breached, or rule 4/5 on the model price) has had an unusable leg quote this long',
      ),
    exDividends: z
      .record(symbol, z.array(exDividend).max(20))
      .default(() => ({}))
      .describe(
        'ex-dividend dates per underlying, e.g. {"SPY": [{"exDate": "2026-06-18", "amount": 1.78}]}: rule 6 closes an ITM short call whose extrinsic is below the next dividend',
      ),
    assignedHoldings: z
      .enum(['close', 'alert'])
      .default('close')
      .describe(
        "shares and orphaned legs left by an assignment: 'close' them at the next session's first monitor cycle (limit orders), or only 'alert'",
      ),
  })
  .strict();

export const ordersSchema = z
  .object({
    repriceSeconds: z.number().int().min(5).max(600).default(45).describe('seconds between reprices'),
    repriceFraction: z
      .number()
      .gt(0)
      .max(1)
      .default(1 / 3)
      .describe('fraction of the way from the price toward natural per reprice'),
    maxReprices: z.number().int().min(0).max(20).default(3).describe('reprices before cancelling'),
    minCredit: z
      .number()
      .min(0)
      .max(100)
      .default(0.3)
      .describe('an opening order never asks less credit than this'),
    commissionPerContract: z
      .number()
      .min(0)
      .max(10)
      .default(0.65)
      .describe('estimated commission per option contract, dollars'),
    timeInForce: z.enum(['DAY', 'GTC']).default('DAY').describe('time in force of combo orders'),
  })
  .strict();

export const alertsSchema = z
  .object({
    lossCriticalUsd: z.number().positive().default(500).describe('unrealised loss above this is CRITICAL'),
    lossWarningUsd: z.number().positive().default(200).describe('unrealised loss above this is WARNING'),
    profitInfoUsd: z.number().positive().default(500).describe('unrealised profit above this is INFO'),
    cooldownMinutes: z
      .number()
      .int()
      .min(0)
      .max(1440)
      .default(60)
      .describe('same alert key is suppressed this long unless severity rises'),
  })
  .strict()
  .refine((a) => a.lossWarningUsd < a.lossCriticalUsd, {
    message: 'lossWarningUsd must be below lossCriticalUsd',
    path: ['lossWarningUsd'],
  });

export const calendarSchema = z
  .object({
    holidays: z
      .array(isoDate)
      .default([...NYSE_HOLIDAYS])
      .describe('NYSE full holidays (announced dates shipped as defaults)'),
    earlyCloses: z
      .array(isoDate)
      .default([...NYSE_EARLY_CLOSES])
      .describe('NYSE 13:00 early closes'),
    regularOpen: hhmm.default('09:30').describe('session open, New York time'),
    regularClose: hhmm.default('16:00').describe('session close, New York time'),
    earlyClose: hhmm.default('13:00').describe('early-close time, New York time'),
  })
  .strict()
  // HH:MM strings compare in time order.
  .refine((c) => c.regularOpen < c.earlyClose && c.earlyClose <= c.regularClose, {
    message: 'times must satisfy regularOpen < earlyClose <= regularClose',
    path: ['earlyClose'],
  });

/** The always-on gateway task, as the health-check job (every 10 minutes) looks after it. */
export const gatewaySchema = z
  .object({
    restartAfterFailures: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(3)
      .describe(
        "consecutive failed health checks in market hours before the gateway task is replaced (a manual run's payload may override it)",
      ),
    maxRestartsPerDay: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(2)
      .describe(
        'most gateway task replacements the health check may force per New York day (0: never); never while an order works, a login waits for its second factor, or in the restart window',
      ),
  })
  .strict();

export const jobsSchema = z
  .object(
    Object.fromEntries(
      JOB_NAMES.map((job) => [job, z.boolean().default(true).describe(`false switches the ${job} job off`)]),
    ) as Record<JobName, z.ZodDefault<z.ZodBoolean>>,
  )
  .strict()
  .describe('enabled flag per job');

// Defaults are functions so every parse gets fresh objects: a shared default value would let one caller
// mutating its config (say, pushing to universe.underlyings) change the defaults of every later parse.
export const configSchema = z
  .object({
    trading: tradingSchema.default(() => tradingSchema.parse({})),
    universe: universeSchema.default(() => universeSchema.parse({})),
    filters: filtersSchema.default(() => filtersSchema.parse({})),
    scoring: scoringSchema.default(() => scoringSchema.parse({})),
    risk: riskSchema.default(() => riskSchema.parse({})),
    exits: exitsSchema.default(() => exitsSchema.parse({})),
    orders: ordersSchema.default(() => ordersSchema.parse({})),
    alerts: alertsSchema.default(() => alertsSchema.parse({})),
    calendar: calendarSchema.default(() => calendarSchema.parse({})),
    gateway: gatewaySchema.default(() => gatewaySchema.parse({})),
    jobs: jobsSchema.default(() => jobsSchema.parse({})),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type CalendarConfig = z.infer<typeof calendarSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(`invalid config: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Fields that existed once: an old config item naming one is told what to do instead. A Map, so an
 * unknown key named like an Object.prototype member (`valueOf`) is not mistaken for one.
 */
const RETIRED_KEYS: ReadonlyMap<string, string> = new Map([
  ['exits.minExtrinsic', 'renamed: use exits.assignmentExtrinsicUsd'],
  ['exits.rollEnabled', 'removed with rule 11 (the iron condor roll): delete this field'],
  ['exits.rollTestedDelta', 'removed with rule 11 (the iron condor roll): delete this field'],
  ['exits.rollMinExtraCreditPct', 'removed with rule 11 (the iron condor roll): delete this field'],
]);

/** Validates a whole config; throws ConfigError naming every bad field. */
export function parseConfig(input: unknown): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.flatMap((issue) =>
        // Name each unknown key by its own path (risk.maxOpenPosition), like every other bad field.
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => {
              const path = [...issue.path, key].join('.');
              return { path, message: RETIRED_KEYS.get(path) ?? `Unrecognized key: "${key}"` };
            })
          : [{ path: issue.path.join('.') || '(root)', message: issue.message }],
      ),
    );
  }
  return result.data;
}
