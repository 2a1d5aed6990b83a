// Order intents: what a job decided to send, written before anything reaches IB, and the states the
// order then moves through. Pure data and the state machine; the orders table (adapters) enforces it.
import type { OrderPurpose } from './orders';
import type { IsoDate, OptionContract, Side, StrategyKind } from './types';

export type OrderIntentStatus =
  'INTENT' | 'SUBMITTED' | 'PARTIAL' | 'FILLED' | 'CANCELLED' | 'REJECTED' | 'DRY_RUN';

/** The moves an intent may make; anything else is a bug in the caller and is refused before writing. */
export const INTENT_TRANSITIONS: Readonly<Record<OrderIntentStatus, readonly OrderIntentStatus[]>> = {
  // CANCELLED/REJECTED straight from INTENT: the run decided not to place it (kill switch, what-if).
  INTENT: ['SUBMITTED', 'DRY_RUN', 'CANCELLED', 'REJECTED'],
  // FILLED/CANCELLED straight from SUBMITTED: the order filled or was cancelled before any partial.
  SUBMITTED: ['PARTIAL', 'FILLED', 'CANCELLED', 'REJECTED'],
  // PARTIAL → PARTIAL records a larger filled quantity.
  PARTIAL: ['PARTIAL', 'FILLED', 'CANCELLED'],
  FILLED: [],
  CANCELLED: [],
  REJECTED: [],
  DRY_RUN: [],
};

/** Statuses in which an order may still be (or become) live at IB. */
export const WORKING_STATUSES: readonly OrderIntentStatus[] = ['INTENT', 'SUBMITTED', 'PARTIAL'];

export interface OrderIntentLeg {
  contract: OptionContract;
  action: Side;
  ratio: number;
}

/** What the job decided to send, written before anything reaches IB. */
export interface OrderIntent {
  /** Deterministic key (core `intentKey`), also the IB orderRef. */
  intentKey: string;
  tradeDate: IsoDate;
  purpose: OrderPurpose;
  strategy: StrategyKind;
  symbol: string;
  /** The candidate an opening order comes from. */
  candidateId?: string;
  /** The position a closing order is for, or the id the opening order's position will take. */
  positionId?: string;
  legs: OrderIntentLeg[];
  /** Combo action. */
  action: Side;
  quantity: number;
  /** Limit price per share, in the bridge's sign convention. */
  limitPrice: number;
  dryRun: boolean;
  /** Why this order: "score 82.5 ≥ 70", "rule 8 profit target: 52% of max profit ≥ 50%". */
  reason: string;
  /** Decision rule number for exits. */
  rule?: number;
  /** Job that wrote the intent. */
  createdBy: string;
  /**
   * A CLOSE_HOLDING order: the one instrument it trades (shares or an orphaned option leg of the
   * position), what it does to it and how many shares or contracts. Shares have no option `legs`.
   */
  holding?: { kind: 'STOCK' | 'OPTION'; conId: number; action: Side; quantity: number };
}

export interface IntentHistoryEntry {
  status: OrderIntentStatus;
  at: number;
  reason?: string;
  orderId?: number;
  filledQuantity?: number;
}

export interface OrderIntentRecord extends OrderIntent {
  status: OrderIntentStatus;
  createdAt: number;
  updatedAt: number;
  /** IB order id, set on SUBMITTED. */
  orderId?: number;
  filledQuantity: number;
  avgFillPrice?: number;
  repriceCount: number;
  /** Reason of the last status change (IB's reject text, "cancelled after 3 reprices", ...). */
  statusReason?: string;
  /** Every status change in order, oldest first. */
  history: IntentHistoryEntry[];
  /** Set when the fill was applied to a position (openFromFill / closeFromFill). */
  appliedAt?: number;
  appliedPositionId?: string;
}
