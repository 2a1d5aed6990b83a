// Risk limits at entry and the exit rules of open positions.
import { z } from 'zod';
import { isoDate, pct, symbol } from './fields';

export const riskSchema = z
  .object({
    maxOpenPositions: z.number().int().min(0).max(100).default(5).describe('open strategy positions at most'),
    maxPerUnderlying: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(2)
      .describe('open positions per underlying at most'),
    maxDailyLossPct: pct("stop new entries when today's loss reaches this % of net liquidation", 3),
    riskPerTradePct: pct('risk budget per trade, % of net liquidation (sizes the order)', 2),
    maxPortfolioRiskPct: pct('total max loss of open positions after the trade, % of net liquidation', 25),
    marginUsage: z
      .number()
      .gt(0)
      .max(1)
      .default(0.5)
      .describe('what-if margin must be ≤ available funds × this'),
    noEntryFirstMinutes: z
      .number()
      .int()
      .min(0)
      .max(390)
      .default(15)
      .describe('no entries in the first minutes of the session'),
    noEntryLastMinutes: z
      .number()
      .int()
      .min(0)
      .max(390)
      .default(30)
      .describe('no entries in the last minutes of the session'),
    maxContractsPerTrade: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(10)
      .describe('hard cap on contracts per order'),
  })
  .strict();

/** One announced ex-dividend date of an underlying and the dividend per share. */
const exDividend = z
  .object({
    exDate: isoDate,
    amount: z.number().positive().max(100),
  })
  .strict();

export const exitsSchema = z
  .object({
    stopLossMultiple: z
      .number()
      .positive()
      .max(10)
      .default(2)
      .describe('close when loss ≥ this × entry credit'),
    profitTargetPct: pct('close when profit ≥ this % of max profit', 50),
    exitDte: z
      .number()
      .int()
      .min(0)
      .max(365)
      .default(21)
      .describe('close at or below this many days to expiry'),
    maxDaysInTrade: z
      .number()
      .int()
      .min(1)
      .max(365)
      .default(30)
      .describe('close a winner held this many days'),
    maxCloseAttemptsPerDay: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(3)
      .describe(
        'exit orders per position per day that may fail (rejected, or never reached IB) before a CRITICAL alert and no further exit that day',
      ),
    expiryCloseMinutesBeforeClose: z
      .number()
      .int()
      .min(0)
      .max(120)
      .default(15)
      .describe(
        'on expiration day close risky positions this many minutes before the close (15:45, 12:45 early)',
      ),
    expiryNearSpotPct: pct('expiration day: a short strike within this % of spot counts as at risk', 1),
    breachDelta: z.number().gt(0).lt(1).default(0.5).describe('close when a short leg |delta| reaches this'),
    assignmentExtrinsicUsd: z
      .number()
      .min(0)
      .max(10)
      .default(0.05)
      .describe('assignment risk: an ITM short leg with less extrinsic value than this, per share'),
    earningsBlackoutDays: z
      .number()
      .int()
      .min(0)
      .max(60)
      .default(7)
      .describe('close when earnings fall within this many days'),
    dataGuardAlertMinutes: z
      .number()
      .int()
      .min(1)
      .max(240)
      .default(15)
      .describe('alert when the data guard holds longer'),
    dataGuardCriticalMinutes: z
      .number()
      .int()
      .min(1)
      .max(240)
      .default(10)
      .describe(
        'CRITICAL when a position in danger (short strike breached, or rule 4/5 on the model price) has had an unusable leg quote this long',
      ),
    exDividends: z
      .record(symbol, z.array(exDividend).max(20))
      .default(() => ({}))
      .describe(
        'ex-dividend dates per underlying, e.g. {"SPY": [{"exDate": "2026-06-18", "amount": 1.78}]}: rule 6 closes an ITM short call whose extrinsic is below the next dividend',
      ),
    assignedHoldings: z
      .enum(['close', 'alert'])
      .default('close')
      .describe(
        "shares and orphaned legs left by an assignment: 'close' them at the next session's first monitor cycle (limit orders), or only 'alert'",
      ),
  })
  .strict();
