// The one table for every request the simulator does not serve as a market: each client message id
// maps to where its request id sits and to IB's answer. A real gateway never leaves a request
// unanswered; a client waiting on a dropped one hangs until its own timeout, so every id gets an
// answer here: IB's data where it is cheap and realistic, otherwise the error IB really sends for
// an account without the permission or data (and nothing for cancels, as IB).
//
// | id  | request                         | answer                                                      |
// |-----|---------------------------------|-------------------------------------------------------------|
// | 10  | reqMktDepth                     | error 354 (no deep-book subscription)                       |
// | 11  | cancelMktDepth                  | nothing                                                     |
// | 12  | reqNewsBulletins                | nothing (IB sends bulletins only when there are some)       |
// | 13  | cancelNewsBulletins             | nothing                                                     |
// | 14  | setServerLogLevel               | nothing                                                     |
// | 18  | requestFA                       | error −1 321 (FA operations on a non-FA account)            |
// | 19  | replaceFA                       | error −1 321 (FA operations on a non-FA account)            |
// | 21  | exerciseOptions                 | error 321 (not simulated)                                   |
// | 22  | reqScannerSubscription          | SCANNER_DATA with no rows                                   |
// | 23  | cancelScannerSubscription       | nothing                                                     |
// | 24  | reqScannerParameters            | SCANNER_PARAMETERS: a small XML                             |
// | 50  | reqRealTimeBars                 | error 420 (no real-time bar permission)                     |
// | 51  | cancelRealTimeBars              | nothing                                                     |
// | 52  | reqFundamentalData              | error 10358 (fundamentals not allowed)                      |
// | 53  | cancelFundamentalData           | nothing                                                     |
// | 54  | calculateImpliedVolatility      | error 321 (not simulated)                                   |
// | 55  | calculateOptionPrice            | error 321 (not simulated)                                   |
// | 56  | cancelCalculateImpliedVolatility| nothing                                                     |
// | 57  | cancelCalculateOptionPrice      | nothing                                                     |
// | 58  | reqGlobalCancel                 | error −1 321 (not simulated: cancel orders one by one)      |
// | 65, 66, 72, 73 | verify*              | error −1 321 (API verification is not used)                 |
// | 67–69 | display groups                | error 321 (no TWS windows behind a gateway)                 |
// | 70  | unsubscribeFromGroupEvents      | nothing                                                     |
// | 74  | reqPositionsMulti               | POSITION_MULTI per position of the account, then the end    |
// | 75  | cancelPositionsMulti            | nothing                                                     |
// | 76  | reqAccountUpdatesMulti          | error 321 (not simulated: use reqAccountUpdates)            |
// | 77  | cancelAccountUpdatesMulti       | nothing                                                     |
// | 79  | reqSoftDollarTiers              | SOFT_DOLLAR_TIERS: none                                     |
// | 80  | reqFamilyCodes                  | FAMILY_CODES: each account with an empty code               |
// | 81  | reqMatchingSymbols              | SYMBOL_SAMPLES: the stock or index of that exact symbol     |
// | 82  | reqMktDepthExchanges            | MKT_DEPTH_EXCHANGES: none                                   |
// | 83  | reqSmartComponents              | error 321 (not simulated)                                   |
// | 84  | reqNewsArticle                  | error 10276 (news feed not allowed)                         |
// | 85  | reqNewsProviders                | NEWS_PROVIDERS: none                                        |
// | 86  | reqHistoricalNews               | error 10276 (news feed not allowed)                         |
// | 87  | reqHeadTimestamp                | error 162 (HMDS query returned no data)                     |
// | 88  | reqHistogramData                | error 162 (HMDS query returned no data)                     |
// | 89, 90 | cancelHistogram / HeadTimestamp | nothing                                                  |
// | 91  | reqMarketRule                   | MARKET_RULE: IB's rules 26 (stocks) and 32 (options)        |
// | 92  | reqPnL                          | PNL: the account's unrealised and realised P&L              |
// | 93  | cancelPnL                       | nothing                                                     |
// | 94  | reqPnLSingle                    | PNL_SINGLE: the position, its value and unrealised P&L      |
// | 95  | cancelPnLSingle                 | nothing                                                     |
// | 96  | reqHistoricalTicks              | error 162 (HMDS query returned no data)                     |
// | 97  | reqTickByTickData               | error 354 (no tick-by-tick subscription)                    |
// | 98  | cancelTickByTickData            | nothing                                                     |
// | 100 | reqWshMetaData                  | error 10276 (WSH feed not allowed, as on an account without it) |
// | 101 | cancelWshMetaData               | nothing                                                     |
// | 102 | reqWshEventData                 | error 10276                                                 |
// | 103 | cancelWshEventData              | nothing                                                     |
// | 104 | reqUserInfo                     | USER_INFO: no white-branding id                             |
// | any other | —                         | error −1 321 naming the message id                          |
//
// Daily P&L is sent as "unset" (Double.MAX_VALUE): the engine keeps no prior-close baseline.

