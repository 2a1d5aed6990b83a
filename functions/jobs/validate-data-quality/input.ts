// A trade-date payload field (daily-statistics, validate-data-quality): a real calendar date.
import { z } from 'zod';

const isRealDate = (value: string) => {
  const [year, month, day] = value.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
};

export const pastDateField = z
  .string({ error: 'expected a date YYYY-MM-DD' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected a date YYYY-MM-DD', abort: true })
  .refine(isRealDate, { error: 'expected a real calendar date YYYY-MM-DD' })
  .optional();
