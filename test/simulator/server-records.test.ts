// The pure account and order pieces of the server: the account-summary rows for requested tags, the
// reqAccountUpdates values, IB's refusals of a malformed order, the contract OPEN_ORDER reports once
// qualified, the wire view of an order placed outside the server, and an execution's exchange.

import { describe, expect, it } from 'vitest';
import type { SimAccountSummary, SimContract, SimExecution, SimOrderRequest } from '#simulator/engine-api';
import { accountUpdateValues, summaryRows } from '#simulator/server/account';
import {
  executionExchange,
  orderFieldError,
  qualifiedContract,
  wireFromRequest,
} from '#simulator/server/order-wire';

const SUMMARY: SimAccountSummary = {
  account: 'DU1',
  netLiquidation: 100_000,
  buyingPower: 400_000,
  availableFunds: 90_000,
  excessLiquidity: 25_000,
  totalCashValue: 80_000,
  initMarginReq: 10_000,
  maintMarginReq: 8_000,
  realizedPnl: 120.5,
  unrealizedPnl: -30.25,
};

const PUT: SimContract = {
  conId: 501,
  symbol: 'SPY',
  secType: 'OPT',
  lastTradeDate: '20261218',
  strike: 580,
  right: 'P',
  multiplier: 100,
  exchange: 'SMART',
  primaryExchange: '',
  currency: 'USD',
  localSymbol: 'SPY   261218P00580000',
  tradingClass: 'SPY',
  minTick: 0.01,
  longName: 'SPDR S&P 500',
  timeZoneId: 'US/Eastern',
  tradingHours: '',
  liquidHours: '',
};
const STOCK: SimContract = {
  ...PUT,
  conId: 756733,
  secType: 'STK',
  lastTradeDate: '',
  strike: 0,
  right: undefined,
  multiplier: 1,
  localSymbol: 'SPY',
};

describe('summaryRows', () => {
  it.each<[string, string[], [string, string, string][]]>([
    [
      'named tags, in the order asked',
      ['NetLiquidation', 'MaintMarginReq', 'AccountType'],
      [
        ['NetLiquidation', '100000.00', 'USD'],
        ['MaintMarginReq', '8000.00', 'USD'],
        ['AccountType', 'INDIVIDUAL', ''],
      ],
    ],
    ['cushion is excess liquidity over net liquidation', ['Cushion'], [['Cushion', '0.250000', '']]],
    ['an unknown tag is left out', ['NoSuchTag', 'BuyingPower'], [['BuyingPower', '400000.00', 'USD']]],
    [
      '$LEDGER adds the USD ledger after the tags',
      ['TotalCashValue', '$LEDGER:USD'],
      [
        ['TotalCashValue', '80000.00', 'USD'],
        ['CashBalance', '80000.00', 'USD'],
        ['TotalCashBalance', '80000.00', 'USD'],
        ['NetLiquidationByCurrency', '100000.00', 'USD'],
        ['RealizedPnL', '120.50', 'USD'],
        ['UnrealizedPnL', '-30.25', 'USD'],
        ['ExchangeRate', '1.00', 'USD'],
      ],
    ],
    ['no tags, no rows', [], []],
  ])('%s', (_name, tags, expected) => {
    expect(summaryRows(tags, SUMMARY)).toEqual(expected);
  });

  it('All gives every summary tag once', () => {
    const rows = summaryRows(['All'], SUMMARY);
    expect(rows.map(([tag]) => tag)).toContain('ExcessLiquidity');
    expect(rows.find(([tag]) => tag === 'FullAvailableFunds')).toEqual([
      'FullAvailableFunds',
      '90000.00',
      'USD',
    ]);
    expect(new Set(rows.map(([tag]) => tag)).size).toBe(rows.length);
  });

  it('a zero net liquidation has a cushion of 0, not a division by zero', () => {
    expect(summaryRows(['Cushion'], { ...SUMMARY, netLiquidation: 0 })).toEqual([['Cushion', '0', '']]);
  });
});

describe('accountUpdateValues', () => {
  it.each<[string, string, string]>([
    ['AccountCode', 'DU1', ''],
    ['NetLiquidation', '100000.00', 'USD'],
    ['CashBalance', '80000.00', 'USD'],
    ['ExcessLiquidity', '25000.00', 'USD'],
    ['RealizedPnL', '120.50', 'USD'],
    ['UnrealizedPnL', '-30.25', 'USD'],
  ])('%s = %s %s', (key, value, currency) => {
    expect(accountUpdateValues('DU1', SUMMARY)).toContainEqual([key, value, currency]);
  });
});

