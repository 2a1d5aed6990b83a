// The summary's contract: what a simulated trading day did, as one JSON document (out/summary.json) that
// the HTML report and the tests read, and a run of one or many days. Everything in it comes from the
// records the jobs wrote (DynamoDB) and from the simulator's own view of the broker (orders, positions,
// account), side by side, so they can be compared. Built by day-records.ts (a local day, with the
// simulator) and stored-report.ts (the deployed stack's tables alone); record-views.ts shapes each record.
import { nyClockTime } from '#core/calendar';
import type { JobName } from '#core/config';
import type { AlertSeverity, IsoDate, RealisedKind, ScoreBreakdown } from '#core/types';
import type { CandidateReevaluation, PnlSnapshot } from '#adapters/ports';
import type { PublishedAlert } from '../local/stack';

/** How one job run ended, as the day runner judges it. */
export type RunStatus =
  | 'ran'
  | 'skipped'
  /** The job's handler file does not exist yet. */
  | 'not-available'
  /** Returned ok: false with an error: bad payload or invalid config; nothing was done. */
  | 'refused'
  /** Finished but returned ok: false: something needs an operator (a rejected order, a mismatch). */
  | 'needs-attention'
  /** The handler threw. */
  | 'failed';

export interface RunRecord {
  /** Simulated instant the run started, epoch ms, and the same as New York HH:MM. */
  at: number;
  time: string;
  job: JobName;
  trigger: 'schedule' | 'event' | 'manual';
  /** What the run was for: "pre-market", "event: OrderFilled ×2". */
  label?: string;
  status: RunStatus;
  did?: string;
  skipped?: string;
  error?: string;
  counts?: Record<string, number>;
  reasons?: string[];
  /** Real ms the handler took. */
  elapsedMs: number;
  /** The bridge's IB connection state when the run started. */
  bridge?: string;
  /** Set when a failure was expected by the scenario (e.g. a data job while the gateway is down). */
  tolerated?: string;
}

export interface CandidateView {
  id: string;
  strategy: string;
  symbol: string;
  expiry: string;
  dte: number;
  strikes: string;
  width: number;
  creditMid: number;
  maxLossUsd: number;
  pop: number;
  score: number;
  breakdown: ScoreBreakdown;
  eligible: boolean;
  rejections: string[];
}

/** Execution's second look at a candidate: re-scored on fresh quotes, placed or refused, and why. */
export interface ReevaluationView extends CandidateReevaluation {
  time: string;
  candidateId: string;
}

export interface OrderView {
  intentKey: string;
  purpose: string;
  strategy: string;
  symbol: string;
  status: string;
  action: string;
  quantity: number;
  filledQuantity: number;
  limitPrice: number;
  avgFillPrice?: number;
  orderId?: number;
  repriceCount: number;
  dryRun: boolean;
  reason: string;
  rule?: number;
  statusReason?: string;
  createdAt: number;
}

export interface PositionView {
  id: string;
  strategy: string;
  symbol: string;
  expiry: string;
  status: string;
  source: string;
  quantity: number;
  entryCredit: number;
  width: number;
  legs: { conId?: number; right: string; strike: number; expiry: string; quantity: number }[];
  /** Everything the position owns at IB by conId: spread legs, orphaned legs, assigned shares. */
  holdings: { conId: number; quantity: number }[];
  openedAt: number;
  closedAt?: number;
  closeReason?: string;
  realisedPnlUsd?: number;
  /** The last P&L snapshot of the day. */
  lastPnl?: Pick<
    PnlSnapshot,
    'at' | 'unrealisedMidUsd' | 'unrealisedNaturalUsd' | 'pctOfMaxProfit' | 'underlyingPrice'
  >;
  /** Decisions of the day: how many per rule, and every one that was not a plain HOLD. */
  decisionsByRule: Record<string, number>;
  /**
   * The day's P&L path (realised so far + unrealised at mid), one point per P&L snapshot, oldest first;
   * the report joins the days of a position into its line from entry to exit. On the day it closed, a
   * last point at the close carries what it realised in all.
   */
  pnlPath?: { at: number; pnlUsd: number }[];
  /** What closed it, in the words of `closesByRule` ("profit target", "expiry", ...), for the chart marker. */
  closedBy?: string;
  notableDecisions: DecisionView[];
  lastDecision?: DecisionView;
}

export interface DecisionView {
  at: number;
  time: string;
  action: string;
  rule: number;
  ruleName: string;
  reason: string;
  inputs: Record<string, number | string | boolean>;
  intentKey?: string;
  alert?: { severity: AlertSeverity; reason: string };
}

export interface SimulatorView {
  account: string;
  orders: {
    orderId: number;
    orderRef: string;
    action: string;
    quantity: number;
    limitPrice?: number;
    status: string;
    filled: number;
    remaining: number;
    avgFillPrice: number;
    rejectReason?: string;
    legs: number;
  }[];
  positions: { conId: number; symbol: string; localSymbol: string; position: number; avgCost: number }[];
  executions: number;
  commissionsUsd: number;
  netLiquidation: number;
  realizedPnlUsd: number;
  unrealizedPnlUsd: number;
}

