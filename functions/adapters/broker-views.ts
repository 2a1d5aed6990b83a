// What the jobs see of the broker, in the domain's words. Jobs never import the bridge's contract: the
// answers whose shape is already the domain's are named here; IB's own shapes (secType, localSymbol,
// exchange, tradingClass) stop here and are mapped (positions, executions, orders).
import type {
  AccountResponse,
  Bar,
  ChainResponse,
  ContractView,
  ExecutionView,
  HealthResponse,
  OrderView,
  PlaceOrderResponse,
  PositionView,
  Quote,
  QuoteContract,
} from '#bridge/contract';

/** The bridge's health: IB connection state, farms, order guard. */
export type BridgeHealth = HealthResponse;
/** The account's balances and trading mode. */
export type BrokerAccount = AccountResponse;
/** An underlying's option chain definition: expiries, strikes, multiplier. */
export type ChainDefinition = ChainResponse;
/** One option/stock/future quote (bid/ask, greeks, staleness); IB's sentinels never appear. */
export type BrokerQuote = Quote;
/** What to quote: a conId, or a description the bridge qualifies. */
export type QuoteRequest = QuoteContract;
/** One daily price bar. */
export type PriceBar = Bar;
/** One fill (execution) of an order, of one leg or of the whole combo (`kind` COMBO). */
export type BrokerExecution = Omit<ExecutionView, 'contract'> & { contract: HeldInstrument };
/** An order as the broker reports it, with its fills. */
export type BrokerOrder = Omit<OrderView, 'fills'> & { fills: BrokerExecution[] };
/** A placed order; `duplicate` when one with its orderRef existed today (nothing was sent). */
export type PlacedOrder = Omit<PlaceOrderResponse, 'fills'> & { fills: BrokerExecution[] };

/** What a held instrument is, in the domain's words (IB's secType stays in this adapter). */
export type InstrumentKind = 'OPTION' | 'STOCK' | 'FUTURE' | 'INDEX' | 'COMBO' | 'OTHER';

/** A held instrument: an option's symbol/expiry/strike/right, or shares' symbol; `conId` names it at IB. */
export interface HeldInstrument {
  conId: number;
  symbol: string;
  kind: InstrumentKind;
  expiry?: string | undefined;
  strike?: number | undefined;
  right?: 'C' | 'P' | undefined;
  multiplier?: number | undefined;
  /** The broker's own name for it (OCC-style option symbol), for messages; else absent. */
  name?: string | undefined;
}

/** One position held at the broker. */
export interface BrokerPosition {
  account: string;
  contract: HeldInstrument;
  /** Signed: negative for short positions. */
  quantity: number;
  /** Per contract including the multiplier (and commissions) for options; per share for stock. */
  averageCost: number;
}

const KIND_OF_SEC_TYPE: Record<string, InstrumentKind> = {
  OPT: 'OPTION',
  STK: 'STOCK',
  FUT: 'FUTURE',
  IND: 'INDEX',
  BAG: 'COMBO',
};

/** IB's contract as a held instrument: secType becomes a kind, localSymbol a name; routing fields drop. */
export function heldInstrumentOf(c: ContractView): HeldInstrument {
  return {
    conId: c.conId,
    symbol: c.symbol,
    kind: KIND_OF_SEC_TYPE[c.secType] ?? 'OTHER',
    ...(c.expiry === undefined ? {} : { expiry: c.expiry }),
    ...(c.strike === undefined ? {} : { strike: c.strike }),
    ...(c.right === undefined ? {} : { right: c.right }),
    ...(c.multiplier === undefined ? {} : { multiplier: c.multiplier }),
    ...(c.localSymbol === undefined ? {} : { name: c.localSymbol }),
  };
}

/** IB's execution (and an order's fills) as the jobs see it. */
export function brokerExecutionOf(view: ExecutionView): BrokerExecution {
  return { ...view, contract: heldInstrumentOf(view.contract) };
}

/** IB's order as the jobs see it: its fills mapped. */
export function brokerOrderOf<O extends OrderView>(view: O): Omit<O, 'fills'> & { fills: BrokerExecution[] } {
  return { ...view, fills: view.fills.map(brokerExecutionOf) };
}

/** IB's position as the jobs see it. */
export function brokerPositionOf(view: PositionView): BrokerPosition {
  return {
    account: view.account,
    contract: heldInstrumentOf(view.contract),
    quantity: view.quantity,
    averageCost: view.averageCost,
  };
}
