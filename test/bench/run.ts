// `npm run bench`: speed and memory of the hot paths and of whole simulated days, one JSON line per figure:
// {"bench": name, "value": number, "unit": string, ...context}. Figures are medians of several runs
// after a warm-up, so they are comparable between commits on the same machine.
import { readFileSync } from 'node:fs';
import { candidateArchiveEncoder } from '#adapters/dynamo/candidate-archive';
import { parseConfig } from '#core/config';
import { marketClock, nextTradingDay, nyTimeToEpoch } from '#core/calendar';
import { decide } from '#core/decision';
import { quoteMap } from '#core/pnl';
import { bsGreeks, bsPrice, impliedVol } from '#core/pricing';
import { evaluateCandidates, rankCandidates } from '#core/scoring';
import { buildCandidates } from '#core/strategies/index';
import type { MarketContext, ScoredCandidate, StrategyPosition } from '#core/types';
import { SCORING_SLICE } from '#jobs/strategy-analysis/candidate-storage';
import { hideSdkNodeVersionWarning, scheduledEvent, startLocalStack } from '#scripts/local/stack';
import type { LocalStack } from '#scripts/local/stack';
import { quietJobLogs } from '#scripts/start';
import { NOW, TRADE_DATE, syntheticChain } from '../core/fixtures/chain';

function emit(bench: string, value: number, unit: string, context: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ bench, value: Number(value.toPrecision(6)), unit, ...context }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs `fn` `runs` times after one warm-up and returns the median wall time in ms. */
function timeMs(fn: () => void, runs = 5): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

function opsPerSecond(fn: (i: number) => void, iterations: number): number {
  const ms = timeMs(() => {
    for (let i = 0; i < iterations; i++) fn(i);
  });
  return (iterations / ms) * 1000;
}

const config = parseConfig({});

// Pricing kernels.
emit(
  'bsPrice',
  opsPerSecond(
    (i) => bsPrice({ right: 'P', spot: 600, strike: 540 + (i % 120), years: 0.12, rate: 0.04, vol: 0.2 }),
    200_000,
  ),
  'ops/s',
);
emit(
  'bsGreeks',
  opsPerSecond(
    (i) => bsGreeks({ right: 'C', spot: 600, strike: 540 + (i % 120), years: 0.12, rate: 0.04, vol: 0.2 }),
    200_000,
  ),
  'ops/s',
);
const ivPrices = Array.from({ length: 120 }, (_, k) =>
  bsPrice({ right: 'P', spot: 600, strike: 540 + k, years: 0.12, rate: 0.04, vol: 0.15 + k / 1000 }),
);
emit(
  'impliedVol',
  opsPerSecond(
    (i) =>
      impliedVol({
        right: 'P',
        spot: 600,
        strike: 540 + (i % 120),
        years: 0.12,
        rate: 0.04,
        price: ivPrices[i % 120]!,
      }),
    50_000,
  ),
  'ops/s',
);

// The morning analysis on one SPY-like chain: $1 strikes ±60 points, 8 expiries in the DTE window.
const chain = syntheticChain({
  spot: 600,
  strikeStep: 1,
  strikesEachSide: 60,
  dtes: [22, 29, 36, 43, 50, 57, 64, 70],
  vol: (m) => 0.18 + 0.25 * Math.max(0, 1 - m),
});
const market: MarketContext = {
  symbol: 'SPY',
  ivRank: 40,
  atmIv: 0.18,
  hv20: 0.15,
  trendPercentile: 55,
  vix: 17,
};
const ctx = { tradeDate: TRADE_DATE, now: NOW };
let candidates = buildCandidates(chain, config, ctx);
emit(
  'analysis.build',
  timeMs(() => void (candidates = buildCandidates(chain, config, ctx)), 3),
  'ms',
  {
    quotes: chain.quotes.length,
    candidates: candidates.length,
  },
);

const filterCtx = { now: NOW, openPositions: 0, openPerUnderlying: 0 };
emit(
  'analysis.filter+score+rank',
  timeMs(() => void rankCandidates(evaluateCandidates(candidates, filterCtx, market, config)), 3),
  'ms',
  { candidates: candidates.length },
);

globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const kept = rankCandidates(
  evaluateCandidates(buildCandidates(chain, config, ctx), filterCtx, market, config),
);
const heapAfter = process.memoryUsage().heapUsed;
globalThis.gc?.();
const heapRetained = process.memoryUsage().heapUsed;
emit('analysis.heap.beforeGc', (heapAfter - heapBefore) / 1024 / 1024, 'MiB', { candidates: kept.length });
emit('analysis.heap.retained', (heapRetained - heapBefore) / 1024 / 1024, 'MiB', {
  candidates: kept.length,
  note: globalThis.gc
    ? 'after gc, ranked candidates still referenced'
    : 'run with --expose-gc (npm run bench does)',
});

