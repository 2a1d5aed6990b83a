// One API client's TCP connection: framing, the slow-response delay, the message-rate window and
// the per-client state IB keeps (client id, market data type, position subscription).

import type { Socket } from 'node:net';
import { encodeFrame, FrameDecoder, type FrameEvent } from './framing';
import { SlidingWindow } from './limits';
import type { WireField } from './wire';

export type ConnectionState = 'handshake' | 'startApi' | 'ready' | 'closed';

export interface ConnectionInfo {
  id: number;
  clientId?: number;
  state: ConnectionState;
  remoteAddress?: string;
  remotePort?: number;
  /** Real epoch ms when the TCP connection was accepted. */
  connectedAt: number;
}

export class ClientConnection {
  state: ConnectionState = 'handshake';
  clientId?: number;
  /** 1 live, 2 frozen, 3 delayed, 4 delayed-frozen. */
  marketDataType = 1;
  positionsSubscribed = false;
  readonly connectedAt = Date.now();
  private readonly decoder = new FrameDecoder();
  private readonly rate: SlidingWindow;
  private readonly queue: { frame: Buffer; due: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private onDrained: (() => void) | undefined;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    maxMessagesPerSecond: number,
    /** Current slow-response delay in ms (a fault); read on every send. */
    private readonly responseDelayMs: () => number,
    /** The clock the message rate is counted on (real by default; see TwsServerOptions). */
    private readonly rateNow: () => number = Date.now,
  ) {
    this.rate = new SlidingWindow(1000, maxMessagesPerSecond);
    socket.setNoDelay(true);
  }

  get open(): boolean {
    return this.state !== 'closed' && !this.socket.destroyed;
  }

  decode(chunk: Buffer): FrameEvent[] {
    return this.decoder.push(chunk);
  }

  /** Records one client message; reports whether the per-second cap is now exceeded. */
  countMessage(): { exceeded: boolean; count: number } {
    return this.rate.hit(this.rateNow());
  }

  send(fields: readonly WireField[]): void {
    if (!this.open) return;
    const frame = encodeFrame(fields);
    const delay = this.responseDelayMs();
    if (delay <= 0 && this.queue.length === 0) {
      this.socket.write(frame);
      return;
    }
    // Under a slow-response fault every answer waits; a FIFO keeps them in order even when the delay changes.
    const last = this.queue[this.queue.length - 1];
    this.queue.push({ frame, due: Math.max(Date.now() + Math.max(0, delay), last?.due ?? 0) });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    const head = this.queue[0] as { due: number };
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        const now = Date.now();
        while (this.queue.length > 0 && (this.queue[0] as { due: number }).due <= now) {
          const { frame } = this.queue.shift() as { frame: Buffer };
          if (!this.socket.destroyed) this.socket.write(frame);
        }
        if (this.queue.length === 0) this.onDrained?.();
        this.schedule();
      },
      Math.max(0, head.due - Date.now()),
    );
  }

  /** Closes after everything already sent has been written (IB sends its error first, then drops). */
  closeAfterSend(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const finish = (): void => {
      this.socket.end();
      // A client that never reads must not keep the socket alive forever.
      setTimeout(() => this.socket.destroy(), 1000).unref();
    };
    if (this.queue.length > 0) this.onDrained = finish;
    else finish();
  }

  /** Drops the connection at once, like a gateway restart or a network fault. */
  destroy(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.state = 'closed';
    this.socket.destroy();
  }

  info(): ConnectionInfo {
    return {
      id: this.id,
      clientId: this.clientId,
      state: this.state,
      remoteAddress: this.socket.remoteAddress,
      remotePort: this.socket.remotePort,
      connectedAt: this.connectedAt,
    };
  }
}
