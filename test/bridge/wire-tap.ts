// A TCP proxy between the bridge and the simulator that reads the client → server byte stream the
// way IB Gateway does (the `API\0` prefix, then 4-byte big-endian length frames of NUL-terminated
// fields) and records every message with its arrival time. It counts what really reaches the
// gateway, independently of the bridge's own bookkeeping, and can cut the connection on demand.

import net from 'node:net';

export interface TappedMessage {
  /** IB outgoing message id (1 reqMktData, 2 cancelMktData, 3 placeOrder, 9 reqContractDetails, 20 reqHistoricalData, …). */
  id: number;
  fields: string[];
  at: number;
}

export interface WireTap {
  port: number;
  messages: TappedMessage[];
  /** Greatest number of messages inside any window of `windowMs`. */
  maxPerWindow(windowMs?: number): number;
  /** Greatest number of market-data lines open at once (reqMktData minus cancelMktData). */
  maxOpenLines(): number;
  /** Cuts every proxied connection (the bridge sees the gateway go away). */
  cut(): void;
  close(): Promise<void>;
}

export async function startWireTap(target: { host: string; port: number }): Promise<WireTap> {
  const messages: TappedMessage[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    sockets.add(client);
    sockets.add(upstream);
    let buffer = Buffer.alloc(0);
    let handshakeDone = false;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      buffer = Buffer.concat([buffer, chunk]);
      if (!handshakeDone) {
        if (buffer.length < 8) return;
        // "API\0" + length-prefixed version range
        const len = buffer.readUInt32BE(4);
        if (buffer.length < 8 + len) return;
        buffer = buffer.subarray(8 + len);
        handshakeDone = true;
      }
      while (buffer.length >= 4) {
        const len = buffer.readUInt32BE(0);
        if (buffer.length < 4 + len) break;
        const fields = buffer
          .subarray(4, 4 + len)
          .toString('utf8')
          .split('\0');
        fields.pop(); // the last field is NUL-terminated too
        messages.push({ id: Number(fields[0]), fields, at: Date.now() });
        buffer = buffer.subarray(4 + len);
      }
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    messages,
    maxPerWindow(windowMs = 1000) {
      let best = 0;
      let j = 0;
      for (let i = 0; i < messages.length; i++) {
        while (messages[i]!.at - messages[j]!.at >= windowMs) j++;
        best = Math.max(best, i - j + 1);
      }
      return best;
    },
    maxOpenLines() {
      const open = new Set<string>();
      let best = 0;
      for (const m of messages) {
        if (m.id === 1) open.add(m.fields[2]!);
        else if (m.id === 2) open.delete(m.fields[2]!);
        best = Math.max(best, open.size);
      }
      return best;
    },
    cut() {
      for (const s of sockets) s.destroy();
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
