// Property: random and malformed config ITEMS, written raw to the DynamoDB Local config table (as an
// operator typing in the console could), thrown at the trading jobs' handlers. Each item is either
// valid (the job runs or says why it skipped) or rejected with an error naming the section (and the
// field, when one field is wrong), one CRITICAL alert, and nothing written anywhere else; the handler
// never throws. The stack is the real one (DynamoDB Local, simulator, bridge); SNS is the only mock.
import { DeleteCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cooldownKey } from '#core/alerts';
import { parseConfig } from '#core/config';
import { handler as execute } from '#jobs/execute-strategies';
import { handler as monitor } from '#jobs/monitor';
import { handler as sync } from '#jobs/position-sync';
import type { JobHandler } from '#jobs/shared/define-job';
import '../support/dynamodb';
import { lambdaContext, startJobStack } from './support';

const stack = await startJobStack({ seed: 17 });
const { db, sim, clock } = stack;
const defaults = parseConfig({});
type Section = keyof typeof defaults;
const SECTIONS = Object.keys(defaults) as Section[];
// Jobs whose valid run writes nothing here (no positions, no candidates stored): any write is a leak.
const HANDLERS: JobHandler[] = [monitor, sync, execute];
// The cooldown key of the config alert, cleared before each item so every rejection alerts.
const CONFIG_ALERT_KEY = cooldownKey('config', 'config-invalid');

/** What an item does to its section, so the expected field name is known without the schema. */
type Item =
  | { kind: 'field'; section: Section; field: string; value: unknown; wrongType: boolean; asMap: boolean }
  | { kind: 'extraKey'; section: Section; key: string }
  | { kind: 'raw'; section: Section; attributes: Record<string, unknown> }
  | { kind: 'unknownSection'; section: string };

const jsonScalar = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  // Rounded: DynamoDB numbers stop at 1e-130 (a raw item with 5e-324 is refused by DynamoDB itself).
  fc
    .double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true })
    .map((x) => Math.round(x * 1e6) / 1e6),
  fc.string({ maxLength: 12 }),
  fc.boolean(),
  fc.constant(null),
);
const jsonValue = fc.oneof(
  jsonScalar,
  fc.array(jsonScalar, { maxLength: 4 }),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), jsonScalar, { maxKeys: 3 }),
);
const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

const sectionArb = fc.constantFrom(...SECTIONS);
const itemArb: fc.Arbitrary<Item> = fc.oneof(
  // One field of a valid section replaced by any JSON value (often of the wrong type, sometimes valid).
  sectionArb.chain((section) =>
    fc
      .record({
        field: fc.constantFrom(...Object.keys(defaults[section])),
        value: jsonValue,
        asMap: fc.boolean(),
      })
      .map(({ field, value, asMap }) => {
        const before = (defaults[section] as Record<string, unknown>)[field];
        return {
          kind: 'field' as const,
          section,
          field,
          value,
          asMap,
          wrongType: typeOf(before) !== typeOf(value),
        };
      }),
  ),
  // A key the schema does not know (a typo such as maxOpenPosition).
  sectionArb.chain((section) =>
    fc
      .string({ minLength: 1, maxLength: 10 })
      .filter((k) => !(k in (defaults[section] as object)) && !['__proto__', 'constructor'].includes(k))
      .map((key) => ({ kind: 'extraKey' as const, section, key })),
  ),
  // Whole-item damage: text that is not JSON, JSON that is not an object, a list, no value at all.
  sectionArb.chain((section) =>
    fc
      .oneof(
        fc.string({ maxLength: 20 }).map((text) => ({ value: text })),
        jsonScalar.map((v) => ({ value: JSON.stringify(v) })),
        fc.array(jsonScalar, { maxLength: 3 }).map((v) => ({ value: v })),
        fc.integer().map((v) => ({ value: v })),
        fc.constant({ other: 'no value attribute' }),
      )
      .map((attributes) => ({ kind: 'raw' as const, section, attributes })),
  ),
  fc
    .string({ minLength: 1, maxLength: 12 })
    .filter((s) => !(SECTIONS as string[]).includes(s) && s.trim().length > 0)
    .map((section) => ({ kind: 'unknownSection' as const, section })),
);

