// Option settlement in the simulated broker: OCC's early assignment (an exercise notice before expiry)
// and expiry (worthless, exercised or assigned into shares at the strike), booked as IB books them.
import type { Broker } from './broker';
import { bookTrade } from './broker-accounts';
import { EPS } from './broker-state';
import type { SettlementRecord } from './broker-state';
import type { BaseContract } from './instruments';

/**
 * OCC assigns short in-the-money options of `symbol` before expiry (an exercise notice): every short
 * option at least a cent in the money at spot `spot`, or only contract `conId`, up to `quantity`
 * contracts in all (deepest in the money first). As IB books it: the option leaves at price 0 with no
 * commission (its premium becomes realised P&L) and 100 shares per contract change hands at the
 * strike, also without commission: a put writer buys them, a call writer sells them.
 * Returns the settlement records written.
 */
export function assignEarly(
  broker: Broker,
  symbol: string,
  spot: number,
  at: number,
  narrow: { conId?: number; quantity?: number } = {},
): SettlementRecord[] {
  const out: SettlementRecord[] = [];
  let left = narrow.quantity ?? Number.POSITIVE_INFINITY;
  const intrinsic = (c: BaseContract) => (c.right === 'C' ? spot - c.strike : c.strike - spot);
  for (const account of Object.values(broker.state.accounts)) {
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
      const realized = bookTrade(account, c, contracts, 0, 0) ?? 0;
      const stockQuantity = contracts * c.multiplier * (c.right === 'P' ? 1 : -1);
      const stock = broker.market.underlyingContract(c.symbol);
      if (!stock) throw new RangeError(`no stock contract for ${c.symbol}`);
      bookTrade(account, stock, stockQuantity, c.strike, 0);
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
      broker.state.settlements.push(record);
      out.push(record);
      broker.emit({ type: 'positionChanged', position: broker.toSimPosition(account.id, pos) });
      broker.emit({
        type: 'positionChanged',
        position: broker.toSimPosition(account.id, account.positions[String(stock.conId)]!),
      });
    }
  }
  return out;
}

/**
 * Settles every option expiring on or before `date` at the underlying's closing price `closes`:
 * out-of-the-money options disappear at 0 (the premium becomes realised P&L); in-the-money ones
 * (by a cent or more, OCC's automatic-exercise threshold) are exercised or assigned into 100 shares
 * each at the strike. As IB books it, the option leaves at price 0 and the stock is booked at the strike.
 */
export function settleExpiries(
  broker: Broker,
  date: string,
  close: (symbol: string) => number,
  at: number,
): void {
  const lastTradeDate = date.replaceAll('-', '');
  for (const account of Object.values(broker.state.accounts)) {
    for (const pos of Object.values(account.positions)) {
      const c = pos.contract;
      if (c.secType !== 'OPT' || pos.position === 0 || c.lastTradeDate > lastTradeDate) continue;
      const settlementPrice = close(c.symbol);
      const intrinsic = c.right === 'C' ? settlementPrice - c.strike : c.strike - settlementPrice;
      const quantity = pos.position;
      const realized = bookTrade(account, c, -quantity, 0, 0) ?? 0;
      let stockQuantity = 0;
      if (intrinsic >= 0.01 - EPS) {
        stockQuantity = quantity * c.multiplier * (c.right === 'C' ? 1 : -1);
        const stock = broker.market.underlyingContract(c.symbol);
        if (stock) {
          bookTrade(account, stock, stockQuantity, c.strike, 0);
          broker.emit({
            type: 'positionChanged',
            position: broker.toSimPosition(account.id, account.positions[String(stock.conId)]!),
          });
        }
      }
      broker.state.settlements.push({
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
      broker.emit({ type: 'positionChanged', position: broker.toSimPosition(account.id, pos) });
    }
  }
}
