// Generates the README's config reference from the zod schema, so the documented defaults and ranges
// cannot drift from what parseConfig enforces. `tsx scripts/config-table.ts` prints the table;
// `--write` replaces the block between the config-table markers in README.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { configSchema } from '#core/config';

export const TABLE_START = '<!-- config-table:start -->';
export const TABLE_END = '<!-- config-table:end -->';

/** The subset of JSON Schema that z.toJSONSchema produces for this config. */
interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  propertyNames?: JsonSchema;
  additionalProperties?: JsonSchema;
}

// Readers know these formats by name better than by regex.
const PATTERN_NAMES: Record<string, string> = {
  '^\\d{4}-\\d{2}-\\d{2}$': 'date `YYYY-MM-DD`',
  '^([01]\\d|2[0-3]):[0-5]\\d$': 'time `HH:MM` (New York)',
  '^[A-Z][A-Z0-9.]{0,9}$': 'upper-case ticker',
};

/** Table cells cannot hold a bare pipe or a line break. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function formatNumber(n: number): string {
  // 1/3 reads better as 0.3333 than as 0.3333333333333333.
  return String(Number(n.toPrecision(4)) === n ? n : Number(n.toFixed(4)));
}

/**
 * A default that is a simple fraction (1/3) as `1/3 (0.3333…)`: shown as 0.3333 alone, a reader would
 * type 0.3333 and get a slightly different value.
 */
function formatFraction(n: number): string | undefined {
  if (Number(n.toPrecision(4)) === n) return undefined;
  for (let q = 2; q <= 12; q++) {
    const p = Math.round(n * q);
    if (p / q === n) return `${p}/${q} (${n.toFixed(4)}…)`;
  }
  return undefined;
}

function formatValue(value: unknown): string {
  if (typeof value === 'number') return formatFraction(value) ?? `\`${formatNumber(value)}\``;
  if (typeof value === 'string') return `\`${value}\``;
  if (Array.isArray(value)) {
    if (value.length === 0) return 'none';
    // Long lists (the holiday calendar) are summarised rather than spelled out.
    if (value.length > 6) {
      return `${formatValue(value[0])} … ${formatValue(value[value.length - 1])} (${value.length} entries)`;
    }
    return value.map(formatValue).join(', ');
  }
  if (value !== null && typeof value === 'object' && Object.keys(value).length === 0) return 'none';
  return `\`${JSON.stringify(value)}\``;
}

function numberRange(schema: JsonSchema): string {
  const lower =
    schema.exclusiveMinimum !== undefined
      ? `${formatNumber(schema.exclusiveMinimum)} <`
      : schema.minimum !== undefined && schema.minimum > Number.MIN_SAFE_INTEGER
        ? `${formatNumber(schema.minimum)} ≤`
        : '';
  const upper =
    schema.exclusiveMaximum !== undefined
      ? `< ${formatNumber(schema.exclusiveMaximum)}`
      : schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER
        ? `≤ ${formatNumber(schema.maximum)}`
        : '';
  const kind = schema.type === 'integer' ? 'integer' : 'number';
  if (!lower && !upper) return kind;
  // One-sided bounds read better as "≥ 0" than as "0 ≤ x".
  if (!upper) return `${kind} ${lower.endsWith('<') ? '>' : '≥'} ${lower.slice(0, -2)}`;
  if (!lower) return `${kind} ${upper}`;
  return `${kind} ${lower} x ${upper}`;
}

function allowed(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map(formatValue).join(', ');
  switch (schema.type) {
    case 'boolean':
      return '`true`, `false`';
    case 'number':
    case 'integer':
      return numberRange(schema);
    case 'string':
      return schema.pattern
        ? (PATTERN_NAMES[schema.pattern] ?? `text matching \`${schema.pattern}\``)
        : 'text';
    case 'array': {
      const count =
        schema.minItems !== undefined && schema.maxItems !== undefined
          ? `${schema.minItems}–${schema.maxItems} of`
          : schema.minItems !== undefined
            ? `at least ${schema.minItems} of`
            : schema.maxItems !== undefined
              ? `at most ${schema.maxItems} of`
              : 'list of';
      return `${count} ${schema.items ? allowed(schema.items) : 'values'}`;
    }
    case 'object':
      // A map (exits.exDividends): its keys and values; a record value: its field names.
      if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        const keys = schema.propertyNames ? allowed(schema.propertyNames) : 'text';
        return `map of ${keys} to ${allowed(schema.additionalProperties)}`;
      }
      return schema.properties ? `{ ${Object.keys(schema.properties).join(', ')} }` : 'object';
    default:
      return schema.type ?? 'any';
  }
}

/** The Markdown config reference: one row per field, in schema order. */
export function configTableMarkdown(): string {
  const root = z.toJSONSchema(configSchema, { io: 'input' }) as JsonSchema;
  const rows = ['| section | field | default | allowed values | description |', '|---|---|---|---|---|'];
  for (const [section, sectionSchema] of Object.entries(root.properties ?? {})) {
    for (const [field, schema] of Object.entries(sectionSchema.properties ?? {})) {
      const columns = [
        `\`${section}\``,
        `\`${field}\``,
        formatValue(schema.default),
        allowed(schema),
        schema.description ?? '',
      ];
      rows.push(`| ${columns.map(cell).join(' | ')} |`);
    }
  }
  return rows.join('\n');
}

/** README text with the block between the markers replaced by the current table. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) {
    throw new Error(`README.md needs the markers ${TABLE_START} and ${TABLE_END} (in that order)`);
  }
  return `${readme.slice(0, start + TABLE_START.length)}\n${configTableMarkdown()}\n${readme.slice(end)}`;
}

function main(args: string[]): void {
  if (args.includes('--write')) {
    const readmePath = resolve(import.meta.dirname, '../README.md');
    const before = readFileSync(readmePath, 'utf8');
    const after = withConfigTable(before);
    if (after !== before) writeFileSync(readmePath, after);
    console.log(
      after === before ? 'README.md config table is up to date' : 'README.md config table rewritten',
    );
  } else {
    console.log(configTableMarkdown());
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2));
}
