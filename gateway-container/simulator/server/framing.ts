// Byte-level framing. The client opens with `API\0`, a 4-byte big-endian length and a version range
// such as `v100..193`; after that every message both ways is a 4-byte big-endian length followed by
// NUL-terminated UTF-8 fields. TCP may split or coalesce these at any byte, so the decoder buffers.

import { formatField, type WireField } from './wire';

/** IB's client refuses anything larger; a bigger length means the stream is corrupt. */
export const MAX_FRAME_BYTES = 0xffffff;
const API_PREFIX = Buffer.from('API\0', 'latin1');

export type FrameEvent =
  | { type: 'handshake'; minVersion: number; maxVersion: number; raw: string }
  | { type: 'message'; fields: string[] }
  | { type: 'error'; reason: string };

export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private greeted = false;
  private failed = false;

  /** Feeds a TCP chunk; returns every complete frame it finished. */
  push(chunk: Buffer): FrameEvent[] {
    if (this.failed) return [];
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const events: FrameEvent[] = [];
    for (;;) {
      if (!this.greeted) {
        const available = Math.min(this.buffer.length, API_PREFIX.length);
        if (!this.buffer.subarray(0, available).equals(API_PREFIX.subarray(0, available))) {
          return this.fail(events, 'stream does not start with API\\0');
        }
        if (this.buffer.length < API_PREFIX.length) return events;
      }
      const headerStart = this.greeted ? 0 : API_PREFIX.length;
      if (this.buffer.length < headerStart + 4) return events;
      const length = this.buffer.readUInt32BE(headerStart);
      if (length > MAX_FRAME_BYTES) return this.fail(events, `frame of ${length} bytes exceeds the maximum`);
      const end = headerStart + 4 + length;
      if (this.buffer.length < end) return events;
      const payload = this.buffer.subarray(headerStart + 4, end).toString('utf8');
      this.buffer = this.buffer.subarray(end);
      if (!this.greeted) {
        this.greeted = true;
        const versions = parseVersionRange(payload);
        if (!versions) return this.fail(events, `bad version string "${payload}"`);
        events.push({ type: 'handshake', ...versions, raw: payload });
      } else {
        events.push({ type: 'message', fields: splitFields(payload) });
      }
    }
  }

  private fail(events: FrameEvent[], reason: string): FrameEvent[] {
    this.failed = true;
    this.buffer = Buffer.alloc(0);
    events.push({ type: 'error', reason });
    return events;
  }
}

/** `v100..193` (optionally followed by connect options such as ` +PACEAPI`) or a single `v193`. */
export function parseVersionRange(text: string): { minVersion: number; maxVersion: number } | undefined {
  const match = /^v(\d+)(?:\.\.(\d+))?/.exec(text.trim());
  if (!match) return undefined;
  const minVersion = Number(match[1]);
  const maxVersion = match[2] === undefined ? minVersion : Number(match[2]);
  return minVersion <= maxVersion ? { minVersion, maxVersion } : undefined;
}

/** Fields of one payload; the trailing NUL terminates the last field rather than starting a new one. */
export function splitFields(payload: string): string[] {
  const fields = payload.split('\0');
  if (fields[fields.length - 1] === '') fields.pop();
  return fields;
}

/** One length-prefixed frame holding `fields`, each NUL-terminated. */
export function encodeFrame(fields: readonly WireField[]): Buffer {
  const payload = Buffer.from(fields.map((f) => formatField(f) + '\0').join(''), 'utf8');
  const frame = Buffer.allocUnsafe(4 + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  payload.copy(frame, 4);
  return frame;
}

/** The client's side of the handshake, for tests and tools that speak raw TCP. */
export function encodeHandshake(versions = 'v100..193'): Buffer {
  const body = Buffer.from(versions, 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([API_PREFIX, header, body]);
}