// The day's archive of that chain: every scored candidate encoded and gzip'd into chunk items, slice by
// slice in the order the builders produce them (as strategy-analysis does).
const built = new Map(candidates.map((c, i) => [c.id, i]));
const inOrder = [...kept].sort((a, b) => built.get(a.id)! - built.get(b.id)!);
const encodeArchive = (scored: readonly ScoredCandidate[]) => {
  const encoder = candidateArchiveEncoder({ minScore: config.scoring.minScore });
  for (let i = 0; i < scored.length; i += SCORING_SLICE) encoder.add(scored.slice(i, i + SCORING_SLICE));
  return encoder.finish();
};
let archive = encodeArchive(inOrder);
const archiveContext = () => ({
  candidates: inOrder.length,
  chunks: archive.length,
  largestChunkKiB: Math.max(...archive.map((c) => c.data.byteLength)) / 1024,
});
emit(
  'analysis.archive.encode+gzip',
  timeMs(() => void (archive = encodeArchive(inOrder)), 3),
  'ms',
  archiveContext(),
);
emit(
  'analysis.archive.bytes',
  archive.reduce((s, c) => s + c.data.byteLength, 0) / 1024,
  'KiB',
  archiveContext(),
);
// Memory: the V8 heap the encoding churns through, and what stays (the gzip'd chunks live in
// ArrayBuffers outside the V8 heap, so those are counted too).
const archiveBytes = archive.reduce((s, c) => s + c.data.byteLength, 0);
archive = [];
// Twice: an ArrayBuffer's memory is released by a callback after the collection that found it dead.
globalThis.gc?.();
globalThis.gc?.();
const memoryBefore = process.memoryUsage();
archive = encodeArchive(inOrder);
const memoryAfter = process.memoryUsage();
globalThis.gc?.();
globalThis.gc?.();
const memoryRetained = process.memoryUsage();
const heldMiB = (m: NodeJS.MemoryUsage) =>
  (m.heapUsed + m.arrayBuffers - memoryBefore.heapUsed - memoryBefore.arrayBuffers) / 1024 / 1024;
emit('analysis.archive.heap.beforeGc', (memoryAfter.heapUsed - memoryBefore.heapUsed) / 1024 / 1024, 'MiB', {
  ...archiveContext(),
  note: 'V8 heap growth while encoding (mostly garbage: JSON text of each chunk)',
});
emit('analysis.archive.heap.retained', heldMiB(memoryRetained), 'MiB', {
  ...archiveContext(),
  archiveMiB: archiveBytes / 1024 / 1024,
  note: globalThis.gc
    ? 'after gc: heap + ArrayBuffers still held, i.e. the finished chunks'
    : 'run with --expose-gc (npm run bench does)',
});

// One monitor decision for an iron condor.
const expiry = chain.expiries[3]!;
const leg = (right: 'P' | 'C', strike: number, quantity: number) => ({
  contract: { symbol: 'SPY', expiry, strike, right, multiplier: 100 },
  quantity,
});
const position: StrategyPosition = {
  id: 'bench-condor',
  strategy: 'IRON_CONDOR',
  symbol: 'SPY',
  expiry,
  legs: [leg('P', 565, 1), leg('P', 570, -1), leg('C', 630, -1), leg('C', 635, 1)],
  quantity: 1,
  entryCredit: 1.2,
  width: 5,
  openedAt: NOW - 5 * 86_400_000,
  commissionsUsd: 2.6,
};
const quotes = quoteMap(
  chain.quotes.filter(
    (q) => q.contract.expiry === expiry && [565, 570, 630, 635].includes(q.contract.strike),
  ),
);
const clock = marketClock(NOW, config.calendar);
emit(
  'monitor.decide',
  opsPerSecond(
    () =>
      decide({
        position,
        quotes,
        underlying: { price: 600, timestamp: NOW },
        clock,
        bridgeUp: true,
        config,
      }),
    20_000,
  ),
  'ops/s',
);
emit(
  'calendar.marketClock',
  opsPerSecond((i) => marketClock(NOW + i * 60_000, config.calendar), 100_000),
  'ops/s',
);

// ---------------------------------------------------------------------------------------------------
// Whole runs through the local stack (minutes): a simulated day, the analysis against IB's pacing
// floor, 20 trading days. `npm run bench -- --no-runs` stops before them.
// ---------------------------------------------------------------------------------------------------

if (!process.argv.includes('--no-runs')) await benchRuns();

/** Resident set size of a process from /proc, MB (0 where /proc is not there). */
function procRssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

