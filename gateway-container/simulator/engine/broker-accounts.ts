// The simulated broker's books: commissions, booking a trade into an account (cash, cost basis, realised
// P&L, as IB reports it), marks at mid, margin like IB's, net liquidation and unrealised P&L.
import type { SimOrderRequest, SimWhatIf } from '../engine-api';
import { MIN_COMMISSION_PER_EXECUTION, STOCK_COMMISSION_PER_SHARE, clean } from './broker-state';
import type { AccountState, BrokerMarket, Leg, PositionRecord } from './broker-state';
import type { BaseContract } from './instruments';
import { round2 } from './market';

export function commissionFor(contract: BaseContract, shares: number, perContract: number): number {
  const perUnit = contract.secType === 'STK' ? STOCK_COMMISSION_PER_SHARE : perContract;
  return round2(Math.max(MIN_COMMISSION_PER_EXECUTION, perUnit * Math.abs(shares)));
}

/**
 * Books a trade of `quantity` (signed: + buy, − sell) at `price` per share into `account`, closing
 * against the existing position first. Returns the realised P&L of the closing part (commissions
 * of both the opening and the closing trade included, as IB reports it), or undefined for a pure open.
 */
export function bookTrade(
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

/** Mark of a position in dollars at mid (stock and options). */
export function markValue(pos: PositionRecord, market: BrokerMarket): number {
  const q = market.legQuote(pos.contract.conId);
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
export function margin(
  positions: Record<string, PositionRecord>,
  market: BrokerMarket,
): { init: number; maint: number } {
  let init = 0;
  let maint = 0;
  const groups = new Map<string, PositionRecord[]>();
  for (const pos of Object.values(positions)) {
    if (pos.position === 0) continue;
    if (pos.contract.secType === 'STK') {
      const q = market.legQuote(pos.contract.conId);
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
    const spot = market.spot(symbol);
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

export function netLiquidation(account: AccountState, market: BrokerMarket): number {
  let value = account.cash;
  for (const pos of Object.values(account.positions)) if (pos.position !== 0) value += markValue(pos, market);
  return round2(value);
}

export function unrealizedPnl(account: AccountState, market: BrokerMarket): number {
  let pnl = 0;
  for (const pos of Object.values(account.positions))
    if (pos.position !== 0) pnl += markValue(pos, market) - pos.costBasis;
  return round2(pnl);
}

/** What an order would do to the account's margin and equity, booked at mid on a copy (IB's what-if). */
export function whatIf(
  account: AccountState,
  request: SimOrderRequest,
  legs: Leg[],
  market: BrokerMarket,
): SimWhatIf {
  const before = margin(account.positions, market);
  const equityBefore = netLiquidation(account, market);
  // Book the whole order at mid (plus commissions) on a copy of the account.
  const copy: AccountState = structuredClone(account);
  let commission = 0;
  for (const leg of legs) {
    const shares = leg.ratio * request.quantity;
    const fee = commissionFor(leg.contract, shares, market.commissionPerContract);
    commission += fee;
    const q = market.legQuote(leg.contract.conId);
    const legBuys = (leg.action === 'BUY') === (request.action === 'BUY');
    const price = q ? (q.bid + q.ask) / 2 : 0;
    bookTrade(copy, leg.contract, legBuys ? shares : -shares, price, fee);
  }
  const after = margin(copy.positions, market);
  const equityAfter = netLiquidation(copy, market);
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