function attributesOf(item: Item): Record<string, unknown> {
  switch (item.kind) {
    case 'field': {
      const value = { ...(defaults[item.section] as Record<string, unknown>), [item.field]: item.value };
      return { value: item.asMap ? value : JSON.stringify(value) };
    }
    case 'extraKey':
      return { value: JSON.stringify({ ...(defaults[item.section] as object), [item.key]: 1 }) };
    case 'raw':
      return item.attributes;
    case 'unknownSection':
      return { value: JSON.stringify({ anything: 1 }) };
  }
}

const count = async (table: string) =>
  (await db.docClient.send(new ScanCommand({ TableName: table, Select: 'COUNT', ConsistentRead: true })))
    .Count ?? 0;
const footprint = async () => ({
  positions: await count(db.names.positions),
  orders: await count(db.names.orders),
  candidates: await count(db.names.candidates),
  snapshots: await count(db.names.snapshots),
  simOrders: sim.orders().length,
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('config items at the handlers', () => {
  it('each item is valid or rejected naming section.field, with a CRITICAL alert and no partial write', async () => {
    // A complete, valid config: every section present, so an item replaces one and breaks only that.
    for (const section of SECTIONS)
      await db.stores.config.saveSection(section, defaults[section], { now: clock.now() });
    const before = await footprint();
    let rejected = 0;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(itemArb, async (item) => {
        const handler = HANDLERS[run++ % HANDLERS.length]!;
        await db.stores.alerts.clear(CONFIG_ALERT_KEY);
        const published = stack.published().length;
        await db.docClient.send(
          new PutCommand({
            TableName: db.names.config,
            Item: { section: item.section, ...attributesOf(item) },
          }),
        );
        try {
          // Never an unhandled exception: the promise resolves, whatever the item.
          const result = await handler({}, lambdaContext(handler.jobName));
          const alerts = stack.published().slice(published);
          if (result.error === undefined) {
            expect(result.ok || result.skipped !== undefined).toBe(true);
            expect(item.kind === 'field' && item.wrongType).toBe(false);
            expect(item.kind === 'field').toBe(true);
            expect(alerts.filter((a) => String(a.Subject).includes('Config invalid'))).toEqual([]);
          } else {
            rejected += 1;
            expect(result).toMatchObject({ ok: false, did: 'nothing: the config is invalid' });
            expect(result.error).toMatch(/^invalid config: /);
            // Names what is wrong: the section (item-level damage), or section.field.
            expect(result.error).toMatch(new RegExp(`(^|[ ;])${escape(item.section)}[.:]`));
            if (item.kind === 'field' && item.wrongType)
              expect(result.error).toContain(`${item.section}.${item.field}`);
            if (item.kind === 'extraKey') expect(result.error).toContain(`${item.section}.${item.key}`);
            expect(alerts).toHaveLength(1);
            expect(alerts[0]).toMatchObject({
              Subject: `[CRITICAL] Config invalid: ${handler.jobName} stopped`,
              MessageAttributes: { severity: { DataType: 'String', StringValue: 'CRITICAL' } },
            });
          }
          // No partial write, valid or not: these jobs have nothing to write on this stack. Nothing here
          // deletes, so a count that never moves means no write at all; checked every 50 items and at the end.
          if (run % 50 === 0) expect(await footprint()).toEqual(before);
        } finally {
          // Back to the valid config for the next item.
          if (item.kind === 'unknownSection')
            await db.docClient.send(
              new DeleteCommand({ TableName: db.names.config, Key: { section: item.section } }),
            );
          else await db.stores.config.saveSection(item.section, defaults[item.section], { now: clock.now() });
        }
      }),
      // `__proto__` always: loading it by assignment once made it the config's prototype (seed -2117953661).
      { numRuns: 2000, examples: [[{ kind: 'unknownSection', section: '__proto__' }]] },
    );
    expect(await footprint()).toEqual(before);
    // The generator is not trivial: most items are rejected, and some are valid.
    expect(rejected).toBeGreaterThan(1000);
    expect(rejected).toBeLessThan(2000);
  }, 240_000);
});
