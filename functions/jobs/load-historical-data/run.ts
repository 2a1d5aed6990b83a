// load-historical-data (08:00 ET): a year of daily bars (TRADES) and of the options' implied volatility
// per underlying → the day's market context (HV20, IV rank, trend percentile, ATM IV), stored as one
// MARKET_CONTEXT snapshot per underlying so strategy-analysis and operators can read what the score saw.
// Strategy-analysis still fetches its own history today; `readMarketContext` is the reader it can switch to.
import type { PriceBar } from '#adapters/bridge-client';
import type { MarketDataSnapshot, SnapshotStore } from '#adapters/ports';
import { nyTimeToEpoch } from '#core/calendar';
import { historicalVolatility, ivRank, trendPercentile } from '#core/market-context';
import type { IsoDate, MarketContext } from '#core/types';
import type { RunContext, RunOutcome } from '../shared/define-job';
import { errorMessage } from '../shared/errors';

export interface LoadHistoryInput {
  symbols?: string[] | undefined;
  days?: number | undefined;
}

/** Calendar days asked for: 252 trading days plus the 20-day window need a little over a year. */
export const HISTORY_DAYS = 400;

const usable = (bars: readonly PriceBar[]) =>
  bars.map((b) => b.close).filter((v) => Number.isFinite(v) && v > 0);

/** The market context from daily closes and daily IV closes (oldest first). Pure. */
export function contextFromHistory(
  symbol: string,
  closes: readonly number[],
  ivCloses: readonly number[],
): MarketContext {
  const context: MarketContext = { symbol };
  const hv20 = historicalVolatility(closes, 20);
  if (hv20 !== undefined) context.hv20 = hv20;
  const trend = trendPercentile(closes);
  if (trend !== undefined) context.trendPercentile = trend;
  const currentIv = ivCloses.at(-1);
  if (currentIv !== undefined) {
    context.atmIv = currentIv;
    // Today's IV ranked against the year before it, as strategy-analysis does.
    const rank = ivRank(ivCloses.slice(0, -1), currentIv);
    if (rank !== undefined) context.ivRank = rank;
  }
  return context;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The snapshot stored for one underlying; figures absent from the context are null. */
export function contextSnapshot(
  context: MarketContext,
  at: number,
  tradeDate: IsoDate,
  extra: { bars: number; ivBars: number; lastBarDate?: string | undefined; lastClose?: number | undefined },
): MarketDataSnapshot {
  const opt = (v: number | undefined, digits: number) => (v === undefined ? null : round(v, digits));
  return {
    kind: 'MARKET_CONTEXT',
    symbol: context.symbol,
    at,
    tradeDate,
    data: {
      hv20: opt(context.hv20, 6),
      atmIv: opt(context.atmIv, 6),
      ivRank: opt(context.ivRank, 2),
      trendPercentile: opt(context.trendPercentile, 2),
      bars: extra.bars,
      ivBars: extra.ivBars,
      lastBarDate: extra.lastBarDate ?? null,
      lastClose: opt(extra.lastClose, 4),
    },
  };
}

/** The latest stored context of `symbol` on `tradeDate`, or undefined when the job has not run that day. */
export async function readMarketContext(
  snapshots: Pick<SnapshotStore, 'listMarketData'>,
  symbol: string,
  tradeDate: IsoDate,
): Promise<MarketContext | undefined> {
  const day = await snapshots.listMarketData('MARKET_CONTEXT', symbol, {
    from: nyTimeToEpoch(tradeDate, '00:00'),
  });
  const latest = day.filter((s) => s.tradeDate === tradeDate).at(-1);
  if (!latest) return undefined;
  const context: MarketContext = { symbol };
  const num = (key: string) => {
    const v = latest.data[key];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
  const hv20 = num('hv20');
  const atmIv = num('atmIv');
  const rank = num('ivRank');
  const trend = num('trendPercentile');
  if (hv20 !== undefined) context.hv20 = hv20;
  if (atmIv !== undefined) context.atmIv = atmIv;
  if (rank !== undefined) context.ivRank = rank;
  if (trend !== undefined) context.trendPercentile = trend;
  return context;
}

const pct = (v: number | undefined) => (v === undefined ? 'n/a' : `${(v * 100).toFixed(1)}%`);
const num1 = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(1));

export async function runLoadHistoricalData(input: LoadHistoryInput, ctx: RunContext): Promise<RunOutcome> {
  const symbols = input.symbols ?? ctx.config.universe.underlyings;
  const days = input.days ?? HISTORY_DAYS;
  const reasons: string[] = [];
  const snapshots: MarketDataSnapshot[] = [];
  const contexts: Record<string, unknown> = {};
  let failed = 0;
  let incomplete = 0;
  for (const symbol of symbols) {
    try {
      const [trades, ivs] = await Promise.all([
        ctx.bridge.history({ symbol, what: 'TRADES', days }),
        ctx.bridge.history({ symbol, what: 'OPTION_IMPLIED_VOLATILITY', days }),
      ]);
      const closes = usable(trades.bars);
      const ivCloses = usable(ivs.bars);
      const context = contextFromHistory(symbol, closes, ivCloses);
      const missing = (['hv20', 'ivRank', 'trendPercentile'] as const).filter(
        (k) => context[k] === undefined,
      );
      if (missing.length > 0) {
        incomplete += 1;
        reasons.push(
          `${symbol}: ${missing.join(', ')} not computed (${closes.length} daily closes, ${ivCloses.length} IV bars)`,
        );
      }
      snapshots.push(
        contextSnapshot(context, ctx.now, ctx.tradeDate, {
          bars: closes.length,
          ivBars: ivCloses.length,
          lastBarDate: trades.bars.at(-1)?.date,
          lastClose: closes.at(-1),
        }),
      );
      contexts[symbol] = {
        hv20: pct(context.hv20),
        atmIv: pct(context.atmIv),
        ivRank: num1(context.ivRank),
        trendPercentile: num1(context.trendPercentile),
        bars: closes.length,
      };
      reasons.push(
        `${symbol}: HV20 ${pct(context.hv20)}, IV ${pct(context.atmIv)}, IV rank ${num1(context.ivRank)}, trend ${num1(context.trendPercentile)} pct`,
      );
    } catch (error) {
      failed += 1;
      reasons.push(`${symbol}: history failed: ${errorMessage(error)}`);
    }
  }
  if (snapshots.length > 0) await ctx.stores.snapshots.putMarketData(snapshots);
  if (failed > 0) {
    await ctx.alert({
      subject: 'history',
      rule: 'history-failed',
      severity: 'WARNING',
      title: `Historical data: ${failed} of ${symbols.length} failed`,
      message: `load-historical-data ${ctx.tradeDate}: ${reasons.filter((r) => r.includes('failed')).join('; ')}. Analysis will fetch history itself.`,
    });
  }
  return {
    did: `loaded ${days} days of history for ${snapshots.length} of ${symbols.length} underlying(s) and stored their market context`,
    counts: { underlyings: symbols.length, stored: snapshots.length, incomplete, failed },
    reasons,
    details: { contexts },
    ok: failed === 0,
  };
}
