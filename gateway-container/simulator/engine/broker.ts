// The simulated broker: orders (single legs and BAG combos), fills, executions, commissions,
// positions, cash, realised P&L, margin and expiry settlement, per account.
//
// Combo price semantics (IB's, and what this broker applies):
//   - A combo's price is the signed sum of its legs' prices, ratio-weighted: a leg whose action is BUY
//     contributes +price, a leg whose action is SELL contributes −price. This is the price of BUYing
//     the combo; SELLing the combo executes every leg the other way round at the same signed sum.
//   - A combo BUY with limit L fills when the combo's market price ≤ L; a combo SELL fills when ≥ L.
//   - So a negative price means the BUYer receives cash. A bull put (short put K, long put K−w) can be
//     opened either as BUY of {SELL put K, BUY put K−w} at a negative limit (−credit), or as SELL of
//     {BUY put K, SELL put K−w} at a positive limit (+credit); both put the same legs on.
//   - Natural (worst) price of a BUY = Σ ask of BUY legs − Σ bid of SELL legs; of a SELL = Σ bid of
//     BUY legs − Σ ask of SELL legs. Mid = signed sum of leg mids.
// Fill rules: a limit at or better than natural fills at once, at natural; a limit between mid and
// natural fills at the limit with a probability rising from 10% at mid to 100% at natural, tried once
// per simulated minute (seeded); a limit worse than mid waits. Option orders above CHUNK contracts fill
// CHUNK at a time, one chunk per minute (stock orders fill whole). Market orders on combos are rejected (201), as a safety; a
// single-leg market order fills at natural.
import type {
  SimAction,
  SimCommissionReport,
  SimContract,
  SimEngineEvent,
  SimExecution,
  SimOrderRequest,
  SimOrderState,
  SimPosition,
  SimWhatIf,
} from '../engine-api';
import { BAG_CON_ID } from './instruments';
import type { BaseContract } from './instruments';
import { round2 } from './market';
import { Draw } from './rng';

/** Contracts per fill for larger orders. */
export const CHUNK = 5;
export const MIN_COMMISSION_PER_EXECUTION = 1;
const STOCK_COMMISSION_PER_SHARE = 0.005;
/** Probability per minute of a fill for a limit exactly at mid; rises linearly to 1 at natural. */
const FILL_PROBABILITY_AT_MID = 0.1;
const EPS = 1e-9;

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

