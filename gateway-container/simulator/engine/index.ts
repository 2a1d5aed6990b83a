// The simulator's engine: a seeded market (underlyings, option chains, VIX, index futures), a clock
// and a broker behind the `SimEngine` interface. No sockets; the TWS-protocol server drives it.//
// This module builds the engine from a World (world.ts: contracts, quotes, broker, clock); the options,
// controls and saved state are in engine-options.ts.
import { isOpen } from '#core/calendar';
import type { SimEngine, SimEngineEvent, SimOptionParams, SimOrderRequest, SimRight } from '../engine-api';
import { STATE_VERSION, floorMinute, resolveOptions } from './engine-options';
import type { SavedState, SimEngineControls, SimEngineOptions } from './engine-options';
import { VIX_CON_ID, compactDate, expiryCloseOf, isoDate, optionContract } from './instruments';
import type { BaseContract } from './instruments';
import { round2 } from './market';
import { World } from './world';

export { SIM_RATE, YEAR_MS } from './market';
export { BAG_CON_ID, VIX_CON_ID } from './instruments';
export { CHUNK } from './broker-state';
export type { SettlementRecord } from './broker-state';
export { DEFAULT_SYMBOLS } from './engine-options';
export type { QuoteFault, SimEngineControls, SimEngineOptions } from './engine-options';

function normaliseRight(right: string | undefined): SimRight | undefined {
  if (!right) return undefined;
  const r = right.toUpperCase();
  if (r === 'C' || r === 'CALL') return 'C';
  if (r === 'P' || r === 'PUT') return 'P';
  return undefined;
}

