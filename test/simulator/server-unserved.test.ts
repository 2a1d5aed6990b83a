// Requests the simulator does not serve as a market still get IB's answer at once (data, or the
// error IB sends for the request's id) instead of hanging the client until its own timeout. The
// 14 request types are the ones @stoqey/ib's own test suite left hanging; each is sent by the real
// IBApi client over TCP.

import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DurationUnit,
  EventName,
  Instrument,
  LocationCode,
  ScanCode,
  WhatToShow,
  type Contract,
  type IBApi,
} from '@stoqey/ib';
import { ACCOUNT, createFakeEngine, SPY_CONID } from './fake-engine';
import { closeAll, connectClient, record, startServer, waitFor, type TestClient } from './server-harness';
import { answerUnserved, requestIdOf, UNSERVED } from '#simulator/server/unsupported';
import { IN } from '#simulator/server/wire';

const START = Date.UTC(2026, 10, 24, 15, 0);
/** Far below any client timeout: an answer, not a hang. */
const ANSWER_WITHIN_MS = 1000;

const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients) expect(c.protocolErrors, `client ${c.clientId}`).toEqual([]);
  clients.length = 0;
  await closeAll();
});

async function connect(): Promise<TestClient> {
  const server = await startServer(createFakeEngine(START));
  const client = await connectClient(server.port);
  clients.push(client);
  return client;
}

const spy: Contract = {
  conId: SPY_CONID,
  symbol: 'SPY',
  secType: 'STK' as Contract['secType'],
  exchange: 'SMART',
  currency: 'USD',
};
const REQ = 4242;

interface Case {
  request: string;
  send: (ib: IBApi) => void;
  /** The event that answers it, and a check of its arguments. */
  event: EventName;
  check: (args: unknown[]) => void;
}

/** An error for the request's own id, with IB's code for the case. */
const errorFor = (code: number) => (args: unknown[]) => {
  expect(args[2]).toBe(REQ);
  expect(args[1]).toBe(code);
};

const cases: Case[] = [
  {
    request: 'reqHistoricalTicks',
    send: (ib) =>
      ib.reqHistoricalTicks(REQ, spy, '20261123 10:00:00 US/Eastern', null, 100, WhatToShow.TRADES, 1, false),
    event: EventName.error,
    check: errorFor(162),
  },
  {
    request: 'reqPnL',
    send: (ib) => ib.reqPnL(REQ, ACCOUNT, ''),
    event: EventName.pnl,
    check: (args) => {
      expect(args[0]).toBe(REQ);
      expect(args[2]).toEqual(expect.any(Number)); // unrealised
      expect(args[3]).toEqual(expect.any(Number)); // realised
    },
  },
  {
    request: 'reqPnLSingle',
    send: (ib) => ib.reqPnLSingle(REQ, ACCOUNT, '', SPY_CONID),
    event: EventName.pnlSingle,
    check: (args) => {
      expect(args[0]).toBe(REQ);
      expect(args[1]).toBe(0); // no SPY position in the fake account
    },
  },
  {
    request: 'reqPositionsMulti',
    send: (ib) => ib.reqPositionsMulti(REQ, ACCOUNT, ''),
    event: EventName.positionMultiEnd,
    check: (args) => expect(args[0]).toBe(REQ),
  },
  {
    request: 'reqMarketRule',
    send: (ib) => ib.reqMarketRule(26),
    event: EventName.marketRule,
    check: (args) => {
      expect(args[0]).toBe(26);
      expect(args[1]).toEqual([{ lowEdge: 0, increment: 0.01 }]);
    },
  },
  {
    request: 'reqUserInfo',
    send: (ib) => ib.reqUserInfo(REQ),
    event: EventName.userInfo,
    check: (args) => expect(args).toEqual([REQ, '']),
  },
  {
    request: 'reqHeadTimestamp',
    send: (ib) => ib.reqHeadTimestamp(REQ, spy, WhatToShow.TRADES, true, 1),
    event: EventName.error,
    check: errorFor(162),
  },
  {
    request: 'reqHistogramData',
    send: (ib) => ib.reqHistogramData(REQ, spy, true, 1, DurationUnit.WEEK),
    event: EventName.error,
    check: errorFor(162),
  },
  {
    request: 'reqMatchingSymbols',
    send: (ib) => ib.reqMatchingSymbols(REQ, 'spy'),
    event: EventName.symbolSamples,
    check: (args) => {
      expect(args[0]).toBe(REQ);
      expect(args[1]).toEqual([
        expect.objectContaining({
          contract: expect.objectContaining({ conId: SPY_CONID, symbol: 'SPY', secType: 'STK' }),
          derivativeSecTypes: ['OPT'],
        }),
      ]);
    },
  },
  {
    request: 'reqNewsProviders',
    send: (ib) => ib.reqNewsProviders(),
    event: EventName.newsProviders,
    check: (args) => expect(args[0]).toEqual([]),
  },
  {
    request: 'reqHistoricalNews',
    send: (ib) => ib.reqHistoricalNews(REQ, SPY_CONID, 'BRFG', '', '', 10),
    event: EventName.error,
    check: errorFor(10276),
  },
  {
    request: 'reqScannerParameters',
    send: (ib) => ib.reqScannerParameters(),
    event: EventName.scannerParameters,
    check: (args) => expect(String(args[0])).toMatch(/^<\?xml[\s\S]*<ScanParameterResponse>/),
  },
  {
    request: 'reqScannerSubscription',
    send: (ib) =>
      ib.reqScannerSubscription(REQ, {
        instrument: Instrument.STK,
        locationCode: LocationCode.STK_US_MAJOR,
        scanCode: ScanCode.TOP_PERC_GAIN,
        numberOfRows: 5,
      }),
    event: EventName.scannerDataEnd,
    check: (args) => expect(args[0]).toBe(REQ),
  },
  {
    request: 'reqWshMetaData',
    send: (ib) => ib.reqWshMetaData(REQ),
    event: EventName.error,
    check: errorFor(10276),
  },
  {
    request: 'reqWshEventData',
    send: (ib) => ib.reqWshEventData(REQ, SPY_CONID),
    event: EventName.error,
    check: errorFor(10276),
  },
];

