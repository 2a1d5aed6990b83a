// The persistence ports the jobs depend on. Jobs receive these interfaces (built once per container by
// `createDynamoStores`), never a DynamoDB client, so a job's logic can be read without the storage
// details and the storage can be tested on its own against DynamoDB Local.
//
// Every record carries what an operator needs to ask "why": who wrote it, when, and for decisions the
// rule number, rule name, reason and the numbers the rule saw.
import type { Config } from '#core/config';
import type { DecisionAction } from '#core/decision';
import type { OrderIntent, OrderIntentRecord, OrderIntentStatus } from '#core/intents';
import type { FillSummary } from '#core/lifecycle';
import type { AlertSeverity, IsoDate, RealisedEntry, RealisedKind, StrategyPosition } from '#core/types';
import type { CandidateStore } from './ports/candidates';

// ---------------------------------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------------------------------

/** One config item per section: `trading`, `universe`, `filters`, ... (the top-level keys of Config). */
export type ConfigSection = keyof Config;

export interface ConfigStore {
  /**
   * Reads every section item and validates the whole config with the core's schema. A corrupt item
   * (bad value, unknown field, unknown section, unparseable JSON) throws ConfigError naming
   * `section.field`; missing sections take their defaults. Never falls back silently.
   */
  loadConfig(): Promise<Config>;
  /** Validates `value` as the section (throws ConfigError naming `section.field`), then writes it. */
  saveSection(
    section: ConfigSection,
    value: unknown,
    options: { now: number; updatedBy?: string },
  ): Promise<void>;
  /** Writes the defaults of every section that has no item yet; returns the sections written. */
  seedDefaults(options: { now: number }): Promise<ConfigSection[]>;
}

// ---------------------------------------------------------------------------------------------------
// Positions
// ---------------------------------------------------------------------------------------------------

export type PositionStatus = 'OPEN' | 'CLOSED';

/** Where a position came from: opened by this system, or found at IB by position-sync. */
export type PositionSource = 'SYSTEM' | 'EXTERNAL';

export interface PositionRecord extends StrategyPosition {
  status: PositionStatus;
  source: PositionSource;
  /** Optimistic-concurrency counter: every write must name the version it read. Starts at 1. */
  version: number;
  /** Order intent key (IB orderRef) of the opening order, when this system opened it. */
  openIntentKey?: string;
  updatedAt: number;
  /** Epoch ms of the closing fill (or of the sync that found it gone). */
  closedAt?: number;
  /** Why it closed: the rule that fired, "closed outside the system", "assigned", ... */
  closeReason?: string;
  closeIntentKey?: string;
  /** Realised P&L of the whole position in dollars, net of commissions: the sum of `realised`. */
  realisedPnlUsd?: number;
  /**
   * Every realisation of P&L, oldest first, appended in the same write that realised it (absent on
   * items written before the ledger existed: none recorded).
   */
  realised?: RealisedEntry[];
}

