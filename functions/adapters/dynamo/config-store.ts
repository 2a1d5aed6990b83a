// Config in DynamoDB: one item per section, `{ section, value: <JSON text>, updatedAt, updatedBy }`.
// Every read validates the whole config with the core's schema; anything wrong stops the caller with a
// ConfigError naming section.field (the job alerts CRITICAL and trades nothing). Never a silent default
// for a value that is present but bad.
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConfigError, configSchema, parseConfig } from '#core/config';
import type { Config } from '#core/config';
import type { ConfigSection, ConfigStore } from '../ports';
import { isConditionFailure } from './support';

export const CONFIG_SECTIONS = Object.keys(configSchema.shape) as ConfigSection[];

/** Parses a stored section value: JSON text as written by saveSection, or a map typed in the console. */
function sectionValue(item: Record<string, unknown>): { value: unknown } | { problem: string } {
  if (!('value' in item)) return { problem: 'item has no "value" attribute' };
  const raw = item.value;
  if (typeof raw === 'string') {
    try {
      return { value: JSON.parse(raw) as unknown };
    } catch (error) {
      return { problem: `value is not valid JSON (${(error as Error).message})` };
    }
  }
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) return { value: raw };
  return { problem: `value must be a JSON object, got ${raw === null ? 'null' : typeof raw}` };
}

export function dynamoConfigStore(doc: DynamoDBDocumentClient, tableName: string): ConfigStore {
  const readItems = async (): Promise<Record<string, unknown>[]> => {
    // A handful of small items: one consistent scan reads them all (paged anyway).
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new ScanCommand({
          TableName: tableName,
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  };

  return {
    async loadConfig(): Promise<Config> {
      const sections: [string, unknown][] = [];
      const problems: { path: string; message: string }[] = [];
      for (const item of await readItems()) {
        const section = String(item.section);
        const parsed = sectionValue(item);
        if ('problem' in parsed) problems.push({ path: section, message: parsed.problem });
        else sections.push([section, parsed.value]);
      }
      // fromEntries defines own properties: an item named `__proto__` must be reported as an unknown
      // section, not become the prototype of the config (assignment would do that).
      const input = Object.fromEntries(sections);
      // Unparseable items are reported together with every schema problem of the others.
      let config: Config | undefined;
      try {
        config = parseConfig(input);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems.push(...error.issues);
      }
      if (problems.length > 0 || !config) throw new ConfigError(problems);
      return config;
    },

    async saveSection(section, value, { now, updatedBy }) {
      if (!CONFIG_SECTIONS.includes(section)) {
        throw new ConfigError([{ path: String(section), message: 'unknown config section' }]);
      }
      // Parsing the section inside a whole config names bad fields section.field, like loadConfig.
      const parsed = parseConfig({ [section]: value })[section];
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: { section, value: JSON.stringify(parsed), updatedAt: now, updatedBy: updatedBy ?? 'unknown' },
        }),
      );
    },

    async seedDefaults({ now }) {
      const defaults = parseConfig({});
      const written: ConfigSection[] = [];
      for (const section of CONFIG_SECTIONS) {
        try {
          await doc.send(
            new PutCommand({
              TableName: tableName,
              Item: { section, value: JSON.stringify(defaults[section]), updatedAt: now, updatedBy: 'seed' },
              // Never overwrite an operator's section.
              ConditionExpression: 'attribute_not_exists(#section)',
              ExpressionAttributeNames: { '#section': 'section' },
            }),
          );
          written.push(section);
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
      }
      return written;
    },
  };
}
