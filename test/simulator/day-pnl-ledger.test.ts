// Property: the core's day P&L equals, to the cent, what the broker's own books say the day made —
// the change in the simulator's cash ledger plus the value of what is still held, at the same marks.
//
// One random day of a credit-spread book, from an empty account: opening fills (chunked above 5
// contracts), partial closes, full closes, price moves, and the weekly expiry at the close (options out
// of the money expire worthless, those in the money are assigned or exercised into stock). Each event
// goes to the simulator's broker (gateway-container/simulator/engine/broker.ts, in process, its cash
// moving on every fill, commission and settlement as IB's would) and, from the same fills, to the
// system side as the jobs record it: positions from positionFromFill, realised entries from
// closeRealisedUsd (partial and full closes) and assignmentOutcome (expiries and assignments), the stock
// an assignment leaves as a holding marked at the stock's mid.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nyDate, nyTimeToEpoch } from '#core/calendar';
import { dayPnl, marksFrom } from '#core/day-pnl';
import type { LedgerPosition, UnrealisedSnapshot } from '#core/day-pnl';
import type { OrderIntentLeg } from '#core/intents';
import { closeRealisedUsd, positionFromFill } from '#core/lifecycle';
import type { FillSummary } from '#core/lifecycle';
import { assignmentOutcome, quoteMap, unrealisedPnl } from '#core/pnl';
import type {
  OptionContract,
  OptionQuote,
  RealisedEntry,
  RealisedKind,
  Right,
  StrategyKind,
  StrategyPosition,
} from '#core/types';
import { Broker } from '#simulator/engine/broker';
import { newBrokerState } from '#simulator/engine/broker-state';
import type { BrokerMarket, LegQuote } from '#simulator/engine/broker-state';
import { optionContract, stockContract, underlyingSpec } from '#simulator/engine/instruments';
import type { BaseContract } from '#simulator/engine/instruments';
import type { SimAction, SimContract } from '#simulator/engine-api';

const ACCOUNT = 'DU1234567';
const INITIAL_CASH = 100_000;
/** A Friday: its weekly options expire at the close. */
const DAY = '2026-06-05';
const LATER = '2026-06-19';
const FIRST_EVENT = nyTimeToEpoch(DAY, '09:45');
const SETTLEMENT = nyTimeToEpoch(DAY, '16:15');
const round2 = (x: number) => Math.round(x * 100) / 100;
const floorCents = (x: number) => Math.floor(x * 100 + 1e-9) / 100;
const ceilCents = (x: number) => Math.ceil(x * 100 - 1e-9) / 100;

/**
 * The market the broker fills against, with quotes the test controls: an option's fair value is its
 * intrinsic value plus a time value falling off away from the money (so prices are monotonic in the
 * strike, as arbitrage keeps them), quoted 3 cents either side on the cent grid.
 */
class TestMarket implements BrokerMarket {
  readonly seed = 1;
  readonly commissionPerContract = 0.65;
  /** The underlying's price now, on the cent grid. */
  price = 600;
  private readonly spec = underlyingSpec('SPY', 0, 1);
  readonly stock = stockContract(this.spec);
  private readonly contracts = new Map<number, BaseContract>([[this.stock.conId, this.stock]]);

  option(expiry: string, strike: number, right: Right): BaseContract {
    const contract = optionContract(this.spec, 0, expiry, strike, right);
    this.contracts.set(contract.conId, contract);
    return contract;
  }

  contract(conId: number) {
    return this.contracts.get(conId);
  }

  withHours(contract: BaseContract): SimContract {
    return { ...contract, tradingHours: '', liquidHours: '' };
  }

  legQuote(conId: number): LegQuote | undefined {
    const c = this.contracts.get(conId);
    if (!c) return undefined;
    if (c.secType === 'STK') return { bid: round2(this.price - 0.01), ask: round2(this.price + 0.01) };
    const timeValue = c.lastTradeDate === DAY.replaceAll('-', '') ? 0.6 : 2;
    const distance = c.strike - this.price;
    const intrinsic = c.right === 'P' ? Math.max(0, distance) : Math.max(0, -distance);
    const fair = intrinsic + timeValue * Math.exp(-Math.abs(distance) / 5);
    return { bid: Math.max(0, floorCents(fair - 0.03)), ask: ceilCents(fair + 0.03) };
  }

