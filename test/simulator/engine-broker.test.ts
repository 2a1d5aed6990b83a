import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nyTimeToEpoch } from '#core/calendar';
import { BAG_CON_ID, CHUNK, createSimEngine } from '#simulator/engine/index';
import type {
  SimAction,
  SimContract,
  SimEngineEvent,
  SimOrderRequest,
  SimOrderState,
  SimWhatIf,
} from '#simulator/engine-api';

const ACCOUNT = 'DU1234567';
const MONDAY_OPEN = nyTimeToEpoch('2026-06-01', '09:30');
const EXPIRY = '20260717';

/** Dollars equal to the cent. */
function expectCents(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThan(0.005);
}

/** IB-like commission by hand: $0.65 a contract, at least $1.00 per execution. */
function fee(contracts: number): number {
  return Math.round(Math.max(1, 0.65 * contracts) * 100) / 100;
}

function setup(seed = 21, start = MONDAY_OPEN) {
  const e = createSimEngine({ seed, start });
  const events: SimEngineEvent[] = [];
  e.onEvent((ev) => events.push(ev));
  let nextId = 1;
  const spyConId = e.findContracts({ symbol: 'SPY', secType: 'STK' })[0]!.conId;
  const spot = () => e.quote(spyConId)!.last!;
  const option = (strike: number, right: 'C' | 'P', expiry = EXPIRY): SimContract => {
    const [c] = e.findContracts({ symbol: 'SPY', secType: 'OPT', lastTradeDate: expiry, strike, right });
    if (!c) throw new Error(`no SPY ${expiry} ${strike}${right}`);
    return c;
  };
  const quote = (c: SimContract) => {
    const q = e.quote(c.conId)!;
    return { bid: q.bid!, ask: q.ask!, mid: (q.bid! + q.ask!) / 2 };
  };
  const combo = (
    action: SimAction,
    legs: [SimContract, SimAction][],
    quantity: number,
    limitPrice: number | undefined,
    extra: Partial<SimOrderRequest> = {},
  ): SimOrderRequest => ({
    orderId: nextId++,
    clientId: 0,
    account: ACCOUNT,
    contract: {
      secType: 'BAG',
      symbol: 'SPY',
      legs: legs.map(([c, a]) => ({ conId: c.conId, ratio: 1, action: a })),
    },
    action,
    quantity,
    orderType: limitPrice === undefined ? 'MKT' : 'LMT',
    limitPrice,
    tif: 'DAY',
    orderRef: `test-${nextId}`,
    transmit: true,
    whatIf: false,
    ...extra,
  });
  const single = (
    action: SimAction,
    c: SimContract,
    quantity: number,
    limitPrice?: number,
  ): SimOrderRequest => ({
    orderId: nextId++,
    clientId: 0,
    account: ACCOUNT,
    contract: { secType: c.secType, conId: c.conId, symbol: c.symbol },
    action,
    quantity,
    orderType: limitPrice === undefined ? 'MKT' : 'LMT',
    limitPrice,
    tif: 'DAY',
    orderRef: '',
    transmit: true,
    whatIf: false,
  });
  const place = (r: SimOrderRequest) => e.placeOrder(r) as SimOrderState;
  const position = (c: SimContract) => e.positions(ACCOUNT).find((p) => p.contract.conId === c.conId);
  const legExecs = (orderId: number) =>
    e.executions().filter((x) => x.execution.orderId === orderId && x.execution.contract.secType !== 'BAG');
  return { e, events, spot, option, quote, combo, single, place, position, legExecs, spyConId };
}

/** Strike nearest `x` on the 1-point grid. */
const near = (x: number) => Math.round(x);

