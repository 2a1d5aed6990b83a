// validate-ib-connection against DynamoDB Local, the simulator (a paper DU… account) and the bridge;
// SNS is the only mock and every publish is asserted exactly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Quote, QuoteContract } from '#bridge/contract';
import { handler as collectFutures } from '#jobs/collect-futures-data';
import { handler as collectOptions } from '#jobs/collect-option-data';
import { handler as dailyStatistics } from '#jobs/daily-statistics';
import { handler as healthCheck } from '#jobs/health-check';
import { handler as loadHistory } from '#jobs/load-historical-data';
import { handler } from '#jobs/validate-ib-connection';
import { handler as dataQuality } from '#jobs/validate-data-quality';
import { handler as verifyPositions } from '#jobs/verify-positions';
import type { JobContext } from '#jobs/shared/context';
import { accountMode } from '#core/entry';
import { checkTradingMode } from '#jobs/validate-ib-connection/run';
import { setJobContext } from '#jobs/shared/context';
// The DynamoDB Local global setup starts the JVM only for files that import this helper by name.
import '../support/dynamodb';
import { lambdaContext, startJobStack, TOPIC, withBridgeOverride } from './support';

const stack = await startJobStack();
const { db, sim, clock } = stack;
const ctx = lambdaContext('validate-ib-connection');
const ACCOUNT = sim.engine.accounts()[0]!;

