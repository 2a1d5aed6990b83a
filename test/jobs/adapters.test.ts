// The alerter and bridge-client adapters on their own: exact SNS publishes, cooldown and escalation,
// and the client's retry policy (idempotent requests only) with a scripted fetch.
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { cooldownAlerter, memoryPublisher } from '#adapters/alerter';
import { BridgeError, createBridgeClient } from '#adapters/bridge-client';
import { alertSubject, MAX_SUBJECT_LENGTH, snsPublisher } from '#adapters/sns-alerter';
import { makeAlert } from '#core/alerts';
import type { Stores } from '#adapters/ports';
import { createJobContext } from '#jobs/shared/context';
import { SIGNATURE_HEADER, signRequest, TIMESTAMP_HEADER } from '#bridge/contract';

const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

const alert = (severity: 'INFO' | 'WARNING' | 'CRITICAL') =>
  makeAlert({
    subject: 'pos-1',
    rule: 12,
    severity,
    title: 'IWM loss $612.00',
    message: 'IWM bull put 2026-07-10 P210/205 ×2: loss $612.00 (stop at $800.00)',
  });

describe('SNS alerter', () => {
  it('publishes subject, short message and the severity attribute the SMS filter policy selects on', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const out = await snsPublisher({
      client: new SNSClient({ region: 'us-east-1' }),
      topicArn: 'arn:t',
    }).publish(alert('CRITICAL'));
    expect(out).toEqual({ messageId: 'm-1' });
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input)).toEqual([
      {
        TopicArn: 'arn:t',
        Subject: '[CRITICAL] IWM loss $612.00',
        Message: 'IWM bull put 2026-07-10 P210/205 ×2: loss $612.00 (stop at $800.00)',
        MessageAttributes: { severity: { DataType: 'String', StringValue: 'CRITICAL' } },
      },
    ]);
  });

  it('keeps subjects printable ASCII and at most 100 characters', () => {
    const subject = alertSubject({ severity: 'INFO', title: `${'é×≥'.repeat(10)} ${'x'.repeat(200)}` });
    expect(subject.length).toBe(MAX_SUBJECT_LENGTH);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.startsWith('[INFO] x>=')).toBe(true);
  });

  it('suppresses a repeat inside the cooldown but lets a higher severity through', async () => {
    const publisher = memoryPublisher();
    const alerter = cooldownAlerter(publisher);
    const t0 = Date.UTC(2026, 5, 1, 15);
    const minute = 60_000;
    expect((await alerter.send(alert('WARNING'), { now: t0, cooldownMinutes: 60 })).sent).toBe(true);
    expect((await alerter.send(alert('WARNING'), { now: t0 + 59 * minute, cooldownMinutes: 60 })).sent).toBe(
      false,
    );
    expect((await alerter.send(alert('INFO'), { now: t0 + 30 * minute, cooldownMinutes: 60 })).sent).toBe(
      false,
    );
    expect((await alerter.send(alert('CRITICAL'), { now: t0 + 30 * minute, cooldownMinutes: 60 })).sent).toBe(
      true,
    );
    expect((await alerter.send(alert('CRITICAL'), { now: t0 + 91 * minute, cooldownMinutes: 60 })).sent).toBe(
      true,
    );
    expect(publisher.alerts.map((a) => a.severity)).toEqual(['WARNING', 'CRITICAL', 'CRITICAL']);
  });
});

describe('bridge client', () => {
  const secret = 'client-test-secret-0123456789';
  const orderSecret = 'client-order-secret-0123456789';
  function scripted(statuses: number[]) {
    const calls: { url: string; init: RequestInit }[] = [];
    const fetchFn = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      const status = statuses[Math.min(calls.length - 1, statuses.length - 1)]!;
      const body =
        status === 200
          ? {
              accountId: 'DU1',
              tradingMode: 'paper',
              currency: 'USD',
              netLiquidation: 1,
              buyingPower: 1,
              availableFunds: 1,
              excessLiquidity: 1,
            }
          : {
              error: {
                code: status === 503 ? 'IB_NOT_READY' : 201,
                message: 'nope',
                retryable: status >= 500,
              },
            };
      return new Response(JSON.stringify(body), { status });
    }) as unknown as typeof fetch;
    return { calls, fetchFn };
  }
  const client = (fetchFn: typeof fetch) =>
    createBridgeClient({
      baseUrl: 'http://bridge/',
      secret,
      orderSecret,
      priority: 26,
      now: () => 1_000_000,
      fetch: fetchFn,
      delay: async () => undefined,
    });

  it('signs each attempt afresh, sends the priority, and retries a GET on a retryable error', async () => {
    const { calls, fetchFn } = scripted([503, 200]);
    const account = await client(fetchFn).account();
    expect(account.accountId).toBe('DU1');
    expect(calls).toHaveLength(2);
    const stamps = calls.map((c) => (c.init.headers as Record<string, string>)[TIMESTAMP_HEADER]);
    expect(new Set(stamps).size).toBe(2); // a replayed signature would be refused
    for (const c of calls) {
      const h = c.init.headers as Record<string, string>;
      expect(h['x-priority']).toBe('26');
      expect(h[SIGNATURE_HEADER]).toBe(
        signRequest({
          secret,
          timestamp: h[TIMESTAMP_HEADER]!,
          method: 'GET',
          pathWithQuery: '/account',
          priority: 26,
        }),
      );
    }
  });

  it('signs order routes with the order secret, and without one refuses them before sending anything', async () => {
    const { calls, fetchFn } = scripted([200]);
    await client(fetchFn)
      .cancelOrder(7)
      .catch(() => undefined);
    const h = calls[0]!.init.headers as Record<string, string>;
    expect(h[SIGNATURE_HEADER]).toBe(
      signRequest({
        secret: orderSecret,
        timestamp: h[TIMESTAMP_HEADER]!,
        method: 'DELETE',
        pathWithQuery: '/orders/7',
        priority: 26,
      }),
    );
    // a job without the order secret (every job but execute-strategies and monitor): a clear error, no request
    const error = await createJobContext({
      env: { BRIDGE_URL: 'http://bridge', BRIDGE_SECRET: secret },
      stores: {} as Stores,
      idempotency: null,
    })
      .bridge(32)
      .modifyOrder(7, 1.25)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NO_ORDER_SECRET', retryable: false });
    expect(String((error as Error).message)).toContain('BRIDGE_ORDER_SECRET or BRIDGE_ORDER_SECRET_ARN');
  });

  it('does not retry a modify, and maps the error body to a typed BridgeError', async () => {
    const { calls, fetchFn } = scripted([503, 200]);
    const error = await client(fetchFn)
      .modifyOrder(7, 1.25)
      .catch((e: unknown) => e);
    expect(calls).toHaveLength(1);
    expect(error).toBeInstanceOf(BridgeError);
    expect(error).toMatchObject({ status: 503, code: 'IB_NOT_READY', retryable: true });
    expect(String((error as Error).message)).not.toContain(secret);
  });

  it('a rejection (not retryable) is not retried even for an idempotent request', async () => {
    const { calls, fetchFn } = scripted([422]);
    await expect(client(fetchFn).account()).rejects.toMatchObject({
      status: 422,
      code: 201,
      retryable: false,
    });
    expect(calls).toHaveLength(1);
  });
});
