// The bridge contract: the request signature both sides compute, and the headers that carry it.

import { createHash, createHmac } from 'node:crypto';

// ---------------------------------------------------------------------------------------------------
// Headers and signing
// ---------------------------------------------------------------------------------------------------

export const TIMESTAMP_HEADER = 'x-bridge-timestamp';
export const SIGNATURE_HEADER = 'x-bridge-signature';
export const PRIORITY_HEADER = 'x-priority';
/** Priority used when a caller sends no `x-priority` header (lower number = more urgent). */
export const DEFAULT_PRIORITY = 50;
/** A signature older (or further in the future) than this is refused. */
export const SIGNATURE_WINDOW_MS = 30_000;

/**
 * The container health check's script (`node -e`): healthy while GET /health answers 2xx within the check's
 * timeout. /health answers 503 only when the bridge is wedged, and a blocked event loop answers nothing;
 * whether IB is logged in does not enter (see server.ts /health). One copy: the task definition runs it.
 */
export function containerHealthProbe(port: number): string {
  return `fetch('http://127.0.0.1:${port}/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
}

export function sha256Hex(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * The exact bytes that are signed: `timestamp \n METHOD \n pathWithQuery \n priority \n hex(sha256(body))`,
 * with `priority` the `x-priority` header as sent (empty when absent), so a priority cannot be changed in
 * transit either.
 */
export function signaturePayload(input: {
  timestamp: number | string;
  method: string;
  pathWithQuery: string;
  priority?: number | string;
  body?: string | Uint8Array;
}): string {
  const priority = input.priority === undefined ? '' : String(input.priority);
  return `${input.timestamp}\n${input.method.toUpperCase()}\n${input.pathWithQuery}\n${priority}\n${sha256Hex(input.body ?? '')}`;
}

/** Hex HMAC-SHA256 of the signature payload with the shared secret. */
export function signRequest(input: {
  secret: string;
  timestamp: number | string;
  method: string;
  pathWithQuery: string;
  priority?: number | string;
  body?: string | Uint8Array;
}): string {
  return createHmac('sha256', input.secret).update(signaturePayload(input)).digest('hex');
}

/**
 * The routes that change orders (`POST`, `PUT`, `DELETE` under `/orders`, what-if included): signed with
 * the order secret, which only execute-strategies and monitor hold. Every other route takes the read secret.
 */
export function isOrderRoute(method: string, pathWithQuery: string): boolean {
  const path = pathWithQuery.split('?')[0] ?? '';
  return ['POST', 'PUT', 'DELETE'].includes(method.toUpperCase()) && /^\/orders(\/|$)/.test(path);
}

/** Headers a client sends with a signed request (the body must be sent byte for byte as signed). */
export function signedHeaders(input: {
  secret: string;
  timestamp: number;
  method: string;
  pathWithQuery: string;
  body?: string;
  priority?: number | string;
}): Record<string, string> {
  const headers: Record<string, string> = {
    [TIMESTAMP_HEADER]: String(input.timestamp),
    [SIGNATURE_HEADER]: signRequest(input),
  };
  if (input.priority !== undefined) headers[PRIORITY_HEADER] = String(input.priority);
  if (input.body !== undefined) headers['content-type'] = 'application/json';
  return headers;
}