describe('combo fills with IB semantics', () => {
  it('opens a bull put as BUY at a negative limit (natural) and closes it as SELL, to the cent', () => {
    const t = setup();
    const { e } = t;
    const shortPut = t.option(near(t.spot() * 0.95), 'P');
    const longPut = t.option(shortPut.strike - 5, 'P');
    const qs = t.quote(shortPut);
    const ql = t.quote(longPut);
    // BUY of {SELL short put, BUY long put}: price = −short + long, negative = credit received.
    const natural = Math.round((ql.ask - qs.bid) * 100) / 100;
    expect(natural).toBeLessThan(0);
    const open = t.place(
      t.combo(
        'BUY',
        [
          [shortPut, 'SELL'],
          [longPut, 'BUY'],
        ],
        2,
        natural,
      ),
    );
    expect(open.status).toBe('Filled');
    expectCents(open.avgFillPrice, natural);

    // Hand calculation of the opening: sell 2 short puts at their bid, buy 2 long puts at their ask.
    const commission = fee(2);
    const execs = t.legExecs(open.request.orderId);
    expect(execs.map((x) => [x.execution.side, x.execution.price, x.execution.shares])).toEqual([
      ['SLD', qs.bid, 2],
      ['BOT', ql.ask, 2],
    ]);
    expect(execs.map((x) => x.commission.commission)).toEqual([commission, commission]);
    expect(execs.every((x) => x.commission.realizedPnl === undefined)).toBe(true);
    const bag = e
      .executions()
      .find((x) => x.execution.orderId === open.request.orderId && x.execution.contract.secType === 'BAG')!;
    expect(bag.execution).toMatchObject({
      side: 'BOT',
      shares: 2,
      price: natural,
      contract: { conId: BAG_CON_ID },
    });
    expect(t.position(shortPut)).toMatchObject({ position: -2 });
    expect(t.position(longPut)).toMatchObject({ position: 2 });
    // IB's avgCost: per contract, times the multiplier, commission included (reduces a short's credit).
    expect(t.position(shortPut)!.avgCost).toBeCloseTo((qs.bid * 100 * 2 - commission) / 2, 6);
    expect(t.position(longPut)!.avgCost).toBeCloseTo((ql.ask * 100 * 2 + commission) / 2, 6);
    const cashAfterOpen = 100_000 + (qs.bid - ql.ask) * 100 * 2 - 2 * commission;
    expectCents(e.accountSummary(ACCOUNT).totalCashValue, cashAfterOpen);

    e.advance(90 * 60_000);
    const qs2 = t.quote(shortPut);
    const ql2 = t.quote(longPut);
    // SELL of the same combo reverses the legs: buy back the short put at its ask, sell the long at its bid.
    const closeNatural = Math.round((ql2.bid - qs2.ask) * 100) / 100;
    const close = t.place(
      t.combo(
        'SELL',
        [
          [shortPut, 'SELL'],
          [longPut, 'BUY'],
        ],
        2,
        closeNatural,
      ),
    );
    expect(close.status).toBe('Filled');
    const closeExecs = t.legExecs(close.request.orderId);
    expect(closeExecs.map((x) => [x.execution.side, x.execution.price])).toEqual([
      ['BOT', qs2.ask],
      ['SLD', ql2.bid],
    ]);
    const realizedShort = qs.bid * 200 - commission - (qs2.ask * 200 + commission);
    const realizedLong = ql2.bid * 200 - commission - (ql.ask * 200 + commission);
    expectCents(closeExecs[0]!.commission.realizedPnl!, realizedShort);
    expectCents(closeExecs[1]!.commission.realizedPnl!, realizedLong);
    expect(t.position(shortPut)).toBeUndefined();
    expect(t.position(longPut)).toBeUndefined();
    const summary = e.accountSummary(ACCOUNT);
    expectCents(summary.realizedPnl, realizedShort + realizedLong);
    expectCents(summary.totalCashValue, 100_000 + realizedShort + realizedLong);
    expectCents(summary.netLiquidation, summary.totalCashValue);
    const perContract = e.realizedPnlByContract(ACCOUNT);
    expectCents(perContract[shortPut.conId]!, realizedShort);
    expectCents(perContract[longPut.conId]!, realizedLong);
  });

  it('opens a bear call as SELL at a positive limit and closes it as BUY', () => {
    const t = setup(22);
    const { e } = t;
    const shortCall = t.option(near(t.spot() * 1.04), 'C');
    const longCall = t.option(shortCall.strike + 5, 'C');
    const qs = t.quote(shortCall);
    const ql = t.quote(longCall);
    // SELL of {BUY short-strike call, SELL long-strike call} sells the short call and buys the long one.
    const credit = Math.round((qs.bid - ql.ask) * 100) / 100;
    expect(credit).toBeGreaterThan(0);
    const open = t.place(
      t.combo(
        'SELL',
        [
          [shortCall, 'BUY'],
          [longCall, 'SELL'],
        ],
        3,
        credit,
      ),
    );
    expect(open.status).toBe('Filled');
    expect(t.position(shortCall)!.position).toBe(-3);
    expect(t.position(longCall)!.position).toBe(3);

    e.advance(2 * 3_600_000);
    const qs2 = t.quote(shortCall);
    const ql2 = t.quote(longCall);
    const debit = Math.round((qs2.ask - ql2.bid) * 100) / 100;
    const close = t.place(
      t.combo(
        'BUY',
        [
          [shortCall, 'BUY'],
          [longCall, 'SELL'],
        ],
        3,
        debit,
      ),
    );
    expect(close.status).toBe('Filled');
    const c = fee(3);
    // (credit − debit) × 100 × 3, less four leg commissions.
    const expected = (qs.bid - ql.ask - (qs2.ask - ql2.bid)) * 300 - 4 * c;
    const reports = t.legExecs(close.request.orderId).map((x) => x.commission.realizedPnl!);
    expectCents(reports[0]! + reports[1]!, expected);
    expectCents(e.accountSummary(ACCOUNT).realizedPnl, expected);
    expectCents(e.accountSummary(ACCOUNT).totalCashValue, 100_000 + expected);
    expect(e.positions(ACCOUNT)).toEqual([]);
  });

  it('opens and closes an iron condor, with margin the wider wing and cash to the cent', () => {
    const t = setup(23);
    const { e } = t;
    const S = t.spot();
    const sp = t.option(near(S * 0.95), 'P');
    const lp = t.option(sp.strike - 5, 'P');
    const sc = t.option(near(S * 1.04), 'C');
    const lc = t.option(sc.strike + 3, 'C');
    const legs: [SimContract, SimAction][] = [
      [sp, 'BUY'],
      [lp, 'SELL'],
      [sc, 'BUY'],
      [lc, 'SELL'],
    ];
    const q = [sp, lp, sc, lc].map(t.quote);
    const credit = Math.round((q[0]!.bid - q[1]!.ask + q[2]!.bid - q[3]!.ask) * 100) / 100;
    const open = t.place(t.combo('SELL', legs, 1, credit));
    expect(open.status).toBe('Filled');
    expect([sp, lp, sc, lc].map((c) => t.position(c)!.position)).toEqual([-1, 1, -1, 1]);
    // Margin: the wider wing (5 points) × 100 × 1; IB does not net the credit.
    const summary = e.accountSummary(ACCOUNT);
    expectCents(summary.initMarginReq, 500);
    expectCents(summary.availableFunds, summary.netLiquidation - 500);
    expectCents(summary.excessLiquidity, summary.netLiquidation - summary.maintMarginReq);
    // Net liquidation = cash + every leg marked at mid.
    const marks = [sp, lp, sc, lc].map(t.quote).map((x, i) => [-1, 1, -1, 1][i]! * x.mid * 100);
    expectCents(summary.netLiquidation, summary.totalCashValue + marks.reduce((a, b) => a + b, 0));

    e.advance(60 * 60_000);
    const q2 = [sp, lp, sc, lc].map(t.quote);
    const debit = Math.round((q2[0]!.ask - q2[1]!.bid + q2[2]!.ask - q2[3]!.bid) * 100) / 100;
    const close = t.place(t.combo('BUY', legs, 1, debit));
    expect(close.status).toBe('Filled');
    const expected = (credit - debit) * 100 - 8 * fee(1);
    expectCents(e.accountSummary(ACCOUNT).realizedPnl, expected);
    expectCents(e.accountSummary(ACCOUNT).totalCashValue, 100_000 + expected);
    // Each fill: one execution per leg plus one for the BAG; a commission of $1.00 per leg execution.
    const all = e.executions({ account: ACCOUNT });
    expect(all).toHaveLength(10);
    expect(
      all.filter((x) => x.execution.contract.secType === 'BAG').map((x) => x.commission.commission),
    ).toEqual([0, 0]);
    expectCents(
      all.reduce((a, x) => a + x.commission.commission, 0),
      8,
    );
  });
});

