// collect-option-data (every 5 min in market hours): per underlying, one small batch of quotes → chain
// metrics stored as an OPTION_METRICS snapshot (TTL'd with the snapshots table):
//   - ATM IV: mean IV of the call and the put at the strike nearest spot, expiry nearest 30 DTE;
//   - skew: IV of the put near spot −5% minus IV of the call near spot +5% (vol points, same expiry);
//   - volume: the underlying's day volume and the quoted options' volume.
// Few quotes on purpose: the bridge's market-data lines are shared with the trading jobs.
import type { ChainDefinition, BrokerQuote } from '#adapters/bridge-client';
import type { MarketDataSnapshot } from '#adapters/ports';
import { daysToExpiry } from '#core/chain';
import type { IsoDate } from '#core/types';
import type { RunContext, RunOutcome } from '../shared/define-job';
import { stockQuoteRequest } from '../shared/quotes';
import { errorMessage } from '../shared/errors';

export interface CollectOptionInput {
  symbols?: string[] | undefined;
}

/** Expiry whose DTE is nearest this (VIX-style 30-day IV). */
export const TARGET_DTE = 30;
/** Never an expiry closer than this: its IV is dominated by the last days' noise. */
export const MIN_DTE = 7;
/** Skew strikes: spot ∓ 5%. */
export const SKEW_DISTANCE = 0.05;

export interface MetricsPlan {
  expiry: IsoDate;
  dte: number;
  atmStrike: number;
  putStrike: number;
  callStrike: number;
}

const nearest = (strikes: readonly number[], target: number) =>
  strikes.reduce((best, k) => (Math.abs(k - target) < Math.abs(best - target) ? k : best), strikes[0]!);

/** Which expiry and strikes to quote, or undefined when the chain has none that fit. Pure. */
export function planMetrics(
  chain: Pick<ChainDefinition, 'expirations' | 'strikes'>,
  spot: number,
  tradeDate: IsoDate,
): MetricsPlan | undefined {
  const expiries = chain.expirations
    .map((expiry) => ({ expiry, dte: daysToExpiry(tradeDate, expiry) }))
    .filter((e) => e.dte >= MIN_DTE);
  if (expiries.length === 0 || chain.strikes.length === 0 || !(spot > 0)) return undefined;
  const best = expiries.reduce((a, b) =>
    Math.abs(b.dte - TARGET_DTE) < Math.abs(a.dte - TARGET_DTE) ? b : a,
  );
  return {
    expiry: best.expiry,
    dte: best.dte,
    atmStrike: nearest(chain.strikes, spot),
    putStrike: nearest(chain.strikes, spot * (1 - SKEW_DISTANCE)),
    callStrike: nearest(chain.strikes, spot * (1 + SKEW_DISTANCE)),
  };
}

const ivOf = (q: BrokerQuote | undefined) =>
  q && !q.error && q.iv !== undefined && Number.isFinite(q.iv) && q.iv > 0 ? q.iv : undefined;

/** The metrics from the five quotes (underlying, ATM call, ATM put, skew put, skew call). Pure. */
export function optionMetrics(
  quotes: {
    underlying?: BrokerQuote;
    atmCall?: BrokerQuote;
    atmPut?: BrokerQuote;
    put?: BrokerQuote;
    call?: BrokerQuote;
  },
  now: number,
): Record<string, number | boolean | null> {
  const atm = [ivOf(quotes.atmCall), ivOf(quotes.atmPut)].filter((v): v is number => v !== undefined);
  const putIv = ivOf(quotes.put);
  const callIv = ivOf(quotes.call);
  const options = [quotes.atmCall, quotes.atmPut, quotes.put, quotes.call];
  const all = [quotes.underlying, ...options].filter((q): q is BrokerQuote => q !== undefined);
  const oldest = all.length > 0 ? Math.min(...all.map((q) => q.timestamp)) : undefined;
  const round = (v: number | undefined, d = 6) =>
    v === undefined ? null : Math.round(v * 10 ** d) / 10 ** d;
  return {
    atmIv: round(atm.length > 0 ? atm.reduce((s, v) => s + v, 0) / atm.length : undefined),
    putIv: round(putIv),
    callIv: round(callIv),
    skew: round(putIv !== undefined && callIv !== undefined ? putIv - callIv : undefined),
    optionVolume: options.reduce((s, q) => s + (q?.volume ?? 0), 0),
    underlyingVolume: quotes.underlying?.volume ?? null,
    quoteAgeSeconds: oldest === undefined ? null : Math.max(0, Math.round((now - oldest) / 1000)),
    stale: all.some((q) => q.stale),
    // delayed data is minutes old: kept for the series, flagged so data-quality reports it
    delayed: all.some((q) => q.delayed === true),
  };
}

export async function runCollectOptionData(input: CollectOptionInput, ctx: RunContext): Promise<RunOutcome> {
  const symbols = input.symbols ?? ctx.config.universe.underlyings;
  const snapshots: MarketDataSnapshot[] = [];
  const reasons: string[] = [];
  let failed = 0;
  for (const symbol of symbols) {
    try {
      const chain = await ctx.bridge.chain(symbol);
      const spot = chain.underlyingPrice;
      const plan = spot === undefined ? undefined : planMetrics(chain, spot, ctx.tradeDate);
      if (spot === undefined || !plan) {
        failed += 1;
        reasons.push(
          `${symbol}: no ${spot === undefined ? 'underlying price' : 'expiry ≥ 7 DTE'} in the chain`,
        );
        continue;
      }
      const option = (strike: number, right: 'C' | 'P') => ({
        secType: 'OPT' as const,
        symbol,
        expiry: plan.expiry,
        strike,
        right,
      });
      const [underlying, atmCall, atmPut, put, call] = await ctx.bridge.quotes([
        stockQuoteRequest(symbol),
        option(plan.atmStrike, 'C'),
        option(plan.atmStrike, 'P'),
        option(plan.putStrike, 'P'),
        option(plan.callStrike, 'C'),
      ]);
      const metrics = optionMetrics({ underlying, atmCall, atmPut, put, call }, ctx.clock.now());
      snapshots.push({
        kind: 'OPTION_METRICS',
        symbol,
        at: ctx.now,
        tradeDate: ctx.tradeDate,
        data: {
          spot,
          expiry: plan.expiry,
          dte: plan.dte,
          atmStrike: plan.atmStrike,
          putStrike: plan.putStrike,
          callStrike: plan.callStrike,
          ...metrics,
        },
      });
      const iv = metrics.atmIv;
      reasons.push(
        `${symbol}: spot ${spot}, ${plan.expiry} ATM IV ${typeof iv === 'number' ? (iv * 100).toFixed(1) + '%' : 'n/a'}, skew ${typeof metrics.skew === 'number' ? (metrics.skew * 100).toFixed(1) + ' pts' : 'n/a'}`,
      );
    } catch (error) {
      failed += 1;
      reasons.push(`${symbol}: ${errorMessage(error)}`);
    }
  }
  if (snapshots.length > 0) await ctx.stores.snapshots.putMarketData(snapshots);
  return {
    did: `collected option metrics for ${snapshots.length} of ${symbols.length} underlying(s)`,
    counts: { underlyings: symbols.length, stored: snapshots.length, failed },
    reasons,
    ok: failed === 0,
  };
}
