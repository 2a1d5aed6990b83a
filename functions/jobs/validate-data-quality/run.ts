// validate-data-quality (18:00 ET): did the 5-minute collectors record what they should have today?
//   - gaps: every 5-minute slot of the regular session (early-close aware: 09:30–13:00 on those days)
//     that has no snapshot, per series (OPTION_METRICS per underlying, FUTURE_QUOTE per future root);
//   - staleness: snapshots whose quotes were stale (the bridge said so, or older than the quote-age limit).
//   - delayed data: snapshots taken from IB's delayed feed (no real-time subscription for the contract).
// One WARNING alert lists them; a clean day sends nothing.
import type { MarketDataKind, MarketDataSnapshot } from '#adapters/ports';
import { nyParts, sessionFor } from '#core/calendar';
import type { MarketCalendar } from '#core/calendar';
import { FUTURE_ROOTS } from '#core/market-context';
import type { IsoDate } from '#core/types';
import type { RunContext, RunOutcome } from '../shared/define-job';

export interface DataQualityInput {
  tradeDate?: IsoDate | undefined;
}

export const SLOT_MS = 5 * 60_000;

/** Start of every 5-minute slot that has fully elapsed by `until` (epoch ms) in the session of `date`. */
export function expectedSlots(date: IsoDate, cal: MarketCalendar, until: number): number[] {
  const session = sessionFor(date, cal);
  if (!session) return [];
  const slots: number[] = [];
  for (let t = session.open; t < session.close && t + SLOT_MS <= until; t += SLOT_MS) slots.push(t);
  return slots;
}

/** Slots (from `expected`) with no snapshot taken inside them. Pure. */
export function missingSlots(expected: readonly number[], snapshotTimes: readonly number[]): number[] {
  const covered = new Set<number>();
  const first = expected[0];
  if (first === undefined) return [];
  for (const at of snapshotTimes) covered.add(first + Math.floor((at - first) / SLOT_MS) * SLOT_MS);
  return expected.filter((t) => !covered.has(t));
}

const hhmm = (at: number) => {
  const p = nyParts(at);
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
};

/** Missing slots as New York time ranges: `10:05–10:15 (3)`, `11:30`. */
export function describeGaps(missing: readonly number[]): string[] {
  const ranges: string[] = [];
  let start: number | undefined;
  let prev: number | undefined;
  const flush = () => {
    if (start === undefined || prev === undefined) return;
    const n = (prev - start) / SLOT_MS + 1;
    ranges.push(n === 1 ? hhmm(start) : `${hhmm(start)}–${hhmm(prev)} (${n})`);
  };
  for (const t of missing) {
    if (prev !== undefined && t === prev + SLOT_MS) {
      prev = t;
      continue;
    }
    flush();
    start = t;
    prev = t;
  }
  flush();
  return ranges;
}

/** True when a snapshot's own figures say its quotes were stale. */
export function isStale(snapshot: MarketDataSnapshot, maxAgeSeconds: number): boolean {
  const age = snapshot.data.quoteAgeSeconds;
  return snapshot.data.stale === true || (typeof age === 'number' && age > maxAgeSeconds);
}

/** True when a snapshot was taken from IB's delayed data (the bridge flagged a quote `delayed`). */
export const isDelayed = (snapshot: MarketDataSnapshot): boolean => snapshot.data.delayed === true;

export interface SeriesReport {
  kind: MarketDataKind;
  symbol: string;
  snapshots: number;
  expected: number;
  missing: number;
  gaps: string[];
  stale: number;
  delayed: number;
}

export async function runValidateDataQuality(input: DataQualityInput, ctx: RunContext): Promise<RunOutcome> {
  const tradeDate = input.tradeDate ?? ctx.tradeDate;
  const cal = ctx.config.calendar;
  const session = sessionFor(tradeDate, cal);
  if (!session) {
    return { did: `nothing to check: ${tradeDate} is not a trading day`, counts: { series: 0 } };
  }
  const until = Math.min(ctx.now, session.close);
  const slots = expectedSlots(tradeDate, cal, until);
  const series: { kind: MarketDataKind; symbols: readonly string[] }[] = [];
  if (ctx.config.jobs['collect-option-data'])
    series.push({ kind: 'OPTION_METRICS', symbols: ctx.config.universe.underlyings });
  if (ctx.config.jobs['collect-futures-data']) series.push({ kind: 'FUTURE_QUOTE', symbols: FUTURE_ROOTS });

  const reports: SeriesReport[] = [];
  for (const { kind, symbols } of series) {
    const day = await ctx.stores.snapshots.listMarketDataByDay(kind, tradeDate);
    for (const symbol of symbols) {
      const own = day.filter((s) => s.symbol === symbol && s.at >= session.open && s.at < session.close);
      const missing = missingSlots(
        slots,
        own.map((s) => s.at),
      );
      reports.push({
        kind,
        symbol,
        snapshots: own.length,
        expected: slots.length,
        missing: missing.length,
        gaps: describeGaps(missing),
        stale: own.filter((s) => isStale(s, ctx.config.filters.maxQuoteAgeSeconds)).length,
        delayed: own.filter(isDelayed).length,
      });
    }
  }
  const problems = reports.filter((r) => r.missing > 0 || r.stale > 0 || r.delayed > 0);
  const lines = problems.map(
    (r) =>
      `${r.kind} ${r.symbol}: ` +
      [
        r.missing > 0 ? `${r.missing} of ${r.expected} slots missing (${r.gaps.join(', ')})` : '',
        r.stale > 0 ? `${r.stale} stale snapshot(s)` : '',
        r.delayed > 0 ? `${r.delayed} snapshot(s) of delayed data` : '',
      ]
        .filter(Boolean)
        .join(', '),
  );
  if (problems.length > 0) {
    await ctx.alert({
      subject: `data-quality-${tradeDate}`,
      rule: 'data-quality',
      severity: 'WARNING',
      title: `Data quality ${tradeDate}: ${problems.length} series with gaps, stale or delayed data`,
      message: `${lines.join('; ')}.`,
      numbers: {
        missing: problems.reduce((s, r) => s + r.missing, 0),
        stale: problems.reduce((s, r) => s + r.stale, 0),
        delayed: problems.reduce((s, r) => s + r.delayed, 0),
      },
    });
  }
  return {
    did:
      problems.length === 0
        ? `data complete for ${tradeDate}: ${reports.length} series, ${slots.length} slots each${session.earlyClose ? ' (early close)' : ''}`
        : `found gaps, stale or delayed data in ${problems.length} of ${reports.length} series for ${tradeDate}`,
    counts: {
      series: reports.length,
      expectedSlots: slots.length,
      seriesWithProblems: problems.length,
      missingSlots: reports.reduce((s, r) => s + r.missing, 0),
      staleSnapshots: reports.reduce((s, r) => s + r.stale, 0),
      delayedSnapshots: reports.reduce((s, r) => s + r.delayed, 0),
    },
    reasons: lines,
    details: { tradeDate, earlyClose: session.earlyClose, series: reports },
    ok: problems.length === 0,
  };
}