describe('requests the simulator does not serve as a market', () => {
  it.each(cases.map((c) => [c.request, c] as const))('answers %s at once', async (_name, c) => {
    const client = await connect();
    const seen = record(client.ib, c.event);
    const relevant = () => (c.event === EventName.error ? seen.filter((args) => args[2] === REQ) : seen);
    c.send(client.ib);
    await waitFor(() => relevant().length > 0, ANSWER_WITHIN_MS, `${c.event} for ${c.request}`);
    c.check(relevant()[0] as unknown[]);
  });
});

describe('the unserved-request table', () => {
  // The client's own list of the messages it can send.
  const require = createRequire(import.meta.url);
  const { OUT_MSG_ID } = require('@stoqey/ib/dist/core/io/encoder') as {
    OUT_MSG_ID: Record<string, number | string>;
  };
  const clientIds = Object.values(OUT_MSG_ID).filter((v): v is number => typeof v === 'number');
  const served = new Set<number>(Object.values(IN));
  // placeOrder (3) and the handshake are served; everything else the client can send has a rule.
  it('has a rule for every message the client can send that the server does not dispatch', () => {
    const missing = clientIds.filter((id) => !served.has(id) && !UNSERVED.has(id));
    expect(missing).toEqual([]);
    for (const id of UNSERVED.keys())
      expect(served.has(id), `id ${id} is both served and unserved`).toBe(false);
  });

  it('reads the request id where the encoder writes it', () => {
    expect(requestIdOf('first', ['17', 'x'])).toBe(17);
    expect(requestIdOf('afterVersion', ['1', '17'])).toBe(17);
    expect(requestIdOf('none', ['17'])).toBe(-1);
    expect(requestIdOf('first', [])).toBe(-1);
  });

  const engine = createFakeEngine(START);
  it.each([
    // [message id, fields after the id, what IB sends]
    [
      96,
      ['9', '0'],
      [[4, 2, 9, 162, 'Historical Market Data Service error message:HMDS query returned no data', '']],
    ],
    [10, ['5', '9'], [[4, 2, 9, 354, 'Requested market data is not subscribed.', '']]],
    [102, ['9', '0'], [[4, 2, 9, 10276, 'News feed is not allowed.', '']]],
    [98, ['9'], []],
    [85, [], [[85, 0]]],
    [104, ['9'], [[107, 9, '']]],
    [22, ['9'], [[20, 3, 9, 0]]],
    [91, ['32'], [[93, 32, 2, 0, 0.01, 3, 0.05]]],
    [91, ['67'], [[93, 67, 1, 0, 0.25]]],
    [91, ['12345'], [[93, 12345, 1, 0, 0.01]]],
    [80, [], [[78, 1, ACCOUNT, '']]],
  ] as const)('message %i %j → %j', (id, args, expected) => {
    expect(answerUnserved(id, args, engine)).toEqual(expected);
  });

  it('answers an unknown message id with a no-request error naming it', () => {
    expect(answerUnserved(250, [], engine)).toEqual([
      [4, 2, -1, 321, "Error validating request.-'sim' : cause - Unknown message id 250", ''],
    ]);
  });

  it('answers PnL for an account it does not know with 321 for the request id', () => {
    const [answer] = answerUnserved(92, ['9', 'U999', ''], engine);
    expect(answer?.slice(0, 4)).toEqual([4, 2, 9, 321]);
  });
});
