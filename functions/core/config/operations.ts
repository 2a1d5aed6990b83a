// How the bot runs: order working, alerts, the market calendar, the gateway task and the job switches.
import { z } from 'zod';
import { NYSE_EARLY_CLOSES, NYSE_HOLIDAYS } from '../nyse-calendar';
import { hhmm, isoDate } from './fields';

export const JOB_NAMES = [
  'position-sync',
  'load-historical-data',
  'validate-ib-connection',
  'strategy-analysis',
  'execute-strategies',
  'collect-option-data',
  'collect-futures-data',
  'monitor',
  'daily-statistics',
  'validate-data-quality',
  'health-check',
  'verify-positions',
  'gateway-hours',
] as const;
export type JobName = (typeof JOB_NAMES)[number];

export const ordersSchema = z
  .object({
    repriceSeconds: z.number().int().min(5).max(600).default(45).describe('seconds between reprices'),
    repriceFraction: z
      .number()
      .gt(0)
      .max(1)
      .default(1 / 3)
      .describe('fraction of the way from the price toward natural per reprice'),
    maxReprices: z.number().int().min(0).max(20).default(3).describe('reprices before cancelling'),
    minCredit: z
      .number()
      .min(0)
      .max(100)
      .default(0.3)
      .describe('an opening order never asks less credit than this'),
    commissionPerContract: z
      .number()
      .min(0)
      .max(10)
      .default(0.65)
      .describe('estimated commission per option contract, dollars'),
    timeInForce: z.enum(['DAY', 'GTC']).default('DAY').describe('time in force of combo orders'),
  })
  .strict();

export const alertsSchema = z
  .object({
    lossCriticalUsd: z.number().positive().default(500).describe('unrealised loss above this is CRITICAL'),
    lossWarningUsd: z.number().positive().default(200).describe('unrealised loss above this is WARNING'),
    profitInfoUsd: z.number().positive().default(500).describe('unrealised profit above this is INFO'),
    cooldownMinutes: z
      .number()
      .int()
      .min(0)
      .max(1440)
      .default(60)
      .describe('same alert key is suppressed this long unless severity rises'),
  })
  .strict()
  .refine((a) => a.lossWarningUsd < a.lossCriticalUsd, {
    message: 'lossWarningUsd must be below lossCriticalUsd',
    path: ['lossWarningUsd'],
  });

export const calendarSchema = z
  .object({
    holidays: z
      .array(isoDate)
      .default([...NYSE_HOLIDAYS])
      .describe('NYSE full holidays (announced dates shipped as defaults)'),
    earlyCloses: z
      .array(isoDate)
      .default([...NYSE_EARLY_CLOSES])
      .describe('NYSE 13:00 early closes'),
    regularOpen: hhmm.default('09:30').describe('session open, New York time'),
    regularClose: hhmm.default('16:00').describe('session close, New York time'),
    earlyClose: hhmm.default('13:00').describe('early-close time, New York time'),
  })
  .strict()
  // HH:MM strings compare in time order.
  .refine((c) => c.regularOpen < c.earlyClose && c.earlyClose <= c.regularClose, {
    message: 'times must satisfy regularOpen < earlyClose <= regularClose',
    path: ['earlyClose'],
  });

/** The always-on gateway task, as the health-check job (every 10 minutes) looks after it. */
export const gatewaySchema = z
  .object({
    restartAfterFailures: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(3)
      .describe(
        "consecutive failed health checks in market hours before the gateway task is replaced (a manual run's payload may override it)",
      ),
    maxRestartsPerDay: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(2)
      .describe(
        'most gateway task replacements the health check may force per New York day (0: never); never while an order works, a login waits for its second factor, or in the restart window',
      ),
  })
  .strict();

export const jobsSchema = z
  .object(
    Object.fromEntries(
      JOB_NAMES.map((job) => [job, z.boolean().default(true).describe(`false switches the ${job} job off`)]),
    ) as Record<JobName, z.ZodDefault<z.ZodBoolean>>,
  )
  .strict()
  .describe('enabled flag per job');
