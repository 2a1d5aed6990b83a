// What the server needs of the engine: the SimEngine API plus the fault hooks and views an engine may
// offer (the server falls back to its own handling where sensible). Shared by every request module.

import type { SimEngine, SimOrderState } from '../engine-api';
import type { QuoteFaultMode, QuoteFaultTarget } from './faults';

/** Fault hooks and views the engine may offer; the server falls back to its own handling where sensible. */
export interface EngineFaultHooks {
  completedOrders?(): SimOrderState[];
  setQuoteFault?(target: QuoteFaultTarget, mode: QuoteFaultMode | undefined): void;
  setOrderRejection?(reason: string | undefined): void;
  setPartialFillsNeverComplete?(neverComplete: boolean): void;
  setTime?(ms: number): void;
  shockPrice?(symbol: string, returnPct: number, volLogBump?: number): void;
  assignEarly?(symbol: string, narrow?: { conId?: number; quantity?: number }): unknown;
}

export type ServerEngine = SimEngine & EngineFaultHooks;
