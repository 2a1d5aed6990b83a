// Field validators shared by the config sections.
import { z } from 'zod';

export const pct = (description: string, dflt: number, max = 100) =>
  z.number().min(0).max(max).default(dflt).describe(description);

// A real calendar date: the regex alone would let 2026-02-30 through to the calendar functions.
const isRealDate = (value: string) => {
  const [year, month, day] = value.split('-').map(Number) as [number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
};
export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine(isRealDate, 'must be a real calendar date YYYY-MM-DD');
// 00:00–23:59; a looser pattern (\d{2}:\d{2}) would accept 25:99 and fail later inside the calendar.
export const hhmm = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a New York time HH:MM (00:00–23:59)');
export const symbol = z.string().regex(/^[A-Z][A-Z0-9.]{0,9}$/, 'must be an upper-case ticker such as SPY');