import type { SimEngine, SimPosition } from '../engine-api';
import * as enc from './encode';
import { DOUBLE_MAX_WIRE, money, OUT, type WireField } from './wire';

type Fields = WireField[];

/** Where the request id sits among the fields after the message id. */
export type ReqIdAt = 'first' | 'afterVersion' | 'none';

export type UnservedAnswer =
  | { kind: 'nothing' }
  | { kind: 'error'; code: number; text: string }
  /** `args` are the fields after the message id. */
  | { kind: 'data'; send: (reqId: number, args: readonly string[], engine: SimEngine) => Fields[] };

export interface UnservedRule {
  request: string;
  reqIdAt: ReqIdAt;
  answer: UnservedAnswer;
}

const NOTHING: UnservedAnswer = { kind: 'nothing' };
const error = (code: number, text: string): UnservedAnswer => ({ kind: 'error', code, text });
const data = (send: Extract<UnservedAnswer, { kind: 'data' }>['send']): UnservedAnswer => ({
  kind: 'data',
  send,
});

const notSimulated = (what: string): UnservedAnswer =>
  error(321, `Error validating request.-'sim' : cause - ${what} is not supported by this gateway`);
const NO_HMDS_DATA = error(162, 'Historical Market Data Service error message:HMDS query returned no data');
const NEWS_NOT_ALLOWED = error(10276, 'News feed is not allowed.');
const NOT_SUBSCRIBED = error(354, 'Requested market data is not subscribed.');
const FA_ONLY = error(
  321,
  "Error validating request.-'sim' : cause - FA data operations ignored for non FA customers.",
);

/**
 * IB's price-increment rules: 26 and 32 are the ones the simulator's contract details name (CONTRACT_DATA
 * marketRuleIds); 67, 635 and 2806 have the first increments @stoqey/ib's live tests record from IB.
 */
const MARKET_RULES: Record<number, [lowEdge: number, increment: number][]> = {
  26: [[0, 0.01]],
  32: [
    [0, 0.01],
    [3, 0.05],
  ],
  67: [[0, 0.25]],
  635: [[0, 0.0001]],
  2806: [[0, 0.25]],
};

const SCANNER_XML =
  '<?xml version="1.0" encoding="UTF-8"?><ScanParameterResponse><InstrumentList><Instrument>' +
  '<name>US Stocks</name><type>STK</type></Instrument></InstrumentList><ScanTypeList><ScanType>' +
  '<displayName>Top % Gainers</displayName><scanCode>TOP_PERC_GAIN</scanCode><instruments>STK</instruments>' +
  '</ScanType></ScanTypeList></ScanParameterResponse>';

/** Mark-to-market of a position at the quote's mid (last or close when there is no two-sided quote). */
export function markPosition(
  engine: Pick<SimEngine, 'quote'>,
  p: SimPosition,
): { mid: number; marketValue: number; unrealized: number } {
  const q = engine.quote(p.contract.conId);
  const mid =
    q && q.bid !== undefined && q.ask !== undefined ? (q.bid + q.ask) / 2 : (q?.last ?? q?.close ?? 0);
  const multiplier = p.contract.secType === 'STK' ? 1 : p.contract.multiplier || 1;
  const marketValue = p.position * mid * multiplier;
  // avgCost already includes the multiplier (IB's convention for options).
  return { mid, marketValue, unrealized: marketValue - p.position * p.avgCost };
}