export function createSimEngine(options: SimEngineOptions = {}): SimEngineControls {
  const listeners = new Set<(event: SimEngineEvent) => void>();
  const emit = (event: SimEngineEvent) => {
    for (const listener of [...listeners]) listener(event);
  };
  let world = new World(resolveOptions(options), emit);

  const findContracts: SimEngine['findContracts'] = (query) => {
    if (query.conId !== undefined && query.conId !== 0) {
      const c = world.lookup(query.conId);
      return c ? [world.withHours(c)] : [];
    }
    const symbol = query.symbol?.toUpperCase() ?? '';
    const secType = query.secType?.toUpperCase() ?? '';
    const out: BaseContract[] = [];
    const wants = (t: string) => secType === '' || secType === t;
    if (wants('STK') && world.specs.has(symbol)) out.push(world.lookup(world.specs.get(symbol)!.conId)!);
    if (wants('IND') && symbol === 'VIX') out.push(world.lookup(VIX_CON_ID)!);
    if (wants('FUT')) {
      for (const f of world.futureContracts()) {
        if (f.symbol !== symbol) continue;
        if (query.lastTradeDate && !f.lastTradeDate.startsWith(query.lastTradeDate.slice(0, 6))) continue;
        out.push(f);
      }
    }
    if (wants('OPT') && world.specs.has(symbol)) {
      const chain = world.chain(symbol);
      const right = normaliseRight(query.right);
      const index = world.symbolIndex.get(symbol)!;
      for (const expiry of chain.expiries) {
        const ltd = compactDate(expiry);
        if (
          query.lastTradeDate &&
          !(
            ltd === query.lastTradeDate ||
            (query.lastTradeDate.length === 6 && ltd.startsWith(query.lastTradeDate))
          )
        )
          continue;
        for (const strike of chain.strikes) {
          if (query.strike !== undefined && query.strike !== 0 && Math.abs(query.strike - strike) > 1e-6)
            continue;
          for (const r of ['C', 'P'] as const) {
            if (right && r !== right) continue;
            out.push(optionContract(world.specs.get(symbol)!, index, expiry, strike, r));
          }
        }
      }
    }
    return out.map((c) => world.withHours(c));
  };

  const engine: SimEngineControls = {
    now: () => world.now,
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`advance needs a non-negative duration, got ${ms}`);
      world.runUntil(world.now + ms);
    },
    setTime(ms) {
      if (!Number.isFinite(ms)) throw new RangeError(`setTime needs a finite epoch ms, got ${ms}`);
      if (ms >= world.now) {
        world.runUntil(ms);
      } else {
        world.now = ms;
        world.marketTime = floorMinute(ms);
      }
    },
    isMarketOpen: () => isOpen(world.now, world.cal),
    accounts: () => [world.accountId],
    contractById(conId) {
      const c = world.lookup(conId);
      return c && world.withHours(c);
    },
    findContracts,
    optionParams(underlyingSymbol) {
      const symbol = underlyingSymbol.toUpperCase();
      const spec = world.specs.get(symbol);
      if (!spec) return [];
      const chain = world.chain(symbol);
      const params: SimOptionParams = {
        exchange: 'SMART',
        underlyingConId: spec.conId,
        tradingClass: symbol,
        multiplier: 100,
        expirations: chain.expiries.map(compactDate),
        strikes: [...chain.strikes],
      };
      return [params];
    },
    quote: (conId) => world.quote(conId),
    dailyBars: (conId, days, what) => world.bars(conId, days, what),
    placeOrder: (request: SimOrderRequest) => world.broker.placeOrder(request, world.now),
    modifyOrder: (request) => world.broker.modifyOrder(request, world.now),
    cancelOrder: (orderId) => world.broker.cancelOrder(orderId),
    openOrders: (clientId) => world.broker.openOrders(clientId),
    completedOrders: () => world.broker.completedOrders(),
    executions(filter = {}) {
      return world.broker.state.executions
        .filter(
          ({ execution: e }) =>
            (filter.clientId === undefined || e.clientId === filter.clientId) &&
            (filter.account === undefined || filter.account === '' || e.account === filter.account) &&
            (filter.sinceMs === undefined || e.time >= filter.sinceMs) &&
            (filter.symbol === undefined ||
              filter.symbol === '' ||
              e.contract.symbol === filter.symbol.toUpperCase()),
        )
        .map((entry) => structuredClone(entry));
    },
    positions: (account) => world.broker.positions(account),
    accountSummary(account) {
      const acct = world.broker.state.accounts[account];
      if (!acct) throw new RangeError(`account ${account} is not managed here`);
      const netLiquidation = world.broker.netLiquidation(acct);
      const margin = world.broker.margin(acct.positions);
      const availableFunds = round2(netLiquidation - margin.init);
      return {
        account,
        netLiquidation,
        // A margin account's (day-trading) buying power: four times the available funds, as IB shows it.
        buyingPower: round2(Math.max(0, availableFunds) * 4),
        availableFunds,
        excessLiquidity: round2(netLiquidation - margin.maint),
        totalCashValue: acct.cash,
        initMarginReq: margin.init,
        maintMarginReq: margin.maint,
        realizedPnl: round2(acct.realizedPnl),
        unrealizedPnl: world.broker.unrealizedPnl(acct),
      };
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    saveState: () => world.save(),
    loadState(state) {
      const saved = structuredClone(state) as SavedState;
      if (!saved || typeof saved !== 'object' || saved.version !== STATE_VERSION) {
        throw new RangeError(
          `unsupported simulator state (version ${(saved as { version?: unknown })?.version})`,
        );
      }
      world = new World(saved.options, emit, saved);
    },
    setQuoteFault(target, fault) {
      const key =
        typeof target === 'number' ? String(target) : target === 'all' ? 'all' : target.toUpperCase();
      if (fault === undefined) world.quoteFaults.delete(key);
      else world.quoteFaults.set(key, fault);
    },
    setOrderRejection(reason) {
      if (reason === undefined) delete world.broker.state.rejection;
      else world.broker.state.rejection = reason;
    },
    setPartialFillsNeverComplete(on) {
      world.broker.state.partialFillsNeverComplete = on;
    },
    shockPrice(symbol, returnPct, volLogBump = 0) {
      world.shockPrice(symbol, returnPct, volLogBump);
    },
    assignEarly(symbol, narrow = {}) {
      const upper = symbol.toUpperCase();
      if (!world.specs.has(upper)) throw new RangeError(`the simulator has no underlying ${symbol}`);
      return world.broker.assignEarly(upper, world.market.quotedSpot(upper), world.now, narrow);
    },
    settlements: (account) =>
      world.broker.state.settlements
        .filter((s) => account === undefined || s.account === account)
        .map((s) => ({ ...s })),
    realizedPnlByContract(account) {
      const acct = world.broker.state.accounts[account];
      if (!acct) return {};
      return Object.fromEntries(Object.values(acct.positions).map((p) => [p.contract.conId, p.realizedPnl]));
    },
    dividendYield: (symbol) => world.specs.get(symbol.toUpperCase())?.dividendYield ?? 0,
    calendar: () => world.cal,
    expiryInstant: (lastTradeDate) => expiryCloseOf(isoDate(lastTradeDate), world.cal),
  };
  return engine;
}
