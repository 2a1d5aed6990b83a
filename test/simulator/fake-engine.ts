// A small, fully predictable SimEngine for the wire-server tests: a handful of contracts with prices
// that are simple functions of time, and a broker that fills at natural at once. It exists so the
// protocol can be tested without depending on the real engine's market model.

import type {
  SimAccountSummary,
  SimBar,
  SimCommissionReport,
  SimContract,
  SimEngine,
  SimEngineEvent,
  SimExecution,
  SimOptionParams,
  SimOrderRequest,
  SimOrderState,
  SimPosition,
  SimQuote,
  SimWhatIf,
} from '#simulator/engine-api';

export const ACCOUNT = 'DU1234567';
export const SPY_CONID = 756733;
export const ES_CONID = 495512563;
export const VIX_CONID = 13455763;
export const EXPIRY = '20261218';
export const STRIKES = [590, 595, 600, 605, 610];
/** A fixed commission per leg execution, so tests can add them up by hand. */
export const COMMISSION_PER_CONTRACT = 0.65;

/** The conId the fake gives an option: 1_000_000 + strike × 10 + (1 for puts). */
export function optionConId(strike: number, right: 'C' | 'P'): number {
  return 1_000_000 + strike * 10 + (right === 'P' ? 1 : 0);
}

const HOURS = '20261124:0930-20261124:1600;20261125:0930-20261125:1600';

function base(
  partial: Partial<SimContract> & Pick<SimContract, 'conId' | 'symbol' | 'secType'>,
): SimContract {
  return {
    lastTradeDate: '',
    strike: 0,
    multiplier: 1,
    exchange: 'SMART',
    primaryExchange: 'ARCA',
    currency: 'USD',
    localSymbol: partial.symbol,
    tradingClass: partial.symbol,
    minTick: 0.01,
    longName: partial.symbol,
    timeZoneId: 'US/Eastern',
    tradingHours: HOURS,
    liquidHours: HOURS,
    ...partial,
  };
}

export interface FakeEngine extends SimEngine {
  setQuoteFault(target: number | string, mode: 'stale' | 'missing' | 'sentinel' | undefined): void;
  setOrderRejection(reason: string | undefined): void;
  setPartialFillsNeverComplete(on: boolean): void;
  /** Spot price of SPY at the current time. */
  spot(): number;
}

interface OrderBook {
  state: SimOrderState;
}

