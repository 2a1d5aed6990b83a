// The earlyAssignment fault on the real engine: OCC assigns short in-the-money options before expiry.
// Every ITM short of the symbol by default, one contract with `conId`, part of it with `quantity`; the
// option leaves at 0 and the stock is booked at the strike, both without commission, as IB books it.
import { afterEach, describe, expect, it } from 'vitest';
import { nyTimeToEpoch } from '#core/calendar';
import { parseFaultScript, startSimulator } from '#simulator/index';
import type { Simulator } from '#simulator/index';
import type { SimContract, SimOrderState } from '#simulator/engine-api';

const START = nyTimeToEpoch('2026-06-01', '11:00');
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function market() {
  sim = await startSimulator({ port: 0, seed: 5, speed: 0, start: START, symbols: ['SPY', 'IWM'] });
  const engine = sim.engine;
  const account = engine.accounts()[0]!;
  const stock = engine.findContracts({ symbol: 'IWM', secType: 'STK' })[0]!;
  const spot = engine.quote(stock.conId)!.last!;
  const puts = engine.findContracts({ symbol: 'IWM', secType: 'OPT' }).filter((c) => c.right === 'P');
  const expiry = [...new Set(puts.map((p) => p.lastTradeDate))].sort()[2]!;
  const put = (x: number) =>
    puts
      .filter((p) => p.lastTradeDate === expiry)
      .sort((a, b) => Math.abs(a.strike - x) - Math.abs(b.strike - x))[0]!;
  let orderId = 500;
  /** Sells (−) or buys (+) `quantity` of one contract at a marketable limit. */
  const trade = (contract: SimContract, quantity: number) => {
    const state = engine.placeOrder({
      orderId: orderId++,
      clientId: 0,
      account,
      contract: { secType: contract.secType, conId: contract.conId, symbol: 'IWM' },
      action: quantity > 0 ? 'BUY' : 'SELL',
      quantity: Math.abs(quantity),
      orderType: 'LMT',
      limitPrice: quantity > 0 ? 1000 : 0.01,
      tif: 'DAY',
      orderRef: `t-${orderId}`,
      transmit: true,
      whatIf: false,
    }) as SimOrderState;
    expect(state.status).toBe('Filled');
  };
  const held = (conId: number) =>
    engine.positions(account).find((p) => p.contract.conId === conId)?.position ?? 0;
  const cash = () => engine.accountSummary(account).totalCashValue;
  return { engine, account, stock, spot, put, trade, held, cash };
}

describe('earlyAssignment fault', () => {
  it('assigns every short in-the-money option of the symbol: 100 shares a contract at the strike, no commission', async () => {
    const m = await market();
    const itmShort = m.put(m.spot * 1.05); // short, 5% in the money: assigned
    const itmShort2 = m.put(m.spot * 1.03); // short, 3% in the money: assigned
    const otmShort = m.put(m.spot * 0.95); // short, out of the money: not assigned
    const itmLong = m.put(m.spot * 1.08); // long, in the money: a holder is never assigned
    m.trade(itmShort, -2);
    m.trade(itmShort2, -1);
    m.trade(otmShort, -1);
    m.trade(itmLong, 1);
    const cashBefore = m.cash();

    sim!.faults.earlyAssignment('IWM');

    expect(m.held(itmShort.conId)).toBe(0);
    expect(m.held(itmShort2.conId)).toBe(0);
    expect(m.held(otmShort.conId)).toBe(-1);
    expect(m.held(itmLong.conId)).toBe(1);
    expect(m.held(m.stock.conId)).toBe(300);
    // The writer pays the strike for the shares; nothing else moves the cash (no commission).
    const paid = 200 * itmShort.strike + 100 * itmShort2.strike;
    expect(m.cash()).toBeCloseTo(cashBefore - paid, 2);
    const settled = m.engine.settlements(m.account);
    expect(settled.map((s) => [s.conId, s.kind, s.quantity, s.stockQuantity, s.strike])).toEqual([
      [itmShort.conId, 'assigned', -2, 200, itmShort.strike],
      [itmShort2.conId, 'assigned', -1, 100, itmShort2.strike],
    ]);
    // IB shows the stock at the strikes it was delivered at.
    const stock = m.engine.positions(m.account).find((p) => p.contract.conId === m.stock.conId)!;
    expect(stock.avgCost).toBeCloseTo(paid / 300, 6);
  });

  it('`conId` narrows it to one contract and `quantity` to part of it; a short call delivers stock the other way', async () => {
    const m = await market();
    const a = m.put(m.spot * 1.05);
    const b = m.put(m.spot * 1.04);
    m.trade(a, -3);
    m.trade(b, -1);
    const calls = m.engine
      .findContracts({ symbol: 'IWM', secType: 'OPT', lastTradeDate: a.lastTradeDate })
      .filter((c) => c.right === 'C')
      .sort((x, y) => Math.abs(x.strike - m.spot * 0.95) - Math.abs(y.strike - m.spot * 0.95));
    const call = calls[0]!;
    m.trade(call, -1);

    sim!.faults.earlyAssignment('IWM', { conId: a.conId, quantity: 2 });
    expect(m.held(a.conId)).toBe(-1);
    expect(m.held(b.conId)).toBe(-1);
    expect(m.held(call.conId)).toBe(-1);
    expect(m.held(m.stock.conId)).toBe(200);

    sim!.faults.earlyAssignment('IWM', { conId: call.conId });
    expect(m.held(call.conId)).toBe(0);
    // The call writer sells 100 shares at the strike.
    expect(m.held(m.stock.conId)).toBe(100);
  });

  it('is scriptable, and a bad entry is refused with the field named', async () => {
    const faults = parseFaultScript([
      { at: '2026-06-01T11:30', fault: 'earlyAssignment', symbol: 'IWM', quantity: 1 },
    ]);
    expect(faults[0]!.action).toEqual({ fault: 'earlyAssignment', symbol: 'IWM', quantity: 1 });
    expect(() => parseFaultScript([{ fault: 'earlyAssignment', symbol: 'IWM', quantity: 0 }])).toThrow(
      /quantity/,
    );
    sim = await startSimulator({ port: 0, seed: 5, speed: 0, start: START, symbols: ['IWM'], faults });
    const engine = sim.engine;
    const account = engine.accounts()[0]!;
    const stock = engine.findContracts({ symbol: 'IWM', secType: 'STK' })[0]!;
    const spot = engine.quote(stock.conId)!.last!;
    const short = engine
      .findContracts({ symbol: 'IWM', secType: 'OPT' })
      .filter((c) => c.right === 'P')
      .sort((x, y) => Math.abs(x.strike - spot * 1.06) - Math.abs(y.strike - spot * 1.06))[0]!;
    engine.placeOrder({
      orderId: 1,
      clientId: 0,
      account,
      contract: { secType: 'OPT', conId: short.conId, symbol: 'IWM' },
      action: 'SELL',
      quantity: 2,
      orderType: 'LMT',
      limitPrice: 0.01,
      tif: 'DAY',
      orderRef: 't',
      transmit: true,
      whatIf: false,
    });
    sim.advance(31 * 60_000);
    const position = (conId: number) => engine.positions(account).find((p) => p.contract.conId === conId);
    expect(position(short.conId)?.position).toBe(-1);
    expect(position(stock.conId)?.position).toBe(100);
  });
});
