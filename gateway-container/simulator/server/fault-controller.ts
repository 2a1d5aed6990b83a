// The fault controller: the switches a fault sets (read by the connection, market-data and order
// modules), the faults scheduled at simulated instants, and the FaultControls API tests and scripts use.

import * as enc from './encode';
import {
  DEFAULT_RESTART_MINUTES,
  type FaultAction,
  type QuoteFaultMode,
  type QuoteFaultTarget,
  type ScheduledFault,
} from './faults';
import type { ServerEngine } from './server-engine';
import { nyStamp } from './time';
import type { WireField } from './wire';

export interface FaultControls {
  /** Drops every client connection now. */
  disconnect(): void;
  /** Drops every client connection when the simulated clock reaches `at` (epoch ms). */
  disconnectAt(at: number): void;
  /** Error 1100 to every client; market data stops flowing. */
  connectivityLost(): void;
  /** 1101 (subscriptions lost, clients must re-request) or 1102 (data maintained, ticks resume). */
  connectivityRestored(dataLost?: boolean): void;
  /** IB's nightly reset: drops connections and refuses new ones for `durationMs` of simulated time. */
  restart(durationMs?: number): void;
  restartAt(at: number, durationMs?: number): void;
  /** Rejects new orders with error 201 and this reason; undefined accepts them again. */
  rejectOrders(reason: string | undefined): void;
  /** Stale, missing or sentinel quotes for a conId, a symbol or 'all'; undefined restores them. */
  quotes(target: QuoteFaultTarget, mode: QuoteFaultMode | undefined): void;
  partialFillsNeverComplete(neverComplete: boolean): void;
  /** Delays every message to clients by `delayMs` real ms (0 restores). */
  slowResponses(delayMs: number): void;
  /**
   * Sends each ORDER_STATUS `delayMs` real ms after the OPEN_ORDER of the same change (0 restores): IB
   * reports a fill's OPEN_ORDER (status Filled) before the ORDER_STATUS that carries the quantities, and
   * a client must not take the status without them.
   */
  orderStatusLag(delayMs: number): void;
  /**
   * Answers new market-data requests as IB does for an account without a real-time subscription
   * (warning 10167, MARKET_DATA_TYPE 3, delayed tick types); false restores live data for new requests.
   */
  delayedData(on: boolean): void;
  /** The underlying gaps by `pct` percent now (options follow); `volBump` raises its log-volatility. */
  priceShock(symbol: string, pct: number, volBump?: number): void;
  /**
   * OCC assigns every short in-the-money option of `symbol` now; `conId` narrows it to one contract,
   * `quantity` to that many contracts in all. Positions change; clients see POSITION updates.
   */
  earlyAssignment(symbol: string, narrow?: { conId?: number; quantity?: number }): void;
  /**
   * A cold login waiting for its second factor: drops every client and refuses connections (as IB Gateway
   * does before it has logged in) until `loginApproved`.
   */
  loginPending(): void;
  loginApproved(): void;
  /** Applies `action` when the simulated clock reaches `at` (now or earlier: at once). */
  schedule(at: number | undefined, action: FaultAction): void;
  /** The current state of the switches. */
  state(): FaultState;
}

export interface FaultState {
  connectivityLost: boolean;
  restartUntil?: number;
  /** A login waits for its second factor: connections are refused. */
  loginPending: boolean;
  rejectReason?: string;
  responseDelayMs: number;
  orderStatusLagMs: number;
  delayedData: boolean;
  pending: ScheduledFault[];
}

/** The switches faults set; the other modules read them on every request. */
export class FaultSwitches {
  connectivityLost = false;
  restartUntil: number | undefined;
  loginPending = false;
  rejectReason: string | undefined;
  responseDelayMs = 0;
  orderStatusLagMs = 0;
  delayedData = false;
}

/** What a fault acts on besides the switches and the engine. */
export interface FaultTargets {
  /** Drops every client connection. */
  dropAll(): void;
  /** Sends a message to every ready client. */
  broadcast(fields: WireField[]): void;
  /** Ends every market-data line (1101: clients must request again). */
  dropLines(): void;
  /** Sends every line's ticks afresh (1102). */
  resendLines(): void;
  /** Pushes the changes since the last push to streaming lines. */
  pushMarketData(): void;
}

export class FaultController {
  private readonly pending: ScheduledFault[] = [];

  constructor(
    private readonly engine: ServerEngine,
    private readonly switches: FaultSwitches,
    private readonly targets: FaultTargets,
    private readonly log: (line: string) => void,
    scheduled: readonly ScheduledFault[] = [],
  ) {
    for (const f of scheduled) this.pending.push(f);
  }