  tradable() {
    return true;
  }

  spot() {
    return this.price;
  }

  underlyingContract() {
    return this.stock;
  }
}

type Event =
  | { kind: 'move'; cents: number }
  | { kind: 'open'; strategy: StrategyKind; later: boolean; offset: number; width: number; quantity: number }
  | { kind: 'partial'; pick: number; fraction: number }
  | { kind: 'close'; pick: number }
  | { kind: 'expire' }
  /** A monitor cycle: a P&L snapshot of everything open (the marks dayPnl reads are the latest). */
  | { kind: 'monitor' };

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('move' as const), cents: fc.integer({ min: -400, max: 400 }) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('open' as const),
      strategy: fc.constantFrom<StrategyKind>('BULL_PUT', 'BEAR_CALL', 'IRON_CONDOR'),
      later: fc.boolean(),
      offset: fc.integer({ min: -4, max: 4 }),
      width: fc.integer({ min: 1, max: 4 }),
      quantity: fc.integer({ min: 1, max: 8 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('partial' as const),
      pick: fc.nat(),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('close' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('monitor' as const) }) },
);

/** A position as the store keeps it: the strategy position, its status and its realised ledger. */
interface Recorded {
  position: StrategyPosition;
  status: 'OPEN' | 'CLOSED';
  realised: RealisedEntry[];
}

/** Stock an assignment left, held at the strike(s). */
interface Holding {
  id: string;
  shares: number;
  averagePrice: number;
}

