// The one config schema. Each section is one config item (one DynamoDB item later), validated on
// every read; the README's config reference is generated from the descriptions here.
import { z } from 'zod';
import { alertsSchema, calendarSchema, gatewaySchema, jobsSchema, ordersSchema } from './config/operations';
import { exitsSchema, riskSchema } from './config/risk';
import { scoringSchema } from './config/scoring';
import { filtersSchema, tradingSchema, universeSchema } from './config/trading';

// The sections live in ./config/*, one module per concern; this module stays the one importers use.
export {
  JOB_NAMES,
  alertsSchema,
  calendarSchema,
  gatewaySchema,
  jobsSchema,
  ordersSchema,
} from './config/operations';
export type { JobName } from './config/operations';
export { exitsSchema, riskSchema } from './config/risk';
export { scoringSchema } from './config/scoring';
export { filtersSchema, tradingSchema, universeSchema } from './config/trading';

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
