// Job input: what a handler may be invoked with, validated before anything else happens.
//
//   - a scheduled event (EventBridge Scheduler / rule: detail-type "Scheduled Event"); its `detail`, when
//     an object, is read as the manual payload, so a schedule can pass `{ "dryRun": true }` too;
//   - a manual JSON payload (console, CLI, `npm run invoke`): `{ "dryRun": true, "minScore": 75 }`;
//   - for jobs that accept them, the bridge's events (source `ib-bridge`, detail-type `OrderFilled` or
//     `PositionChanged`), validated with the bridge contract's schemas.
//
// A bad payload is answered, not thrown: the handler returns `{ ok: false, error: 'minScore: expected a
// number ≤ 100', issues }` and does nothing else. Returning keeps a console invocation readable and stops
// Lambda's async retries, which could never make a bad payload good.
import { z } from 'zod';
import { EVENT_SOURCE, OrderFilledDetailSchema, PositionChangedDetailSchema } from '#adapters/bridge-client';
import type { BridgeEvent } from '#adapters/bridge-client';

export interface InputIssue {
  /** Dotted path of the bad field, `(payload)` for the payload as a whole. */
  field: string;
  message: string;
}

export type JobTrigger =
  { kind: 'schedule'; time?: string } | { kind: 'manual' } | { kind: 'event'; event: BridgeEvent };

export type ParsedInput<I> =
  { ok: true; input: I; trigger: JobTrigger } | { ok: false; issues: InputIssue[] };

export const SCHEDULED_EVENT = 'Scheduled Event';
export const BRIDGE_EVENT_TYPES = ['OrderFilled', 'PositionChanged'] as const;
export type BridgeEventType = (typeof BRIDGE_EVENT_TYPES)[number];

// Field schemas with messages an operator can act on (zod's defaults read "Invalid input").
export const dryRunField = z
  .boolean({ error: 'expected true or false' })
  .optional()
  .describe('do everything except transmit; defaults to config trading.dryRun');
export const minScoreField = z
  .number({ error: 'expected a number' })
  .min(0, { error: 'expected a number ≥ 0' })
  .max(100, { error: 'expected a number ≤ 100' })
  .optional()
  .describe('only candidates scoring at least this are executed; defaults to config scoring.minScore');
export const countField = (what: string, max: number) =>
  z
    .number({ error: 'expected a whole number' })
    .int({ error: 'expected a whole number' })
    .min(0, { error: 'expected a whole number ≥ 0' })
    .max(max, { error: `expected a whole number ≤ ${max}` })
    .optional()
    .describe(what);

/** An optional list of tickers that replaces the config universe for one manual run (the data jobs). */
export const tickerList = z
  .array(z.string().regex(/^[A-Z][A-Z0-9.]{0,9}$/, { error: 'expected an upper-case ticker such as SPY' }), {
    error: 'expected a list of tickers',
  })
  .min(1, { error: 'expected at least one ticker' })
  .max(20, { error: 'expected at most 20 tickers' })
  .optional();

const isRealDate = (value: string) => {
  const [year, month, day] = value.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
};

/** A trade-date field (daily-statistics, validate-data-quality): a real calendar date. */
export const pastDateField = z
  .string({ error: 'expected a date YYYY-MM-DD' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected a date YYYY-MM-DD', abort: true })
  .refine(isRealDate, { error: 'expected a real calendar date YYYY-MM-DD' })
  .optional();

/** A manual-payload schema: a strict object, so a misspelt field (`minscore`) is refused by name. */
export function payloadSchema<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** zod issues as `field: message`, unknown keys each under their own name. */
export function issuesOf(error: z.ZodError, prefix: (string | number)[] = []): InputIssue[] {
  return error.issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: [...path, key].join('.'),
        message: 'unknown field',
      }));
    }
    return [{ field: path.length > 0 ? path.join('.') : '(payload)', message: issue.message }];
  });
}

/** `minScore: expected a number ≤ 100; maxOrders: unknown field`. */
export function describeIssues(issues: readonly InputIssue[]): string {
  return issues.map((i) => `${i.field}: ${i.message}`).join('; ');
}

/**
 * Reads a Lambda event as one of the shapes above. `acceptsEvents` lists the bridge event types this
 * job takes (position-sync); any other job refuses them by name.
 */
export function parseJobEvent<S extends z.ZodType>(
  event: unknown,
  schema: S,
  acceptsEvents: readonly BridgeEventType[] = [],
): ParsedInput<z.infer<S>> {
  const payload = event === undefined || event === null ? {} : event;
  if (!isPlainObject(payload)) {
    return { ok: false, issues: [{ field: '(payload)', message: 'expected a JSON object' }] };
  }
  const validate = (value: unknown, trigger: JobTrigger, prefix: string[] = []): ParsedInput<z.infer<S>> => {
    const result = schema.safeParse(value);
    return result.success
      ? { ok: true, input: result.data, trigger }
      : { ok: false, issues: issuesOf(result.error, prefix) };
  };

  if (!('detail-type' in payload)) return validate(payload, { kind: 'manual' });

  const detailType = payload['detail-type'];
  if (detailType === SCHEDULED_EVENT) {
    const detail = payload.detail;
    const time = typeof payload.time === 'string' ? payload.time : undefined;
    // EventBridge sends `detail: {}` for a plain schedule; an object with fields is a payload to check.
    return validate(isPlainObject(detail) ? detail : {}, { kind: 'schedule', ...(time ? { time } : {}) }, [
      'detail',
    ]);
  }
  if (detailType === 'OrderFilled' || detailType === 'PositionChanged') {
    if (!acceptsEvents.includes(detailType)) {
      return {
        ok: false,
        issues: [{ field: 'detail-type', message: `this job does not take ${detailType} events` }],
      };
    }
    if (payload.source !== EVENT_SOURCE) {
      return { ok: false, issues: [{ field: 'source', message: `expected "${EVENT_SOURCE}"` }] };
    }
    const detailSchema = detailType === 'OrderFilled' ? OrderFilledDetailSchema : PositionChangedDetailSchema;
    const detail = detailSchema.safeParse(payload.detail);
    if (!detail.success) return { ok: false, issues: issuesOf(detail.error, ['detail']) };
    const bridgeEvent = { type: detailType, detail: detail.data } as BridgeEvent;
    return validate({}, { kind: 'event', event: bridgeEvent });
  }
  const accepted = [SCHEDULED_EVENT, ...acceptsEvents].map((t) => `"${t}"`).join(' or ');
  return { ok: false, issues: [{ field: 'detail-type', message: `expected ${accepted}` }] };
}

// Field names that must never reach a log line, whatever payload an operator sends.
const SECRET_FIELD = /secret|password|token|signature|credential|authorization|api[-_]?key/i;

/** A copy safe to log: secret-looking fields replaced, long strings cut. */
export function redactForLog(value: unknown, depth = 0): unknown {
  if (depth > 5) return '[…]';
  if (typeof value === 'string') return value.length > 200 ? `${value.slice(0, 200)}…` : value;
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => redactForLog(v, depth + 1));
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_FIELD.test(k) ? '[redacted]' : redactForLog(v, depth + 1),
      ]),
    );
  }
  return value;
}
