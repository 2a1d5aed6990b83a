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
// CHUNK at a time, one chunk per minute (stock orders fill whole). Market orders on combos are rejected
// (201), as a safety; a single-leg market order fills at natural.
//
// This module is the orders and their fills; the state and its types are in broker-state.ts, the books
// (commissions, booking, marks, margin, what-if) in broker-accounts.ts, booking a fill in fills.ts,
// assignment and expiry in settlement.ts.
import type {
  SimAction,
  SimEngineEvent,
  SimOrderRequest,
  SimOrderState,
  SimPosition,
  SimWhatIf,
} from '../engine-api';
import { commissionFor, margin, markValue, netLiquidation, unrealizedPnl, whatIf } from './broker-accounts';
import { CHUNK, EPS, FILL_PROBABILITY_AT_MID, clean, isWorking, publicOrder } from './broker-state';
import type {
  AccountState,
  BrokerMarket,
  BrokerState,
  ComboPrices,
  Leg,
  OrderRecord,
  PositionRecord,
  SettlementRecord,
} from './broker-state';
import { allocateComboPrice, recordFill } from './fills';
import type { BaseContract } from './instruments';
import { round2 } from './market';
import { Draw } from './rng';
import { assignEarly, settleExpiries } from './settlement';

export class Broker {
  constructor(
    public state: BrokerState,
    readonly market: BrokerMarket,
    readonly emit: (event: SimEngineEvent) => void,
  ) {}

  // -------------------------------------------------------------------------------------------------
  // Accounting

  commissionFor(contract: BaseContract, shares: number): number {
    return commissionFor(contract, shares, this.market.commissionPerContract);
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

  markValue(pos: PositionRecord): number {
    return markValue(pos, this.market);
  }

  margin(positions: Record<string, PositionRecord>): { init: number; maint: number } {
    return margin(positions, this.market);
  }

  netLiquidation(account: AccountState): number {
    return netLiquidation(account, this.market);
  }

  unrealizedPnl(account: AccountState): number {
    return unrealizedPnl(account, this.market);
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
    recordFill(this, order, prices, round2(price), quantity, at);
  }

  /** See allocateComboPrice in fills.ts. */
  static allocate(prices: ComboPrices, comboPrice: number): number[] {
    return allocateComboPrice(prices, comboPrice);
  }

  whatIf(request: SimOrderRequest, legs: Leg[]): SimWhatIf {
    return whatIf(this.state.accounts[request.account]!, request, legs, this.market);
  }

  // -------------------------------------------------------------------------------------------------
  // Settlement (settlement.ts)

  /** See assignEarly in settlement.ts. */
  assignEarly(
    symbol: string,
    spot: number,
    at: number,
    narrow: { conId?: number; quantity?: number } = {},
  ): SettlementRecord[] {
    return assignEarly(this, symbol, spot, at, narrow);
  }

  /** See settleExpiries in settlement.ts. */
  settleExpiries(date: string, close: (symbol: string) => number, at: number): void {
    settleExpiries(this, date, close, at);
  }
}
