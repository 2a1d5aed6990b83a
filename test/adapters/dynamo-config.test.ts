// Config in DynamoDB Local: validated whole on every read; a corrupt item throws ConfigError naming
// section.field and never falls back to defaults.
import { DeleteCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '#core/config';
import { CONFIG_SECTIONS } from '#adapters/dynamo/config-store';
import { useTables } from '../support/dynamodb';

const db = await useTables();
const store = db.stores.config;
const NOW = Date.UTC(2026, 1, 2, 12, 0);

async function clearTable() {
  const { Items = [] } = await db.docClient.send(
    new ScanCommand({ TableName: db.names.config, ConsistentRead: true }),
  );
  await Promise.all(
    Items.map((item) =>
      db.docClient.send(new DeleteCommand({ TableName: db.names.config, Key: { section: item.section } })),
    ),
  );
}

/** Writes an item the way an operator could in the console, bypassing saveSection's validation. */
const putRaw = (section: string, value: unknown) =>
  db.docClient.send(new PutCommand({ TableName: db.names.config, Item: { section, value } }));

async function configError(): Promise<ConfigError> {
  const error = await store.loadConfig().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('config store', () => {
  beforeEach(clearTable);

  it('an empty table reads as the schema defaults', async () => {
    expect(await store.loadConfig()).toEqual(parseConfig({}));
  });

  it('round-trips a saved section; the other sections keep their defaults', async () => {
    await store.saveSection(
      'risk',
      { maxOpenPositions: 3, riskPerTradePct: 1.5 },
      { now: NOW, updatedBy: 'test' },
    );
    const config = await store.loadConfig();
    expect(config.risk.maxOpenPositions).toBe(3);
    expect(config.risk.riskPerTradePct).toBe(1.5);
    expect(config.risk.maxPerUnderlying).toBe(parseConfig({}).risk.maxPerUnderlying);
    expect(config.exits).toEqual(parseConfig({}).exits);
  });

  it('refuses to save an invalid section and leaves the stored one as it was', async () => {
    await store.saveSection('risk', { maxOpenPositions: 3 }, { now: NOW });
    const error = await store
      .saveSection('risk', { maxOpenPositions: -1 }, { now: NOW + 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.path)).toEqual(['risk.maxOpenPositions']);
    expect((await store.loadConfig()).risk.maxOpenPositions).toBe(3);
  });

  it('a bad value in an item throws ConfigError naming section.field', async () => {
    await putRaw('risk', JSON.stringify({ maxOpenPositions: -1 }));
    expect((await configError()).issues.map((i) => i.path)).toEqual(['risk.maxOpenPositions']);
  });

  it('an unknown field throws ConfigError naming it', async () => {
    await putRaw('exits', JSON.stringify({ stopLossMultiple: 2, stopLosMultiple: 3 }));
    expect((await configError()).issues.map((i) => i.path)).toEqual(['exits.stopLosMultiple']);
  });

  it('unparseable JSON throws ConfigError naming the section', async () => {
    await putRaw('trading', '{"killSwitch": tru');
    const error = await configError();
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('trading');
    expect(error.issues[0]?.message).toMatch(/JSON/);
  });

  it('an item for an unknown section throws ConfigError naming it', async () => {
    await putRaw('tradng', JSON.stringify({ killSwitch: true }));
    expect((await configError()).issues.map((i) => i.path)).toEqual(['tradng']);
  });

  it('reports every corrupt item at once', async () => {
    await putRaw('trading', 'not json');
    await putRaw('alerts', JSON.stringify({ cooldownMinutes: 'soon' }));
    expect((await configError()).issues.map((i) => i.path).sort()).toEqual([
      'alerts.cooldownMinutes',
      'trading',
    ]);
  });

  it('accepts a section typed as a native map in the console', async () => {
    await putRaw('trading', { killSwitch: true });
    expect((await store.loadConfig()).trading.killSwitch).toBe(true);
  });

  it('seeds defaults for missing sections only and never overwrites', async () => {
    await store.saveSection('risk', { maxOpenPositions: 1 }, { now: NOW });
    const written = await store.seedDefaults({ now: NOW });
    expect(written.sort()).toEqual(CONFIG_SECTIONS.filter((s) => s !== 'risk').sort());
    expect(await store.seedDefaults({ now: NOW + 1 })).toEqual([]);
    const config = await store.loadConfig();
    expect(config.risk.maxOpenPositions).toBe(1);
    expect(config.orders).toEqual(parseConfig({}).orders);
  });

  it('property: any stored section value is either exactly what the schema makes of it, or a ConfigError inside that section', async () => {
    const defaults = parseConfig({}) as unknown as Record<string, Record<string, unknown>>;
    // Mostly near-valid values: a default section with one field replaced by anything JSON can hold.
    const sectionValue = fc.constantFrom(...CONFIG_SECTIONS).chain((section) =>
      fc.tuple(
        fc.constant(section),
        fc.oneof(
          fc.jsonValue(),
          fc
            .tuple(fc.constantFrom(...Object.keys(defaults[section] ?? {}), 'unknownField'), fc.jsonValue())
            .map(([field, value]) => ({ ...defaults[section], [field]: value })),
        ),
      ),
    );
    await fc.assert(
      fc.asyncProperty(sectionValue, async ([section, value]) => {
        await clearTable();
        const text = JSON.stringify(value);
        await putRaw(section, text);
        let expected: unknown;
        try {
          // What the stored text means (JSON turns -0 into 0), judged by the schema directly.
          expected = parseConfig({ [section]: JSON.parse(text) });
        } catch (error) {
          expected = error;
        }
        const outcome = await store.loadConfig().catch((e: unknown) => e);
        if (expected instanceof ConfigError) {
          expect(outcome).toBeInstanceOf(ConfigError);
          for (const issue of (outcome as ConfigError).issues) {
            expect(issue.path === section || issue.path.startsWith(`${section}.`)).toBe(true);
          }
        } else {
          expect(outcome).toEqual(expected);
        }
      }),
      { numRuns: 40 },
    );
  });
});
