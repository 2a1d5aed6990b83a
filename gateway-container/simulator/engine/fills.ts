// Fills in the simulated broker: a combo price split into leg prices, and a fill booked as IB reports
// it (leg executions with commissions, the combo's own execution, order status, position changes).
import type { SimCommissionReport, SimEngineEvent, SimExecution } from '../engine-api';
import type { Broker } from './broker';
import { bookTrade } from './broker-accounts';
import { EPS, clean, hex8, publicOrder } from './broker-state';
import type { BrokerState, ComboPrices, OrderRecord, PositionRecord } from './broker-state';
import { BAG_CON_ID } from './instruments';
import { round2 } from './market';

/**
 * Splits a combo price into leg prices that sum (signed, ratio-weighted) to it exactly: every leg
 * sits the same fraction of the way from its mid to its natural side, rounded to the cent, and the
 * rounding residue goes to the first leg that can absorb it without a negative price.
 */
export function allocateComboPrice(prices: ComboPrices, comboPrice: number): number[] {
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

function execId(state: BrokerState, permId: number): string {
  return `${hex8(permId)}.${hex8(state.nextExecSeq++)}.01.01`;
}

/**
 * Books `quantity` of `order` filled at `comboPrice`: the legs at prices that sum to it, an execution and
 * commission report per leg (and one for the combo itself), the order's progress, and the events.
 */
export function recordFill(
  broker: Broker,
  order: OrderRecord,
  prices: ComboPrices,
  comboPrice: number,
  quantity: number,
  at: number,
): void {
  const request = order.request;
  const account = broker.state.accounts[request.account]!;
  const buy = request.action === 'BUY';
  const legPrices = allocateComboPrice(prices, comboPrice);
  const events: SimEngineEvent[] = [];
  const commissions: SimCommissionReport[] = [];
  const changed: PositionRecord[] = [];

  prices.legs.forEach(({ leg, sign }, i) => {
    const legPrice = legPrices[i]!;
    const legBuys = (sign === 1) === buy;
    const shares = leg.ratio * quantity;
    const commission = broker.commissionFor(leg.contract, shares);
    const realized = bookTrade(account, leg.contract, legBuys ? shares : -shares, legPrice, commission);
    const key = String(leg.contract.conId);
    const legFill = (order.legFills[key] ??= { shares: 0, value: 0 });
    legFill.shares += shares;
    legFill.value += shares * legPrice;
    const execution: SimExecution = {
      execId: execId(broker.state, order.permId),
      orderId: request.orderId,
      clientId: request.clientId,
      permId: order.permId,
      account: account.id,
      contract: broker.market.withHours(leg.contract),
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
    broker.state.executions.push({ execution, commission: report });
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
      execId: execId(broker.state, order.permId),
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
    broker.state.executions.push({
      execution,
      commission: { execId: execution.execId, commission: 0, currency: 'USD' },
    });
    events.push({ type: 'execution', execution });
  }

  for (const event of events) broker.emit(event);
  broker.emit({ type: 'orderStatus', order: publicOrder(order) });
  for (const report of commissions) broker.emit({ type: 'commission', report });
  for (const pos of changed)
    broker.emit({ type: 'positionChanged', position: broker.toSimPosition(account.id, pos) });
}