describe('validate-ib-connection', () => {
  it('passes on the paper account with paper config, IB liquidHours agreeing with our calendar', async () => {
    expect(ACCOUNT).toMatch(/^DU/);
    const result = await handler({}, ctx);
    expect(result).toMatchObject({ job: 'validate-ib-connection', ok: true });
    expect(result.details).toMatchObject({
      account: { accountId: ACCOUNT, tradingMode: 'paper' },
      tradingModeOk: true,
      marketData: 'real-time',
    });
    // One option of each underlying, quoted real-time: the put nearest the money, a week or more out.
    const optionQuotes = result.details?.optionQuotes as Record<string, string>;
    const config = await db.stores.config.loadConfig();
    expect(Object.keys(optionQuotes)).toEqual(config.universe.underlyings);
    for (const label of Object.values(optionQuotes)) {
      const [expiry] = label.split(' ');
      expect(label).toMatch(/^\d{4}-\d{2}-\d{2} P\d+(\.\d+)?: real-time$/);
      expect(expiry! >= '2026-06-08').toBe(true);
    }
    // The simulator lists a week from 2026-06-01 (a Monday): five sessions and the weekend.
    const symbol = (await db.stores.config.loadConfig()).universe.underlyings[0]!;
    expect(result.reasons).toContain(
      `liquidHours: ${symbol} agrees with our calendar on 7 day(s), 2026-06-01..2026-06-07`,
    );
    expect(stack.published()).toHaveLength(0);
  }, 30_000);

  it('a holiday only our calendar has is a WARNING naming both sessions', async () => {
    const before = stack.published().length;
    const config = await db.stores.config.loadConfig();
    const symbol = config.universe.underlyings[0]!;
    // Wednesday 2026-06-03 is a normal NYSE day; claiming it as a holiday must disagree with IB.
    await db.stores.config.saveSection(
      'calendar',
      { ...config.calendar, holidays: [...config.calendar.holidays, '2026-06-03'] },
      { now: clock.now() },
    );
    try {
      const result = await handler({}, ctx);
      expect(result.ok).toBe(false);
      const detail = '2026-06-03 ours CLOSED, IB 09:30-16:00';
      expect(result.details?.liquidHours).toBe(`${symbol} disagrees on 1 of 7 day(s): ${detail}`);
      expect(stack.published().slice(before)).toEqual([
        {
          TopicArn: TOPIC,
          Subject: '[WARNING] IB connection: 1 problem(s)',
          Message:
            `validate-ib-connection 2026-06-01: ${symbol} liquidHours disagree with our calendar (${detail}): ` +
            'check calendar.holidays / calendar.earlyCloses in the config.',
          MessageAttributes: { severity: { DataType: 'String', StringValue: 'WARNING' } },
        },
      ]);
    } finally {
      await db.stores.config.saveSection('calendar', config.calendar, { now: clock.now() });
      // The warning's cooldown would hold back the next test's warning of the same subject and rule.
      await db.stores.alerts.clear('ib-connection#validate-ib-connection');
    }
  }, 30_000);

  it('live config on a paper account: one CRITICAL alert that says trading must stop', async () => {
    const before = stack.published().length;
    await db.stores.config.saveSection('trading', { mode: 'live' }, { now: clock.now() });
    try {
      const result = await handler({}, ctx);
      expect(result.ok).toBe(false);
      expect(result.did).toContain('TRADING MODE MISMATCH, trading must stop');
      expect(stack.published().slice(before)).toEqual([
        {
          TopicArn: TOPIC,
          Subject: '[CRITICAL] Trading mode mismatch: live vs paper',
          Message: `config says live but IB account ${ACCOUNT} is paper. Trading must stop: no orders until the config or the gateway login is fixed.`,
          MessageAttributes: { severity: { DataType: 'String', StringValue: 'CRITICAL' } },
        },
      ]);
    } finally {
      await db.stores.config.saveSection('trading', {}, { now: clock.now() });
    }
  }, 30_000);

  it('IB error 354 on the underlying quote is a CRITICAL naming the market data to subscribe', async () => {
    const before = stack.published().length;
    const notSubscribed = (contracts: QuoteContract[]): Quote[] =>
      contracts.map((c) => ({
        contract: { secType: c.secType, ...(c.symbol ? { symbol: c.symbol } : {}) },
        timestamp: clock.now(),
        stale: true,
        error: { code: 354, message: 'Requested market data is not subscribed.', retryable: false },
      }));
    const result = await withBridgeOverride(
      stack,
      () => ({ quotes: async (contracts) => notSubscribed(contracts) }),
      () => handler({}, ctx),
    );
    expect(result.ok).toBe(false);
    expect(result.details?.marketData).toBe('not subscribed (IB 354)');
    // No subscription at all: the option probe (a put near the money) is refused the same way, and the
    // alert names OPRA for it.
    const probe = String((result.details?.optionQuotes as Record<string, string>).IWM);
    expect(probe).toMatch(/^\d{4}-\d{2}-\d{2} P\d+(\.\d+)?: not subscribed \(IB 354\)$/);
    expect(stack.published().slice(before)).toEqual([
      {
        TopicArn: TOPIC,
        Subject: '[CRITICAL] IB connection: 2 problem(s)',
        Message:
          `validate-ib-connection 2026-06-01: IWM market data: not subscribed (IB 354): the account needs real-time US stock/ETF quotes (IBKR market data for NYSE, ARCA and NASDAQ: Network A, B and C); ` +
          `IWM options data (${probe.split(':')[0]}): not subscribed (IB 354): the account needs real-time US options quotes (OPRA, the US options exchanges).`,
        MessageAttributes: { severity: { DataType: 'String', StringValue: 'CRITICAL' } },
      },
    ]);
  }, 30_000);

  it('reports every underlying: not subscribed (354) and a competing session (10197) are CRITICAL, naming what to fix', async () => {
    await db.stores.alerts.clear('ib-connection#validate-ib-connection');
    const before = stack.published().length;
    const universe = (await db.stores.config.loadConfig()).universe;
    await db.stores.config.saveSection(
      'universe',
      { ...universe, underlyings: ['IWM', 'SPY', 'QQQ'] },
      { now: clock.now() },
    );
    const [first, second, ...rest] = ['IWM', 'SPY', 'QQQ'];
    try {
      const ibError = (code: number, message: string) => ({ code, message, retryable: false });
      const result = await withBridgeOverride(
        stack,
        (client) => ({
          quotes: async (contracts) =>
            (await client.quotes(contracts)).map((q) =>
              q.contract.symbol === first
                ? {
                    ...q,
                    bid: undefined,
                    ask: undefined,
                    last: undefined,
                    error: ibError(354, 'Requested market data is not subscribed.'),
                  }
                : q.contract.symbol === second
                  ? {
                      ...q,
                      bid: undefined,
                      ask: undefined,
                      last: undefined,
                      error: ibError(10197, 'No market data during competing live session'),
                    }
                  : q,
            ),
        }),
        () => handler({}, ctx),
      );
      expect(result.details?.quotes).toEqual({
        [first!]: 'not subscribed (IB 354)',
        [second!]: 'blocked by a competing session (IB 10197)',
        ...Object.fromEntries(rest.map((s) => [s, 'real-time'])),
      });
      const critical = stack
        .published()
        .slice(before)
        .filter((p) => String(p.Subject).startsWith('[CRITICAL]'));
      expect(critical).toHaveLength(1);
      expect(critical[0]!.Message).toContain(
        `${first} market data: not subscribed (IB 354): the account needs real-time US stock/ETF quotes (IBKR market data for NYSE, ARCA and NASDAQ: Network A, B and C)`,
      );
      expect(critical[0]!.Message).toContain(
        `${second} market data: blocked by a competing session (IB 10197): another login of this user (TWS, IBKR Mobile, the web portal) holds the market data; log it out`,
      );
    } finally {
      await db.stores.config.saveSection('universe', universe, { now: clock.now() });
    }
  }, 30_000);

  it('delayed data on the underlying quote is a CRITICAL (no real-time subscription), not "real-time"', async () => {
    // The 354 test's warning (same subject and rule) would hold this one back by its cooldown.
    await db.stores.alerts.clear('ib-connection#validate-ib-connection');
    const before = stack.published().length;
    const result = await withBridgeOverride(
      stack,
      (client) => ({
        quotes: async (contracts) => (await client.quotes(contracts)).map((q) => ({ ...q, delayed: true })),
      }),
      () => handler({}, ctx),
    );
    const symbol = (await db.stores.config.loadConfig()).universe.underlyings[0]!;
    expect(result.ok).toBe(false);
    expect(result.details?.marketData).toBe('delayed (IB 10167)');
    expect(stack.published().slice(before)).toEqual([
      {
        TopicArn: TOPIC,
        Subject: '[CRITICAL] IB connection: 2 problem(s)',
        Message:
          `validate-ib-connection 2026-06-01: ${symbol} market data: delayed (IB 10167): the account needs real-time US stock/ETF quotes (IBKR market data for NYSE, ARCA and NASDAQ: Network A, B and C); ` +
          `${symbol} options data (${String((result.details?.optionQuotes as Record<string, string>)[symbol]).split(':')[0]}): delayed (IB 10167): the account needs real-time US options quotes (OPRA, the US options exchanges).`,
        MessageAttributes: { severity: { DataType: 'String', StringValue: 'CRITICAL' } },
      },
    ]);
  }, 30_000);

  it('reads the mode from the account id and refuses a bridge that disagrees with it', () => {
    expect(accountMode('DU1234567')).toBe('paper');
    expect(accountMode('U7654321')).toBe('live');
    // one rule for the jobs and the bridge: only DU is paper (the bridge used to take DF too)
    expect(accountMode('DF1234567')).toBe('live');
    const base = {
      currency: 'USD',
      netLiquidation: 1,
      buyingPower: 1,
      availableFunds: 1,
      excessLiquidity: 1,
    };
    expect(checkTradingMode('live', { ...base, accountId: 'U1', tradingMode: 'live' }).ok).toBe(true);
    const odd = checkTradingMode('paper', { ...base, accountId: 'DU1', tradingMode: 'live' });
    expect(odd).toMatchObject({ ok: false, reason: 'account DU1 looks paper but the bridge reports live' });
  });

  it('refuses a bad payload by field name without calling the bridge', async () => {
    const before = stack.published().length;
    const result = await handler({ account: 'DU1' }, ctx);
    expect(result).toMatchObject({ ok: false, error: 'account: unknown field' });
    const notObject = await handler([1], ctx);
    expect(notObject).toMatchObject({ ok: false, error: '(payload): expected a JSON object' });
    expect(stack.published().length).toBe(before);
  });
});

