// The simulated broker's state and vocabulary: accounts with their positions, orders with their leg
// fills, executions and settlements (all plain JSON, so the engine can save and restore it), what the
// broker needs from the market, and the constants of its fill and commission rules (see broker.ts).
import type { SimAction, SimCommissionReport, SimContract, SimExecution, SimOrderState } from '../engine-api';
import type { BaseContract } from './instruments';

/** Contracts per fill for larger orders. */
export const CHUNK = 5;
export const MIN_COMMISSION_PER_EXECUTION = 1;
export const STOCK_COMMISSION_PER_SHARE = 0.005;
/** Probability per minute of a fill for a limit exactly at mid; rises linearly to 1 at natural. */
export const FILL_PROBABILITY_AT_MID = 0.1;
export const EPS = 1e-9;

export interface PositionRecord {
  contract: BaseContract;
  position: number;
  /** Signed dollars: paid (+) for longs, received (−) for shorts, commissions included. */
  costBasis: number;
  /** Realised P&L of this contract since the start, dollars. */
  realizedPnl: number;
}

export interface AccountState {
  id: string;
  cash: number;
  realizedPnl: number;
  /** Keyed by conId (as a string: JSON object keys). */
  positions: Record<string, PositionRecord>;
}

export interface LegFill {
  shares: number;
  value: number;
}

export interface OrderRecord extends SimOrderState {
  placedAt: number;
  /** Per leg conId: shares filled and their total value, for cumQty/avgPrice in leg executions. */
  legFills: Record<string, LegFill>;
}

export interface SettlementRecord {
  account: string;
  conId: number;
  localSymbol: string;
  kind: 'expired' | 'exercised' | 'assigned';
  /** Option contracts settled (signed: negative for a short). */
  quantity: number;
  /** Shares delivered (+ bought, − sold) at the strike; 0 when the option expired worthless. */
  stockQuantity: number;
  strike: number;
  settlementPrice: number;
  realizedPnl: number;
  time: number;
}

export interface BrokerState {
  accounts: Record<string, AccountState>;
  orders: Record<string, OrderRecord>;
  executions: { execution: SimExecution; commission: SimCommissionReport }[];
  settlements: SettlementRecord[];
  nextPermId: number;
  nextExecSeq: number;
  rejection?: string;
  partialFillsNeverComplete: boolean;
}

export interface LegQuote {
  bid: number;
  ask: number;
}

/** What the broker needs from the market. */
export interface BrokerMarket {
  contract(conId: number): BaseContract | undefined;
  withHours(contract: BaseContract): SimContract;
  /** Unfaulted quote used for fills and marks (faults change what clients see, not the market). */
  legQuote(conId: number): LegQuote | undefined;
  /** Whether the contract trades at `at` (options until 16:15, stock until 16:00). */
  tradable(contract: BaseContract, at: number): boolean;
  /** Spot of an underlying, for margin. */
  spot(symbol: string): number;
  underlyingContract(symbol: string): BaseContract | undefined;
  seed: number;
  commissionPerContract: number;
}

export interface Leg {
  contract: BaseContract;
  ratio: number;
  /** The leg's action when the combo is BOUGHT. */
  action: SimAction;
}

export interface ComboPrices {
  mid: number;
  /** Natural price for the order's direction. */
  natural: number;
  legs: { leg: Leg; mid: number; natural: number; sign: number }[];
}

export function isWorking(order: SimOrderState): boolean {
  return order.status === 'PreSubmitted' || order.status === 'Submitted' || order.status === 'PendingSubmit';
}

export function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

export function clean(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export function newBrokerState(accountId: string, initialCash: number): BrokerState {
  return {
    accounts: { [accountId]: { id: accountId, cash: initialCash, realizedPnl: 0, positions: {} } },
    orders: {},
    executions: [],
    settlements: [],
    nextPermId: 1_000_000_001,
    nextExecSeq: 1,
    partialFillsNeverComplete: false,
  };
}

export function publicOrder(order: OrderRecord): SimOrderState {
  const out: SimOrderState = {
    request: structuredClone(order.request),
    permId: order.permId,
    status: order.status,
    filled: order.filled,
    remaining: order.remaining,
    avgFillPrice: order.avgFillPrice,
    lastFillPrice: order.lastFillPrice,
  };
  if (order.rejectReason !== undefined) out.rejectReason = order.rejectReason;
  return out;
}
