// Contracts: IB's contract details and option parameters, cached for the New York day, and the
// qualification of the quote descriptions the jobs send (options of one expiry and right at once).

import type { Contract, ContractDetails } from '@stoqey/ib';
import { EventName } from '@stoqey/ib';
import type { ChainResponse, QuoteContract, TradingHoursResponse } from '../contract';
import { ibError } from '../errors';
import { optionQuery, quoteRoute } from './parsing/instruments';
import { isoFromIb } from './parsing/time';
import { DayCache, type IbRequests } from './requests';

/** A chain without its underlying's price (that is quoted on every request). */
export type OptionParameters = Omit<ChainResponse, 'underlyingPrice' | 'underlyingPriceStale'>;

export class Contracts {
  private readonly details: DayCache<ContractDetails[]>;
  private readonly optionParams: DayCache<OptionParameters>;

  constructor(private readonly req: IbRequests) {
    this.details = new DayCache(req.clock);
    this.optionParams = new DayCache(req.clock);
  }

  contractDetails(query: Contract, priority: number): Promise<ContractDetails[]> {
    const key = JSON.stringify(query);
    const cached = this.details.get(key);
    if (cached) return Promise.resolve(cached);
    return this.req.singleFlight(`details:${key}`, async () => {
      const found: ContractDetails[] = [];
      const result = await this.req.request<ContractDetails[]>({
        label: 'reqContractDetails',
        priority,
        send: (api, reqId) => api.reqContractDetails(reqId, query),
        onEvent: (event, args, done) => {
          if (event === EventName.contractDetails) found.push(args[1] as ContractDetails);
          else if (event === EventName.contractDetailsEnd) done(found);
        },
      });
      if (result.length === 0) throw ibError(200, 'No security definition has been found for the request');
      this.details.set(key, result);
      for (const d of result) {
        if (d.contract.conId) this.details.set(JSON.stringify({ conId: d.contract.conId }), [d]);
      }
      return result;
    });
  }

  async contractById(conId: number, priority: number): Promise<Contract> {
    const [d] = await this.contractDetails({ conId }, priority);
    return d!.contract;
  }

  async underlying(symbol: string, priority: number): Promise<Contract> {
    return (await this.underlyingDetails(symbol, priority)).contract;
  }

  private async underlyingDetails(symbol: string, priority: number): Promise<ContractDetails> {
    const found = await this.contractDetails(
      { symbol, secType: 'STK' as Contract['secType'], exchange: 'SMART', currency: 'USD' },
      priority,
    );
    return found[0]!;
  }

  /** GET /trading-hours: IB's session strings for the stock (day-cached with its contract details). */
  async tradingHours(symbol: string, priority: number): Promise<TradingHoursResponse> {
    const d = await this.underlyingDetails(symbol, priority);
    return {
      symbol,
      conId: d.contract.conId ?? 0,
      timeZoneId: d.timeZoneId ?? '',
      tradingHours: d.tradingHours ?? '',
      liquidHours: d.liquidHours ?? '',
    };
  }

  /** The option chain's expirations, strikes and multiplier (day-cached per symbol). */
  async optionParameters(symbol: string, priority: number): Promise<OptionParameters> {
    const cached = this.optionParams.get(symbol);
    if (cached) return cached;
    const und = await this.underlying(symbol, priority);
    const rows: {
      exchange: string;
      tradingClass: string;
      multiplier: string;
      expirations: string[];
      strikes: number[];
    }[] = [];
    await this.req.request<void>({
      label: 'reqSecDefOptParams',
      priority,
      send: (api, reqId) =>
        api.reqSecDefOptParams(reqId, symbol, '', 'STK' as Contract['secType'] & string, und.conId!),
      onEvent: (event, args, done) => {
        if (event === EventName.securityDefinitionOptionParameter) {
          rows.push({
            exchange: args[1] as string,
            tradingClass: args[3] as string,
            multiplier: String(args[4]),
            expirations: args[5] as string[],
            strikes: args[6] as number[],
          });
        } else if (event === EventName.securityDefinitionOptionParameterEnd) done();
      },
    });
    // one row per exchange and trading class: the SMART row of the symbol's own class is the chain
    const row =
      rows.find((r) => r.exchange === 'SMART' && r.tradingClass === symbol) ??
      rows.find((r) => r.exchange === 'SMART') ??
      rows[0];
    if (!row) throw ibError(200, `No option parameters for ${symbol}`);
    const params: OptionParameters = {
      symbol,
      underlyingConId: und.conId!,
      exchange: row.exchange,
      tradingClass: row.tradingClass,
      multiplier: Number(row.multiplier) || 100,
      expirations: [
        ...new Set(row.expirations.map((e) => isoFromIb(e)).filter((e): e is string => e !== undefined)),
      ].sort(),
      strikes: [...new Set(row.strikes.filter((s) => Number.isFinite(s) && s > 0))].sort((a, b) => a - b),
    };
    this.optionParams.set(symbol, params);
    return params;
  }

  /** Options of one expiry and right are qualified with one partial request instead of one each. */
  async qualifyInGroups(contracts: QuoteContract[], priority: number): Promise<void> {
    const groups = new Map<string, QuoteContract[]>();
    for (const c of contracts) {
      if (c.conId !== undefined || c.secType !== 'OPT') continue;
      const key = `${c.symbol}|${c.expiry}|${c.right}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    await Promise.all(
      [...groups.values()]
        .filter((g) => g.length >= 3)
        .map((g) =>
          this.contractDetails(optionQuery(g[0]!, false), priority).catch(
            () => undefined /* per contract below */,
          ),
        ),
    );
  }

  /** The IB contract of a quote description (a conId is taken as given). */
  async resolveQuoteContract(c: QuoteContract, priority: number): Promise<Contract> {
    const { exchange, currency } = quoteRoute(c);
    if (c.conId !== undefined)
      return { conId: c.conId, secType: c.secType as Contract['secType'], exchange, currency };
    if (c.secType === 'OPT') {
      const group = this.details.get(JSON.stringify(optionQuery(c, false)));
      const match = group?.filter((d) => d.contract.strike === c.strike);
      if (match && match.length > 0) {
        const chosen = match.find((d) => d.contract.tradingClass === c.symbol) ?? match[0]!;
        return { ...chosen.contract, exchange };
      }
      const [d] = await this.contractDetails(optionQuery(c, true), priority);
      return { ...d!.contract, exchange };
    }
    const query: Contract = {
      symbol: c.symbol,
      secType: c.secType as Contract['secType'],
      exchange,
      currency,
    };
    if (c.expiry) query.lastTradeDateOrContractMonth = c.expiry.replaceAll('-', '');
    const [d] = await this.contractDetails(query, priority);
    return { ...d!.contract, exchange };
  }
}
