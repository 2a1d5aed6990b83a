// How IB's error codes reach HTTP callers: the JSON body carries IB's code and message, the status says
// whether a retry can help. 5xx and 429 are retryable (connectivity, pacing, timeouts); 4xx are not
// (IB refused this request: no security definition, order rejected, not found, invalid state).

import type { ErrorBody } from './contract';

export class BridgeError extends Error {
  constructor(
    readonly code: number | string,
    message: string,
    readonly httpStatus: number,
    readonly retryable: boolean,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'BridgeError';
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message, retryable: this.retryable };
    if (this.field !== undefined) error.field = this.field;
    return { error };
  }
}

interface Mapping {
  status: number;
  retryable: boolean;
}

const CONNECTIVITY: Mapping = { status: 503, retryable: true };
const PACING: Mapping = { status: 429, retryable: true };
const REJECTED: Mapping = { status: 422, retryable: false };
const NOT_FOUND: Mapping = { status: 404, retryable: false };
const CONFLICT: Mapping = { status: 409, retryable: false };

const BY_CODE: Record<number, Mapping> = {
  // connectivity: the gateway or IB's servers are unreachable right now
  502: CONNECTIVITY, // couldn't connect to TWS
  504: CONNECTIVITY, // not connected
  1100: CONNECTIVITY, // connectivity between IB and the gateway lost
  2110: CONNECTIVITY, // connectivity between the gateway and the server broken
  326: CONNECTIVITY, // client id already in use
  1300: CONNECTIVITY, // socket port reset
  // pacing: too much, too fast
  100: PACING, // max rate of messages exceeded
  101: PACING, // max number of tickers reached
  420: PACING, // invalid real-time query / pacing violation
  // IB refused the request itself
  200: REJECTED, // no security definition found
  201: REJECTED, // order rejected
  110: REJECTED, // price does not conform to the minimum price variation
  321: REJECTED, // error validating request
  354: REJECTED, // market data not subscribed
  460: REJECTED, // no trading permissions
  // order management on something that is not (or no longer) there
  135: NOT_FOUND, // can't find order with id
  10147: NOT_FOUND, // order to cancel not found
  366: NOT_FOUND, // no historical data query found
  103: CONFLICT, // duplicate order id
  104: CONFLICT, // can't modify a filled order
  161: CONFLICT, // cancel attempted when order is not in a cancellable state
  10148: CONFLICT, // order to cancel cannot be cancelled, state
};

/** HTTP status and retryability for an IB error code (and its message, which refines 162). */
export function mapIbError(code: number, message = ''): Mapping {
  if (code === 162) {
    // 162 is the historical-data service's catch-all: a pacing violation is worth a retry later,
    // "no data" or "cancelled" is not
    return /pacing/i.test(message) ? PACING : REJECTED;
  }
  const known = BY_CODE[code];
  if (known) return known;
  // the client library's own I/O failures (5xx codes) mean the socket is in trouble
  if (code >= 500 && code < 600) return { status: 502, retryable: true };
  return REJECTED;
}

export function ibError(code: number, message: string): BridgeError {
  const { status, retryable } = mapIbError(code, message);
  return new BridgeError(code, message, status, retryable);
}

export function notConnected(reason: string): BridgeError {
  return new BridgeError('IB_NOT_READY', `IB connection not ready: ${reason}`, 503, true);
}

export function timeoutError(what: string, ms: number): BridgeError {
  return new BridgeError('TIMEOUT', `${what}: no answer from IB within ${ms} ms`, 504, true);
}

export function invalidInput(field: string, message: string): BridgeError {
  return new BridgeError('INVALID_INPUT', `${field}: ${message}`, 400, false, field);
}

/**
 * Informational messages that arrive with a request id but do not fail the request (warnings, order
 * notes, delayed-data notices). Anything else with a request id ends that request.
 */
export function isWarning(code: number): boolean {
  // 10090: part of the data is not subscribed, the rest still ticks; 10167/10168: delayed data shown
  return code === 399 || code === 10090 || code === 10167 || code === 10168 || (code >= 2100 && code < 2200);
}