// Random and malformed manual payloads at the eight jobs of this issue: each is accepted (and then reaches
// an adapter, which the recording context refuses) or answered with an error naming a field, with no
// adapter touched at all.
const FIELDS = ['symbols', 'days', 'tradeDate', 'restartAfterFailures', 'repair'];
const jsonValue = fc.oneof(
  fc.integer({ min: -100, max: 3000 }),
  fc.double(),
  fc.string({ maxLength: 10 }),
  fc.constantFrom('SPY', 'ES', '2025-12-24', '2025-02-30'),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('SPY', 'NQ'), fc.integer()), {
    maxLength: 3,
  }),
);
const fieldName = fc.oneof(fc.constantFrom(...FIELDS, 'detail'), fc.string({ minLength: 1, maxLength: 6 }));
const payload = fc.oneof(
  fc.dictionary(fieldName, jsonValue, { maxKeys: 3 }),
  jsonValue,
  fc.record({
    'detail-type': fc.constantFrom('Scheduled Event', 'OrderFilled', 'Nope'),
    detail: fc.oneof(jsonValue, fc.dictionary(fieldName, jsonValue, { maxKeys: 2 })),
  }),
);

describe('manual payloads of the data and operations jobs', () => {
  it('are accepted, or refused naming the field without touching an adapter', async () => {
    const touched: string[] = [];
    const recording = new Proxy({} as JobContext, {
      get(_target, property) {
        touched.push(String(property));
        throw new Error(`adapter ${String(property)} used`);
      },
    });
    const handlers = [
      loadHistory,
      handler,
      collectOptions,
      collectFutures,
      dailyStatistics,
      dataQuality,
      healthCheck,
      verifyPositions,
    ];
    const published = stack.published().length;
    setJobContext(recording);
    try {
      await fc.assert(
        fc.asyncProperty(payload, fc.constantFrom(...handlers), async (event, job) => {
          touched.length = 0;
          let result;
          try {
            result = await job(event, ctx);
          } catch (error) {
            expect(String(error)).toContain('adapter');
            expect(touched.length).toBeGreaterThan(0);
            return;
          }
          expect(result.ok).toBe(false);
          expect(touched).toEqual([]);
          expect(result.issues?.length).toBeGreaterThan(0);
          const names =
            typeof event === 'object' && event !== null && !Array.isArray(event) ? Object.keys(event) : [];
          const known = [...names, '(payload)', 'detail', 'detail-type', 'source'];
          for (const issue of result.issues ?? []) {
            expect(result.error).toContain(`${issue.field}: ${issue.message}`);
            expect(known.some((n) => issue.field === n || issue.field.startsWith(`${n}.`))).toBe(true);
          }
        }),
        { numRuns: 1000 },
      );
    } finally {
      setJobContext(stack.context);
    }
    expect(stack.published().length).toBe(published);
  }, 60_000);
});