describe('fill rules', () => {
  it('fills a limit better than natural at once, at natural', () => {
    const t = setup(31);
    const sp = t.option(near(t.spot() * 0.96), 'P');
    const lp = t.option(sp.strike - 5, 'P');
    const natural = Math.round((t.quote(lp).ask - t.quote(sp).bid) * 100) / 100;
    // Asking for less credit than natural (a higher BUY price) is marketable: it fills at natural.
    const state = t.place(
      t.combo(
        'BUY',
        [
          [sp, 'SELL'],
          [lp, 'BUY'],
        ],
        1,
        natural + 0.2,
      ),
    );
    expect(state.status).toBe('Filled');
    expectCents(state.avgFillPrice, natural);
  });

  it('leaves a limit worse than mid working, and fills it once modified to natural', () => {
    const t = setup(32);
    const { e } = t;
    const sp = t.option(near(t.spot() * 0.96), 'P');
    const lp = t.option(sp.strike - 5, 'P');
    const mid = t.quote(sp).mid - t.quote(lp).mid;
    const greedy = Math.ceil((mid + 0.5) * 100) / 100; // SELL for 50 cents more than mid
    const order = t.place(
      t.combo(
        'SELL',
        [
          [sp, 'BUY'],
          [lp, 'SELL'],
        ],
        1,
        greedy,
      ),
    );
    expect(order.status).toBe('Submitted');
    e.advance(45 * 60_000);
    expect(e.openOrders().map((o) => o.request.orderId)).toEqual([order.request.orderId]);
    expect(e.executions()).toEqual([]);
    const natural = Math.round((t.quote(sp).bid - t.quote(lp).ask) * 100) / 100;
    const modified = e.modifyOrder({ ...order.request, limitPrice: natural });
    expect(modified.status).toBe('Filled');
    expect(modified.permId).toBe(order.permId);
    expectCents(modified.avgFillPrice, natural);
    expect(e.openOrders()).toEqual([]);
  });

  it('fills between mid and natural more often the nearer the limit is to natural', () => {
    // 16:01: ETF options still trade but the underlying has closed, so quotes hold still and only the
    // fill rule decides (during the session a one-minute move alone can make a limit marketable).
    const t = setup(33, nyTimeToEpoch('2026-06-01', '16:01'));
    const { e } = t;
    // Liquid-ish options with a spread of at least 8 cents.
    const candidates = e
      .findContracts({ symbol: 'SPY', secType: 'OPT', lastTradeDate: EXPIRY })
      .filter((c) => {
        const q = t.quote(c);
        return q.ask - q.bid >= 0.08 && q.bid > 1;
      })
      .slice(0, 60);
    expect(candidates.length).toBe(60);
    const atMid: number[] = [];
    const nearNatural: number[] = [];
    candidates.forEach((c, i) => {
      const q = t.quote(c);
      if (i % 2 === 0)
        atMid.push(t.place(t.single('BUY', c, 1, Math.ceil(q.mid * 100) / 100)).request.orderId);
      else
        nearNatural.push(
          t.place(t.single('BUY', c, 1, Math.round((q.ask - 0.01) * 100) / 100)).request.orderId,
        );
    });
    expect(e.executions()).toEqual([]); // none is marketable: nothing fills at placement
    e.advance(60_000);
    const filled = (ids: number[]) =>
      ids.filter((id) => e.executions().some((x) => x.execution.orderId === id)).length;
    expect(filled(nearNatural)).toBeGreaterThanOrEqual(18);
    expect(filled(atMid)).toBeLessThanOrEqual(12);
    expect(filled(nearNatural)).toBeGreaterThan(filled(atMid));
    // A fill never happens at a price worse than the limit.
    for (const x of e.executions()) {
      const order = [...e.completedOrders(), ...e.openOrders()].find(
        (o) => o.request.orderId === x.execution.orderId,
      )!;
      expect(x.execution.price).toBeLessThanOrEqual(order.request.limitPrice! + 1e-9);
    }
  });

  it('splits a combo fill into leg prices that sum to the combo price and never fills worse than the limit', () => {
    // After the equity close the quotes hold still, so each condor fills at its limit (the random roll).
    const t = setup(37, nyTimeToEpoch('2026-06-01', '16:01'));
    const { e } = t;
    const S = t.spot();
    const shapes = fc.sample(
      fc.record({
        putOtm: fc.integer({ min: 2, max: 25 }),
        callOtm: fc.integer({ min: 2, max: 25 }),
        putWidth: fc.constantFrom(1, 2, 5),
        callWidth: fc.constantFrom(1, 2, 5),
        towardNatural: fc.double({ min: 0.4, max: 0.95, noNaN: true }),
      }),
      { seed: 5, numRuns: 30 },
    );
    const limits = new Map<number, number>();
    for (const shape of shapes) {
      const sp = t.option(Math.round(S) - shape.putOtm, 'P');
      const lp = t.option(sp.strike - shape.putWidth, 'P');
      const sc = t.option(Math.round(S) + shape.callOtm, 'C');
      const lc = t.option(sc.strike + shape.callWidth, 'C');
      const [a, b, c, d] = [sp, lp, sc, lc].map(t.quote) as [
        ReturnType<typeof t.quote>,
        ...ReturnType<typeof t.quote>[],
      ];
      const mid = a.mid - b!.mid + c!.mid - d!.mid;
      const natural = a.bid - b!.ask + c!.bid - d!.ask;
      // A SELL between natural (below) and mid: rounded up to the cent, so still at or inside mid.
      const limit = Math.ceil((mid - shape.towardNatural * (mid - natural)) * 100) / 100;
      const order = t.place(
        t.combo(
          'SELL',
          [
            [sp, 'BUY'],
            [lp, 'SELL'],
            [sc, 'BUY'],
            [lc, 'SELL'],
          ],
          1,
          limit,
        ),
      );
      limits.set(order.request.orderId, limit);
    }
    e.advance(12 * 60_000);
    const bags = e.executions().filter((x) => x.execution.contract.secType === 'BAG');
    expect(bags.length).toBeGreaterThanOrEqual(25);
    for (const bag of bags) {
      const legs = t.legExecs(bag.execution.orderId);
      expect(legs).toHaveLength(4);
      // Selling the combo: legs sold add their price, legs bought subtract it.
      const sum = legs.reduce((acc, x) => acc + (x.execution.side === 'SLD' ? 1 : -1) * x.execution.price, 0);
      expectCents(sum, bag.execution.price);
      expect(bag.execution.price).toBeGreaterThanOrEqual(limits.get(bag.execution.orderId)! - 1e-9);
      for (const x of legs) expect(x.execution.price).toBeGreaterThanOrEqual(0);
    }
  });

  it('fills more than five contracts in chunks, one chunk a minute, unless partial fills never complete', () => {
    const t = setup(34);
    const { e } = t;
    const sp = t.option(near(t.spot() * 0.95), 'P');
    const lp = t.option(sp.strike - 5, 'P');
    const natural = () => Math.round((t.quote(lp).ask - t.quote(sp).bid) * 100) / 100;
    const order = t.place(
      t.combo(
        'BUY',
        [
          [sp, 'SELL'],
          [lp, 'BUY'],
        ],
        12,
        natural() + 0.5,
      ),
    );
    expect(order).toMatchObject({ status: 'Submitted', filled: CHUNK, remaining: 12 - CHUNK });
    e.advance(60_000);
    expect(e.openOrders()[0]).toMatchObject({ filled: 10, remaining: 2 });
    e.advance(60_000);
    expect(e.completedOrders().find((o) => o.request.orderId === order.request.orderId)).toMatchObject({
      status: 'Filled',
      filled: 12,
    });
    expect(t.position(sp)!.position).toBe(-12);
    // Three fills: two legs and the BAG each time; commissions 5×0.65 = 3.25, then 3.25, then max(1, 1.30).
    const legs = t.legExecs(order.request.orderId);
    expect(legs.map((x) => x.execution.shares)).toEqual([5, 5, 5, 5, 2, 2]);
    expect(legs.map((x) => x.commission.commission)).toEqual([3.25, 3.25, 3.25, 3.25, 1.3, 1.3]);
    expect(
      legs.filter((x) => x.execution.contract.conId === sp.conId).map((x) => x.execution.cumQty),
    ).toEqual([5, 10, 12]);

    const t2 = setup(34);
    t2.e.setPartialFillsNeverComplete(true);
    const sp2 = t2.option(sp.strike, 'P');
    const lp2 = t2.option(lp.strike, 'P');
    const stuck = t2.place(
      t2.combo(
        'BUY',
        [
          [sp2, 'SELL'],
          [lp2, 'BUY'],
        ],
        12,
        natural() + 0.5,
      ),
    );
    t2.e.advance(30 * 60_000);
    expect(t2.e.openOrders()).toEqual([
      expect.objectContaining({ filled: CHUNK, remaining: 7, status: 'Submitted' }),
    ]);
    expect(stuck.filled).toBe(CHUNK);
  });

  it('rejects market orders for combos (201) but fills a single-leg market order at natural', () => {
    const t = setup(35);
    const { e, events } = t;
    const sp = t.option(near(t.spot() * 0.95), 'P');
    const lp = t.option(sp.strike - 5, 'P');
    const rejected = t.place(
      t.combo(
        'BUY',
        [
          [sp, 'SELL'],
          [lp, 'BUY'],
        ],
        1,
        undefined,
      ),
    );
    expect(rejected.status).toBe('Inactive');
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'orderRejected', orderId: rejected.request.orderId, code: 201 }),
    );
    expect(e.openOrders()).toEqual([]);
    const ask = t.quote(sp).ask;
    const filled = t.place(t.single('BUY', sp, 1));
    expect(filled.status).toBe('Filled');
    expect(filled.avgFillPrice).toBe(ask);
    expect(t.position(sp)).toMatchObject({ position: 1 });
    expect(t.position(sp)!.avgCost).toBeCloseTo(ask * 100 + 1, 6);
  });

  it('rejects every new order while an order rejection is injected', () => {
    const t = setup(36);
    const sp = t.option(near(t.spot() * 0.95), 'P');
    t.e.setOrderRejection('Margin requirements not met');
    const state = t.place(t.single('BUY', sp, 1, 100));
    expect(state).toMatchObject({ status: 'Inactive', rejectReason: 'Margin requirements not met' });
    expect(t.events).toContainEqual({
      type: 'orderRejected',
      orderId: state.request.orderId,
      code: 201,
      reason: 'Margin requirements not met',
    });
    t.e.setOrderRejection(undefined);
    expect(t.place(t.single('BUY', sp, 1, 100)).status).toBe('Filled');
  });
});

