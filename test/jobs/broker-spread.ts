// A vertical spread's combo placed straight at the simulated broker, as a trader would send it from TWS
// (no intent, no bridge): the tests' way to put a position at IB before a job looks at it.
import type { SimContract, SimEngine, SimOrderState } from '#simulator/engine-api';

export interface BrokerSpreadOrder {
  account: string;
  orderId: number;
  symbol: string;
  short: SimContract;
  long: SimContract;
  /** open: sell the short, buy the long; close: the reverse. */
  purpose: 'open' | 'close';
  quantity: number;
  orderRef: string;
  /** Default 100, marketable (fills at once); −100 never fills (an order left working). */
  limitPrice?: number;
  tif?: 'DAY' | 'GTC';
  /** The API client that placed it: default 0 (TWS); the bridge's is 1. */
  clientId?: number;
}

/**
 * Places the combo, at a marketable limit unless told otherwise (IB combo semantics: a BUY at +100
 * crosses either way, at −100 never).
 */
export function placeSpreadAtBroker(engine: SimEngine, order: BrokerSpreadOrder): SimOrderState {
  const open = order.purpose === 'open';
  return engine.placeOrder({
    orderId: order.orderId,
    clientId: order.clientId ?? 0,
    account: order.account,
    contract: {
      secType: 'BAG',
      symbol: order.symbol,
      legs: [
        { conId: order.short.conId, ratio: 1, action: open ? 'SELL' : 'BUY' },
        { conId: order.long.conId, ratio: 1, action: open ? 'BUY' : 'SELL' },
      ],
    },
    action: 'BUY',
    quantity: order.quantity,
    orderType: 'LMT',
    limitPrice: order.limitPrice ?? 100,
    tif: order.tif ?? 'DAY',
    orderRef: order.orderRef,
    transmit: true,
    whatIf: false,
  }) as SimOrderState;
}

/** A symbol's listed options at the simulated broker: the nearest strike, one option, IB dates as ISO. */
export function listedOptions(engine: SimEngine, symbol: string) {
  const params = engine.optionParams(symbol)[0]!;
  return {
    params,
    nearestStrike: (x: number) =>
      params.strikes.reduce((best, k) => (Math.abs(k - x) < Math.abs(best - x) ? k : best)),
    option: (strike: number, right: 'P' | 'C', expiry: string): SimContract => {
      const [c] = engine.findContracts({ symbol, secType: 'OPT', lastTradeDate: expiry, strike, right });
      if (!c) throw new Error(`no ${symbol} ${expiry} ${strike}${right}`);
      return c;
    },
    iso: (yyyymmdd: string) => `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6)}`,
  };
}
