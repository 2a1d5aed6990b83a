// The gateway simulator's programmatic API: a seeded market engine behind a TWS-protocol server that
// the unmodified @stoqey/ib client talks to over TCP, as to IB Gateway. Used by `npm start`, the
// integration tests and the benchmarks; never part of the deployed image.

import type { SimCommissionReport, SimExecution, SimOrderState, SimPosition } from './engine-api';
import { createSimEngine, type SimEngineControls, type SimEngineOptions } from './engine/index';
import type { ConnectionInfo } from './server/connection';
import type { ScheduledFault } from './server/faults';
import type { LimitOptions } from './server/limits';
import { TwsServer, type FaultControls } from './server/tws-server';

export type { FaultAction, ScheduledFault, QuoteFaultMode, QuoteFaultTarget } from './server/faults';
export { parseFaultScript, nyDateTimeToEpoch } from './server/faults';
export type { LimitOptions } from './server/limits';
export { DEFAULT_LIMITS } from './server/limits';
export type { FaultControls, FaultState } from './server/tws-server';
export type { ConnectionInfo } from './server/connection';

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the API is unauthenticated raw TCP. */
  host?: string;
  /** Seed of the market; the same seed reproduces the same run. Default 1. */
  seed?: number;
  /** Simulated ms per real ms (60 = a minute per second); 0 = manual clock via `advance`. Default 1. */
  speed?: number;
  /** Simulated start, epoch ms (default: the engine's, a weekday 09:30 New York). */
  start?: number;
  /** `paper` → a DU… account (default), `live` → a U… account. */
  account?: 'paper' | 'live';
  symbols?: string[];
  initialCash?: number;
  /** IB's limits (on by default); `false` turns them off. */
  limits?: Partial<LimitOptions> | false;
  /** The second the 50-messages limit is counted in: `real` (default) or `simulated` (the engine's clock). */
  messageRateClock?: 'real' | 'simulated';
  /** Simulated ms before TICK_SNAPSHOT_END (default 11 000, IB's); at speed 0 taken as real ms. */
  snapshotDelayMs?: number;
  /** Real ms between clock steps while the clock runs. Default 250. */
  stepMs?: number;
  /** Faults to apply at simulated times (see `parseFaultScript`). */
  faults?: ScheduledFault[];
  /** Engine state saved earlier with `saveState()`, to continue a run. */
  state?: unknown;
  /** Extra engine options (commission rate, calendar). */
  engine?: Omit<SimEngineOptions, 'seed' | 'start' | 'symbols' | 'account' | 'initialCash'>;
  log?: (line: string) => void;
}

export interface Simulator {
  port: number;
  host: string;
  engine: SimEngineControls;
  server: TwsServer;
  /** Simulated time, epoch ms. */
  now(): number;
  /** Moves simulated time forward (and pushes market data), whatever the speed. */
  advance(ms: number): void;
  /** Client messages received since start, every connection (the handshake aside). */
  messagesReceived(): number;
  faults: FaultControls;
  /** Every order seen: working, filled, cancelled and rejected. */
  orders(): SimOrderState[];
  executions(): { execution: SimExecution; commission: SimCommissionReport }[];
  positions(account?: string): SimPosition[];
  connections(): ConnectionInfo[];
  saveState(): unknown;
  stop(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const engine = createSimEngine({
    ...options.engine,
    seed: options.seed,
    start: options.start,
    symbols: options.symbols,
    account: options.account,
    initialCash: options.initialCash,
  });
  if (options.state !== undefined) engine.loadState(options.state);
  const server = new TwsServer({
    engine,
    host: options.host,
    port: options.port,
    speed: options.speed,
    stepMs: options.stepMs,
    snapshotDelayMs: options.snapshotDelayMs,
    limits: options.limits,
    ...(options.messageRateClock ? { messageRateClock: options.messageRateClock } : {}),
    faults: options.faults,
    log: options.log,
  });
  const port = await server.listen();
  return {
    port,
    host: server.address,
    engine,
    server,
    now: () => engine.now(),
    advance: (ms) => server.advance(ms),
    messagesReceived: () => server.messagesReceived,
    faults: server.faults,
    orders: () => server.orders(),
    executions: () => engine.executions(),
    positions: (account) => engine.positions(account),
    connections: () => server.connections(),
    saveState: () => engine.saveState(),
    stop: () => server.stop(),
  };
}