describe('order lifecycle', () => {
  it('holds an order PreSubmitted outside hours, submits and fills it at the open; cancels on request', () => {
    const t = setup(41, nyTimeToEpoch('2026-06-01', '08:00'));
    const { e, events } = t;
    expect(e.isMarketOpen()).toBe(false);
    const sp = t.option(near(t.spot() * 0.95), 'P');
    const buy = t.place(t.single('BUY', sp, 1, 1000)); // far above any ask: marketable at the open
    expect(buy.status).toBe('PreSubmitted');
    const other = t.place(t.single('BUY', sp, 1, 0.01));
    e.advance(91 * 60_000);
    expect(e.completedOrders().find((o) => o.request.orderId === buy.request.orderId)!.status).toBe('Filled');
    expect(e.openOrders()).toEqual([expect.objectContaining({ status: 'Submitted', permId: other.permId })]);
    const cancelled = e.cancelOrder(other.request.orderId)!;
    expect(cancelled.status).toBe('Cancelled');
    expect(e.openOrders()).toEqual([]);
    const statuses = events
      .filter((x) => x.type === 'orderStatus' && x.order.permId === other.permId)
      .map((x) => (x.type === 'orderStatus' ? x.order.status : ''));
    expect(statuses).toEqual(['PreSubmitted', 'Submitted', 'Cancelled']);
    expect(e.cancelOrder(9999)).toBeUndefined();
  });

  it('emits execution, orderStatus, commission and positionChanged events for a fill', () => {
    const t = setup(42);
    const sp = t.option(near(t.spot() * 0.95), 'P');
    const lp = t.option(sp.strike - 5, 'P');
    t.events.length = 0;
    t.place(
      t.combo(
        'BUY',
        [
          [sp, 'SELL'],
          [lp, 'BUY'],
        ],
        1,
        10,
      ),
    );
    expect(t.events.map((x) => x.type)).toEqual([
      'orderStatus', // Submitted
      'execution',
      'execution',
      'execution', // the BAG
      'orderStatus', // Filled
      'commission',
      'commission',
      'positionChanged',
      'positionChanged',
    ]);
  });

  it('expires DAY orders at the end of the session and keeps GTC ones', () => {
    const t = setup(43, nyTimeToEpoch('2026-06-01', '15:00'));
    const sp = t.option(near(t.spot() * 0.95), 'P');
    const day = t.place(t.single('BUY', sp, 1, 0.01));
    const gtc = t.place({ ...t.single('BUY', sp, 1, 0.01), tif: 'GTC' });
    t.e.setTime(nyTimeToEpoch('2026-06-01', '17:00'));
    expect(t.e.openOrders().map((o) => o.permId)).toEqual([gtc.permId]);
    expect(t.e.completedOrders().find((o) => o.permId === day.permId)!.status).toBe('Cancelled');
  });
});