const unknownAccount = (reqId: number, account: string): Fields[] => [
  enc.errMsg(reqId, 321, `Error validating request.-'sim' : cause - Invalid account code ${account}`),
];

export const UNSERVED: ReadonlyMap<number, UnservedRule> = new Map<number, UnservedRule>([
  [10, { request: 'reqMktDepth', reqIdAt: 'afterVersion', answer: NOT_SUBSCRIBED }],
  [11, { request: 'cancelMktDepth', reqIdAt: 'afterVersion', answer: NOTHING }],
  [12, { request: 'reqNewsBulletins', reqIdAt: 'none', answer: NOTHING }],
  [13, { request: 'cancelNewsBulletins', reqIdAt: 'none', answer: NOTHING }],
  [14, { request: 'setServerLogLevel', reqIdAt: 'none', answer: NOTHING }],
  [18, { request: 'requestFA', reqIdAt: 'none', answer: FA_ONLY }],
  [19, { request: 'replaceFA', reqIdAt: 'none', answer: FA_ONLY }],
  [21, { request: 'exerciseOptions', reqIdAt: 'afterVersion', answer: notSimulated('exerciseOptions') }],
  [
    22,
    {
      request: 'reqScannerSubscription',
      reqIdAt: 'first',
      // IB's answer to a scan that matches nothing: SCANNER_DATA (version 3) with no rows.
      answer: data((reqId) => [[OUT.SCANNER_DATA, 3, reqId, 0]]),
    },
  ],
  [23, { request: 'cancelScannerSubscription', reqIdAt: 'afterVersion', answer: NOTHING }],
  [
    24,
    {
      request: 'reqScannerParameters',
      reqIdAt: 'none',
      answer: data(() => [[OUT.SCANNER_PARAMETERS, 1, SCANNER_XML]]),
    },
  ],
  [
    50,
    {
      request: 'reqRealTimeBars',
      reqIdAt: 'afterVersion',
      answer: error(420, 'Invalid Real-time Query:No market data permissions.'),
    },
  ],
  [51, { request: 'cancelRealTimeBars', reqIdAt: 'afterVersion', answer: NOTHING }],
  [
    52,
    {
      request: 'reqFundamentalData',
      reqIdAt: 'afterVersion',
      answer: error(10358, 'Fundamentals data is not allowed.'),
    },
  ],
  [53, { request: 'cancelFundamentalData', reqIdAt: 'afterVersion', answer: NOTHING }],
  [
    54,
    {
      request: 'calculateImpliedVolatility',
      reqIdAt: 'afterVersion',
      answer: notSimulated('calculateImpliedVolatility'),
    },
  ],
  [
    55,
    {
      request: 'calculateOptionPrice',
      reqIdAt: 'afterVersion',
      answer: notSimulated('calculateOptionPrice'),
    },
  ],
  [56, { request: 'cancelCalculateImpliedVolatility', reqIdAt: 'afterVersion', answer: NOTHING }],
  [57, { request: 'cancelCalculateOptionPrice', reqIdAt: 'afterVersion', answer: NOTHING }],
  [58, { request: 'reqGlobalCancel', reqIdAt: 'none', answer: notSimulated('reqGlobalCancel') }],
  [65, { request: 'verifyRequest', reqIdAt: 'none', answer: notSimulated('verifyRequest') }],
  [66, { request: 'verifyMessage', reqIdAt: 'none', answer: notSimulated('verifyMessage') }],
  [
    67,
    { request: 'queryDisplayGroups', reqIdAt: 'afterVersion', answer: notSimulated('queryDisplayGroups') },
  ],
  [
    68,
    {
      request: 'subscribeToGroupEvents',
      reqIdAt: 'afterVersion',
      answer: notSimulated('subscribeToGroupEvents'),
    },
  ],
  [
    69,
    { request: 'updateDisplayGroup', reqIdAt: 'afterVersion', answer: notSimulated('updateDisplayGroup') },
  ],
  [70, { request: 'unsubscribeFromGroupEvents', reqIdAt: 'afterVersion', answer: NOTHING }],
  [72, { request: 'verifyAndAuthRequest', reqIdAt: 'none', answer: notSimulated('verifyAndAuthRequest') }],
  [73, { request: 'verifyAndAuthMessage', reqIdAt: 'none', answer: notSimulated('verifyAndAuthMessage') }],
  [
    74,
    {
      request: 'reqPositionsMulti',
      reqIdAt: 'afterVersion',
      // args: version, reqId, account, modelCode
      answer: data((reqId, args, engine) => {
        const account = args[2] ?? '';
        const modelCode = args[3] ?? '';
        if (account !== '' && !engine.accounts().includes(account)) return unknownAccount(reqId, account);
        const positions = engine.positions(account || undefined);
        return [
          ...positions.map((p) => enc.positionMulti(reqId, p, modelCode)),
          [OUT.POSITION_MULTI_END, 1, reqId],
        ];
      }),
    },
  ],
  [75, { request: 'cancelPositionsMulti', reqIdAt: 'afterVersion', answer: NOTHING }],
  [
    76,
    {
      request: 'reqAccountUpdatesMulti',
      reqIdAt: 'afterVersion',
      answer: notSimulated('reqAccountUpdatesMulti'),
    },
  ],
  [77, { request: 'cancelAccountUpdatesMulti', reqIdAt: 'afterVersion', answer: NOTHING }],
  [
    79,
    {
      request: 'reqSoftDollarTiers',
      reqIdAt: 'first',
      answer: data((reqId) => [[OUT.SOFT_DOLLAR_TIERS, reqId, 0]]),
    },
  ],
  [
    80,
    {
      request: 'reqFamilyCodes',
      reqIdAt: 'none',
      answer: data((_reqId, _args, engine) => {
        const accounts = engine.accounts();
        return [[OUT.FAMILY_CODES, accounts.length, ...accounts.flatMap((a) => [a, ''])]];
      }),
    },
  ],
  [
    81,
    {
      request: 'reqMatchingSymbols',
      reqIdAt: 'first',
      // args: reqId, pattern. The simulator's catalogue knows exact symbols only, so the match is exact.
      answer: data((reqId, args, engine) => {
        const symbol = (args[1] ?? '').trim().toUpperCase();
        const found = symbol
          ? engine.findContracts({ symbol }).filter((c) => c.secType === 'STK' || c.secType === 'IND')
          : [];
        return [
          [
            OUT.SYMBOL_SAMPLES,
            reqId,
            found.length,
            ...found.flatMap((c) => {
              const derivatives = engine.optionParams(c.symbol).length > 0 ? ['OPT'] : [];
              return [
                c.conId,
                c.symbol,
                c.secType,
                c.primaryExchange,
                c.currency,
                derivatives.length,
                ...derivatives,
                c.longName,
                '',
              ];
            }),
          ],
        ];
      }),
    },
  ],
  [
    82,
    { request: 'reqMktDepthExchanges', reqIdAt: 'none', answer: data(() => [[OUT.MKT_DEPTH_EXCHANGES, 0]]) },
  ],
  [83, { request: 'reqSmartComponents', reqIdAt: 'first', answer: notSimulated('reqSmartComponents') }],
  [84, { request: 'reqNewsArticle', reqIdAt: 'first', answer: NEWS_NOT_ALLOWED }],
  [85, { request: 'reqNewsProviders', reqIdAt: 'none', answer: data(() => [[OUT.NEWS_PROVIDERS, 0]]) }],
  [86, { request: 'reqHistoricalNews', reqIdAt: 'first', answer: NEWS_NOT_ALLOWED }],
  [87, { request: 'reqHeadTimestamp', reqIdAt: 'first', answer: NO_HMDS_DATA }],
  [88, { request: 'reqHistogramData', reqIdAt: 'first', answer: NO_HMDS_DATA }],
  [89, { request: 'cancelHistogramData', reqIdAt: 'first', answer: NOTHING }],
  [90, { request: 'cancelHeadTimestamp', reqIdAt: 'first', answer: NOTHING }],
  [
    91,
    {
      request: 'reqMarketRule',
      reqIdAt: 'none',
      // args: marketRuleId. A rule the simulator never names gets the penny rule.
      answer: data((_reqId, args) => {
        const ruleId = Number(args[0] ?? 0);
        const increments = MARKET_RULES[ruleId] ?? [[0, 0.01]];
        return [[OUT.MARKET_RULE, ruleId, increments.length, ...increments.flat()]];
      }),
    },
  ],
  [
    92,
    {
      request: 'reqPnL',
      reqIdAt: 'first',
      // args: reqId, account, modelCode
      answer: data((reqId, args, engine) => {
        const account = args[1] ?? '';
        if (!engine.accounts().includes(account)) return unknownAccount(reqId, account);
        const s = engine.accountSummary(account);
        return [[OUT.PNL, reqId, DOUBLE_MAX_WIRE, money(s.unrealizedPnl), money(s.realizedPnl)]];
      }),
    },
  ],
  [93, { request: 'cancelPnL', reqIdAt: 'first', answer: NOTHING }],
  [
    94,
    {
      request: 'reqPnLSingle',
      reqIdAt: 'first',
      // args: reqId, account, modelCode, conId
      answer: data((reqId, args, engine) => {
        const account = args[1] ?? '';
        if (!engine.accounts().includes(account)) return unknownAccount(reqId, account);
        const conId = Number(args[3] ?? 0);
        const p = engine.positions(account).find((x) => x.contract.conId === conId);
        if (!p)
          return [
            [OUT.PNL_SINGLE, reqId, 0, DOUBLE_MAX_WIRE, DOUBLE_MAX_WIRE, DOUBLE_MAX_WIRE, DOUBLE_MAX_WIRE],
          ];
        const { marketValue, unrealized } = markPosition(engine, p);
        return [
          [
            OUT.PNL_SINGLE,
            reqId,
            p.position,
            DOUBLE_MAX_WIRE,
            money(unrealized),
            DOUBLE_MAX_WIRE,
            money(marketValue),
          ],
        ];
      }),
    },
  ],
  [95, { request: 'cancelPnLSingle', reqIdAt: 'first', answer: NOTHING }],
  [96, { request: 'reqHistoricalTicks', reqIdAt: 'first', answer: NO_HMDS_DATA }],
  [97, { request: 'reqTickByTickData', reqIdAt: 'first', answer: NOT_SUBSCRIBED }],
  [98, { request: 'cancelTickByTickData', reqIdAt: 'first', answer: NOTHING }],
  [100, { request: 'reqWshMetaData', reqIdAt: 'first', answer: NEWS_NOT_ALLOWED }],
  [101, { request: 'cancelWshMetaData', reqIdAt: 'first', answer: NOTHING }],
  [102, { request: 'reqWshEventData', reqIdAt: 'first', answer: NEWS_NOT_ALLOWED }],
  [103, { request: 'cancelWshEventData', reqIdAt: 'first', answer: NOTHING }],
  [104, { request: 'reqUserInfo', reqIdAt: 'first', answer: data((reqId) => [[OUT.USER_INFO, reqId, '']]) }],
]);

/** The request id a message carries, or −1 (IB's "no request") when it has none or it is unreadable. */
export function requestIdOf(reqIdAt: ReqIdAt, args: readonly string[]): number {
  const token = reqIdAt === 'first' ? args[0] : reqIdAt === 'afterVersion' ? args[1] : undefined;
  const id = token === undefined || token === '' ? NaN : parseInt(token, 10);
  return Number.isNaN(id) ? -1 : id;
}

/** The messages IB sends for a request the simulator does not serve as a market (`args`: fields after the id). */
export function answerUnserved(msgId: number, args: readonly string[], engine: SimEngine): Fields[] {
  const rule = UNSERVED.get(msgId);
  if (!rule)
    return [enc.errMsg(-1, 321, `Error validating request.-'sim' : cause - Unknown message id ${msgId}`)];
  const reqId = requestIdOf(rule.reqIdAt, args);
  switch (rule.answer.kind) {
    case 'nothing':
      return [];
    case 'error':
      return [enc.errMsg(reqId, rule.answer.code, rule.answer.text)];
    case 'data':
      return rule.answer.send(reqId, args, engine);
  }
}