/** Peak RSS of this process plus the stack's DynamoDB Local JVM, sampled every 250 ms while `run` runs. */
async function withPeakRss<T>(
  run: (onStack: (stack: LocalStack) => void) => Promise<T>,
): Promise<{ result: T; peakRssMb: number; jvmPeakRssMb: number; seconds: number }> {
  let jvmPid: number | undefined;
  let peak = 0;
  let jvmPeak = 0;
  const sample = () => {
    const jvm = procRssMb(jvmPid);
    jvmPeak = Math.max(jvmPeak, jvm);
    peak = Math.max(peak, process.memoryUsage().rss / 1024 / 1024 + jvm);
  };
  const timer = setInterval(sample, 250);
  const started = performance.now();
  try {
    const result = await run((stack) => {
      jvmPid = stack.dynamoPid;
    });
    sample();
    return { result, peakRssMb: peak, jvmPeakRssMb: jvmPeak, seconds: (performance.now() - started) / 1000 };
  } finally {
    clearInterval(timer);
  }
}

async function benchRuns(): Promise<void> {
  quietJobLogs(false);
  hideSdkNodeVersionWarning();
  const start = await import('#scripts/start');
  const quiet = () => undefined;

  // One `npm start` day: the normal scenario, the analysis at its own default quote budget.
  let dayMessages = 0;
  const day = await withPeakRss((onStack) =>
    start.runDay({
      write: quiet,
      onStack: (stack) => {
        onStack(stack);
        const before = stack.simulator.messagesReceived();
        const stop = stack.stop.bind(stack);
        stack.stop = () => {
          dayMessages = stack.simulator.messagesReceived() - before;
          return stop();
        };
      },
    }),
  );
  const daySummary = day.result as { completed?: boolean; problems?: string[] };
  emit('simulatedDaySeconds', day.seconds, 's', {
    analysisMaxQuotes: start.DEFAULT_ANALYSIS_MAX_QUOTES,
    completed: daySummary.completed,
    problems: daySummary.problems?.slice(0, 3) ?? [],
    ibMessages: dayMessages,
    peakRssMb: Math.round(day.peakRssMb),
    jvmPeakRssMb: Math.round(day.jvmPeakRssMb),
  });

  // The analysis of the three underlyings at its default budget, paced as in production (on the wall
  // clock), against IB's floor for the messages the simulator received from it. On the next trading day:
  // a second stack in the same process must not go back in simulated time (the jobs' signed requests
  // would be refused as stale).
  const nextDay = nextTradingDay(TRADE_DATE, config.calendar);
  const stack = await startLocalStack({
    write: null,
    pacing: 'real',
    start: nyTimeToEpoch(nextDay, '08:00'),
  });
  try {
    await stack.invoke('load-historical-data', scheduledEvent(stack.clock.now()));
    stack.clock.advanceTo(nyTimeToEpoch(nextDay, '09:45'));
    const before = stack.simulator.messagesReceived();
    const outcome = await stack.invoke('strategy-analysis', scheduledEvent(stack.clock.now()));
    const messages = stack.simulator.messagesReceived() - before;
    const floorSeconds = messages / 50;
    const result = outcome.result as {
      counts?: Record<string, number>;
      did?: string;
      skipped?: string;
      error?: string;
    };
    const counts = result.counts ?? {};
    emit('analysisPacingRatio', outcome.elapsedMs / 1000 / floorSeconds, 'ratio', {
      wallSeconds: outcome.elapsedMs / 1000,
      floorSeconds,
      messages,
      quoted: counts.quoted,
      candidates: counts.candidates,
      pacing: 'wall clock, as in production',
      outcome: result.did ?? result.skipped ?? result.error,
    });
  } finally {
    await stack.stop();
  }

  // 20 trading days on one stack (the multi-day runner, `runDays`).
  const runDays = (start as Record<string, unknown>).runDays;
  if (typeof runDays !== 'function') {
    const reason = 'scripts/start.ts has no runDays (the multi-day runner) on this branch';
    console.log(JSON.stringify({ bench: 'multiDaySeconds', value: null, reason }));
    console.log(JSON.stringify({ bench: 'peakRssMb', value: null, reason }));
    return;
  }
  const days = 20;
  const many = await withPeakRss((onStack) =>
    (runDays as (o: Record<string, unknown>) => Promise<unknown>)({
      days,
      // after the analysis's day, forward in simulated time (see above)
      date: nextTradingDay(nextDay, config.calendar),
      write: quiet,
      onStack,
    }),
  );
  const manySummary = many.result as { completed?: boolean; totals?: Record<string, unknown> };
  // The run's totals say what the days did: the five counts (worst day), closes by rule, realised P&L.
  emit('multiDaySeconds', many.seconds, 's', {
    days,
    completed: manySummary.completed,
    totals: manySummary.totals,
  });
  emit('peakRssMb', many.peakRssMb, 'MB', {
    days,
    jvmPeakRssMb: Math.round(many.jvmPeakRssMb),
    note: 'this process plus the DynamoDB Local JVM',
  });
}
