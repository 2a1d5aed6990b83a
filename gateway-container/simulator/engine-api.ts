// The contract between the simulator's market/broker engine (no sockets) and its TWS-protocol
// server (sockets, framing, limits, faults). The server translates wire messages into these calls
// and engine events into wire messages; the engine never knows about request ids or encodings.

export type SimSecType = 'STK' | 'OPT' | 'FUT' | 'IND' | 'BAG';
export type SimRight = 'C' | 'P';
export type SimAction = 'BUY' | 'SELL';

export interface SimContract {
  conId: number;
  symbol: string;
  secType: Exclude<SimSecType, 'BAG'>;
  /** `YYYYMMDD` for options and futures, empty otherwise. */
  lastTradeDate: string;
  strike: number;
  right?: SimRight;
  multiplier: number;
  exchange: string;
  primaryExchange: string;
  currency: string;
  localSymbol: string;
  tradingClass: string;
  /** Underlying conId for options and futures. */
  underlyingConId?: number;
  minTick: number;
  longName: string;
  timeZoneId: string;
  /** IB's format, e.g. `20261123:0930-20261123:1600;20261124:0930-...` or `20261126:CLOSED`. */
  tradingHours: string;
  liquidHours: string;
}

/** A quote as the market would tick it. Absent fields are not ticked. */
export interface SimQuote {
  bid?: number;
  ask?: number;
  last?: number;
  bidSize?: number;
  askSize?: number;
  lastSize?: number;
  volume?: number;
  high?: number;
  low?: number;
  close?: number;
  openInterest?: number;
  /** Options only: model computation. */
  greeks?: {
    impliedVol: number;
    delta: number;
    gamma: number;
    vega: number;
    theta: number;
    optPrice: number;
    pvDividend: number;
    undPrice: number;
  };
  /** Epoch ms of the market state the quote belongs to. */
  time: number;
}

export interface SimBar {
  /** `YYYYMMDD` */
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  wap: number;
  barCount: number;
}

export interface SimOptionParams {
  exchange: string;
  underlyingConId: number;
  tradingClass: string;
  multiplier: number;
  /** `YYYYMMDD`, ascending. */
  expirations: string[];
  strikes: number[];
}

export interface SimComboLeg {
  conId: number;
  ratio: number;
  action: SimAction;
}

export interface SimOrderRequest {
  orderId: number;
  clientId: number;
  account: string;
  /** For a single-leg order the contract's conId; for a combo, secType BAG with legs. */
  contract: { secType: SimSecType; conId?: number; symbol: string; legs?: SimComboLeg[] };
  action: SimAction;
  quantity: number;
  orderType: 'LMT' | 'MKT';
  /** IB semantics: a combo's price is the signed sum of its legs' prices (BUY legs +, SELL legs −). */
  limitPrice?: number;
  tif: string;
  orderRef: string;
  transmit: boolean;
  whatIf: boolean;
}

export type SimOrderStatus =
  'PendingSubmit' | 'PreSubmitted' | 'Submitted' | 'Filled' | 'Cancelled' | 'Inactive' | 'ApiCancelled';

export interface SimOrderState {
  request: SimOrderRequest;
  permId: number;
  status: SimOrderStatus;
  filled: number;
  remaining: number;
  avgFillPrice: number;
  lastFillPrice: number;
  /** Set when IB would reject it (error 201 with this reason). */
  rejectReason?: string;
}

export interface SimWhatIf {
  initMarginBefore: number;
  maintMarginBefore: number;
  equityWithLoanBefore: number;
  initMarginChange: number;
  maintMarginChange: number;
  equityWithLoanChange: number;
  initMarginAfter: number;
  maintMarginAfter: number;
  equityWithLoanAfter: number;
  commission: number;
}

export interface SimExecution {
  execId: string;
  orderId: number;
  clientId: number;
  permId: number;
  account: string;
  /** The leg's (or the BAG's) contract. */
  contract: SimContract | { conId: number; symbol: string; secType: 'BAG' };
  /** `BOT` or `SLD`, as IB reports sides. */
  side: 'BOT' | 'SLD';
  shares: number;
  price: number;
  cumQty: number;
  avgPrice: number;
  orderRef: string;
  /** Epoch ms. */
  time: number;
}

export interface SimCommissionReport {
  execId: string;
  commission: number;
  currency: string;
  /** Absent when IB has no value (the wire sends 1.7976931348623157E308). */
  realizedPnl?: number;
}

export interface SimPosition {
  account: string;
  contract: SimContract;
  position: number;
  avgCost: number;
}

export interface SimAccountSummary {
  account: string;
  netLiquidation: number;
  buyingPower: number;
  availableFunds: number;
  excessLiquidity: number;
  totalCashValue: number;
  initMarginReq: number;
  maintMarginReq: number;
  realizedPnl: number;
  unrealizedPnl: number;
}

/** Events the engine emits; the server turns them into ORDER_STATUS, OPEN_ORDER, EXECUTION_DATA, ... */
export type SimEngineEvent =
  | { type: 'orderStatus'; order: SimOrderState }
  | { type: 'execution'; execution: SimExecution }
  | { type: 'commission'; report: SimCommissionReport }
  | { type: 'positionChanged'; position: SimPosition }
  | { type: 'orderRejected'; orderId: number; code: number; reason: string };

/** The engine behind the wire: market, clock and broker. Implemented in `engine/`. */
export interface SimEngine {
  /** Simulated wall-clock time, epoch ms. */
  now(): number;
  /** Moves simulated time forward, evolving prices and trying to fill working orders. */
  advance(ms: number): void;
  /** Whether the underlying market is in its regular session at `now()`. */
  isMarketOpen(): boolean;

  accounts(): string[];
  contractById(conId: number): SimContract | undefined;
  /** Contracts matching a (partial) description; empty means error 200 on the wire. */
  findContracts(query: {
    conId?: number;
    symbol?: string;
    secType?: string;
    lastTradeDate?: string;
    strike?: number;
    right?: string;
    exchange?: string;
  }): SimContract[];
  optionParams(underlyingSymbol: string): SimOptionParams[];

  quote(conId: number): SimQuote | undefined;
  dailyBars(conId: number, days: number, what: 'TRADES' | 'OPTION_IMPLIED_VOLATILITY' | 'MIDPOINT'): SimBar[];

  placeOrder(request: SimOrderRequest): SimOrderState | SimWhatIf;
  modifyOrder(request: SimOrderRequest): SimOrderState;
  cancelOrder(orderId: number): SimOrderState | undefined;
  openOrders(clientId?: number): SimOrderState[];
  executions(filter?: { clientId?: number; account?: string; sinceMs?: number; symbol?: string }): {
    execution: SimExecution;
    commission: SimCommissionReport;
  }[];
  positions(account?: string): SimPosition[];
  accountSummary(account: string): SimAccountSummary;

  onEvent(listener: (event: SimEngineEvent) => void): () => void;

  /** Whole state as JSON (clock, prices, orders, positions, cash, executions) and back. */
  saveState(): unknown;
  loadState(state: unknown): void;
}
