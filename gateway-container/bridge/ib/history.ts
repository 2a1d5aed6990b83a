// Historical data: daily bars of an underlying (trades or option implied volatility), reused for a
// minute because IB refuses an identical historical request within 15 s (162).

import type { Contract } from '@stoqey/ib';
import { EventName } from '@stoqey/ib';
import type { Bar, HistoryQuery, HistoryResponse } from '../contract';
import { computedPriceOrAbsent, sizeOrAbsent } from '../sentinels';
import type { Contracts } from './contracts';
import { isoFromIb } from './parsing/time';
import type { IbRequests } from './requests';

export class History {
  private readonly cache = new Map<string, { at: number; response: HistoryResponse }>();

  constructor(
    private readonly req: IbRequests,
    private readonly contracts: Contracts,
  ) {}

  history(query: HistoryQuery, priority: number): Promise<HistoryResponse> {
    const key = `${query.symbol}|${query.what}|${query.days}`;
    const cached = this.cache.get(key);
    if (cached && this.req.clock.now() - cached.at < 60_000) return Promise.resolve(cached.response);
    return this.req.singleFlight(`history:${key}`, async () => {
      const contract = (await this.contracts.underlying(query.symbol, priority)) as Contract;
      // N trading days span about 7/5 × N calendar days plus holidays; ask for enough, keep the last N
      const calendarDays = Math.ceil((query.days * 7) / 5) + 10;
      const duration = calendarDays <= 365 ? `${calendarDays} D` : `${Math.ceil(calendarDays / 365)} Y`;
      const bars: Bar[] = [];
      await this.req.request<void>({
        label: 'reqHistoricalData',
        priority,
        timeoutMs: Math.max(this.req.requestTimeoutMs, 30_000),
        send: (api, reqId) =>
          api.reqHistoricalData(
            reqId,
            {
              conId: contract.conId,
              symbol: contract.symbol,
              secType: contract.secType,
              exchange: 'SMART',
              currency: contract.currency ?? 'USD',
            },
            '',
            duration,
            '1 day' as Parameters<typeof api.reqHistoricalData>[4],
            query.what as Parameters<typeof api.reqHistoricalData>[5],
            1,
            1,
            false,
          ),
        onEvent: (event, args, done) => {
          if (event !== EventName.historicalData) return;
          const [, time, open, high, low, close, volume, count, wap] = args as [
            number,
            string,
            number,
            number,
            number,
            number,
            number,
            number,
            number,
          ];
          if (String(time).startsWith('finished')) {
            done();
            return;
          }
          const date = isoFromIb(String(time));
          if (!date) return;
          const bar: Bar = { date, open, high, low, close };
          const v = sizeOrAbsent(volume);
          if (v !== undefined) bar.volume = v;
          const w = computedPriceOrAbsent(wap);
          if (w !== undefined) bar.wap = w;
          const n = sizeOrAbsent(count);
          if (n !== undefined) bar.barCount = n;
          bars.push(bar);
        },
      });
      bars.sort((a, b) => a.date.localeCompare(b.date));
      const response: HistoryResponse = {
        symbol: query.symbol,
        what: query.what,
        bars: bars.slice(-query.days),
      };
      this.cache.set(key, { at: this.req.clock.now(), response });
      return response;
    });
  }
}
