// Rotating the bridge secret with overlap, as README "Rotating the bridge secret" tells the operator to:
// copy the current secret to the previous one, store a new current one, restart the bridge task. The jobs
// cache the secret they read from Secrets Manager for BRIDGE_SECRET_MAX_AGE_MS; a warm container keeps
// signing with the old secret until then, which the restarted bridge still accepts as its previous one.
//
// The "bridge" here is a small HTTP server that checks signatures with the bridge's own verifier
// (gateway-container/bridge/auth.ts), over the secrets a task would get at start: [current, previous].
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '#adapters/clock';
import type { Stores } from '#adapters/ports';
import { BRIDGE_SECRET_MAX_AGE_MS, createJobContext, secretFromSecretsManager } from '#jobs/shared/context';
import { createVerifier } from '#bridge/auth';
import type { RequestVerifier } from '#bridge/auth';
import { PRIORITY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '#bridge/contract';
import { HEALTHY_BRIDGE } from './bridge-fixtures';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bridge-hmac-AbCdEf';
const OLD = 'old-secret-0123456789abcdefghijklmnopqr';
const NEW = 'new-secret-9876543210zyxwvutsrqponmlkji';
const UNUSED = 'generated-previous-nobody-signs-with-0123';
const HEALTH = HEALTHY_BRIDGE;

const secrets = mockClient(SecretsManagerClient);
afterEach(() => secrets.reset());

const clock = manualClock(Date.UTC(2026, 5, 1, 14, 30));
let verifier: RequestVerifier;
/** A new bridge task: it reads BRIDGE_SECRET and BRIDGE_SECRET_PREVIOUS once, at start. */
const startBridgeTask = (current: string, previous?: string) => {
  verifier = createVerifier({ secrets: [current, previous], now: () => clock.now() });
};

let server: Server;
let url = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const result = verifier.verify({
        timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined,
        signature: req.headers[SIGNATURE_HEADER] as string | undefined,
        method: req.method ?? 'GET',
        pathWithQuery: req.url ?? '/',
        priority: req.headers[PRIORITY_HEADER] as string | undefined,
        body: Buffer.concat(chunks),
      });
      res.writeHead(result.ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          result.ok ? HEALTH : { error: { code: 'UNAUTHORIZED', message: result.reason, retryable: false } },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** One warm Lambda container: a job context built once, reading BRIDGE_SECRET_ARN. */
const container = () =>
  createJobContext({
    env: { BRIDGE_URL: url, BRIDGE_SECRET_ARN: ARN },
    stores: {} as Stores,
    idempotency: null,
    clock,
    secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
  });

/** 'ok', or the bridge's refusal reason. */
const call = (ctx: ReturnType<typeof container>) =>
  ctx
    .bridge(32)
    .health()
    .then(
      (answer) => answer.status,
      (error: unknown) => (error as Error).message,
    );

const reads = () => secrets.commandCalls(GetSecretValueCommand).length;

describe('bridge secret rotation with overlap', () => {
  it('a warm container signs with the old secret until its cache expires, and the restarted bridge accepts both', async () => {
    // Before: Secrets Manager holds OLD; the task started with OLD and a generated previous value.
    secrets.on(GetSecretValueCommand).resolves({ SecretString: OLD });
    startBridgeTask(OLD, UNUSED);
    const warm = container();
    expect(await call(warm)).toBe('ok');
    expect(reads()).toBe(1);

    // The rotation: previous ← OLD, current ← NEW, bridge task restarted (it reads both at start).
    secrets.on(GetSecretValueCommand).resolves({ SecretString: NEW });
    startBridgeTask(NEW, OLD);
    clock.advance(BRIDGE_SECRET_MAX_AGE_MS - 60_000);
    // Still within the cache age: the warm container signs with OLD and the bridge accepts it as previous.
    expect(await call(warm)).toBe('ok');
    expect(reads()).toBe(1);
    // ...which is exactly what the previous secret is for: a bridge that knew only NEW would refuse it.
    startBridgeTask(NEW);
    expect(await call(warm)).toBe('GET /health: bad signature');
    startBridgeTask(NEW, OLD);

    // A cold container reads NEW at once.
    expect(await call(container())).toBe('ok');
    expect(reads()).toBe(2);

    // Past the cache age the warm container reads again and signs with NEW: a bridge that no longer
    // accepts OLD (the next rotation) takes it.
    clock.advance(60_000);
    expect(await call(warm)).toBe('ok');
    expect(reads()).toBe(3);
    startBridgeTask(NEW);
    expect(await call(warm)).toBe('ok');
    expect(reads()).toBe(3);
  });
});

describe('secretFromSecretsManager cache', () => {
  const client = () => new SecretsManagerClient({ region: 'us-east-1' });

  it('reads again exactly when the value is maxAgeMs old, counted from the start of the read', async () => {
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: OLD }).resolves({ SecretString: NEW });
    let now = 1_000;
    const secret = secretFromSecretsManager(client(), ARN, { now: () => now, maxAgeMs: 10_000 });
    expect(await secret()).toBe(OLD);
    now = 10_999; // 9,999 ms after the read started
    expect(await secret()).toBe(OLD);
    expect(reads()).toBe(1);
    now = 11_000;
    expect(await secret()).toBe(NEW);
    expect(reads()).toBe(2);
  });

  it('requests that find the value expired share one read', async () => {
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: OLD }).resolves({ SecretString: NEW });
    let now = 0;
    const secret = secretFromSecretsManager(client(), ARN, { now: () => now, maxAgeMs: 1_000 });
    await secret();
    now = 5_000;
    expect(await Promise.all([secret(), secret(), secret()])).toEqual([NEW, NEW, NEW]);
    expect(reads()).toBe(2);
  });

  it('a failed re-read keeps the value it has and tries again on the next request', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: OLD })
      .rejectsOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }))
      .resolves({ SecretString: NEW });
    let now = 0;
    const secret = secretFromSecretsManager(client(), ARN, { now: () => now, maxAgeMs: 1_000 });
    expect(await secret()).toBe(OLD);
    now = 2_000;
    expect(await secret()).toBe(OLD);
    expect(await secret()).toBe(NEW);
    expect(reads()).toBe(3);
  });

  it("matches the cache age the README's rotation procedure gives the operator", () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Rotating the bridge secret'));
    expect(section).toContain(`caches the secret for **${BRIDGE_SECRET_MAX_AGE_MS / 60_000} minutes**`);
  });
});