describe('what-if', () => {
  it('returns margin for a defined-risk spread (width × 100 × quantity) without placing anything', () => {
    const t = setup(51);
    const { e } = t;
    const sp = t.option(near(t.spot() * 0.95), 'P');
    const lp = t.option(sp.strike - 5, 'P');
    const before = e.accountSummary(ACCOUNT);
    const result = e.placeOrder(
      t.combo(
        'BUY',
        [
          [sp, 'SELL'],
          [lp, 'BUY'],
        ],
        2,
        -1,
        { whatIf: true },
      ),
    ) as SimWhatIf;
    expectCents(result.initMarginBefore, 0);
    expectCents(result.initMarginChange, 5 * 100 * 2);
    expectCents(result.initMarginAfter, 1000);
    expectCents(result.maintMarginAfter, 1000);
    expectCents(result.commission, 2 * fee(2));
    expectCents(result.equityWithLoanBefore, before.netLiquidation);
    expect(e.openOrders()).toEqual([]);
    expect(e.executions()).toEqual([]);
    expect(e.positions()).toEqual([]);
    expect(e.accountSummary(ACCOUNT)).toEqual(before);
  });
});

describe('expiry settlement', () => {
  it('assigns an in-the-money short put into 100 shares a contract at the strike; OTM options expire at 0', () => {
    const expiry = '20260605';
    const t = setup(61);
    const { e } = t;
    const S = t.spot();
    const itmShort = t.option(near(S * 1.06), 'P', expiry);
    const otmLong = t.option(near(S * 0.94), 'P', expiry);
    const otmShortCall = t.option(near(S * 1.06), 'C', expiry);
    const otmLongCall = t.option(otmShortCall.strike + 5, 'C', expiry);
    const q = [itmShort, otmLong, otmShortCall, otmLongCall].map(t.quote);
    t.place(
      t.combo(
        'BUY',
        [
          [itmShort, 'SELL'],
          [otmLong, 'BUY'],
        ],
        2,
        100,
      ),
    );
    t.place(
      t.combo(
        'SELL',
        [
          [otmShortCall, 'BUY'],
          [otmLongCall, 'SELL'],
        ],
        1,
        -100,
      ),
    );
    const cashBefore = e.accountSummary(ACCOUNT).totalCashValue;
    // Hand calculation of the opening cash: 2× (bid of the short put − ask of the long put) and
    // 1× (bid of the short call − ask of the long call), less four leg commissions.
    expectCents(
      cashBefore,
      100_000 + (q[0]!.bid - q[1]!.ask) * 200 + (q[2]!.bid - q[3]!.ask) * 100 - 2 * fee(2) - 2 * fee(1),
    );

    e.setTime(nyTimeToEpoch('2026-06-05', '16:30'));
    const settled = e.settlements(ACCOUNT);
    const close = settled[0]!.settlementPrice;
    expect(close).toBe(e.quote(t.spyConId)!.last);
    expect(itmShort.strike).toBeGreaterThan(close);
    expect(otmLong.strike).toBeLessThan(close);
    expect(otmShortCall.strike).toBeGreaterThan(close);
    const byConId = [...settled].sort((x, y) => x.conId - y.conId);
    expect(byConId.map((s) => [s.conId, s.kind, s.stockQuantity])).toEqual(
      [
        [otmLong.conId, 'expired', 0],
        [itmShort.conId, 'assigned', 200],
        [otmShortCall.conId, 'expired', 0],
        [otmLongCall.conId, 'expired', 0],
      ].sort((x, y) => (x[0] as number) - (y[0] as number)),
    );
    const positions = e.positions(ACCOUNT);
    expect(positions).toHaveLength(1);
    expect(positions[0]).toMatchObject({
      position: 200,
      avgCost: itmShort.strike,
      contract: { secType: 'STK', symbol: 'SPY' },
    });
    // Shares bought at the strike; the options leave at 0, so each leg's premium becomes realised.
    expectCents(e.accountSummary(ACCOUNT).totalCashValue, cashBefore - itmShort.strike * 200);
    const perContract = e.realizedPnlByContract(ACCOUNT);
    expectCents(perContract[itmShort.conId]!, q[0]!.bid * 200 - fee(2));
    expectCents(perContract[otmLong.conId]!, -(q[1]!.ask * 200 + fee(2)));
    expectCents(
      perContract[otmShortCall.conId]! + perContract[otmLongCall.conId]!,
      (q[2]!.bid - q[3]!.ask) * 100 - 2 * fee(1),
    );
    expect(e.findContracts({ symbol: 'SPY', secType: 'OPT', lastTradeDate: expiry })).toEqual([]);
    expect(e.contractById(itmShort.conId)?.lastTradeDate).toBe(expiry);
  });
});

