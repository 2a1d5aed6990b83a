// Client → server messages, parsed by position exactly as @stoqey/ib 1.6.10's encoder writes them at
// server version 193 (dist/core/io/encoder.js). The message id has already been read.

import { readContract, type WireContract } from './parse-contract';
import type { FieldReader } from './wire';

export { normaliseRight, type WireComboLeg, type WireContract } from './parse-contract';
export { parseCancelOrder, parsePlaceOrder, type WireOrder } from './parse-order';

/** `9, v8, reqId, contract…, includeExpired, secIdType, secId, issuerId` */
export function parseReqContractDetails(r: FieldReader): { reqId: number; contract: WireContract } {
  r.int('version');
  const reqId = r.int('reqId');
  const contract = readContract(r);
  r.str('includeExpired');
  r.str('secIdType');
  r.str('secId');
  r.str('issuerId');
  return { reqId, contract };
}

export interface MktDataRequest {
  reqId: number;
  contract: WireContract;
  genericTicks: string[];
  snapshot: boolean;
  regulatorySnapshot: boolean;
}

/** `1, v11, reqId, contract…, [BAG legs], deltaNeutral…, genericTickList, snapshot, regulatorySnapshot, options` */
export function parseReqMktData(r: FieldReader): MktDataRequest {
  r.int('version');
  const reqId = r.int('reqId');
  const contract = readContract(r);
  if (contract.secType === 'BAG') {
    const n = r.int('nLegs');
    contract.comboLegs = [];
    for (let i = 0; i < n; i++) {
      contract.comboLegs.push({
        conId: r.int(),
        ratio: r.int(),
        action: r.str().toUpperCase(),
        exchange: r.str(),
      });
    }
  }
  if (r.bool('deltaNeutral flag')) {
    r.str();
    r.str();
    r.str();
  }
  const genericTicks = r
    .str('genericTickList')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const snapshot = r.bool('snapshot');
  const regulatorySnapshot = r.bool('regulatorySnapshot');
  r.str('mktDataOptions');
  return { reqId, contract, genericTicks, snapshot, regulatorySnapshot };
}

export interface HistoricalRequest {
  reqId: number;
  contract: WireContract;
  endDateTime: string;
  barSize: string;
  duration: string;
  useRth: boolean;
  whatToShow: string;
  formatDate: number;
  keepUpToDate: boolean;
}

/** At ≥ SYNT_REALTIME_BARS there is no version field. */
export function parseReqHistoricalData(r: FieldReader): HistoricalRequest {
  const reqId = r.int('reqId');
  const contract = readContract(r);
  r.str('includeExpired');
  const endDateTime = r.str('endDateTime');
  const barSize = r.str('barSizeSetting');
  const duration = r.str('durationStr');
  const useRth = r.bool('useRTH');
  const whatToShow = r.str('whatToShow').toUpperCase();
  const formatDate = r.int('formatDate');
  if (contract.secType === 'BAG') {
    const n = r.int('nLegs');
    contract.comboLegs = [];
    for (let i = 0; i < n; i++) {
      contract.comboLegs.push({
        conId: r.int(),
        ratio: r.int(),
        action: r.str().toUpperCase(),
        exchange: r.str(),
      });
    }
  }
  const keepUpToDate = r.bool('keepUpToDate');
  r.str('chartOptions');
  return { reqId, contract, endDateTime, barSize, duration, useRth, whatToShow, formatDate, keepUpToDate };
}

export interface ExecutionFilterRequest {
  reqId: number;
  clientId: number;
  account: string;
  time: string;
  symbol: string;
  secType: string;
  exchange: string;
  side: string;
}

/** `7, v3, reqId, clientId, acctCode, time, symbol, secType, exchange, side` */
export function parseReqExecutions(r: FieldReader): ExecutionFilterRequest {
  r.int('version');
  return {
    reqId: r.int('reqId'),
    clientId: r.int('clientId'),
    account: r.str('acctCode'),
    time: r.str('time'),
    symbol: r.str('symbol'),
    secType: r.str('secType').toUpperCase(),
    exchange: r.str('exchange'),
    side: r.str('side').toUpperCase(),
  };
}
