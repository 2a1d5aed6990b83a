// Fault injection: the actions a test or a `--faults FILE` script can trigger, and the script format.
//
// A script is a JSON list; `at` is New York wall-clock time of the simulated clock (omit it to apply
// the fault at start):
//   [{ "at": "2026-11-24T10:15", "fault": "disconnect" },
//    { "at": "2026-11-24T10:20", "fault": "connectivityLost" },
//    { "at": "2026-11-24T10:25", "fault": "connectivityRestored", "dataLost": false },
//    { "at": "2026-11-24T23:45", "fault": "restart", "durationMinutes": 30 },
//    { "fault": "rejectOrders", "reason": "Insufficient margin" }, { "fault": "acceptOrders" },
//    { "fault": "quotes", "mode": "stale", "target": "SPY" }, { "fault": "quotes", "mode": "normal" },
//    { "fault": "partialFills", "neverComplete": true }, { "fault": "slow", "delayMs": 2000 },
//    { "fault": "orderStatusLag", "delayMs": 200 }, { "fault": "delayedData", "on": true },
//    { "at": "2026-11-24T12:00", "fault": "priceShock", "symbol": "SPY", "pct": -12, "volBump": 0.6 },
//    { "at": "2026-11-24T17:00", "fault": "earlyAssignment", "symbol": "IWM", "conId": 12345, "quantity": 1 },
//    { "at": "2026-11-22T18:00", "fault": "loginPending" }, { "at": "2026-11-22T18:25", "fault": "loginApproved" }]

import { z } from 'zod';
import { nyTimeToEpoch } from '#core/calendar';

export type QuoteFaultMode = 'stale' | 'missing' | 'sentinel';
/** A conId, an underlying symbol, or every contract. */
export type QuoteFaultTarget = number | string;

export type FaultAction =
  | { fault: 'disconnect' }
  | { fault: 'connectivityLost' }
  | { fault: 'connectivityRestored'; dataLost?: boolean }
  | { fault: 'restart'; durationMinutes?: number }
  | { fault: 'rejectOrders'; reason?: string }
  | { fault: 'acceptOrders' }
  | { fault: 'quotes'; mode: QuoteFaultMode | 'normal'; target?: QuoteFaultTarget }
  | { fault: 'partialFills'; neverComplete: boolean }
  | { fault: 'slow'; delayMs: number }
  /** ORDER_STATUS (with the fill quantities) reaches the client this long after its OPEN_ORDER. */
  | { fault: 'orderStatusLag'; delayMs: number }
  /**
   * As for an account without a real-time subscription: each new market-data request gets warning 10167
   * ("Displaying delayed market data"), MARKET_DATA_TYPE 3 and delayed ticks (66–76, 80–83).
   */
  | { fault: 'delayedData'; on: boolean }
  /** The underlying gaps by `pct` percent (its options follow); `volBump` raises its log-volatility. */
  | { fault: 'priceShock'; symbol: string; pct: number; volBump?: number }
  /**
   * OCC assigns every short in-the-money option of `symbol` now, as an early exercise by the holder
   * would; `conId` narrows it to one contract, `quantity` to that many contracts in all.
   */
  | { fault: 'earlyAssignment'; symbol: string; conId?: number; quantity?: number }
  /**
   * IB Gateway restarted cold and waits for its second factor: every client is dropped and the API port
   * refuses connections until `loginApproved` (the trader approved the IBKR Mobile notification).
   */
  | { fault: 'loginPending' }
  | { fault: 'loginApproved' };

export interface ScheduledFault {
  /** Simulated epoch ms; undefined = at start. */
  at?: number;
  action: FaultAction;
}

/** IB's nightly reset window lasts a while; half an hour unless a script says otherwise. */
export const DEFAULT_RESTART_MINUTES = 30;

const nyDateTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'at must be YYYY-MM-DDTHH:mm (New York time)');

const actionSchema = z.discriminatedUnion('fault', [
  z.object({ fault: z.literal('disconnect') }),
  z.object({ fault: z.literal('connectivityLost') }),
  z.object({ fault: z.literal('connectivityRestored'), dataLost: z.boolean().optional() }),
  z.object({ fault: z.literal('restart'), durationMinutes: z.number().positive().optional() }),
  z.object({ fault: z.literal('rejectOrders'), reason: z.string().optional() }),
  z.object({ fault: z.literal('acceptOrders') }),
  z.object({
    fault: z.literal('quotes'),
    mode: z.enum(['stale', 'missing', 'sentinel', 'normal']),
    target: z.union([z.number().int(), z.string()]).optional(),
  }),
  z.object({ fault: z.literal('partialFills'), neverComplete: z.boolean() }),
  z.object({ fault: z.literal('slow'), delayMs: z.number().nonnegative() }),
  z.object({ fault: z.literal('orderStatusLag'), delayMs: z.number().nonnegative() }),
  z.object({ fault: z.literal('delayedData'), on: z.boolean() }),
  z.object({
    fault: z.literal('priceShock'),
    symbol: z.string().min(1),
    pct: z.number().gt(-100, 'pct must be above -100'),
    volBump: z.number().min(-2).max(2).optional(),
  }),
  z.object({
    fault: z.literal('earlyAssignment'),
    symbol: z.string().min(1),
    conId: z.number().int().positive().optional(),
    quantity: z.number().int().positive().optional(),
  }),
  z.object({ fault: z.literal('loginPending') }),
  z.object({ fault: z.literal('loginApproved') }),
]);

const scriptSchema = z.array(z.intersection(z.object({ at: nyDateTime.optional() }), actionSchema));

/** Converts `YYYY-MM-DDTHH:mm` New York time to epoch ms. */
export function nyDateTimeToEpoch(text: string): number {
  const [date, hhmm] = text.split('T') as [string, string];
  return nyTimeToEpoch(date, hhmm);
}

/** Validates a fault script (already JSON-parsed); throws with a readable message when it is wrong. */
export function parseFaultScript(json: unknown): ScheduledFault[] {
  const parsed = scriptSchema.safeParse(json);
  if (!parsed.success) {
    // A trader writes these by hand: name the entry as they count it (1-based) and the field.
    const issues = parsed.error.issues.map((i) => {
      const [entry, ...field] = i.path;
      if (typeof entry !== 'number') return `expected a JSON list of faults (${i.message})`;
      const where = `entry ${entry + 1}`;
      return field.length > 0
        ? `${where}, field "${field.join('.')}": ${i.message}`
        : `${where}: ${i.message}`;
    });
    throw new Error(`invalid fault script: ${[...new Set(issues)].join('; ')}`);
  }
  return parsed.data.map((entry) => {
    const { at, ...action } = entry;
    return { at: at === undefined ? undefined : nyDateTimeToEpoch(at), action: action as FaultAction };
  });
}
