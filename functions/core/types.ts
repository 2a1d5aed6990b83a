// Plain domain types shared by every part of the core. Money is in US dollars; option prices are per
// share (as quoted), and amounts for a whole position say so in their name (`...Usd`).

export type Right = 'C' | 'P';
export type Side = 'BUY' | 'SELL';
// One module per kind in strategies/; the kinds are the registered modules' (strategies/registry.ts).
export type { StrategyKind } from './strategies/registry';
import type { StrategyKind } from './strategies/registry';

/** Calendar date in New York, `YYYY-MM-DD`. */
export type IsoDate = string;

export interface OptionContract {
  symbol: string;
  /** Expiration date `YYYY-MM-DD` (IB's `lastTradeDateOrContractMonth`, first 8 characters, reformatted). */
  expiry: IsoDate;
  strike: number;
  right: Right;
  /** IB contract id, when known. */
  conId?: number;
  /** Shares per contract (100 for US equity options). */
  multiplier: number;
}

/** A validated option quote. Optional fields are absent when IB had no value (never a sentinel). */
export interface OptionQuote {
  contract: OptionContract;
  bid: number;
  ask: number;
  last?: number;
  /** Implied volatility as a decimal (0.2 = 20%). */
  iv?: number;
  delta?: number;
  gamma?: number;
  /** Per calendar day. */
  theta?: number;
  /** Per 1 vol point. */
  vega?: number;
  openInterest?: number;
  volume?: number;
  /** When the quote was observed (epoch ms). */
  timestamp: number;
  /** IB sent delayed data (no real-time subscription): never a price, a decision input or an IV source. */
  delayed?: boolean;
}

export interface UnderlyingQuote {
  symbol: string;
  price: number;
  bid?: number;
  ask?: number;
  timestamp: number;
}

export interface OptionChain {
  underlying: UnderlyingQuote;
  /** Sorted ascending. */
  expiries: IsoDate[];
  /** Sorted ascending. */
  strikes: number[];
  quotes: OptionQuote[];
}

/** Per-underlying market context used by filters and scoring. */
export interface MarketContext {
  symbol: string;
  /** 252-day IV rank, 0–100. */
  ivRank?: number;
  /** At-the-money implied volatility, decimal. */
  atmIv?: number;
  /** 20-day historical (realised) volatility, decimal. */
  hv20?: number;
  /** Where the 20-day return sits in its 1-year distribution, as a percentile 0–100. */
  trendPercentile?: number;
  /** VIX level (vol points), when known. */
  vix?: number;
  /** Next ex-dividend date and amount per share, when known. */
  nextDividend?: { exDate: IsoDate; amount: number };
  /** Earnings or other blackout dates for this underlying. */
  eventDates?: IsoDate[];
}

export interface StrategyLeg {
  contract: OptionContract;
  action: Side;
  /** Legs per one unit of the strategy (1 for every strategy here). */
  ratio: number;
  quote: OptionQuote;
}

/** A strategy built from a chain, before sizing. Per-share figures unless named `...Usd`. */
export interface Candidate {
  /** Deterministic id: symbol, strategy, expiry and strikes. */
  id: string;
  strategy: StrategyKind;
  symbol: string;
  expiry: IsoDate;
  dte: number;
  legs: StrategyLeg[];
  /** Widest wing in points (for iron condors the larger of the two). */
  width: number;
  creditMid: number;
  creditNatural: number;
  /** Per one contract of the strategy, in dollars. */
  maxProfitUsd: number;
  maxLossUsd: number;
  breakevens: number[];
  /** Probability of profit at expiry, 0–1. */
  pop: number;
  /** Expected value per one contract of the strategy, in dollars. */
  expectedValueUsd: number;
  underlyingPrice: number;
}

export interface ScoreBreakdown {
  ivRank: number;
  creditToWidth: number;
  shortDelta: number;
  liquidity: number;
  dteFit: number;
  ivHv: number;
  trendFit: number;
}