describe('save and load', () => {
  it('continues identically after a JSON round trip, working orders and positions included', () => {
    const a = setup(71);
    const sp = a.option(near(a.spot() * 0.95), 'P');
    const lp = a.option(sp.strike - 5, 'P');
    a.place(
      a.combo(
        'BUY',
        [
          [sp, 'SELL'],
          [lp, 'BUY'],
        ],
        3,
        10,
      ),
    );
    a.place(
      a.combo(
        'SELL',
        [
          [sp, 'BUY'],
          [lp, 'SELL'],
        ],
        12,
        a.quote(sp).mid - a.quote(lp).mid,
      ),
    );
    a.e.setQuoteFault('QQQ', 'missing');
    a.e.advance(37 * 60_000);
    const saved = JSON.parse(JSON.stringify(a.e.saveState())) as unknown;
    expect(JSON.stringify(saved)).toBe(JSON.stringify(a.e.saveState()));

    const b = createSimEngine({ seed: 999, symbols: ['IWM'], account: 'live' });
    b.loadState(saved);
    expect(b.accounts()).toEqual([ACCOUNT]);
    expect(b.now()).toBe(a.e.now());
    for (const engine of [a.e, b]) engine.advance(2 * 86_400_000 + 5 * 60 * 60_000);
    expect(b.now()).toBe(a.e.now());
    expect(b.positions()).toEqual(a.e.positions());
    expect(b.executions()).toEqual(a.e.executions());
    expect(b.completedOrders()).toEqual(a.e.completedOrders());
    expect(b.openOrders()).toEqual(a.e.openOrders());
    expect(b.accountSummary(ACCOUNT)).toEqual(a.e.accountSummary(ACCOUNT));
    expect(b.quote(sp.conId)).toEqual(a.e.quote(sp.conId));
    expect(b.quote(a.spyConId)).toEqual(a.e.quote(a.spyConId));
    expect(b.dailyBars(a.spyConId, 10, 'TRADES')).toEqual(a.e.dailyBars(a.spyConId, 10, 'TRADES'));
    const qqq = b.findContracts({ symbol: 'QQQ', secType: 'STK' })[0]!.conId;
    expect(b.quote(qqq)!.bid).toBeUndefined();
    expect(b.saveState()).toEqual(a.e.saveState());
  });

  it('refuses a state it does not understand', () => {
    const e = createSimEngine();
    expect(() => e.loadState({ version: 42 })).toThrow(/unsupported/);
  });
});