function runDay(events: readonly Event[]) {
  const market = new TestMarket();
  const broker = new Broker(newBrokerState(ACCOUNT, INITIAL_CASH), market, () => {});
  const account = broker.state.accounts[ACCOUNT]!;
  const recorded: Recorded[] = [];
  const holdings: Holding[] = [];
  let now = FIRST_EVENT;
  let orderId = 1;
  let expired = false;

  const optionOf = (c: BaseContract): OptionContract => ({
    symbol: c.symbol,
    expiry: `${c.lastTradeDate.slice(0, 4)}-${c.lastTradeDate.slice(4, 6)}-${c.lastTradeDate.slice(6)}`,
    strike: c.strike,
    right: c.right!,
    multiplier: c.multiplier,
    conId: c.conId,
  });
  const quoteOf = (c: OptionContract): OptionQuote => ({
    contract: c,
    ...market.legQuote(c.conId!)!,
    timestamp: now,
  });

  /** Places a combo BUY at its natural price and works it until filled (5 contracts a minute above 5). */
  const fillCombo = (legs: { conId: number; action: SimAction }[], quantity: number) => {
    const natural = round2(
      legs.reduce((sum, l) => {
        const q = market.legQuote(l.conId)!;
        return sum + (l.action === 'BUY' ? q.ask : -q.bid);
      }, 0),
    );
    const id = orderId++;
    broker.placeOrder(
      {
        orderId: id,
        clientId: 0,
        account: ACCOUNT,
        contract: { secType: 'BAG', symbol: 'SPY', legs: legs.map((l) => ({ ...l, ratio: 1 })) },
        action: 'BUY',
        quantity,
        orderType: 'LMT',
        limitPrice: natural,
        tif: 'DAY',
        orderRef: `order-${id}`,
        transmit: true,
        whatIf: false,
      },
      now,
    );
    const order = broker.state.orders[String(id)]!;
    for (let minute = 1; order.remaining > 0; minute++) {
      if (minute > 10) throw new Error(`order ${id} did not fill at its natural price`);
      broker.evaluate(now + minute * 60_000);
    }
    const commissionsUsd = round2(
      broker.state.executions
        .filter((e) => e.execution.orderId === id)
        .reduce((sum, e) => sum + e.commission.commission, 0),
    );
    return { natural, avgFillPrice: order.avgFillPrice, filledQuantity: order.filled, commissionsUsd };
  };

  const record = (r: Recorded, usd: number, kind: RealisedKind) =>
    r.realised.push({ at: now, tradeDate: nyDate(now), usd, kind });

  const openPositions = () => recorded.filter((r) => r.status === 'OPEN');

  const open = (e: Extract<Event, { kind: 'open' }>) => {
    const expiry = e.later || expired ? LATER : DAY;
    const atm = Math.round(market.price);
    const put = (strike: number) => market.option(expiry, strike, 'P');
    const call = (strike: number) => market.option(expiry, strike, 'C');
    const sides: [BaseContract, BaseContract][] = [];
    if (e.strategy !== 'BEAR_CALL') sides.push([put(atm + e.offset - 2), put(atm + e.offset - 2 - e.width)]);
    if (e.strategy !== 'BULL_PUT') sides.push([call(atm + e.offset + 2), call(atm + e.offset + 2 + e.width)]);
    const intentLegs: OrderIntentLeg[] = sides.flatMap(([short, long]) => [
      { contract: optionOf(short), action: 'SELL' as const, ratio: 1 },
      { contract: optionOf(long), action: 'BUY' as const, ratio: 1 },
    ]);
    const comboLegs = intentLegs.map((l) => ({ conId: l.contract.conId!, action: l.action }));
    // A credit spread opens for a credit; the entry rules never send one that would not.
    const natural = comboLegs.reduce((sum, l) => {
      const q = market.legQuote(l.conId)!;
      return sum + (l.action === 'BUY' ? q.ask : -q.bid);
    }, 0);
    if (!(natural < 0)) return;
    const filled = fillCombo(comboLegs, e.quantity);
    // The bridge reports the credit as a positive price.
    const fill: FillSummary = {
      filledQuantity: filled.filledQuantity,
      avgFillPrice: -filled.avgFillPrice,
      commissionsUsd: filled.commissionsUsd,
    };
    const position = positionFromFill(
      { intentKey: `pos-${orderId}`, strategy: e.strategy, symbol: 'SPY', legs: intentLegs },
      fill,
      now,
    );
    recorded.push({ position, status: 'OPEN', realised: [] });
  };

  /** Buys back `quantity` of the position at natural; returns the fill as the bridge reports it. */
  const buyBack = (r: Recorded, quantity: number): FillSummary => {
    const legs = r.position.legs.map((l) => ({
      conId: l.contract.conId!,
      action: (l.quantity < 0 ? 'BUY' : 'SELL') as SimAction,
    }));
    const filled = fillCombo(legs, quantity);
    return {
      filledQuantity: filled.filledQuantity,
      avgFillPrice: filled.avgFillPrice,
      commissionsUsd: filled.commissionsUsd,
    };
  };

  const partial = (e: Extract<Event, { kind: 'partial' }>) => {
    const candidates = openPositions().filter((r) => r.position.quantity >= 2);
    const r = candidates[e.pick % Math.max(1, candidates.length)];
    if (!r) return;
    const q = r.position.quantity;
    const k = 1 + Math.min(q - 2, Math.floor(e.fraction * (q - 1)));
    const fill = buyBack(r, k);
    // As monitor's applyPartialClose + the store's reduceFromFill: this fill's P&L, legs scaled.
    record(r, closeRealisedUsd(r.position, fill), 'PARTIAL_CLOSE');
    const left = q - k;
    r.position = {
      ...r.position,
      quantity: left,
      legs: r.position.legs.map((l) => ({ ...l, quantity: (l.quantity / q) * left })),
    };
  };

  const close = (e: Extract<Event, { kind: 'close' }>) => {
    const candidates = openPositions();
    const r = candidates[e.pick % Math.max(1, candidates.length)];
    if (!r) return;
    const fill = buyBack(r, r.position.quantity);
    // As the monitor's full close: the last close carries the opening commissions.
    record(r, closeRealisedUsd(r.position, fill, r.position.quantity, r.position.commissionsUsd), 'CLOSE');
    r.status = 'CLOSED';
  };

  const expire = () => {
    if (expired) return;
    expired = true;
    now = Math.max(now, SETTLEMENT);
    broker.settleExpiries(DAY, () => market.price, now);
    for (const r of openPositions().filter((p) => p.position.expiry === DAY)) {
      // OCC's automatic exercise: a cent or more in the money.
      const delivered = r.position.legs
        .filter((l) => {
          const { strike, right } = l.contract;
          return (right === 'P' ? strike - market.price : market.price - strike) >= 0.01 - 1e-9;
        })
        .map((l) => ({ contract: l.contract, contracts: Math.abs(l.quantity) }));
      const outcome = assignmentOutcome({ position: r.position, delivered });
      record(r, round2(outcome.realisedUsd), delivered.length === 0 ? 'EXPIRY' : 'ASSIGNMENT');
      r.status = 'CLOSED';
      if (outcome.stock) {
        holdings.push({
          id: `${r.position.id}:stock`,
          shares: outcome.stock.shares,
          averagePrice: outcome.stock.averagePrice,
        });
      }
    }
  };

  const snapshots: UnrealisedSnapshot[] = [];
  const monitorCycle = () => {
    for (const r of openPositions()) {
      const pnl = unrealisedPnl(r.position, quoteMap(r.position.legs.map((l) => quoteOf(l.contract))));
      if (!pnl.ok) throw new Error(`position ${r.position.id} could not be marked`);
      snapshots.push({
        positionId: r.position.id,
        at: now,
        unrealisedMidUsd: pnl.midUsd,
        unrealisedNaturalUsd: pnl.naturalUsd,
      });
    }
    for (const h of holdings) {
      const usd = h.shares * (market.price - h.averagePrice);
      snapshots.push({ positionId: h.id, at: now, unrealisedMidUsd: usd, unrealisedNaturalUsd: usd });
    }
  };

  for (const event of events) {
    now += 60_000 * 11; // past any chunked fill of the event before
    if (event.kind === 'move')
      market.price = round2(Math.max(560, Math.min(640, market.price + event.cents / 100)));
    else if (event.kind === 'open') open(event);
    else if (event.kind === 'partial') partial(event);
    else if (event.kind === 'close') close(event);
    else if (event.kind === 'expire') expire();
    else monitorCycle();
  }
  // The cycle the day's figure is read after; positions closed earlier keep their older snapshots.
  now += 60_000;
  monitorCycle();

  const positions: LedgerPosition[] = [
    ...recorded.map((r) => ({ id: r.position.id, status: r.status, realised: r.realised })),
    ...holdings.map((h) => ({ id: h.id, status: 'OPEN' as const })),
  ];
  const day = dayPnl({ tradeDate: DAY, positions, marks: marksFrom(snapshots) });

  const heldValue = Object.values(account.positions)
    .filter((p) => p.position !== 0)
    .reduce((sum, p) => sum + broker.markValue(p), 0);
  return { day, cashChange: account.cash - INITIAL_CASH, heldValue };
}

describe("the day's P&L against the simulator's cash ledger", () => {
  it('equals, to the cent, the change in cash plus the value of what is still held', () => {
    const seen = new Set<RealisedKind>();
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 30 }), (events) => {
        const { day, cashChange, heldValue } = runDay(events);
        for (const [kind, usd] of Object.entries(day.byKind)) if (usd !== 0) seen.add(kind as RealisedKind);
        expect(day.unmarked).toEqual([]);
        expect(Math.abs(day.totalUsd - (cashChange + heldValue))).toBeLessThan(0.005);
      }),
      { numRuns: 300 },
    );
    // The generator reaches every way of realising P&L the day can have (else the property proves little).
    expect([...seen].sort()).toEqual(['ASSIGNMENT', 'CLOSE', 'EXPIRY', 'PARTIAL_CLOSE']);
  });
});