export function createFakeEngine(start: number): FakeEngine {
  let now = start;
  const listeners = new Set<(e: SimEngineEvent) => void>();
  const emit = (e: SimEngineEvent): void => {
    for (const l of listeners) l(e);
  };
  const contracts = new Map<number, SimContract>();
  const add = (c: SimContract): void => void contracts.set(c.conId, c);
  add(base({ conId: SPY_CONID, symbol: 'SPY', secType: 'STK', longName: 'SPDR S&P 500 ETF TRUST' }));
  add(
    base({
      conId: ES_CONID,
      symbol: 'ES',
      secType: 'FUT',
      lastTradeDate: EXPIRY,
      multiplier: 50,
      exchange: 'CME',
      primaryExchange: 'CME',
      localSymbol: 'ESZ6',
      tradingClass: 'ES',
      minTick: 0.25,
    }),
  );
  add(base({ conId: VIX_CONID, symbol: 'VIX', secType: 'IND', exchange: 'CBOE', primaryExchange: 'CBOE' }));
  for (const strike of STRIKES) {
    for (const right of ['C', 'P'] as const) {
      add(
        base({
          conId: optionConId(strike, right),
          symbol: 'SPY',
          secType: 'OPT',
          lastTradeDate: EXPIRY,
          strike,
          right,
          multiplier: 100,
          primaryExchange: '',
          localSymbol: `SPY   261218${right}00${strike}000`,
          underlyingConId: SPY_CONID,
        }),
      );
    }
  }

  const quoteFaults = new Map<string, 'stale' | 'missing' | 'sentinel'>();
  const frozen = new Map<number, SimQuote>();
  let rejection: string | undefined;
  let partialNeverComplete = false;
  let nextPermId = 9000;
  let nextExec = 1;
  const orders = new Map<number, OrderBook>();
  const executions: { execution: SimExecution; commission: SimCommissionReport }[] = [];
  const positions = new Map<number, { position: number; avgCost: number }>();
  let cash = 100_000;
  let realized = 0;

  /** SPY drifts one cent per simulated minute, so every advance changes the quotes. */
  const spot = (): number => Math.round((600 + (now - start) / 60_000 / 100) * 100) / 100;

  function liveQuote(conId: number): SimQuote | undefined {
    const c = contracts.get(conId);
    if (!c) return undefined;
    const s = spot();
    if (c.secType === 'STK') {
      return {
        bid: s - 0.01,
        ask: s + 0.01,
        last: s,
        bidSize: 300,
        askSize: 200,
        lastSize: 100,
        volume: 1_000_000,
        close: 599.5,
        high: s + 1,
        low: s - 1,
        time: now,
      };
    }
    if (c.secType === 'FUT')
      return { bid: s * 10 - 0.25, ask: s * 10 + 0.25, last: s * 10, volume: 5000, time: now };
    if (c.secType === 'IND') return { last: 16.5, close: 16.2, time: now };
    // Options: intrinsic + 2.00 of time value, a 0.10-wide market.
    const intrinsic = c.right === 'C' ? Math.max(0, s - c.strike) : Math.max(0, c.strike - s);
    const mid = Math.round((intrinsic + 2) * 100) / 100;
    const delta = c.right === 'C' ? 0.5 : -0.5;
    return {
      bid: mid - 0.05,
      ask: mid + 0.05,
      last: mid,
      bidSize: 10,
      askSize: 12,
      volume: 321,
      openInterest: 4567,
      greeks: {
        impliedVol: 0.18,
        delta,
        gamma: 0.02,
        vega: 0.3,
        theta: -0.05,
        optPrice: mid,
        pvDividend: 0,
        undPrice: s,
      },
      time: now,
    };
  }

  function faultFor(c: SimContract): 'stale' | 'missing' | 'sentinel' | undefined {
    return quoteFaults.get(String(c.conId)) ?? quoteFaults.get(c.symbol) ?? quoteFaults.get('all');
  }

  function quote(conId: number): SimQuote | undefined {
    const c = contracts.get(conId);
    if (!c) return undefined;
    const fault = faultFor(c);
    if (fault === 'missing') return undefined;
    if (fault === 'stale') return frozen.get(conId) ?? liveQuote(conId);
    const q = liveQuote(conId);
    if (fault === 'sentinel' && q) {
      return {
        ...q,
        bid: -1,
        ask: Number.MAX_VALUE,
        greeks: q.greeks && {
          ...q.greeks,
          impliedVol: -1,
          delta: -2,
          gamma: -2,
          vega: -2,
          theta: -2,
          optPrice: -1,
        },
      };
    }
    return q;
  }

  function legsOf(req: SimOrderRequest): { contract: SimContract; ratio: number; action: 'BUY' | 'SELL' }[] {
    if (req.contract.secType === 'BAG') {
      return (req.contract.legs ?? []).map((l) => ({
        contract: contracts.get(l.conId) as SimContract,
        ratio: l.ratio,
        action: l.action,
      }));
    }
    return [
      { contract: contracts.get(req.contract.conId as number) as SimContract, ratio: 1, action: 'BUY' },
    ];
  }

  /** Leg prices at natural for the order's direction, and their signed sum (IB's combo price). */
  function natural(req: SimOrderRequest): { legPrices: number[]; comboPrice: number } {
    const buying = req.action === 'BUY';
    const legPrices: number[] = [];
    let comboPrice = 0;
    for (const leg of legsOf(req)) {
      const q = liveQuote(leg.contract.conId) as SimQuote;
      const legBuys = (leg.action === 'BUY') === buying;
      const p = (legBuys ? q.ask : q.bid) as number;
      legPrices.push(p);
      comboPrice += (leg.action === 'BUY' ? 1 : -1) * leg.ratio * p;
    }
    return { legPrices, comboPrice: Math.round(comboPrice * 100) / 100 };
  }

  function applyFill(book: OrderBook, qty: number): void {
    const { state } = book;
    const req = state.request;
    const { legPrices, comboPrice } = natural(req);
    const legs = legsOf(req);
    const buying = req.action === 'BUY';
    legs.forEach((leg, i) => {
      const legBuys = (leg.action === 'BUY') === buying;
      const shares = qty * leg.ratio;
      const p = legPrices[i] as number;
      const signed = legBuys ? shares : -shares;
      const mult = leg.contract.secType === 'STK' ? 1 : leg.contract.multiplier;
      const commission = Math.max(1, COMMISSION_PER_CONTRACT * shares);
      const pos = positions.get(leg.contract.conId) ?? { position: 0, avgCost: 0 };
      let realizedPnl: number | undefined;
      if (pos.position !== 0 && Math.sign(pos.position) !== Math.sign(signed)) {
        // Closing: realised = (exit − entry) per share × shares closed, less this commission.
        realizedPnl = (pos.avgCost - p * mult) * signed - commission;
        realized += realizedPnl;
        pos.position += signed;
      } else {
        pos.avgCost =
          (pos.avgCost * Math.abs(pos.position) + p * mult * shares + commission) /
          (Math.abs(pos.position) + shares);
        pos.position += signed;
      }
      positions.set(leg.contract.conId, pos);
      cash -= signed * p * mult + commission;
      const execution: SimExecution = {
        execId: `0000e0d5.${String(nextExec++).padStart(8, '0')}.01.01`,
        orderId: req.orderId,
        clientId: req.clientId,
        permId: state.permId,
        account: req.account,
        contract: leg.contract,
        side: legBuys ? 'BOT' : 'SLD',
        shares,
        price: p,
        cumQty: state.filled + qty,
        avgPrice: p,
        orderRef: req.orderRef,
        time: now,
      };
      const report: SimCommissionReport = {
        execId: execution.execId,
        commission,
        currency: 'USD',
        realizedPnl,
      };
      executions.push({ execution, commission: report });
      emit({ type: 'execution', execution });
      emit({ type: 'commission', report });
      emit({
        type: 'positionChanged',
        position: {
          account: req.account,
          contract: leg.contract,
          position: pos.position,
          avgCost: pos.avgCost,
        },
      });
    });
    state.filled += qty;
    state.remaining -= qty;
    state.avgFillPrice = comboPrice;
    state.lastFillPrice = comboPrice;
    state.status = state.remaining === 0 ? 'Filled' : 'Submitted';
    emit({ type: 'orderStatus', order: { ...state } });
  }

  function tryFill(book: OrderBook): void {
    const { state } = book;
    if (state.status !== 'Submitted' || state.remaining <= 0) return;
    const req = state.request;
    const { comboPrice } = natural(req);
    const marketable =
      req.orderType === 'MKT' ||
      req.limitPrice === undefined ||
      (req.action === 'BUY' ? req.limitPrice >= comboPrice : req.limitPrice <= comboPrice);
    if (!marketable) return;
    if (partialNeverComplete) {
      if (state.filled === 0) applyFill(book, Math.max(1, Math.floor(state.remaining / 2)));
      return;
    }
    applyFill(book, state.remaining);
  }

  function summary(account: string): SimAccountSummary {
    let value = 0;
    for (const [conId, p] of positions) {
      const c = contracts.get(conId) as SimContract;
      const q = liveQuote(conId) as SimQuote;
      const mid = ((q.bid ?? 0) + (q.ask ?? 0)) / 2;
      value += p.position * mid * (c.secType === 'STK' ? 1 : c.multiplier);
    }
    const net = cash + value;
    return {
      account,
      netLiquidation: net,
      buyingPower: net * 4,
      availableFunds: net - 1000,
      excessLiquidity: net - 800,
      totalCashValue: cash,
      initMarginReq: 1000,
      maintMarginReq: 800,
      realizedPnl: realized,
      unrealizedPnl: 0,
    };
  }

  const engine: FakeEngine = {
    now: () => now,
    advance(ms) {
      now += ms;
      for (const book of orders.values()) tryFill(book);
    },
    isMarketOpen: () => true,
    accounts: () => [ACCOUNT],
    contractById: (conId) => contracts.get(conId),
    findContracts(q) {
      return [...contracts.values()].filter(
        (c) =>
          (q.conId === undefined || c.conId === q.conId) &&
          (q.symbol === undefined || c.symbol === q.symbol) &&
          (q.secType === undefined || c.secType === q.secType) &&
          (q.lastTradeDate === undefined || c.lastTradeDate === q.lastTradeDate) &&
          (q.strike === undefined || c.strike === q.strike) &&
          (q.right === undefined || c.right === q.right),
      );
    },
    optionParams(symbol): SimOptionParams[] {
      if (symbol !== 'SPY') return [];
      return [
        {
          exchange: 'SMART',
          underlyingConId: SPY_CONID,
          tradingClass: 'SPY',
          multiplier: 100,
          expirations: [EXPIRY],
          strikes: STRIKES,
        },
        {
          exchange: 'CBOE',
          underlyingConId: SPY_CONID,
          tradingClass: 'SPY',
          multiplier: 100,
          expirations: [EXPIRY],
          strikes: STRIKES,
        },
      ];
    },
    quote,
    dailyBars(conId, days, what): SimBar[] {
      const bars: SimBar[] = [];
      for (let i = days; i >= 1; i--) {
        const day = new Date(start - i * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
        const close = what === 'OPTION_IMPLIED_VOLATILITY' ? 0.15 + i / 10_000 : 500 + i;
        bars.push({
          date: day,
          open: close,
          high: close + 1,
          low: close - 1,
          close,
          volume: conId === VIX_CONID ? 0 : 1000 + i,
          wap: close,
          barCount: 10,
        });
      }
      return bars;
    },
    placeOrder(request): SimOrderState | SimWhatIf {
      if (request.whatIf) {
        const width = 5;
        const change = width * 100 * request.quantity;
        return {
          initMarginBefore: 1000,
          maintMarginBefore: 800,
          equityWithLoanBefore: cash,
          initMarginChange: change,
          maintMarginChange: change,
          equityWithLoanChange: 0,
          initMarginAfter: 1000 + change,
          maintMarginAfter: 800 + change,
          equityWithLoanAfter: cash,
          commission: 2.6,
        };
      }
      const state: SimOrderState = {
        request,
        permId: nextPermId++,
        status: rejection ? 'Cancelled' : 'Submitted',
        filled: 0,
        remaining: request.quantity,
        avgFillPrice: 0,
        lastFillPrice: 0,
        rejectReason: rejection,
      };
      const book = { state };
      orders.set(request.orderId, book);
      if (rejection) return { ...state };
      emit({ type: 'orderStatus', order: { ...state } });
      tryFill(book);
      return { ...book.state };
    },
    modifyOrder(request) {
      const book = orders.get(request.orderId) as OrderBook;
      book.state.request = request;
      book.state.remaining = request.quantity - book.state.filled;
      emit({ type: 'orderStatus', order: { ...book.state } });
      tryFill(book);
      return { ...book.state };
    },
    cancelOrder(orderId) {
      const book = orders.get(orderId);
      if (!book) return undefined;
      book.state.status = 'Cancelled';
      emit({ type: 'orderStatus', order: { ...book.state } });
      return { ...book.state };
    },
    openOrders(clientId) {
      return [...orders.values()]
        .map((b) => b.state)
        .filter(
          (s) =>
            (s.status === 'Submitted' || s.status === 'PreSubmitted') &&
            (clientId === undefined || s.request.clientId === clientId),
        )
        .map((s) => ({ ...s }));
    },
    executions(filter) {
      return executions.filter(
        ({ execution: e }) =>
          (filter?.clientId === undefined || e.clientId === filter.clientId) &&
          (filter?.account === undefined || e.account === filter.account) &&
          (filter?.sinceMs === undefined || e.time >= filter.sinceMs) &&
          (filter?.symbol === undefined || e.contract.symbol === filter.symbol),
      );
    },
    positions(): SimPosition[] {
      return [...positions.entries()]
        .filter(([, p]) => p.position !== 0)
        .map(([conId, p]) => ({
          account: ACCOUNT,
          contract: contracts.get(conId) as SimContract,
          position: p.position,
          avgCost: p.avgCost,
        }));
    },
    accountSummary: summary,
    onEvent(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    saveState: () => ({ now }),
    loadState(state) {
      now = (state as { now: number }).now;
    },
    setQuoteFault(target, mode) {
      if (mode === undefined) quoteFaults.delete(String(target));
      else quoteFaults.set(String(target), mode);
      // A stale quote keeps the value it had when the fault began.
      for (const c of contracts.values()) {
        if (mode === 'stale' && faultFor(c) === 'stale') frozen.set(c.conId, liveQuote(c.conId) as SimQuote);
      }
    },
    setOrderRejection(reason) {
      rejection = reason;
    },
    setPartialFillsNeverComplete(on) {
      partialNeverComplete = on;
    },
    spot,
  };
  return engine;
}
