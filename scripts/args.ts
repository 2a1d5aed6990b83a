// Command lines of the local scripts (`npm start`, `npm run local:up`, `npm run invoke`): node:util
// parseArgs for the grammar (--flag value, --flag=value, -h, unknown flags, missing values), and one
// validator per kind of value, so the three scripts word the same mistake the same way
// (`--seed: expected a whole number, got "x"`). Each script states its options and keeps its own rules.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { addDays, nextTradingDay, sessionFor } from '#core/calendar';
import { parseConfig } from '#core/config';
import type { IsoDate } from '#core/types';
import { parseFaultScript } from '#simulator/server/faults';
import type { ScheduledFault } from '#simulator/server/faults';

/** A command-line mistake: the script prints the message (and its help) and exits with status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** The long flag a parseArgs message is about (`--seed`), else the whole message. */
function flagIn(message: string): string | undefined {
  return /'(?:-\w, )?(--?[\w-]+)/.exec(message)?.[1];
}

/**
 * `--min-score -5` → `--min-score=-5`. Strict parseArgs takes any value starting with "-" for a flag and
 * refuses it as ambiguous; a negative number is never a flag here, and the hand-written parsers this
 * replaces passed it on to the validator (which names the flag and the value).
 */
function negativeValuesInline(argv: readonly string[], options: OptionSpecs): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    const next = argv[i + 1];
    if (token === '--') return [...args, ...argv.slice(i)];
    const name = token.startsWith('--') ? token.slice(2) : undefined;
    if (
      name &&
      Object.hasOwn(options, name) &&
      options[name]?.type === 'string' &&
      next !== undefined &&
      /^-\.?\d/.test(next)
    ) {
      args.push(`${token}=${next}`);
      i++;
    } else {
      args.push(token);
    }
  }
  return args;
}

/**
 * parseArgs in strict mode, its errors turned into UsageErrors in this project's words: an unknown flag
 * and a stray argument are named with "(see --help)", a flag without its value "needs a value".
 */
export function parseFlags<const O extends OptionSpecs>(
  argv: readonly string[],
  options: O,
  { positionals = false }: { positionals?: boolean } = {},
) {
  try {
    return parseArgs({
      args: negativeValuesInline(argv, options),
      options,
      strict: true,
      allowPositionals: positionals,
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    const flag = flagIn(message);
    switch (code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new UsageError(`unknown option ${flag ?? message} (see --help)`);
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw new UsageError(`unknown argument "${/'(.*)'/s.exec(message)?.[1] ?? message}" (see --help)`);
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        if (/does not take an argument/.test(message)) throw new UsageError(`${flag} takes no value`);
        // "argument missing", or "ambiguous": the next word is another flag (or starts with "-").
        throw new UsageError(
          /ambiguous/.test(message)
            ? `${flag} needs a value (write ${flag}=VALUE for one that starts with "-")`
            : `${flag} needs a value`,
        );
      default:
        throw error;
    }
  }
}

const got = (raw: string) => `got "${raw}"`;

/** A seed: digits only, up to 9 of them (fits every seeded generator). */
export function wholeNumber(flag: string, raw: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw new UsageError(`${flag}: expected a whole number, ${got(raw)}`);
  return Number(raw);
}

/** Any finite number; ranges are left to whoever owns them (a job's payload schema). */
export function finiteNumber(flag: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value))
    throw new UsageError(`${flag}: expected a number, ${got(raw)}`);
  return value;
}

/** A number in (above, atMost]: a clock speed. */
export function numberAbove(flag: string, raw: string, above: number, atMost: number): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= above || value > atMost) {
    throw new UsageError(`${flag}: expected a number above ${above}, at most ${atMost}, ${got(raw)}`);
  }
  return value;
}

/** Whole minutes, a multiple of `step` from `step` to `max` (runs land on the 5-minute schedule). */
export function minutesStep(flag: string, raw: string, step: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < step || value > max || value % step !== 0) {
    throw new UsageError(
      `${flag}: expected minutes, a multiple of ${step} from ${step} to ${max}, ${got(raw)}`,
    );
  }
  return value;
}

/** A New York wall-clock time HH:MM, 00:00–23:59. */
export function clockTime(flag: string, raw: string): string {
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(raw)) throw new UsageError(`${flag}: expected HH:MM, ${got(raw)}`);
  return raw;
}

/** A real date YYYY-MM-DD (any day: the ends of a date range). */
export function isoDate(flag: string, raw: string): IsoDate {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw) || !isRealDate(raw)) {
    throw new UsageError(`${flag}: expected a date YYYY-MM-DD, ${got(raw)}`);
  }
  return raw;
}

/** A real date YYYY-MM-DD that is an NYSE trading day in the default calendar. */
export function tradingDay(flag: string, raw: string): IsoDate {
  isoDate(flag, raw);
  if (!sessionFor(raw, parseConfig({}).calendar)) {
    throw new UsageError(`${flag}: ${raw} is not a trading day (weekend or NYSE holiday)`);
  }
  return raw;
}

/**
 * A real date YYYY-MM-DD; a weekend or NYSE holiday moves to the next trading day, with a note saying so
 * (a run of many days starts on the first session on or after the date asked for).
 */
export function firstTradingDay(flag: string, raw: string): { date: IsoDate; note?: string } {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw) || !isRealDate(raw)) {
    throw new UsageError(`${flag}: expected a date YYYY-MM-DD, ${got(raw)}`);
  }
  const calendar = parseConfig({}).calendar;
  if (sessionFor(raw, calendar)) return { date: raw };
  const date = nextTradingDay(raw, calendar);
  return { date, note: `${flag} ${raw} is not a trading day (weekend or NYSE holiday): starting on ${date}` };
}

/** A whole number from `min` to `max` (a count of days). */
export function wholeNumberIn(flag: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d{1,9}$/.test(raw) || value < min || value > max) {
    throw new UsageError(`${flag}: expected a whole number from ${min} to ${max}, ${got(raw)}`);
  }
  return value;
}

/** A fault script file in the simulator's format (a JSON list); the message names the file, entry and field. */
export function faultScriptFile(flag: string, raw: string): { file: string; faults: ScheduledFault[] } {
  const file = resolve(raw);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new UsageError(
      code === 'ENOENT' ? `${flag}: no such file ${file}` : `${flag}: cannot read ${file} (${String(code)})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${flag}: ${file} is not JSON: ${(error as Error).message}`);
  }
  try {
    return { file, faults: parseFaultScript(json) };
  } catch (error) {
    throw new UsageError(`${flag}: ${file}: ${(error as Error).message}`);
  }
}

function isRealDate(date: string): boolean {
  try {
    return addDays(date, 0) === date;
  } catch {
    return false;
  }
}

/** One of a fixed set of names; the message lists them all. */
export function oneOf<T extends string>(what: string, raw: string, names: readonly T[]): T {
  if (!(names as readonly string[]).includes(raw)) {
    throw new UsageError(`unknown ${what} "${raw}"; ${what}s: ${names.join(', ')}`);
  }
  return raw as T;
}
