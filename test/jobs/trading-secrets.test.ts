// BRIDGE_SECRET from Secrets Manager: the job context reads BRIDGE_SECRET_ARN with one GetSecretValue per
// container (cached, shared by every priority's client) when BRIDGE_SECRET is not set. The bridge here is
// a tiny signature-checking HTTP server: a request signed with anything but the secret in Secrets
// Manager gets 401, so "the health call succeeded" proves the fetched secret was used to sign.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Stores } from '#adapters/ports';
import { createJobContext } from '#jobs/shared/context';
import { SIGNATURE_HEADER, signRequest, TIMESTAMP_HEADER } from '#bridge/contract';
import { HEALTHY_BRIDGE } from './bridge-fixtures';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bridge-hmac-AbCdEf';
const STORED_SECRET = 'from-secrets-manager-0123456789abcdef';
const HEALTH = HEALTHY_BRIDGE;

const secrets = mockClient(SecretsManagerClient);
afterEach(() => secrets.reset());

let server: Server;
let url = '';
/** The secret the fake bridge accepts; each test sets it. */
let accepted = STORED_SECRET;

beforeAll(async () => {
  server = createServer((req, res) => {
    const timestamp = String(req.headers[TIMESTAMP_HEADER] ?? '');
    const expected = signRequest({
      secret: accepted,
      timestamp,
      method: req.method ?? 'GET',
      pathWithQuery: req.url ?? '/',
      priority: req.headers['x-priority'] as string | undefined,
    });
    const ok = req.headers[SIGNATURE_HEADER] === expected;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        ok ? HEALTH : { error: { code: 'UNAUTHORIZED', message: 'bad signature', retryable: false } },
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const context = (env: Record<string, string>) =>
  createJobContext({
    env: { BRIDGE_URL: url, ...env },
    stores: {} as Stores,
    idempotency: null,
    secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
  });

describe('bridge secret from Secrets Manager', () => {
  it('reads BRIDGE_SECRET_ARN once per container and signs every client with it', async () => {
    accepted = STORED_SECRET;
    secrets.on(GetSecretValueCommand).resolves({ SecretString: STORED_SECRET });
    const ctx = context({ BRIDGE_SECRET_ARN: ARN });
    // Nothing is read until a bridge request needs the secret (a job without bridge calls costs nothing).
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    const answers = await Promise.all([
      ctx.bridge(26).health(),
      ctx.bridge(32).health(),
      ctx.bridge(26).health(),
    ]);
    expect(answers.map((a) => a.status)).toEqual(['ok', 'ok', 'ok']);
    await ctx.bridge(15).health();
    expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: ARN },
    ]);
  });

  it('accepts a JSON secret with a "secret" field', async () => {
    accepted = STORED_SECRET;
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ secret: STORED_SECRET }) });
    const ctx = context({ BRIDGE_SECRET_ARN: ARN });
    expect((await ctx.bridge(26).health()).status).toBe('ok');
  });

  it('BRIDGE_SECRET, when set, wins and Secrets Manager is never called', async () => {
    accepted = 'plain-environment-secret-0123456789';
    secrets.on(GetSecretValueCommand).resolves({ SecretString: STORED_SECRET });
    const ctx = context({ BRIDGE_SECRET: accepted, BRIDGE_SECRET_ARN: ARN });
    expect((await ctx.bridge(26).health()).status).toBe('ok');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('a failed read is not cached: the next request reads again; the error names the ARN, not a value', async () => {
    accepted = STORED_SECRET;
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }))
      .resolves({ SecretString: STORED_SECRET });
    const ctx = context({ BRIDGE_SECRET_ARN: ARN });
    const failed = await ctx
      .bridge(26)
      .health()
      .then(
        () => undefined,
        (error: unknown) => error as Error,
      );
    expect(failed?.message).toBe(
      `could not read the bridge secret ${ARN} from Secrets Manager: ThrottlingException`,
    );
    expect((await ctx.bridge(26).health()).status).toBe('ok');
    await ctx.bridge(26).health();
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('neither variable set: the first bridge request fails naming both', () => {
    const ctx = context({});
    expect(() => ctx.bridge(26)).toThrow('missing environment variable BRIDGE_SECRET or BRIDGE_SECRET_ARN');
  });
});