  readonly controls: FaultControls = {
    disconnect: () => this.apply({ fault: 'disconnect' }),
    disconnectAt: (at) => this.controls.schedule(at, { fault: 'disconnect' }),
    connectivityLost: () => this.apply({ fault: 'connectivityLost' }),
    connectivityRestored: (dataLost = false) => this.apply({ fault: 'connectivityRestored', dataLost }),
    restart: (durationMs = DEFAULT_RESTART_MINUTES * 60_000) => this.startRestart(durationMs),
    restartAt: (at, durationMs = DEFAULT_RESTART_MINUTES * 60_000) =>
      this.controls.schedule(at, { fault: 'restart', durationMinutes: durationMs / 60_000 }),
    rejectOrders: (reason) =>
      this.apply(reason === undefined ? { fault: 'acceptOrders' } : { fault: 'rejectOrders', reason }),
    quotes: (target, mode) => this.apply({ fault: 'quotes', target, mode: mode ?? 'normal' }),
    partialFillsNeverComplete: (neverComplete) => this.apply({ fault: 'partialFills', neverComplete }),
    slowResponses: (delayMs) => this.apply({ fault: 'slow', delayMs }),
    orderStatusLag: (delayMs) => this.apply({ fault: 'orderStatusLag', delayMs }),
    delayedData: (on) => this.apply({ fault: 'delayedData', on }),
    priceShock: (symbol, pct, volBump) =>
      this.apply({ fault: 'priceShock', symbol, pct, ...(volBump === undefined ? {} : { volBump }) }),
    earlyAssignment: (symbol, narrow = {}) => this.apply({ fault: 'earlyAssignment', symbol, ...narrow }),
    loginPending: () => this.apply({ fault: 'loginPending' }),
    loginApproved: () => this.apply({ fault: 'loginApproved' }),
    schedule: (at, action) => {
      this.pending.push({ at, action });
      if (at === undefined || at <= this.engine.now()) this.runDue();
    },
    state: () => ({
      connectivityLost: this.switches.connectivityLost,
      restartUntil: this.switches.restartUntil,
      loginPending: this.switches.loginPending,
      rejectReason: this.switches.rejectReason,
      responseDelayMs: this.switches.responseDelayMs,
      orderStatusLagMs: this.switches.orderStatusLagMs,
      delayedData: this.switches.delayedData,
      pending: [...this.pending],
    }),
  };

  /** The next simulated instant something happens: a scheduled fault or the end of a restart window. */
  nextScheduledAt(): number | undefined {
    let next = this.switches.restartUntil;
    for (const f of this.pending) {
      if (f.at !== undefined && (next === undefined || f.at < next)) next = f.at;
    }
    return next;
  }

  /** Ends a restart window that is over and applies every fault that is due. */
  runDue(): void {
    const now = this.engine.now();
    if (this.switches.restartUntil !== undefined && now >= this.switches.restartUntil) {
      this.switches.restartUntil = undefined;
      this.log('restart window over: accepting connections');
    }
    for (;;) {
      const index = this.pending.findIndex((f) => f.at === undefined || f.at <= now);
      if (index < 0) break;
      const [due] = this.pending.splice(index, 1);
      if (due) this.apply(due.action);
    }
  }

  private apply(action: FaultAction): void {
    this.log(`fault: ${JSON.stringify(action)}`);
    const { engine, switches, targets } = this;
    switch (action.fault) {
      case 'disconnect':
        targets.dropAll();
        break;
      case 'connectivityLost':
        switches.connectivityLost = true;
        targets.broadcast(
          enc.errMsg(-1, 1100, 'Connectivity between IB and Trader Workstation has been lost.'),
        );
        break;
      case 'connectivityRestored':
        switches.connectivityLost = false;
        if (action.dataLost) {
          // "Data lost": every market-data subscription is gone; clients must request again.
          targets.dropLines();
          targets.broadcast(
            enc.errMsg(
              -1,
              1101,
              'Connectivity between IB and Trader Workstation has been restored - data lost.',
            ),
          );
        } else {
          targets.broadcast(
            enc.errMsg(
              -1,
              1102,
              'Connectivity between IB and Trader Workstation has been restored - data maintained.',
            ),
          );
          targets.resendLines();
        }
        break;
      case 'restart':
        this.startRestart((action.durationMinutes ?? DEFAULT_RESTART_MINUTES) * 60_000);
        break;
      case 'rejectOrders':
        switches.rejectReason = action.reason ?? 'Simulated rejection';
        engine.setOrderRejection?.(switches.rejectReason);
        break;
      case 'acceptOrders':
        switches.rejectReason = undefined;
        engine.setOrderRejection?.(undefined);
        break;
      case 'quotes':
        if (!engine.setQuoteFault) throw new Error('the engine has no quote-fault hook');
        engine.setQuoteFault(action.target ?? 'all', action.mode === 'normal' ? undefined : action.mode);
        targets.pushMarketData();
        break;
      case 'partialFills':
        if (!engine.setPartialFillsNeverComplete) throw new Error('the engine has no partial-fill hook');
        engine.setPartialFillsNeverComplete(action.neverComplete);
        break;
      case 'slow':
        switches.responseDelayMs = action.delayMs;
        break;
      case 'orderStatusLag':
        switches.orderStatusLagMs = action.delayMs;
        break;
      case 'delayedData':
        switches.delayedData = action.on;
        break;
      case 'priceShock':
        if (!engine.shockPrice) throw new Error('the engine has no price-shock hook');
        engine.shockPrice(action.symbol, action.pct, action.volBump ?? 0);
        targets.pushMarketData();
        break;
      case 'earlyAssignment': {
        if (!engine.assignEarly) throw new Error('the engine has no early-assignment hook');
        engine.assignEarly(action.symbol, {
          ...(action.conId === undefined ? {} : { conId: action.conId }),
          ...(action.quantity === undefined ? {} : { quantity: action.quantity }),
        });
        break;
      }
      case 'loginPending':
        switches.loginPending = true;
        targets.dropAll();
        break;
      case 'loginApproved':
        switches.loginPending = false;
        break;
    }
  }

  private startRestart(durationMs: number): void {
    this.switches.restartUntil = this.engine.now() + durationMs;
    this.log(`restart window until ${nyStamp(this.switches.restartUntil)} New York`);
    this.targets.dropAll();
  }
}
