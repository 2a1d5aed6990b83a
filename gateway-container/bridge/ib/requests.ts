// Request/answer plumbing over the connection's one paced queue: request ids, timeouts that start when
// the message leaves, IB-side cancels, one request in flight per key, and day-scoped caches.

import type { IBApi } from '@stoqey/ib';
import type { IbConnection } from '../connection';
import type { Logger } from '../logger';
import { BridgeError, timeoutError } from '../errors';
import type { EventSink } from '../events';
import { CANCEL_PRIORITY, type Clock } from '../pacer';
import { nyDate } from './parsing/time';

export interface RequestSpec<T> {
  label: string;
  priority: number;
  timeoutMs?: number;
  send: (api: IBApi, reqId: number) => void;
  onEvent: (event: string, args: unknown[], done: (value: T) => void) => void;
  cancel?: (api: IBApi, reqId: number) => void;
}

export class IbRequests {
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(
    readonly conn: IbConnection,
    readonly clock: Clock,
    readonly logger: Logger,
    /** Time for IB to answer a request (contract details, account, executions, ...). */
    readonly requestTimeoutMs: number,
    private readonly sink: EventSink,
  ) {}

  /**
   * Sends one request and collects the events carrying its request id until `onEvent` calls `done`.
   * `cancel` (if given) is sent afterwards to end IB-side subscriptions (account summary, positions).
   */
  request<T>(spec: RequestSpec<T>): Promise<T> {
    const reqId = this.conn.nextRequestId();
    const timeoutMs = spec.timeoutMs ?? this.requestTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      let finished = false;
      let timer: unknown;
      const finish = (error: BridgeError | undefined, value?: T): void => {
        if (finished) return;
        finished = true;
        if (timer !== undefined) this.clock.clearTimeout(timer);
        this.conn.unregister(reqId);
        if (spec.cancel) {
          const cancel = spec.cancel;
          try {
            this.conn.send(CANCEL_PRIORITY, `cancel ${spec.label}`, (api) => cancel(api, reqId));
          } catch {
            // disconnected: IB dropped the subscription with the socket
          }
        }
        if (error) reject(error);
        else resolve(value as T);
      };
      this.conn.register(reqId, {
        onEvent: (event, args) => spec.onEvent(event, args, (value) => finish(undefined, value)),
        onError: (error) => finish(error),
      });
      try {
        this.conn.send(spec.priority, spec.label, (api) => {
          // the clock starts when the message leaves, not while it waits its turn in the queue
          timer = this.clock.setTimeout(() => finish(timeoutError(spec.label, timeoutMs)), timeoutMs);
          spec.send(api, reqId);
        });
      } catch (err) {
        this.conn.unregister(reqId);
        finished = true;
        reject(err);
      }
    });
  }

  /**
   * Sends a request whose answers are broadcast, not keyed by a request id (positions, open orders):
   * `listeners` hear them until `endEvent`, when `end` makes the answer. A lost connection or the
   * timeout fails it; `cleanup` runs whichever way it ends.
   */
  collect<T>(spec: {
    label: string;
    priority: number;
    endEvent: string;
    listeners?: [string, Parameters<IbConnection['on']>[1]][];
    send: (api: IBApi) => void;
    end: () => T;
    cleanup?: () => void;
  }): Promise<T> {
    const { conn, clock, requestTimeoutMs } = this;
    return new Promise<T>((resolve, reject) => {
      let timer: unknown;
      const cleanup = (): void => {
        clock.clearTimeout(timer);
        spec.cleanup?.();
        for (const [event, listener] of spec.listeners ?? []) conn.off(event, listener);
        conn.off(spec.endEvent, onEnd);
        conn.off('lost', onLost);
      };
      const onEnd = (): void => {
        cleanup();
        resolve(spec.end());
      };
      const onLost = (reason: string): void => {
        cleanup();
        reject(new BridgeError('IB_NOT_READY', `IB connection lost: ${reason}`, 503, true));
      };
      for (const [event, listener] of spec.listeners ?? []) conn.on(event, listener);
      conn.on(spec.endEvent, onEnd);
      conn.on('lost', onLost);
      try {
        conn.send(spec.priority, spec.label, (api) => {
          timer = clock.setTimeout(() => {
            cleanup();
            reject(timeoutError(spec.label, requestTimeoutMs));
          }, requestTimeoutMs);
          spec.send(api);
        });
      } catch (err) {
        cleanup();
        reject(err);
      }
    });
  }

  /** One request in flight per key; concurrent callers share its answer. */
  singleFlight<T>(key: string, run: () => Promise<T>): Promise<T> {
    const existing = this.inflight.get(key);
    if (existing) return existing as Promise<T>;
    const p = run().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /** Publishes an event; a failed publish is logged, never thrown into IB's callbacks. */
  publish(event: Parameters<EventSink['publish']>[0]): void {
    this.sink
      .publish(event)
      .catch((err: unknown) =>
        this.logger.error('event publish failed', { type: event.type, error: String(err) }),
      );
  }
}

/** Day-scoped cache: cleared when the New York date changes (contract ids, option parameters). */
export class DayCache<V> {
  private day = '';
  private readonly map = new Map<string, V>();
  constructor(private readonly clock: Clock) {}
  private roll(): void {
    const today = nyDate(this.clock.now());
    if (today !== this.day) {
      this.day = today;
      this.map.clear();
    }
  }
  get(key: string): V | undefined {
    this.roll();
    return this.map.get(key);
  }
  set(key: string, value: V): void {
    this.roll();
    this.map.set(key, value);
  }
}