export interface PositionStore {
  get(id: string): Promise<PositionRecord | undefined>;
  /** Every position with this status, oldest opening first; pages through the index. */
  listByStatus(status: PositionStatus): Promise<PositionRecord[]>;
  listOpen(): Promise<PositionRecord[]>;
  /**
   * Records a position found outside an order intent (position-sync: opened outside the system).
   * Conditional put: returns `{ created: false, existing }` when the id is taken.
   */
  create(
    position: StrategyPosition,
    options: { source: PositionSource; now: number },
  ): Promise<{ created: true; position: PositionRecord } | { created: false; existing: PositionRecord }>;
  /**
   * Replaces an open position's legs, quantity, commissions (position-sync), conditional on the version
   * the caller read; throws VersionConflictError when someone else wrote first. `realised` (say an
   * assignment that removed a leg while the position stays open) is appended to the ledger and added to
   * `realisedPnlUsd` in the same write.
   */
  update(
    position: StrategyPosition,
    options: {
      expectedVersion: number;
      now: number;
      realised?: { usd: number; kind: RealisedKind; ref?: string };
    },
  ): Promise<PositionRecord>;
  /**
   * In ONE transaction: puts the new OPEN position (fails if the id exists) and marks the intent as
   * applied with its fill (fails unless the intent is SUBMITTED/PARTIAL/FILLED and not yet applied).
   * Nothing is written when either condition fails: throws IntentConflictError or PositionConflictError.
   */
  openFromFill(input: {
    intentKey: string;
    position: StrategyPosition;
    fill: FillSummary;
    now: number;
  }): Promise<{ position: PositionRecord; intent: OrderIntentRecord }>;
  /**
   * In ONE transaction: closes the OPEN position (reason; `realisedPnlUsd` = what this fill realised,
   * added to earlier partial closes and appended to the ledger as CLOSE) and marks the closing intent as
   * applied. Same all-or-nothing guarantees as openFromFill.
   */
  closeFromFill(input: {
    intentKey: string;
    positionId: string;
    fill: FillSummary;
    realisedPnlUsd: number;
    reason: string;
    now: number;
  }): Promise<{ position: PositionRecord; intent: OrderIntentRecord }>;
  /**
   * In ONE transaction: shrinks the OPEN position by the contracts a closing order filled before it was
   * cancelled (legs scaled, realised P&L added and appended to the ledger as PARTIAL_CLOSE) and marks
   * that intent as applied, so a
   * crash can neither lose the partial close nor apply it twice. Conditional on the version read.
   */
  reduceFromFill(input: {
    intentKey: string;
    positionId: string;
    expectedVersion: number;
    fill: FillSummary;
    realisedPnlUsd: number;
    now: number;
  }): Promise<{ position: PositionRecord; intent: OrderIntentRecord }>;
  /**
   * Closes an OPEN position without an order of ours (closed outside the system, expired, assigned).
   * Conditional on status OPEN: throws PositionConflictError otherwise. `realisedPnlUsd` is what this
   * close realised (added to earlier partial closes), recorded as a ledger entry of `kind` (default
   * EXTERNAL); without it nothing is recorded as realised (the P&L is unknown).
   */
  markClosed(
    id: string,
    input: { reason: string; realisedPnlUsd?: number; now: number; kind?: RealisedKind; ref?: string },
  ): Promise<PositionRecord>;
}

// ---------------------------------------------------------------------------------------------------
// Order intents (the orders table). The intent key is the IB orderRef.
// ---------------------------------------------------------------------------------------------------

// The intents themselves and their state machine are the core's (functions/core/intents.ts).

export interface IntentTransition {
  /** The status the caller believes the intent is in; the write fails if it is not. */
  from: OrderIntentStatus | readonly OrderIntentStatus[];
  to: OrderIntentStatus;
  now: number;
  orderId?: number;
  filledQuantity?: number;
  avgFillPrice?: number;
  reason?: string;
}

export interface OrderIntentStore {
  /**
   * Conditional put (`attribute_not_exists`): the one place an order is born. A retried or doubled
   * invocation gets `{ created: false, existing }` and must not place anything new.
   */
  create(
    intent: OrderIntent,
    now: number,
  ): Promise<{ created: true; intent: OrderIntentRecord } | { created: false; existing: OrderIntentRecord }>;
  get(key: string): Promise<OrderIntentRecord | undefined>;
  /**
   * Moves the intent from `from` to `to`, conditional on the current status. Throws IntentConflictError
   * (with the actual status) on a race, IntentNotFoundError when there is no such intent, and
   * InvalidTransitionError (before writing) for a move INTENT_TRANSITIONS does not allow.
   */
  transition(key: string, change: IntentTransition): Promise<OrderIntentRecord>;
  /** Records a new limit price of a working order (SUBMITTED or PARTIAL); counts reprices. */
  recordReprice(key: string, input: { limitPrice: number; now: number }): Promise<OrderIntentRecord>;
  /** Every intent of a trade date, oldest first. */
  listByTradeDate(tradeDate: IsoDate): Promise<OrderIntentRecord[]>;
  /** Every intent for a position (opening and closing), oldest first. */
  listByPosition(positionId: string): Promise<OrderIntentRecord[]>;
  /** Intents that may still be live: INTENT, SUBMITTED, PARTIAL (any trade date), oldest first. */
  listWorking(): Promise<OrderIntentRecord[]>;
}

// ---------------------------------------------------------------------------------------------------
// Candidates (./ports/candidates)
// ---------------------------------------------------------------------------------------------------

export type {
  ArchivedCandidate,
  ArchivedCandidateRow,
  CandidateArchiveChunk,
  CandidateArchiveEncoder,
  CandidateRecord,
  CandidateReevaluation,
  CandidateStore,
} from './ports/candidates';

// ---------------------------------------------------------------------------------------------------
// Snapshots: P&L per position, decisions, collected market data
// ---------------------------------------------------------------------------------------------------

export interface PnlSnapshot {
  positionId: string;
  at: number;
  tradeDate: IsoDate;
  /** Unrealised dollars at mid and at natural (worst-case) close. */
  unrealisedMidUsd: number;
  unrealisedNaturalUsd: number;
  /** Per-share cost to close one spread. */
  closeCostMid: number;
  closeCostNatural: number;
  pctOfMaxProfit: number;
  underlyingPrice?: number;
}

