// Request authentication: HMAC-SHA256 over timestamp, method, path+query, x-priority and the body's
// hash, with the current or the previous shared secret (rotation), a ±30 s window and a replay cache.
// Only the reason is ever reported; the secret and the signatures are never logged.

import { timingSafeEqual } from 'node:crypto';
import { SIGNATURE_WINDOW_MS, signRequest } from './contract';

export type AuthFailure =
  'missing signature' | 'malformed timestamp' | 'stale timestamp' | 'bad signature' | 'replayed signature';
export type AuthResult = { ok: true } | { ok: false; reason: AuthFailure };

export interface VerifierOptions {
  /** The current secret first, then the previous one (accepted during rotation). Empty entries are ignored. */
  secrets: (string | undefined)[];
  windowMs?: number;
  now?: () => number;
}

export interface SignedRequest {
  timestamp: string | undefined;
  signature: string | undefined;
  method: string;
  pathWithQuery: string;
  /** The `x-priority` header as sent; undefined when absent. */
  priority?: string;
  body: string | Uint8Array;
}

export interface RequestVerifier {
  /**
   * What can be refused from the headers alone (missing, malformed or stale), before the body is read:
   * an unsigned request never gets its body buffered.
   */
  precheck(request: Pick<SignedRequest, 'timestamp' | 'signature'>): AuthResult;
  verify(request: SignedRequest): AuthResult;
  /** Signatures remembered for replay detection (for tests and /health-free diagnostics). */
  replayCacheSize(): number;
}

export function createVerifier(options: VerifierOptions): RequestVerifier {
  const secrets = options.secrets.filter((s): s is string => typeof s === 'string' && s.length > 0);
  if (secrets.length === 0) throw new Error('createVerifier: at least one non-empty secret is required');
  const windowMs = options.windowMs ?? SIGNATURE_WINDOW_MS;
  const now = options.now ?? Date.now;
  // signature → the instant after which its timestamp is outside the window anyway
  const seen = new Map<string, number>();

  function prune(at: number): void {
    for (const [sig, expiresAt] of seen) {
      if (expiresAt < at) seen.delete(sig);
    }
  }

  function matches(expectedHex: string, givenHex: string): boolean {
    const expected = Buffer.from(expectedHex, 'hex');
    const given = Buffer.from(givenHex, 'hex');
    // timingSafeEqual throws on unequal lengths; a wrong length is simply a wrong signature
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  function precheck(request: Pick<SignedRequest, 'timestamp' | 'signature'>): AuthResult {
    const { timestamp, signature } = request;
    if (!timestamp || !signature) return { ok: false, reason: 'missing signature' };
    if (!/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: 'malformed timestamp' };
    if (Math.abs(now() - Number(timestamp)) > windowMs) return { ok: false, reason: 'stale timestamp' };
    if (!/^[0-9a-f]{64}$/i.test(signature)) return { ok: false, reason: 'bad signature' };
    return { ok: true };
  }

  return {
    precheck,
    verify(request) {
      const pre = precheck(request);
      if (!pre.ok) return pre;
      const timestamp = request.timestamp!;
      const at = now();
      const ts = Number(timestamp);
      const given = request.signature!.toLowerCase();
      const valid = secrets.some((secret) =>
        matches(
          signRequest({
            secret,
            timestamp,
            method: request.method,
            pathWithQuery: request.pathWithQuery,
            priority: request.priority,
            body: request.body,
          }),
          given,
        ),
      );
      if (!valid) return { ok: false, reason: 'bad signature' };
      prune(at);
      if (seen.has(given)) return { ok: false, reason: 'replayed signature' };
      seen.set(given, ts + windowMs);
      return { ok: true };
    },
    replayCacheSize() {
      prune(now());
      return seen.size;
    },
  };
}
