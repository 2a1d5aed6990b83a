import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createVerifier } from '#bridge/auth';
import { signRequest, signaturePayload } from '#bridge/contract';

const SECRET = 'current-secret-0123456789';
const PREVIOUS = 'previous-secret-0123456789';

function signed(secret: string, timestamp: number, method: string, pathWithQuery: string, body = '') {
  return {
    timestamp: String(timestamp),
    signature: signRequest({ secret, timestamp, method, pathWithQuery, body }),
    method,
    pathWithQuery,
    body,
  };
}

describe('signRequest', () => {
  it('is HMAC-SHA256 over timestamp, METHOD, path+query, x-priority and the hex SHA-256 of the body, newline-separated', () => {
    // independent construction straight from the definition
    const body = '{"contracts":[]}';
    const bodyHash = createHash('sha256').update(body).digest('hex');
    const expected = createHmac('sha256', 'k')
      .update(`1700000000000\nPOST\n/quotes?x=1\n25\n${bodyHash}`)
      .digest('hex');
    expect(
      signRequest({
        secret: 'k',
        timestamp: 1700000000000,
        method: 'post',
        pathWithQuery: '/quotes?x=1',
        priority: 25,
        body,
      }),
    ).toBe(expected);
  });

  it('hashes an absent body as the empty string (SHA-256 of "" is the published e3b0c442…b855), an absent priority as empty', () => {
    expect(signaturePayload({ timestamp: 1, method: 'GET', pathWithQuery: '/account' })).toBe(
      '1\nGET\n/account\n\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});

describe('createVerifier', () => {
  const now = 1_800_000_000_000;

  it('accepts a fresh signature made with the current or the previous secret', () => {
    const v = createVerifier({ secrets: [SECRET, PREVIOUS], now: () => now });
    expect(v.verify(signed(SECRET, now, 'GET', '/account'))).toEqual({ ok: true });
    expect(v.verify(signed(PREVIOUS, now - 1, 'GET', '/account'))).toEqual({ ok: true });
  });

  it('refuses missing headers, an unknown secret, and a signature for another request', () => {
    const v = createVerifier({ secrets: [SECRET], now: () => now });
    expect(v.verify({ ...signed(SECRET, now, 'GET', '/account'), signature: undefined })).toEqual({
      ok: false,
      reason: 'missing signature',
    });
    expect(v.verify({ ...signed(SECRET, now, 'GET', '/account'), timestamp: undefined })).toEqual({
      ok: false,
      reason: 'missing signature',
    });
    expect(v.verify(signed('some-other-secret-000000', now, 'GET', '/account'))).toEqual({
      ok: false,
      reason: 'bad signature',
    });
    const forPositions = signed(SECRET, now, 'GET', '/positions');
    expect(v.verify({ ...forPositions, pathWithQuery: '/account' })).toEqual({
      ok: false,
      reason: 'bad signature',
    });
    const withBody = signed(SECRET, now, 'POST', '/orders', '{"a":1}');
    expect(v.verify({ ...withBody, body: '{"a":2}' })).toEqual({ ok: false, reason: 'bad signature' });
    expect(v.verify({ ...withBody, signature: 'zz' })).toEqual({ ok: false, reason: 'bad signature' });
  });

  it('refuses timestamps more than 30 s away, in either direction, and accepts the edge', () => {
    const v = createVerifier({ secrets: [SECRET], now: () => now });
    expect(v.verify(signed(SECRET, now - 30_001, 'GET', '/a'))).toEqual({
      ok: false,
      reason: 'stale timestamp',
    });
    expect(v.verify(signed(SECRET, now + 30_001, 'GET', '/a'))).toEqual({
      ok: false,
      reason: 'stale timestamp',
    });
    expect(v.verify(signed(SECRET, now - 30_000, 'GET', '/a'))).toEqual({ ok: true });
    expect(v.verify({ ...signed(SECRET, now, 'GET', '/a'), timestamp: '12abc' })).toEqual({
      ok: false,
      reason: 'malformed timestamp',
    });
  });

  it('refuses a replayed signature inside the window and forgets it once the window has passed', () => {
    let t = now;
    const v = createVerifier({ secrets: [SECRET], now: () => t });
    const req = signed(SECRET, now, 'DELETE', '/orders/7');
    expect(v.verify(req)).toEqual({ ok: true });
    expect(v.verify(req)).toEqual({ ok: false, reason: 'replayed signature' });
    t = now + 31_000; // the same request is now stale, and the cache no longer needs it
    expect(v.verify(req)).toEqual({ ok: false, reason: 'stale timestamp' });
    expect(v.replayCacheSize()).toBe(0);
  });

  it('law: any single-character change to the path is refused', () => {
    const v = createVerifier({ secrets: [SECRET], now: () => now });
    fc.assert(
      fc.property(fc.stringMatching(/^\/[a-z?=&]{1,20}$/), fc.nat(19), (path, i) => {
        const req = signed(SECRET, now, 'GET', path);
        const idx = i % path.length;
        const changed = path.slice(0, idx) + (path[idx] === 'x' ? 'y' : 'x') + path.slice(idx + 1);
        return v.verify({ ...req, pathWithQuery: changed }).ok === false;
      }),
    );
  });
});