export interface ScoredCandidate extends Candidate {
  score: number;
  breakdown: ScoreBreakdown;
  /** Hard-filter reasons; empty when the candidate passed every filter. */
  rejections: string[];
  /** Why a score factor got zero for lack of data (e.g. no IV rank), when any did. */
  notes?: string[];
}

export interface PositionLeg {
  contract: OptionContract;
  /** Signed contracts held: negative for short legs. */
  quantity: number;
}

/** An open strategy position as the system tracks it. */
export interface StrategyPosition {
  id: string;
  strategy: StrategyKind;
  symbol: string;
  expiry: IsoDate;
  legs: PositionLeg[];
  /** Number of spreads (condors) held. */
  quantity: number;
  /** Credit received per share at entry (positive). */
  entryCredit: number;
  /** Widest wing in points. */
  width: number;
  /** Epoch ms of the opening fill. */
  openedAt: number;
  /** Commissions paid so far, in dollars. */
  commissionsUsd: number;
  /**
   * Option legs left over when a partner leg of theirs was assigned or exercised (the hedge of an assigned
   * short): no longer part of a whole spread, carried at a cost of 0 (see core `holdings.ts`).
   */
  orphanLegs?: PositionLeg[];
  /** Shares an assignment or exercise delivered to this position; the system closes them. */
  stock?: StockHolding;
  /** Every assignment or exercise of this position's legs, oldest first. */
  assignments?: LegAssignment[];
}

/** Shares held by a position, delivered by an assignment or exercise of its options. */
export interface StockHolding {
  symbol: string;
  /** IB contract id of the stock. */
  conId: number;
  /** Signed: positive long, negative short. */
  shares: number;
  /** Per share: the strike(s) the shares were delivered at. */
  averagePrice: number;
}

/** One option leg turned into stock: a short assigned, or a long exercised. */
export interface LegAssignment {
  /** Epoch ms the system found it (position-sync). */
  at: number;
  kind: 'ASSIGNED' | 'EXERCISED';
  contract: OptionContract;
  /** Option contracts delivered, positive. */
  contracts: number;
  strike: number;
  /** Shares delivered to the account, signed (+ bought, − sold). */
  shares: number;
  /** Cash the delivery moved, dollars, signed: −shares · strike (a put writer pays for the shares). */
  cashUsd: number;
}

/**
 * How P&L was realised: a closing fill of the whole position, a closing fill of part of it, options
 * that expired, an assignment (or our exercise) that turned a leg into stock, or a close found at IB
 * that no order of ours made.
 */
export type RealisedKind = 'CLOSE' | 'PARTIAL_CLOSE' | 'EXPIRY' | 'ASSIGNMENT' | 'EXERCISE' | 'EXTERNAL';

/** One realisation of P&L on a position, in dollars net of commissions; the day's P&L sums these by tradeDate. */
export interface RealisedEntry {
  /** Epoch ms it was recorded. */
  at: number;
  /** New York date of `at`: the trading day this P&L belongs to. */
  tradeDate: IsoDate;
  usd: number;
  kind: RealisedKind;
  /** What realised it: the closing order's intent key, the assignment's execution id, ... */
  ref?: string;
}

export type AlertSeverity = 'INFO' | 'WARNING' | 'CRITICAL';

/** Where the market stands at one instant; produced by `marketClock(at, calendar)` in calendar.ts. */
export interface MarketClock {
  /** The instant, epoch ms. */
  now: number;
  /** New York calendar date of `now`. */
  tradeDate: IsoDate;
  /** True when `tradeDate` is a trading day (not a weekend or holiday). */
  isTradingDay: boolean;
  /** True inside the regular equity session (09:30 to 16:00, or 13:00 on early closes). */
  isOpen: boolean;
  earlyClose: boolean;
  /** Epoch ms of today's open and close; absent on non-trading days. */
  openAt?: number;
  closeAt?: number;
  /** Minutes since the open (negative before it); NaN on non-trading days. */
  minutesSinceOpen: number;
  /** Minutes until the close (negative after it); NaN on non-trading days. */
  minutesToClose: number;
}
