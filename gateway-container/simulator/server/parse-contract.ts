// The contract part of client → server messages: a (possibly partial) contract as the client wrote it,
// read by position as @stoqey/ib 1.6.10's encoder writes it at server version 193.

import type { FieldReader } from './wire';

export interface WireComboLeg {
  conId: number;
  ratio: number;
  action: string;
  exchange: string;
  openClose?: number;
  shortSaleSlot?: number;
  designatedLocation?: string;
  exemptCode?: number;
}

/** A contract as the client described it (possibly partial). */
export interface WireContract {
  conId: number;
  symbol: string;
  secType: string;
  lastTradeDate: string;
  strike?: number;
  right: string;
  multiplier: string;
  exchange: string;
  primaryExch: string;
  currency: string;
  localSymbol: string;
  tradingClass: string;
  comboLegs?: WireComboLeg[];
}

/** IB writes `C`/`P`; the client's enum also allows the long forms. */
export function normaliseRight(right: string): string {
  const upper = right.toUpperCase();
  if (upper === 'CALL') return 'C';
  if (upper === 'PUT') return 'P';
  return upper === '?' || upper === '0' ? '' : upper;
}

/** The contract fields every request writes in the same order. */
export function readContract(r: FieldReader): WireContract {
  return {
    conId: r.int('conId'),
    symbol: r.str('symbol'),
    secType: r.str('secType').toUpperCase(),
    lastTradeDate: r.str('lastTradeDateOrContractMonth'),
    strike: positiveOrUndefined(r.doubleOrUndefined('strike')),
    right: normaliseRight(r.str('right')),
    multiplier: r.str('multiplier'),
    exchange: r.str('exchange'),
    primaryExch: r.str('primaryExch'),
    currency: r.str('currency'),
    localSymbol: r.str('localSymbol'),
    tradingClass: r.str('tradingClass'),
  };
}

function positiveOrUndefined(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined;
}