export interface Expectation {
  description: string;
  status: 'met' | 'not met' | 'not checked';
  detail?: string;
}

export interface DaySummary {
  scenario: { name: string; description: string };
  seed: number;
  date: IsoDate;
  speed: number;
  /** Real time of the run. */
  startedAt: string;
  realDurationMs: number;
  /** True when every scheduled run happened and no job failed unexpectedly. */
  completed: boolean;
  /** Why the day is not a success (empty on success). */
  problems: string[];
  runs: RunRecord[];
  candidates: {
    count: number;
    eligible: number;
    minScore: number;
    top: CandidateView[];
    /** How many candidates each hard-filter reason rejected. */
    rejectionReasons: Record<string, number>;
    /** Every re-evaluation execute-strategies recorded on a candidate, oldest first. */
    reevaluations: ReevaluationView[];
    /**
     * The distribution chart's data: how many scored candidates (the archive) have each whole score,
     * index 0–100 (a score is floored). Counts, not every score: a day scores 100k+ candidates.
     */
    scoreCounts?: number[];
    /** Scored candidates at or above `minScore`, exactly (the counts above floor each score). */
    atOrAboveMinScore?: number;
    /** The candidates an opening order was placed for, with their factor breakdown. */
    chosen?: CandidateView[];
  };
  orders: OrderView[];
  orderCounts: {
    intents: number;
    placed: number;
    filled: number;
    partial: number;
    cancelled: number;
    rejected: number;
    dryRun: number;
  };
  positions: PositionView[];
  /** The day's P&L from the core's dayPnl (the figure entry check 4 and daily-statistics use). */
  pnl: {
    realisedUsd: number;
    /** Realised today by how: CLOSE, PARTIAL_CLOSE, EXPIRY, ASSIGNMENT, EXERCISE, EXTERNAL. */
    realisedByKind: Record<RealisedKind, number>;
    unrealisedMidUsd: number;
    unrealisedNaturalUsd: number;
    totalUsd: number;
  };
  simulator: SimulatorView;
  alerts: PublishedAlert[];
  alertCounts: Record<AlertSeverity, number>;
  expectations: Expectation[];
  /** The five counts checked after the day; each must be 0. */
  checks?: DayChecks;
  /** Positions closed that day by what closed them: "profit target", "DTE exit", "expiry", "assignment", ... */
  closesByRule?: Record<string, number>;
  /** The account at the day's end, for the equity curve. */
  equity?: EquityPoint;
}

/** Checked after every simulated day (and summed for a run): each must be 0. */
export interface DayChecks {
  /** Broker orders sharing an orderRef, or two broker orders for one intent. */
  duplicateOrders: number;
  /** Broker orders, executions or positions with no record in DynamoDB. */
  lostRecords: number;
  /** Legs where the system's open positions and the broker's positions differ. */
  unreconciledPositions: number;
  /** Broker option legs or shares no open position owns. */
  orphanLegs: number;
  /** |system realised P&L since the run's start − broker realised from its cash ledger|, dollars, to the cent. */
  pnlMismatchUsd: number;
  /** One line per thing counted (which order, which leg, the two P&L figures); empty when all are 0. */
  details: string[];
}

export interface EquityPoint {
  date: IsoDate;
  /** The broker's net liquidation at the day's end (absent from the AWS source when not recorded). */
  netLiquidation?: number;
  /** The system's realised P&L from the run's (or report's) first day to this day's end, dollars. */
  realisedToDateUsd: number;
  /** The broker's own figure for the same, from its cash ledger (local runs only). */
  brokerRealisedToDateUsd?: number;
  /** How far net liquidation (or, without it, realised to date) is below its running peak; ≤ 0. */
  drawdownUsd: number;
}

/** One day as the report draws it: a local day, or a day read back from the deployed tables. */
export type ReportDay = Omit<DaySummary, 'simulator' | 'runs'> &
  Partial<Pick<DaySummary, 'simulator' | 'runs'>>;

/** out/summary.json: a run of one or many trading days. One renderer for both sources. */
export interface RunSummary {
  source: 'local' | 'aws';
  scenario: { name: string; description: string };
  seed?: number;
  from: IsoDate;
  to: IsoDate;
  /** Real time of the run. */
  startedAt: string;
  realDurationMs: number;
  /** True when every day completed and every count is 0. */
  completed: boolean;
  /** Each day's problems, prefixed with its date. */
  problems: string[];
  days: ReportDay[];
  totals: Omit<DayChecks, 'details'> & {
    closesByRule: Record<string, number>;
    alertCounts: Record<AlertSeverity, number>;
    realisedUsd: number;
  };
}

export const hhmm = nyClockTime;
