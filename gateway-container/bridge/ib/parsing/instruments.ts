// IB contracts to and from the domain's shapes (pure).

import type { Contract } from '@stoqey/ib';
import type { ContractView, OrderLeg, QuoteContract } from '../../contract';
import type { LegContract } from '../../order-guard';
import { isoFromIb } from './time';

export function contractView(c: Contract): ContractView {
  const v: ContractView = { conId: c.conId ?? 0, symbol: c.symbol ?? '', secType: String(c.secType ?? '') };
  const expiry = c.lastTradeDateOrContractMonth ? isoFromIb(c.lastTradeDateOrContractMonth) : undefined;
  if (expiry) v.expiry = expiry;
  if (c.strike) v.strike = c.strike;
  if (c.right === 'C' || c.right === 'P') v.right = c.right;
  else if ((c.right as unknown) === 'CALL') v.right = 'C';
  else if ((c.right as unknown) === 'PUT') v.right = 'P';
  const multiplier = Number(c.multiplier);
  if (c.multiplier !== undefined && Number.isFinite(multiplier) && multiplier > 0) v.multiplier = multiplier;
  if (c.exchange) v.exchange = c.exchange;
  if (c.currency) v.currency = c.currency;
  if (c.localSymbol) v.localSymbol = c.localSymbol;
  if (c.tradingClass) v.tradingClass = c.tradingClass;
  return v;
}

/** A leg's contract as the order guard sees it. */
export function legContractOf(c: Contract): LegContract {
  const v = contractView(c);
  return {
    conId: v.conId,
    secType: v.secType,
    symbol: v.symbol,
    ...(v.right ? { right: v.right } : {}),
    ...(v.strike !== undefined ? { strike: v.strike } : {}),
  };
}

/** The contract-details query of an option description; without the strike it asks for the whole expiry and right. */
export function optionQuery(c: QuoteContract, withStrike: boolean): Contract {
  const q: Contract = {
    symbol: c.symbol,
    secType: 'OPT' as Contract['secType'],
    lastTradeDateOrContractMonth: c.expiry!.replaceAll('-', ''),
    right: c.right as Contract['right'],
    exchange: 'SMART',
    currency: c.currency ?? 'USD',
  };
  if (withStrike) q.strike = c.strike;
  return q;
}

/** A quote contract given by conId, routed as the bridge quotes it (an index on CBOE, else SMART). */
export function quoteRoute(c: QuoteContract): { exchange: string; currency: string } {
  return { exchange: c.exchange ?? (c.secType === 'IND' ? 'CBOE' : 'SMART'), currency: c.currency ?? 'USD' };
}

export interface OrderContract {
  contract: Contract;
  symbol: string;
  /** One leg sold: sent as the opposite action on the option itself. */
  flip: boolean;
  ratio: number;
  legContracts: Contract[];
}

/**
 * The IB contract for a set of legs (their contracts in the same order): the option itself for one
 * leg, else a BAG combo on SMART. The caller has checked that every leg has the same symbol.
 */
export function orderContractOf(legs: OrderLeg[], contracts: Contract[], symbol: string): OrderContract {
  if (legs.length === 1) {
    const leg = legs[0]!;
    const c = contracts[0]!;
    return {
      contract: {
        conId: c.conId,
        symbol,
        secType: c.secType,
        exchange: 'SMART',
        currency: c.currency ?? 'USD',
      },
      symbol,
      flip: leg.action === 'SELL',
      ratio: leg.ratio,
      legContracts: contracts,
    };
  }
  return {
    contract: {
      symbol,
      secType: 'BAG' as Contract['secType'],
      exchange: 'SMART',
      currency: 'USD',
      comboLegs: legs.map((l) => ({
        conId: l.conId,
        ratio: l.ratio,
        action: l.action as never,
        exchange: 'SMART',
      })),
    },
    symbol,
    flip: false,
    ratio: 1,
    legContracts: contracts,
  };
}

/** The contract of an order the bridge did not send (placed before a restart): what a modification needs. */
export function orderContractFrom(c: Contract): Contract {
  const out: Contract = {
    symbol: c.symbol,
    secType: c.secType,
    exchange: c.exchange || 'SMART',
    currency: c.currency ?? 'USD',
  };
  if (c.conId) out.conId = c.conId;
  if (c.comboLegs?.length) {
    out.comboLegs = c.comboLegs.map((l) => ({
      conId: l.conId,
      ratio: l.ratio,
      action: l.action,
      exchange: l.exchange || 'SMART',
    }));
  }
  return out;
}
