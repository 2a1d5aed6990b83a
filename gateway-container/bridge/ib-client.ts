// How the bridge uses the @stoqey/ib client: which events carry a request id and which belong to the
// account and orders, IB's data-farm status codes, and Nagle turned off on its socket.

import { EventName } from '@stoqey/ib';
import type { IBApi } from '@stoqey/ib';

/** Events whose first argument is the request id. */
export const KEYED_EVENTS = [
  EventName.contractDetails,
  EventName.contractDetailsEnd,
  EventName.securityDefinitionOptionParameter,
  EventName.securityDefinitionOptionParameterEnd,
  EventName.tickPrice,
  EventName.tickSize,
  EventName.tickGeneric,
  EventName.tickOptionComputation,
  EventName.tickSnapshotEnd,
  EventName.tickReqParams,
  EventName.marketDataType,
  EventName.historicalData,
  EventName.accountSummary,
  EventName.accountSummaryEnd,
  EventName.execDetails,
  EventName.execDetailsEnd,
] as const;

/** Events that belong to the account or to orders, re-emitted on the connection for the service. */
export const BROADCAST_EVENTS = [
  EventName.openOrder,
  EventName.openOrderEnd,
  EventName.orderStatus,
  EventName.commissionReport,
  EventName.position,
  EventName.positionEnd,
  EventName.execDetails,
] as const;

export const FARM_OK = new Set([2104, 2106, 2158]);
export const FARM_BROKEN = new Set([2103, 2105, 2157]);
export const FARM_INACTIVE = new Set([2107, 2108]);

/**
 * Nagle's algorithm holds small writes back until the previous one is acknowledged (up to ~40 ms
 * with delayed ACKs), which bunches messages the queue spread out: on the wire a second could then
 * carry more than the queue let out. The library does not expose its socket, so reach for it
 * defensively; if its internals change this does nothing and the queue's margin remains.
 */
export function disableNagle(api: IBApi): void {
  const internals = api as unknown as {
    controller?: { socket?: { client?: { setNoDelay?: (on: boolean) => unknown } } };
  };
  try {
    internals.controller?.socket?.client?.setNoDelay?.(true);
  } catch {
    // not fatal: only the spacing on the wire is less exact
  }
}