interface LegFill {
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

interface Leg {
  contract: BaseContract;
  ratio: number;
  /** The leg's action when the combo is BOUGHT. */
  action: SimAction;
}

interface ComboPrices {
  mid: number;
  /** Natural price for the order's direction. */
  natural: number;
  legs: { leg: Leg; mid: number; natural: number; sign: number }[];
}

function isWorking(order: SimOrderState): boolean {
  return order.status === 'PreSubmitted' || order.status === 'Submitted' || order.status === 'PendingSubmit';
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function clean(x: number): number {
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

export class Broker {
  constructor(
    public state: BrokerState,
    private readonly market: BrokerMarket,
    private readonly emit: (event: SimEngineEvent) => void,
  ) {}

  // -------------------------------------------------------------------------------------------------
  // Accounting

  commissionFor(contract: BaseContract, shares: number): number {
    const perUnit =
      contract.secType === 'STK' ? STOCK_COMMISSION_PER_SHARE : this.market.commissionPerContract;
    return round2(Math.max(MIN_COMMISSION_PER_EXECUTION, perUnit * Math.abs(shares)));
  }

  /**
   * Books a trade of `quantity` (signed: + buy, − sell) at `price` per share into `account`, closing
   * against the existing position first. Returns the realised P&L of the closing part (commissions
   * of both the opening and the closing trade included, as IB reports it), or undefined for a pure open.
   */
  book(
    account: AccountState,
    contract: BaseContract,
    quantity: number,
    price: number,
    commission: number,
  ): number | undefined {
    const key = String(contract.conId);
    const pos = (account.positions[key] ??= { contract, position: 0, costBasis: 0, realizedPnl: 0 });
    const mult = contract.multiplier;
    const side = Math.sign(quantity);
    const size = Math.abs(quantity);
    account.cash = round2(account.cash - quantity * price * mult - commission);

    let realized: number | undefined;
    const closing =
      pos.position !== 0 && Math.sign(pos.position) !== side ? Math.min(size, Math.abs(pos.position)) : 0;
    if (closing > 0) {
      const closeCommission = (commission * closing) / size;
      const basisPerContract = pos.costBasis / pos.position;
      const closedBasis = basisPerContract * closing * Math.sign(pos.position);
      const cashFlow = -side * closing * price * mult - closeCommission;
      realized = clean(cashFlow - closedBasis);
      pos.costBasis -= closedBasis;
      pos.position += side * closing;
      pos.realizedPnl = clean(pos.realizedPnl + realized);
      account.realizedPnl = clean(account.realizedPnl + realized);
    }
    const opening = size - closing;
    if (opening > 0) {
      const openCommission = (commission * opening) / size;
      pos.costBasis += side * opening * price * mult + openCommission;
      pos.position += side * opening;
    }
    if (pos.position === 0) pos.costBasis = 0;
    pos.costBasis = clean(pos.costBasis);
    return realized;
  }

  toSimPosition(account: string, pos: PositionRecord): SimPosition {
    return {
      account,
      contract: this.market.withHours(pos.contract),
      position: pos.position,
      // IB's avgCost: per contract including the multiplier and commissions, positive for shorts too.
      avgCost: pos.position === 0 ? 0 : clean(pos.costBasis / pos.position),
    };
  }

  positions(account?: string): SimPosition[] {
    const out: SimPosition[] = [];
    for (const acct of Object.values(this.state.accounts)) {
      if (account !== undefined && acct.id !== account) continue;
      for (const pos of Object.values(acct.positions))
        if (pos.position !== 0) out.push(this.toSimPosition(acct.id, pos));
    }
    return out;
  }

  /** Mark of a position in dollars at mid (stock and options). */
  markValue(pos: PositionRecord): number {
    const q = this.market.legQuote(pos.contract.conId);
    if (!q) return pos.costBasis;
    return pos.position * ((q.bid + q.ask) / 2) * pos.contract.multiplier;
  }

  /**
   * Margin like IB's rules for what this bot trades: option groups (same underlying and expiry) need
   * their worst loss at expiry over the strikes, i.e. width×100×qty for a credit spread (IB does not
   * subtract the credit; the credit already sits in cash) and the wider wing for an iron condor; long
   * options need none (paid in full); naked shorts need at least 10% of the underlying's value; stock
   * is Reg T: 50% initial, 25% (longs) / 30% (shorts) maintenance.
   */
  margin(positions: Record<string, PositionRecord>): { init: number; maint: number } {
    let init = 0;
    let maint = 0;
    const groups = new Map<string, PositionRecord[]>();
    for (const pos of Object.values(positions)) {
      if (pos.position === 0) continue;
      if (pos.contract.secType === 'STK') {
        const q = this.market.legQuote(pos.contract.conId);
        const value = Math.abs(pos.position) * (q ? (q.bid + q.ask) / 2 : 0);
        init += 0.5 * value;
        maint += (pos.position > 0 ? 0.25 : 0.3) * value;
      } else if (pos.contract.secType === 'OPT') {
        const key = `${pos.contract.symbol}|${pos.contract.lastTradeDate}`;
        groups.set(key, [...(groups.get(key) ?? []), pos]);
      }
    }
    for (const group of groups.values()) {
      if (!group.some((p) => p.position < 0)) continue;
      const symbol = group[0]!.contract.symbol;
      const spot = this.market.spot(symbol);
      const points = new Set<number>([0.8 * spot, 1.2 * spot, ...group.map((p) => p.contract.strike)]);
      let worst = 0;
      for (const s of points) {
        let payoff = 0;
        for (const p of group) {
          const k = p.contract.strike;
          const intrinsic = p.contract.right === 'C' ? Math.max(0, s - k) : Math.max(0, k - s);
          payoff += p.position * intrinsic * p.contract.multiplier;
        }
        worst = Math.min(worst, payoff);
      }
      // Uncovered short contracts (net short calls or puts) carry the naked minimum.
      const net = (right: string) =>
        group.filter((p) => p.contract.right === right).reduce((a, p) => a + p.position, 0);
      const naked = Math.max(0, -net('C')) + Math.max(0, -net('P'));
      const requirement = Math.max(-worst, naked * 0.1 * spot * 100);
      init += requirement;
      maint += requirement;
    }
    return { init: round2(init), maint: round2(maint) };
  }

  netLiquidation(account: AccountState): number {
    let value = account.cash;
    for (const pos of Object.values(account.positions)) if (pos.position !== 0) value += this.markValue(pos);
    return round2(value);
  }

  unrealizedPnl(account: AccountState): number {
    let pnl = 0;
    for (const pos of Object.values(account.positions))
      if (pos.position !== 0) pnl += this.markValue(pos) - pos.costBasis;
    return round2(pnl);
  }

  // -------------------------------------------------------------------------------------------------
  // Orders

  private legsOf(request: SimOrderRequest): Leg[] | string {
    if (request.contract.secType === 'BAG') {
      const legs = request.contract.legs ?? [];
      if (legs.length === 0) return 'combo has no legs';
      const out: Leg[] = [];
      for (const leg of legs) {
        const contract = this.market.contract(leg.conId);
        if (!contract) return `unknown leg conId ${leg.conId}`;
        if (contract.secType !== 'OPT' && contract.secType !== 'STK')
          return `leg ${leg.conId} is not tradable in a combo`;
        if (!(leg.ratio > 0) || !Number.isInteger(leg.ratio))
          return `leg ${leg.conId} has invalid ratio ${leg.ratio}`;
        out.push({ contract, ratio: leg.ratio, action: leg.action });
      }
      return out;
    }
    const contract =
      request.contract.conId === undefined ? undefined : this.market.contract(request.contract.conId);
    if (!contract) return `unknown contract conId ${request.contract.conId}`;
    if (contract.secType !== 'OPT' && contract.secType !== 'STK')
      return `${contract.secType} contracts cannot be traded here`;
    return [{ contract, ratio: 1, action: 'BUY' }];
  }

  /** Mid and natural of the order's combo (a single leg is a one-leg combo bought or sold). */
  private comboPrices(legs: Leg[], direction: SimAction): ComboPrices | undefined {
    let mid = 0;
    let natural = 0;
    const out: ComboPrices['legs'] = [];
    for (const leg of legs) {
      const q = this.market.legQuote(leg.contract.conId);
      if (!q) return undefined;
      const sign = leg.action === 'BUY' ? 1 : -1;
      const legMid = (q.bid + q.ask) / 2;
      // The side this leg trades at when the order takes liquidity: buying pays the ask, selling gets the bid.
      const effectiveBuy = (sign === 1) === (direction === 'BUY');
      const legNatural = effectiveBuy ? q.ask : q.bid;
      mid += sign * leg.ratio * legMid;
      natural += sign * leg.ratio * legNatural;
      out.push({ leg, mid: legMid, natural: legNatural, sign });
    }
    return { mid: clean(mid), natural: round2(natural), legs: out };
  }

  private reject(request: SimOrderRequest, reason: string, code = 201): SimOrderState {
    const order: OrderRecord = {
      request,
      permId: this.state.nextPermId++,
      status: 'Inactive',
      filled: 0,
      remaining: request.quantity,
      avgFillPrice: 0,
      lastFillPrice: 0,
      rejectReason: reason,
      placedAt: 0,
      legFills: {},
    };
    if (!this.state.orders[String(request.orderId)]) this.state.orders[String(request.orderId)] = order;
    this.emit({ type: 'orderRejected', orderId: request.orderId, code, reason });
    this.emit({ type: 'orderStatus', order: publicOrder(order) });
    return publicOrder(order);
  }

  /** Checks shared by placement, modification and what-if; a string is the rejection reason. */
  private validate(request: SimOrderRequest): Leg[] | string {
    if (!this.state.accounts[request.account])
      return `account ${request.account || '(none)'} is not managed here`;
    if (!(request.quantity > 0) || !Number.isInteger(request.quantity))
      return `invalid quantity ${request.quantity}`;
    const legs = this.legsOf(request);
    if (typeof legs === 'string') return legs;
    if (request.orderType === 'MKT' && request.contract.secType === 'BAG') {
      return 'Market orders are not accepted for combination orders; use a limit price';
    }
    if (
      request.orderType === 'LMT' &&
      (request.limitPrice === undefined || !Number.isFinite(request.limitPrice))
    ) {
      return 'a limit order needs a limit price';
    }
    return legs;
  }

  placeOrder(request: SimOrderRequest, at: number): SimOrderState | SimWhatIf {
    const existing = this.state.orders[String(request.orderId)];
    if (existing && !request.whatIf) {
      if (isWorking(existing)) return this.modifyOrder(request, at);
      return this.reject(request, `Duplicate order id ${request.orderId}`, 103);
    }
    const legs = this.validate(request);
    if (typeof legs === 'string') return this.reject(request, legs);
    if (request.whatIf) return this.whatIf(request, legs);
    if (this.state.rejection !== undefined) return this.reject(request, this.state.rejection);

    const order: OrderRecord = {
      request: structuredClone(request),
      permId: this.state.nextPermId++,
      status: 'PreSubmitted',
      filled: 0,
      remaining: request.quantity,
      avgFillPrice: 0,
      lastFillPrice: 0,
      placedAt: at,
      legFills: {},
    };
    this.state.orders[String(request.orderId)] = order;
    if (request.transmit && legs.every((l) => this.market.tradable(l.contract, at)))
      order.status = 'Submitted';
    this.emit({ type: 'orderStatus', order: publicOrder(order) });
    this.tryFill(order, at, false);
    return publicOrder(order);
  }

  modifyOrder(request: SimOrderRequest, at: number): SimOrderState {
    const order = this.state.orders[String(request.orderId)];
    if (!order) {
      const placed = this.placeOrder({ ...request, whatIf: false }, at);
      return placed as SimOrderState;
    }
    if (!isWorking(order)) {
      this.emit({
        type: 'orderRejected',
        orderId: request.orderId,
        code: 104,
        reason: `Cannot modify a ${order.status.toLowerCase()} order`,
      });
      return publicOrder(order);
    }
    // Legs, action and account cannot change on a modify (IB refuses that too); price, size, type and TIF can.
    const updated: SimOrderRequest = {
      ...order.request,
      ...request,
      contract: order.request.contract,
      action: order.request.action,
      account: order.request.account,
    };
    const legs = this.validate(updated);
    if (typeof legs === 'string') {
      this.emit({ type: 'orderRejected', orderId: request.orderId, code: 201, reason: legs });
      return publicOrder(order);
    }
    if (updated.quantity <= order.filled) {
      this.emit({
        type: 'orderRejected',
        orderId: request.orderId,
        code: 201,
        reason: `quantity ${updated.quantity} is not above the filled ${order.filled}`,
      });
      return publicOrder(order);
    }
    order.request = structuredClone(updated);
    order.remaining = updated.quantity - order.filled;
    if (
      updated.transmit &&
      order.status === 'PreSubmitted' &&
      legs.every((l) => this.market.tradable(l.contract, at))
    ) {
      order.status = 'Submitted';
    }
    this.emit({ type: 'orderStatus', order: publicOrder(order) });
    this.tryFill(order, at, false);
    return publicOrder(order);
  }

  cancelOrder(orderId: number): SimOrderState | undefined {
    const order = this.state.orders[String(orderId)];
    if (!order) return undefined;
    if (isWorking(order)) {
      order.status = 'Cancelled';
      this.emit({ type: 'orderStatus', order: publicOrder(order) });
    }
    return publicOrder(order);
  }

  openOrders(clientId?: number): SimOrderState[] {
    return Object.values(this.state.orders)
      .filter((o) => isWorking(o) && (clientId === undefined || o.request.clientId === clientId))
      .map(publicOrder);
  }

  completedOrders(): SimOrderState[] {
    return Object.values(this.state.orders)
      .filter((o) => !isWorking(o))
      .map(publicOrder);
  }

  /** Tries every working order (once per simulated minute, with the seeded fill roll). */
  evaluate(at: number): void {
    for (const order of Object.values(this.state.orders)) {
      if (!isWorking(order)) continue;
      this.tryFill(order, at, true);
    }
  }

  /** Cancels DAY orders at the end of the session, as IB does. */
  expireDayOrders(): void {
    for (const order of Object.values(this.state.orders)) {
      if (isWorking(order) && order.request.tif !== 'GTC') {
        order.status = 'Cancelled';
        this.emit({ type: 'orderStatus', order: publicOrder(order) });
      }
    }
  }

  private tryFill(order: OrderRecord, at: number, roll: boolean): void {
    if (!isWorking(order) || !order.request.transmit) return;
    if (this.state.partialFillsNeverComplete && order.filled > 0) return;
    const legs = this.legsOf(order.request);
    if (typeof legs === 'string') return;
    if (!legs.every((l) => this.market.tradable(l.contract, at))) return;
    if (order.status === 'PreSubmitted') {
      order.status = 'Submitted';
      this.emit({ type: 'orderStatus', order: publicOrder(order) });
    }
    const direction = order.request.action;
    const prices = this.comboPrices(legs, direction);
    if (!prices) return;
    const buy = direction === 'BUY';
    let price: number | undefined;
    if (order.request.orderType === 'MKT') {
      price = prices.natural;
    } else {
      const limit = order.request.limitPrice!;
      const atOrBetterThanNatural = buy ? limit >= prices.natural - EPS : limit <= prices.natural + EPS;
      const atOrBetterThanMid = buy ? limit >= prices.mid - EPS : limit <= prices.mid + EPS;
      if (atOrBetterThanNatural) {
        price = prices.natural;
      } else if (atOrBetterThanMid && roll) {
        const span = Math.abs(prices.natural - prices.mid);
        const towardNatural = span < EPS ? 1 : Math.abs(limit - prices.mid) / span;
        const probability = FILL_PROBABILITY_AT_MID + (1 - FILL_PROBABILITY_AT_MID) * towardNatural;
        const draw = new Draw(this.market.seed, `fill:${order.permId}`, Math.floor(at / 60_000));
        // A limit off the cent grid fills on the cent at or inside it: never worse than the customer asked.
        if (draw.uniform() < probability)
          price = buy ? Math.floor(limit * 100 + EPS) / 100 : Math.ceil(limit * 100 - EPS) / 100;
      }
    }
    if (price === undefined) return;
    // Option orders above CHUNK contracts fill in chunks; a stock order (shares of a liquid ETF) at once.
    const chunked = order.request.quantity > CHUNK && order.request.contract.secType !== 'STK';
    const quantity = chunked ? Math.min(CHUNK, order.remaining) : order.remaining;
    this.fill(order, prices, round2(price), quantity, at);
  }

  /**
   * Splits a combo price into leg prices that sum (signed, ratio-weighted) to it exactly: every leg
   * sits the same fraction of the way from its mid to its natural side, rounded to the cent, and the
   * rounding residue goes to the first leg that can absorb it without a negative price.
   */
  static allocate(prices: ComboPrices, comboPrice: number): number[] {
    const span = prices.natural - prices.mid;
    const f = Math.abs(span) < EPS ? 0 : (comboPrice - prices.mid) / span;
    const legPrices = prices.legs.map((l) => Math.max(0, round2(l.mid + f * (l.natural - l.mid))));
    const sum = () => prices.legs.reduce((a, l, i) => a + l.sign * l.leg.ratio * legPrices[i]!, 0);
    const residue = round2(comboPrice - sum());
    if (Math.abs(residue) > EPS) {
      for (let i = 0; i < prices.legs.length; i++) {
        const l = prices.legs[i]!;
        // Only a ratio-1 leg can take any whole-cent residue and stay on the cent grid.
        if (l.leg.ratio !== 1) continue;
        const adjusted = round2(legPrices[i]! + residue * l.sign);
        if (adjusted >= 0) {
          legPrices[i] = adjusted;
          break;
        }
      }
    }
    return legPrices;
  }

  private execId(permId: number): string {
    return `${hex8(permId)}.${hex8(this.state.nextExecSeq++)}.01.01`;
  }

  private fill(
    order: OrderRecord,
    prices: ComboPrices,
    comboPrice: number,
    quantity: number,
    at: number,
  ): void {
    const request = order.request;
    const account = this.state.accounts[request.account]!;
    const buy = request.action === 'BUY';
    const legPrices = Broker.allocate(prices, comboPrice);
    const events: SimEngineEvent[] = [];
    const commissions: SimCommissionReport[] = [];
    const changed: PositionRecord[] = [];

    prices.legs.forEach(({ leg, sign }, i) => {
      const legPrice = legPrices[i]!;
      const legBuys = (sign === 1) === buy;
      const shares = leg.ratio * quantity;
      const commission = this.commissionFor(leg.contract, shares);
      const realized = this.book(account, leg.contract, legBuys ? shares : -shares, legPrice, commission);
      const key = String(leg.contract.conId);
      const legFill = (order.legFills[key] ??= { shares: 0, value: 0 });
      legFill.shares += shares;
      legFill.value += shares * legPrice;
      const execution: SimExecution = {
        execId: this.execId(order.permId),
        orderId: request.orderId,
        clientId: request.clientId,
        permId: order.permId,
        account: account.id,
        contract: this.market.withHours(leg.contract),
        side: legBuys ? 'BOT' : 'SLD',
        shares,
        price: legPrice,
        cumQty: legFill.shares,
        avgPrice: clean(legFill.value / legFill.shares),
        orderRef: request.orderRef,
        time: at,
      };
      const report: SimCommissionReport = { execId: execution.execId, commission, currency: 'USD' };
      if (realized !== undefined) report.realizedPnl = realized;
      this.state.executions.push({ execution, commission: report });
      events.push({ type: 'execution', execution });
      commissions.push(report);
      changed.push(account.positions[key]!);
    });

    const previousFilled = order.filled;
    order.filled += quantity;
    order.remaining = request.quantity - order.filled;
    order.avgFillPrice = clean((order.avgFillPrice * previousFilled + comboPrice * quantity) / order.filled);
    order.lastFillPrice = comboPrice;
    if (order.remaining === 0) order.status = 'Filled';

    if (request.contract.secType === 'BAG') {
      // IB reports the combo itself as one more execution (BAG conId), carrying the combo price.
      const execution: SimExecution = {
        execId: this.execId(order.permId),
        orderId: request.orderId,
        clientId: request.clientId,
        permId: order.permId,
        account: account.id,
        contract: { conId: BAG_CON_ID, symbol: request.contract.symbol, secType: 'BAG' },
        side: buy ? 'BOT' : 'SLD',
        shares: quantity,
        price: comboPrice,
        cumQty: order.filled,
        avgPrice: order.avgFillPrice,
        orderRef: request.orderRef,
        time: at,
      };
      // The combo execution carries no commission of its own (the legs do); its report says 0.
      this.state.executions.push({
        execution,
        commission: { execId: execution.execId, commission: 0, currency: 'USD' },
      });
      events.push({ type: 'execution', execution });
    }

    for (const event of events) this.emit(event);
    this.emit({ type: 'orderStatus', order: publicOrder(order) });
    for (const report of commissions) this.emit({ type: 'commission', report });
    for (const pos of changed)
      this.emit({ type: 'positionChanged', position: this.toSimPosition(account.id, pos) });
  }

  whatIf(request: SimOrderRequest, legs: Leg[]): SimWhatIf {
    const account = this.state.accounts[request.account]!;
    const before = this.margin(account.positions);
    const equityBefore = this.netLiquidation(account);
    // Book the whole order at mid (plus commissions) on a copy of the account.
    const copy: AccountState = structuredClone(account);
    let commission = 0;
    for (const leg of legs) {
      const shares = leg.ratio * request.quantity;
      const fee = this.commissionFor(leg.contract, shares);
      commission += fee;
      const q = this.market.legQuote(leg.contract.conId);
      const legBuys = (leg.action === 'BUY') === (request.action === 'BUY');
      const price = q ? (q.bid + q.ask) / 2 : 0;
      this.book(copy, leg.contract, legBuys ? shares : -shares, price, fee);
    }
    const after = this.margin(copy.positions);
    const equityAfter = this.netLiquidation(copy);
    return {
      initMarginBefore: before.init,
      maintMarginBefore: before.maint,
      equityWithLoanBefore: equityBefore,
      initMarginChange: round2(after.init - before.init),
      maintMarginChange: round2(after.maint - before.maint),
      equityWithLoanChange: round2(equityAfter - equityBefore),
      initMarginAfter: after.init,
      maintMarginAfter: after.maint,
      equityWithLoanAfter: equityAfter,
      commission: round2(commission),
    };
  }

  // -------------------------------------------------------------------------------------------------
  // Early assignment

  /**
   * OCC assigns short in-the-money options of `symbol` before expiry (an exercise notice): every short
   * option at least a cent in the money at spot `spot`, or only contract `conId`, up to `quantity`
   * contracts in all (deepest in the money first). As IB books it: the option leaves at price 0 with no
   * commission (its premium becomes realised P&L) and 100 shares per contract change hands at the
   * strike, also without commission: a put writer buys them, a call writer sells them.
   * Returns the settlement records written.
   */
  assignEarly(
    symbol: string,
    spot: number,
    at: number,
    narrow: { conId?: number; quantity?: number } = {},
  ): SettlementRecord[] {
    const out: SettlementRecord[] = [];
    let left = narrow.quantity ?? Number.POSITIVE_INFINITY;
    const intrinsic = (c: BaseContract) => (c.right === 'C' ? spot - c.strike : c.strike - spot);
    for (const account of Object.values(this.state.accounts)) {
      const shorts = Object.values(account.positions)
        .filter(
          (p) =>
            p.contract.secType === 'OPT' &&
            p.contract.symbol === symbol &&
            p.position < 0 &&
            (narrow.conId === undefined || p.contract.conId === narrow.conId) &&
            intrinsic(p.contract) >= 0.01 - EPS,
        )
        .sort((a, b) => intrinsic(b.contract) - intrinsic(a.contract));
      for (const pos of shorts) {
        if (left <= 0) break;
        const c = pos.contract;
        const contracts = Math.min(-pos.position, left);
        left -= contracts;
        const realized = this.book(account, c, contracts, 0, 0) ?? 0;
        const stockQuantity = contracts * c.multiplier * (c.right === 'P' ? 1 : -1);
        const stock = this.market.underlyingContract(c.symbol);
        if (!stock) throw new RangeError(`no stock contract for ${c.symbol}`);
        this.book(account, stock, stockQuantity, c.strike, 0);
        const record: SettlementRecord = {
          account: account.id,
          conId: c.conId,
          localSymbol: c.localSymbol,
          kind: 'assigned',
          quantity: -contracts,
          stockQuantity,
          strike: c.strike,
          settlementPrice: spot,
          realizedPnl: realized,
          time: at,
        };
        this.state.settlements.push(record);
        out.push(record);
        this.emit({ type: 'positionChanged', position: this.toSimPosition(account.id, pos) });
        this.emit({
          type: 'positionChanged',
          position: this.toSimPosition(account.id, account.positions[String(stock.conId)]!),
        });
      }
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------------
  // Expiry

  /**
   * Settles every option expiring on or before `date` at the underlying's closing price `closes`:
   * out-of-the-money options disappear at 0 (the premium becomes realised P&L); in-the-money ones
   * (by a cent or more, OCC's automatic-exercise threshold) are exercised or assigned into 100 shares
   * each at the strike. As IB books it, the option leaves at price 0 and the stock is booked at the strike.
   */
  settleExpiries(date: string, close: (symbol: string) => number, at: number): void {
    const lastTradeDate = date.replaceAll('-', '');
    for (const account of Object.values(this.state.accounts)) {
      for (const pos of Object.values(account.positions)) {
        const c = pos.contract;
        if (c.secType !== 'OPT' || pos.position === 0 || c.lastTradeDate > lastTradeDate) continue;
        const settlementPrice = close(c.symbol);
        const intrinsic = c.right === 'C' ? settlementPrice - c.strike : c.strike - settlementPrice;
        const quantity = pos.position;
        const realized = this.book(account, c, -quantity, 0, 0) ?? 0;
        let stockQuantity = 0;
        if (intrinsic >= 0.01 - EPS) {
          stockQuantity = quantity * c.multiplier * (c.right === 'C' ? 1 : -1);
          const stock = this.market.underlyingContract(c.symbol);
          if (stock) {
            this.book(account, stock, stockQuantity, c.strike, 0);
            this.emit({
              type: 'positionChanged',
              position: this.toSimPosition(account.id, account.positions[String(stock.conId)]!),
            });
          }
        }
        this.state.settlements.push({
          account: account.id,
          conId: c.conId,
          localSymbol: c.localSymbol,
          kind: stockQuantity === 0 ? 'expired' : quantity > 0 ? 'exercised' : 'assigned',
          quantity,
          stockQuantity,
          strike: c.strike,
          settlementPrice,
          realizedPnl: realized,
          time: at,
        });
        this.emit({ type: 'positionChanged', position: this.toSimPosition(account.id, pos) });
      }
    }
  }
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
