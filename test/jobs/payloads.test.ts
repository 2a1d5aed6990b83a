// Thousands of random and malformed manual payloads at every job handler: each is either accepted or
// answered with { ok: false, error } whose message names a field the payload or the schema has. A
// rejected payload must not touch any adapter (no write, no bridge call, no alert): the context here
// records every access and the test asserts there was none.
import fc from 'fast-check';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as execute, inputSchema as executeSchema } from '#jobs/execute-strategies';
import { handler as monitor } from '#jobs/monitor';
import { handler as sync } from '#jobs/position-sync';
import { handler as analysis } from '#jobs/strategy-analysis';
import { setJobContext } from '#jobs/shared/context';
import type { JobContext } from '#jobs/shared/context';
import { parseJobEvent } from '#jobs/shared/input';

const touched: string[] = [];
const recordingContext = new Proxy({} as JobContext, {
  get(_target, property) {
    touched.push(String(property));
    throw new Error(`adapter ${String(property)} used`);
  },
});

function lambdaContext(): Context {
  return {
    functionName: 'test',
    awsRequestId: 'req-1',
    getRemainingTimeInMillis: () => 60_000,
  } as unknown as Context;
}

// Thousands of invocations log a warning and a metric each: keep them off the test output.
const write = process.stdout.write.bind(process.stdout);
const writeErr = process.stderr.write.bind(process.stderr);
beforeAll(() => {
  setJobContext(recordingContext);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = process.stdout.write;
});
afterAll(() => {
  process.stdout.write = write;
  process.stderr.write = writeErr;
  setJobContext(undefined);
});

const jsonValue = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ noNaN: false }),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
);
const fieldName = fc.oneof(
  fc.constantFrom(
    'dryRun',
    'minScore',
    'maxOrders',
    'symbols',
    'maxQuotes',
    'minscore',
    'dry_run',
    'detail-type',
    'source',
    'detail',
  ),
  fc.string({ minLength: 1, maxLength: 6 }),
);
const payload = fc.oneof(
  fc.dictionary(fieldName, jsonValue, { maxKeys: 4 }),
  fc.record(
    { dryRun: fc.boolean(), minScore: fc.double({ min: -50, max: 150, noNaN: true }) },
    { requiredKeys: [] },
  ),
  jsonValue,
  fc.record({
    'detail-type': fc.constantFrom('Scheduled Event', 'OrderFilled', 'Bogus'),
    detail: fc.oneof(jsonValue, fc.dictionary(fieldName, jsonValue, { maxKeys: 3 })),
  }),
);

describe('manual payloads', () => {
  it('every handler accepts a payload or names the bad field, without touching an adapter', async () => {
    await fc.assert(
      fc.asyncProperty(payload, fc.constantFrom(execute, monitor, sync, analysis), async (event, handler) => {
        touched.length = 0;
        let result;
        try {
          result = await handler(event, lambdaContext());
        } catch (error) {
          // A valid payload reaches the adapters: the recording context refuses, which is the only throw allowed.
          expect(String(error)).toContain('adapter');
          expect(touched.length).toBeGreaterThan(0);
          return;
        }
        expect(result.ok).toBe(false);
        expect(touched).toEqual([]);
        const issues = result.issues ?? [];
        expect(issues.length).toBeGreaterThan(0);
        for (const issue of issues) {
          expect(result.error).toContain(`${issue.field}: ${issue.message}`);
          // The named field is in the payload, or is one the schema expects, or the payload as a whole.
          const names =
            typeof event === 'object' && event !== null && !Array.isArray(event) ? Object.keys(event) : [];
          const known = [
            ...names,
            '(payload)',
            'dryRun',
            'minScore',
            'maxOrders',
            'symbols',
            'maxQuotes',
            'detail',
            'detail-type',
            'source',
          ];
          expect(known.some((name) => issue.field === name || issue.field.startsWith(`${name}.`))).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('names the field and the bound: minScore above 100', () => {
    const parsed = parseJobEvent({ dryRun: true, minScore: 101 }, executeSchema);
    expect(parsed).toEqual({
      ok: false,
      issues: [{ field: 'minScore', message: 'expected a number ≤ 100' }],
    });
  });

  it('refuses a misspelt field by its own name and reads a schedule detail as the payload', () => {
    expect(parseJobEvent({ minscore: 75 }, executeSchema)).toEqual({
      ok: false,
      issues: [{ field: 'minscore', message: 'unknown field' }],
    });
    const scheduled = parseJobEvent(
      { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: { dryRun: true } },
      executeSchema,
    );
    expect(scheduled).toEqual({ ok: true, input: { dryRun: true }, trigger: { kind: 'schedule' } });
    const bad = parseJobEvent(
      { 'detail-type': 'Scheduled Event', detail: { maxOrders: 1.5 } },
      executeSchema,
    );
    expect(bad).toEqual({
      ok: false,
      issues: [{ field: 'detail.maxOrders', message: 'expected a whole number' }],
    });
  });

  it('returns the error to the caller and does nothing else', async () => {
    touched.length = 0;
    const result = await execute({ dryRun: 'yes' }, lambdaContext());
    expect(result).toEqual({
      job: 'execute-strategies',
      ok: false,
      error: 'dryRun: expected true or false',
      issues: [{ field: 'dryRun', message: 'expected true or false' }],
    });
    expect(touched).toEqual([]);
  });
});
