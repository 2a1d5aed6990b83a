// Reading a synthesized CloudFormation template for the estimate: resources by type, what a Ref or a
// GetAtt points at, and how often a Scheduler expression fires in a month. Nothing here knows our stack.
import { cronValues } from '#core/watchman';
import type { Month } from './month';

export type Properties = Record<string, unknown>;
export interface CfnResource {
  Type: string;
  Properties?: Properties;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}

/** `[logicalId, properties]` of every resource of `type`. */
export function resourcesOf(template: CfnTemplate, type: string): [string, Properties][] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => [id, resource.Properties ?? {}]);
}

/** `{ Ref: id }` or `{ "Fn::GetAtt": [id, attr] }` → id. */
export function refId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.Ref === 'string') return record.Ref;
  const getAtt = record['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
}

/** The last dot-separated word of an endpoint's ServiceName (`com.amazonaws.<region>.sns` → `sns`). */
export function endpointService(serviceName: unknown): string {
  const parts = (serviceName as { 'Fn::Join'?: [string, unknown[]] })?.['Fn::Join']?.[1];
  const text = Array.isArray(parts) ? parts.filter((p) => typeof p === 'string').join('') : serviceName;
  return typeof text === 'string' ? (text.split('.').pop() ?? text) : '?';
}

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** The weekdays (0 = Sunday) a cron day-of-week field selects: `*`, `?`, `MON-FRI`, `SUN`, `1-5`, lists. */
export function cronWeekdays(field: string): number[] {
  if (field === '*' || field === '?') return [0, 1, 2, 3, 4, 5, 6];
  // EventBridge numbers days 1 (Sunday) to 7 (Saturday).
  const numeric = field.replace(/[A-Z]{3}/g, (name) => String(DAY_NAMES.indexOf(name) + 1));
  return cronValues(numeric, 1, 7).map((day) => day - 1);
}

export interface Firing {
  /** Fires in the month. */
  perMonth: number;
  /** Distinct clock hours with a fire in the month (a custom metric is billed by the hour it is sent). */
  hoursPerMonth: number;
}

/**
 * How often a Scheduler expression fires in `month`: `cron(min hour dom month dow year)` with a `?`
 * day of month (the only form EventBridge takes with a day of week), `rate(N unit)`; `at(...)` once, so 0.
 */
export function firesPerMonth(expression: string, month: Month): Firing {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (rate) {
    const minutes = Number(rate[1]) * { minute: 1, hour: 60, day: 1440 }[rate[2] as 'minute'];
    return { perMonth: (month.days * 1440) / minutes, hoursPerMonth: month.hours };
  }
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+)(?: (\S+))?\)$/.exec(expression);
  if (!cron) return { perMonth: 0, hoursPerMonth: 0 };
  const [, minute, hour, dayOfMonth, , dayOfWeek] = cron;
  if (dayOfMonth !== '?' && dayOfMonth !== '*') {
    throw new RangeError(`cost model: day-of-month crons are not modelled (${expression})`);
  }
  const days = cronWeekdays(dayOfWeek!).reduce((sum, day) => sum + month.weekdays[day]!, 0);
  const hours = cronValues(hour!, 0, 23).length;
  return { perMonth: days * hours * cronValues(minute!, 0, 59).length, hoursPerMonth: days * hours };
}