/** A decision-engine result as stored; the core's `Decision` (decision.ts) fits its fields. */
export interface DecisionRecord {
  positionId: string;
  at: number;
  tradeDate: IsoDate;
  action: DecisionAction;
  /** 1–12, or 0 when no rule matched. */
  rule: number;
  ruleName: string;
  urgent: boolean;
  reason: string;
  /** Every number the rule looked at. Non-finite numbers round-trip (stored as "NaN", "Infinity"). */
  inputs: Record<string, number | string | boolean>;
  alert?: { severity: AlertSeverity; reason: string };
  /** The exit order intent this decision produced, if any. */
  intentKey?: string;
}

/** MARKET_CONTEXT: per underlying, the day's HV20 / IV rank / trend from load-historical-data. */
export type MarketDataKind = 'OPTION_METRICS' | 'FUTURE_QUOTE' | 'MARKET_CONTEXT';

export interface MarketDataSnapshot {
  kind: MarketDataKind;
  /** Underlying (SPY) or future (ES front month, e.g. ESZ5). */
  symbol: string;
  at: number;
  tradeDate: IsoDate;
  /** The collected figures (ATM IV, skew, volume, bid/ask/last, ...). */
  data: Record<string, number | string | boolean | null>;
}

export interface TimeRange {
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, inclusive. */
  to?: number;
}

export interface SnapshotStore {
  putPnl(snapshot: PnlSnapshot): Promise<void>;
  putDecision(decision: DecisionRecord): Promise<void>;
  /** Batch write (25 per batch, unprocessed items retried). */
  putMarketData(snapshots: readonly MarketDataSnapshot[]): Promise<void>;
  listPnl(positionId: string, range?: TimeRange): Promise<PnlSnapshot[]>;
  listDecisions(positionId: string, range?: TimeRange): Promise<DecisionRecord[]>;
  latestDecision(positionId: string): Promise<DecisionRecord | undefined>;
  listMarketData(kind: MarketDataKind, symbol: string, range?: TimeRange): Promise<MarketDataSnapshot[]>;
  /** Everything of one kind recorded on a trade date, oldest first (daily statistics, data quality). */
  listPnlByDay(tradeDate: IsoDate): Promise<PnlSnapshot[]>;
  listDecisionsByDay(tradeDate: IsoDate): Promise<DecisionRecord[]>;
  listMarketDataByDay(kind: MarketDataKind, tradeDate: IsoDate): Promise<MarketDataSnapshot[]>;
}

// ---------------------------------------------------------------------------------------------------
// Alert state
// ---------------------------------------------------------------------------------------------------

export interface AlertStateRecord {
  /** Position + rule + severity family, e.g. `SPY:BULL_PUT:...:rule12`. */
  key: string;
  severity: AlertSeverity;
  lastSentAt: number;
  sentCount: number;
}

export type AlertClaim = { claimed: true } | { claimed: false; current: AlertStateRecord };

export interface AlertStateStore {
  /**
   * Claims the right to send alert `key` now. Conditional update, so of two concurrent monitors only
   * one wins. Succeeds when there is no record, the last send is at least `cooldownMinutes` old, or
   * `severity` is higher than the last one sent.
   */
  tryClaimAlert(
    key: string,
    severity: AlertSeverity,
    now: number,
    cooldownMinutes: number,
  ): Promise<AlertClaim>;
  get(key: string): Promise<AlertStateRecord | undefined>;
  /** Forgets the alert (the condition cleared), so its next occurrence is sent at once. */
  clear(key: string): Promise<void>;
  /**
   * Epoch ms since when condition `key` has held: records `now` the first time, returns the stored
   * time afterwards (e.g. how long the data guard has been holding a position). `clear` resets it.
   */
  holdingSince(key: string, now: number): Promise<number>;
}

export interface Stores {
  config: ConfigStore;
  positions: PositionStore;
  intents: OrderIntentStore;
  candidates: CandidateStore;
  snapshots: SnapshotStore;
  alerts: AlertStateStore;
}

// ---------------------------------------------------------------------------------------------------
// Errors (./ports/store-errors): typed so a job can tell "someone else got there first" from a broken store.
// ---------------------------------------------------------------------------------------------------

export {
  IntentConflictError,
  IntentNotFoundError,
  InvalidTransitionError,
  PositionConflictError,
  StoreConflictError,
  VersionConflictError,
} from './ports/store-errors';
