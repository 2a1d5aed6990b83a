// Market data: quotes stream on a market-data line until complete (or the per-contract timeout), then
// the line is cancelled. Tick decoding is in parsing/ticks.ts; the chain's underlying price is a quote.

import type { Contract } from '@stoqey/ib';
import type { ChainResponse, Quote, QuoteContract } from '../contract';
import { BridgeError, notConnected } from '../errors';
import type { LineBudget, ReleaseLine } from '../lines';
import { CANCEL_PRIORITY } from '../pacer';
import type { Contracts } from './contracts';
import { QuoteTicks } from './parsing/ticks';
import { isoFromIb } from './parsing/time';
import type { IbRequests } from './requests';

export class MarketData {
  private readonly activeQuotes = new Set<{ resubscribe: () => void }>();
  /** Quotes answered with IB's delayed data since start (for /health). */
  delayedQuotes = 0;

  constructor(
    private readonly req: IbRequests,
    private readonly contracts: Contracts,
    readonly lines: LineBudget,
    /** Per-contract time to complete a quote before it is returned partial and `stale`. */
    private readonly quoteTimeoutMs: number,
  ) {
    req.conn.on('marketDataLost', () => {
      for (const q of [...this.activeQuotes]) q.resubscribe();
    });
  }

  /** GET /chain: the day-cached option parameters with the underlying's price of now. */
  async chain(symbol: string, priority: number): Promise<ChainResponse> {
    const params = await this.contracts.optionParameters(symbol, priority);
    const [quote] = await this.quotes([{ conId: params.underlyingConId, secType: 'STK' }], priority);
    const mid =
      quote?.bid !== undefined && quote.ask !== undefined && quote.bid > 0
        ? (quote.bid + quote.ask) / 2
        : undefined;
    const underlyingPrice = mid ?? quote?.last ?? quote?.close;
    return { ...params, underlyingPrice, underlyingPriceStale: mid === undefined || (quote?.stale ?? true) };
  }

  /** Quotes in request order; each streams until complete, then its line is cancelled. */
  async quotes(contracts: QuoteContract[], priority: number, signal?: AbortSignal): Promise<Quote[]> {
    // a request that cannot be served at all is one 503, not a list of per-contract errors
    const { conn } = this.req;
    if (!conn.canSend()) throw notConnected(conn.reason ?? conn.state);
    await this.contracts.qualifyInGroups(contracts, priority);
    const byKey = new Map<string, Promise<Quote>>();
    return Promise.all(
      contracts.map((c) => {
        const key = JSON.stringify(c);
        let p = byKey.get(key);
        if (!p) {
          p = this.quoteOne(c, priority, signal);
          byKey.set(key, p);
        }
        return p;
      }),
    );
  }

  /** `needsGreeks` false completes on bid and ask alone (the order guard's price band). */
  async quoteOne(
    spec: QuoteContract,
    priority: number,
    signal?: AbortSignal,
    needsGreeks = spec.secType === 'OPT',
  ): Promise<Quote> {
    const { clock } = this.req;
    const echo: Quote['contract'] = { secType: spec.secType };
    if (spec.conId !== undefined) echo.conId = spec.conId;
    if (spec.symbol) echo.symbol = spec.symbol;
    if (spec.expiry) echo.expiry = spec.expiry;
    if (spec.strike !== undefined) echo.strike = spec.strike;
    if (spec.right) echo.right = spec.right;
    let contract: Contract;
    try {
      contract = await this.contracts.resolveQuoteContract(spec, priority);
    } catch (err) {
      return { contract: echo, timestamp: clock.now(), stale: true, error: errorOf(err) };
    }
    if (contract.conId) echo.conId = contract.conId;
    if (contract.symbol) echo.symbol = contract.symbol;
    if (contract.lastTradeDateOrContractMonth) echo.expiry = isoFromIb(contract.lastTradeDateOrContractMonth);
    if (contract.strike) echo.strike = contract.strike;
    if (contract.right === 'C' || contract.right === 'P') echo.right = contract.right;
    if (contract.multiplier) echo.multiplier = Number(contract.multiplier);
    const gone = (): Quote => ({
      contract: echo,
      timestamp: clock.now(),
      stale: true,
      error: { code: 'CANCELLED', message: 'the client went away', retryable: true },
    });
    let release: ReleaseLine;
    try {
      release = await this.lines.acquire(priority, signal);
    } catch {
      return gone();
    }
    if (signal?.aborted) {
      release();
      return gone();
    }
    return this.streamQuote(contract, echo, needsGreeks, priority, release, signal);
  }

  private streamQuote(
    contract: Contract,
    echo: Quote['contract'],
    needsGreeks: boolean,
    priority: number,
    release: ReleaseLine,
    signal?: AbortSignal,
  ): Promise<Quote> {
    const { conn, clock } = this.req;
    return new Promise<Quote>((resolve) => {
      // IB's delayed tick types or its 10167/10168 warning on the request mark the whole quote
      const ticks = new QuoteTicks();
      let reqId = 0;
      let timer: unknown;
      let finished = false;
      const active = { resubscribe: (): void => subscribe() };

      const onAbort = (): void => finish(true);
      const finish = (stale: boolean, error?: BridgeError, lineHeld = true): void => {
        if (finished) return;
        finished = true;
        signal?.removeEventListener('abort', onAbort);
        this.activeQuotes.delete(active);
        if (timer !== undefined) clock.clearTimeout(timer);
        conn.unregister(reqId);
        if (lineHeld) {
          // the line stays counted until the cancel has actually left for IB
          const id = reqId;
          try {
            conn.send(
              CANCEL_PRIORITY,
              'cancelMktData',
              (api) => {
                api.cancelMktData(id);
                release();
              },
              release,
            );
          } catch {
            release(); // disconnected: IB dropped the line with the socket
          }
        } else {
          release();
        }
        const quote: Quote = { contract: echo, ...ticks.quoteFields(), timestamp: clock.now(), stale };
        if (ticks.delayed) {
          quote.delayed = true;
          this.delayedQuotes += 1;
        }
        if (error) quote.error = error.toBody().error;
        resolve(quote);
      };

      const onEvent = (event: string, args: unknown[]): void => {
        if (ticks.apply(event, args) && ticks.complete(contract.secType, needsGreeks)) finish(false);
      };

      const subscribe = (): void => {
        if (finished) return;
        if (reqId) conn.unregister(reqId);
        reqId = conn.nextRequestId();
        const id = reqId;
        conn.register(id, {
          onEvent,
          onError: (error) => {
            // an IB error for the request means IB holds no line for it; a lost connection the same
            finish(true, error, false);
          },
          onWarning: (code) => {
            // 10167 "not subscribed, displaying delayed market data", 10168 "delayed data not enabled"
            if (code === 10167 || code === 10168) ticks.delayed = true;
          },
        });
        try {
          conn.send(
            priority,
            'reqMktData',
            (api) => {
              if (timer === undefined) timer = clock.setTimeout(() => finish(true), this.quoteTimeoutMs);
              // generic tick 101 = option open interest; streaming (not snapshot) so the greeks come too
              api.reqMktData(id, contract, needsGreeks ? '101' : '', false, false);
            },
            () => finish(true, undefined, false),
          );
        } catch (err) {
          finish(true, err instanceof BridgeError ? err : undefined, false);
        }
      };

      this.activeQuotes.add(active);
      signal?.addEventListener('abort', onAbort, { once: true });
      subscribe();
    });
  }
}

function errorOf(err: unknown): NonNullable<Quote['error']> {
  if (err instanceof BridgeError) return err.toBody().error;
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err), retryable: false };
}