describe('orderFieldError', () => {
  const good = { action: 'SELL', orderType: 'LMT', totalQuantity: 1, lmtPrice: 1.05 };
  it.each<[string, Partial<typeof good> & { lmtPrice?: number }, { code: number; text: string } | undefined]>(
    [
      ['a limit sell passes', {}, undefined],
      [
        'a market buy passes without a price',
        { action: 'BUY', orderType: 'MKT', lmtPrice: undefined },
        undefined,
      ],
      [
        'an unknown action: 201',
        { action: 'SSHORT' },
        { code: 201, text: 'Order rejected - reason:Invalid action "SSHORT"' },
      ],
      [
        'a stop order: 387',
        { orderType: 'STP' },
        { code: 387, text: 'Unsupported order type for this exchange and security type: STP' },
      ],
      ['zero quantity: 434', { totalQuantity: 0 }, { code: 434, text: 'The order size cannot be zero.' }],
      [
        'a negative quantity: 434',
        { totalQuantity: -2 },
        { code: 434, text: 'The order size cannot be zero.' },
      ],
      [
        'a limit order without a price: 201',
        { lmtPrice: undefined },
        { code: 201, text: 'Order rejected - reason:A limit price is required for LMT orders' },
      ],
    ],
  )('%s', (_name, change, expected) => {
    expect(orderFieldError({ ...good, ...change })).toEqual(expected);
  });
});

describe('qualifiedContract', () => {
  it.each<[string, SimContract, string, Record<string, unknown>]>([
    [
      'an option keeps strike, right and multiplier; the exchange asked for wins',
      PUT,
      'CBOE',
      { conId: 501, secType: 'OPT', strike: 580, right: 'P', multiplier: '100', exchange: 'CBOE' },
    ],
    [
      'a stock has no strike, right or multiplier; no exchange asked: the contract’s',
      STOCK,
      '',
      { conId: 756733, secType: 'STK', strike: 0, right: '', multiplier: '', exchange: 'SMART' },
    ],
  ])('%s', (_name, contract, exchange, expected) => {
    expect(qualifiedContract({ exchange }, contract)).toMatchObject(expected);
  });
});

describe('wireFromRequest', () => {
  const request: SimOrderRequest = {
    orderId: 42,
    clientId: 3,
    account: 'DU1',
    contract: { secType: 'OPT', conId: 501, symbol: 'SPY' },
    action: 'SELL',
    quantity: 2,
    orderType: 'LMT',
    limitPrice: 1.25,
    tif: 'DAY',
    orderRef: 'ic-1',
    transmit: true,
    whatIf: false,
  };
  const combo: SimOrderRequest = {
    ...request,
    contract: {
      secType: 'BAG',
      symbol: 'SPY',
      legs: [
        { conId: 501, ratio: 1, action: 'SELL' },
        { conId: 502, ratio: 1, action: 'BUY' },
      ],
    },
  };

  it.each<[string, SimOrderRequest, SimContract | undefined, Record<string, unknown>]>([
    [
      'a single option takes its details from the contract',
      request,
      PUT,
      { conId: 501, secType: 'OPT', lastTradeDate: '20261218', strike: 580, right: 'P', multiplier: '100' },
    ],
    [
      'a combo has no conId and SMART legs',
      combo,
      undefined,
      {
        conId: 0,
        secType: 'BAG',
        exchange: 'SMART',
        currency: 'USD',
        comboLegs: [
          { conId: 501, ratio: 1, action: 'SELL', exchange: 'SMART' },
          { conId: 502, ratio: 1, action: 'BUY', exchange: 'SMART' },
        ],
      },
    ],
  ])('%s', (_name, req, single, expectedContract) => {
    const { contract, order } = wireFromRequest(req, single);
    expect(contract).toMatchObject(expectedContract);
    expect(order).toMatchObject({
      orderId: 42,
      action: 'SELL',
      totalQuantity: 2,
      orderType: 'LMT',
      lmtPrice: 1.25,
      account: 'DU1',
      orderRef: 'ic-1',
      whatIf: false,
    });
  });
});

describe('executionExchange', () => {
  it.each<[string, SimExecution['contract'], string]>([
    ['an option fills on CBOE', PUT, 'CBOE'],
    ['stock on ARCA', STOCK, 'ARCA'],
    ['a combo on SMART', { conId: 0, symbol: 'SPY', secType: 'BAG' }, 'SMART'],
    ['a future on its own exchange', { ...STOCK, secType: 'FUT', exchange: 'CME' }, 'CME'],
  ])('%s', (_name, contract, expected) => {
    expect(executionExchange(contract)).toBe(expected);
  });
});
