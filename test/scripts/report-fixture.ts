// A constructed five-day run (2026-06-01 to 06-05) for the report's tests: two positions that close (profit
// target, stop loss), two still open at the end, every day's scores, chosen candidates, closes and alerts.
// Built by hand so each chart's expected figures are known; not the output of a real run.
import { nyTimeToEpoch } from '#core/calendar';
import { FACTOR_POINTS } from '#core/scoring';
import type { AlertSeverity, IsoDate, ScoreBreakdown } from '#core/types';
import type {
  CandidateView,
  EquityPoint,
  PositionView,
  ReportDay,
  RunSummary,
} from '#scripts/report/summary';
import { scoreDistribution } from '#scripts/report/day-records';

export const DATES: IsoDate[] = ['2026-06-01', '2026-06-02', '2026-06-03', '2026-06-04', '2026-06-05'];

/** Deterministic pseudo-random numbers in [0, 1) (a small LCG), so the fixture never changes. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const at = (date: IsoDate, hhmm: string) => nyTimeToEpoch(date, hhmm);

/** Snapshot times of a session: every 30 minutes from `from` to `to`. */
function times(from: string, to: string): string[] {
  const out: string[] = [];
  const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
  for (let m = minutes(from); m <= minutes(to); m += 30)
    out.push(`${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
  return out;
}

export interface PositionPlan {
  id: string;
  strategy: string;
  symbol: string;
  expiry: IsoDate;
  quantity: number;
  entryCredit: number;
  width: number;
  legs: PositionView['legs'];
  open: { date: IsoDate; time: string };
  close?: { date: IsoDate; time: string; closedBy: string; closeReason: string; realisedPnlUsd: number };
  /** P&L drift per half hour, dollars, and the underlying's price. */
  drift: number;
  underlying: number;
}

const leg = (right: string, strike: number, quantity: number, expiry: IsoDate) => ({
  right,
  strike,
  expiry,
  quantity,
});

export const PLANS: PositionPlan[] = [
  {
    id: 'pos-spy-ic-1',
    strategy: 'IRON_CONDOR',
    symbol: 'SPY',
    expiry: '2026-07-17',
    quantity: 2,
    entryCredit: 1.6,
    width: 5,
    legs: [
      leg('P', 480, 2, '2026-07-17'),
      leg('P', 485, -2, '2026-07-17'),
      leg('C', 520, -2, '2026-07-17'),
      leg('C', 525, 2, '2026-07-17'),
    ],
    open: { date: '2026-06-01', time: '10:00' },
    close: {
      date: '2026-06-03',
      time: '13:30',
      closedBy: 'profit target',
      closeReason: 'rule 8 profit target: 52% of max profit',
      realisedPnlUsd: 332,
    },
    drift: 12,
    underlying: 502.4,
  },
  {
    id: 'pos-iwm-bp-1',
    strategy: 'BULL_PUT',
    symbol: 'IWM',
    expiry: '2026-07-10',
    quantity: 3,
    entryCredit: 0.85,
    width: 5,
    legs: [leg('P', 200, 3, '2026-07-10'), leg('P', 205, -3, '2026-07-10')],
    open: { date: '2026-06-01', time: '10:30' },
    close: {
      date: '2026-06-04',
      time: '11:00',
      closedBy: 'stop loss',
      closeReason: 'rule 4 stop loss: loss 2.1 × credit',
      realisedPnlUsd: -536,
    },
    drift: -14,
    underlying: 207.9,
  },
  {
    id: 'pos-qqq-bc-1',
    strategy: 'BEAR_CALL',
    symbol: 'QQQ',
    expiry: '2026-07-17',
    quantity: 1,
    entryCredit: 1.2,
    width: 5,
    legs: [leg('C', 470, -1, '2026-07-17'), leg('C', 475, 1, '2026-07-17')],
    open: { date: '2026-06-02', time: '10:00' },
    drift: 3,
    underlying: 455.3,
  },
  {
    id: 'pos-spy-ic-2',
    strategy: 'IRON_CONDOR',
    symbol: 'SPY',
    expiry: '2026-07-24',
    quantity: 1,
    entryCredit: 1.45,
    width: 5,
    legs: [
      leg('P', 475, 1, '2026-07-24'),
      leg('P', 480, -1, '2026-07-24'),
      leg('C', 525, -1, '2026-07-24'),
      leg('C', 530, 1, '2026-07-24'),
    ],
    open: { date: '2026-06-04', time: '10:00' },
    drift: 4,
    underlying: 503.1,
  },
];

/** The position as the day `date` shows it (undefined when it is not open or closing that day). */
function positionOn(plan: PositionPlan, date: IsoDate, rand: () => number): PositionView | undefined {
  if (date < plan.open.date) return undefined;
  if (plan.close && date > plan.close.date) return undefined;
  const closing = plan.close?.date === date;
  const from = date === plan.open.date ? plan.open.time : '09:30';
  const to = closing ? plan.close!.time : '16:00';
  const daysIn = DATES.indexOf(date) - DATES.indexOf(plan.open.date);
  const pnlPath = times(from, to).map((time, i) => ({
    at: at(date, time),
    pnlUsd: Math.round((plan.drift * (daysIn * 14 + i) + (rand() - 0.5) * 40) * 100) / 100,
  }));
  const last = pnlPath.at(-1)!;
  return {
    id: plan.id,
    strategy: plan.strategy,
    symbol: plan.symbol,
    expiry: plan.expiry,
    status: closing ? 'CLOSED' : 'OPEN',
    source: 'SYSTEM',
    quantity: plan.quantity,
    entryCredit: plan.entryCredit,
    width: plan.width,
    legs: plan.legs,
    holdings: [],
    openedAt: at(plan.open.date, plan.open.time),
    ...(closing
      ? {
          closedAt: at(plan.close!.date, plan.close!.time) + 60_000,
          closeReason: plan.close!.closeReason,
          realisedPnlUsd: plan.close!.realisedPnlUsd,
          closedBy: plan.close!.closedBy,
        }
      : {}),
    lastPnl: {
      at: last.at,
      unrealisedMidUsd: last.pnlUsd,
      unrealisedNaturalUsd: last.pnlUsd - 30,
      pctOfMaxProfit: (last.pnlUsd / (plan.entryCredit * 100 * plan.quantity)) * 100,
      underlyingPrice: plan.underlying + daysIn * 0.7,
    },
    decisionsByRule: { '0 HOLD': 12 },
    pnlPath,
    notableDecisions: [],
  };
}

/** A breakdown whose factors sum to `score` (each within its points), from the candidate's seed. */
function breakdownFor(score: number, rand: () => number): ScoreBreakdown {
  const max = FACTOR_POINTS;
  const share = score / 100;
  const keys = Object.keys(max) as (keyof ScoreBreakdown)[];
  const b = Object.fromEntries(
    keys.map((k) => [k, Math.round(max[k] * Math.min(1, share * (0.85 + rand() * 0.3)) * 100) / 100]),
  ) as unknown as ScoreBreakdown;
  // Put the rounding difference on the largest factor so the breakdown sums to the score exactly.
  const sum = keys.reduce((s, k) => s + b[k], 0);
  b.ivRank = Math.round((b.ivRank + score - sum) * 100) / 100;
  return b;
}

function chosenOn(date: IsoDate, rand: () => number): CandidateView[] {
  return PLANS.filter((p) => p.open.date === date).map((p) => {
    const score = Math.round((72 + rand() * 18) * 10) / 10;
    return {
      id: `${date}#${p.symbol}#${p.strategy}`,
      strategy: p.strategy,
      symbol: p.symbol,
      expiry: p.expiry,
      dte: 45,
      strikes: p.legs.map((l) => `${l.right}${l.strike}`).join('/'),
      width: p.width,
      creditMid: p.entryCredit,
      maxLossUsd: (p.width - p.entryCredit) * 100 * p.quantity,
      pop: 0.7,
      score,
      breakdown: breakdownFor(score, rand),
      eligible: true,
      rejections: [],
    };
  });
}

const NET_LIQ_START = 100_000;

/** One constructed day; `realisedBefore` is the run's realised P&L up to the day before. */
function dayOf(date: IsoDate, index: number): ReportDay {
  const rand = random(1000 + index);
  const positions = PLANS.map((p) => positionOn(p, date, rand)).filter((p): p is PositionView => !!p);
  const closesByRule: Record<string, number> = {};
  for (const p of positions) if (p.closedBy) closesByRule[p.closedBy] = (closesByRule[p.closedBy] ?? 0) + 1;
  const realisedToday = positions.reduce((s, p) => s + (p.realisedPnlUsd ?? 0), 0);
  const scores = Array.from({ length: 160 }, () => Math.round((20 + rand() * 55 + rand() * 20) * 10) / 10);
  const chosen = chosenOn(date, rand);
  scores.push(...chosen.map((c) => c.score));
  const alertCounts: Record<AlertSeverity, number> = {
    CRITICAL: index === 3 ? 1 : 0,
    WARNING: [0, 1, 0, 2, 1][index]!,
    INFO: [2, 1, 3, 1, 2][index]!,
  };
  return {
    scenario: { name: 'normal', description: 'an ordinary week' },
    seed: 7,
    date,
    speed: 60,
    startedAt: '2026-12-02T21:00:00.000Z',
    realDurationMs: 140_000,
    completed: true,
    problems: [],
    candidates: {
      count: scores.length,
      eligible: scores.filter((s) => s >= 70).length,
      minScore: 70,
      top: chosen,
      rejectionReasons: { 'credit/width N below N': 40 },
      reevaluations: [],
      ...scoreDistribution(scores, 70),
      chosen,
    },
    orders: [],
    orderCounts: { intents: 0, placed: 0, filled: 0, partial: 0, cancelled: 0, rejected: 0, dryRun: 0 },
    positions,
    pnl: {
      realisedUsd: realisedToday,
      realisedByKind: {
        CLOSE: realisedToday,
        PARTIAL_CLOSE: 0,
        EXPIRY: 0,
        ASSIGNMENT: 0,
        EXERCISE: 0,
        EXTERNAL: 0,
      },
      unrealisedMidUsd: 0,
      unrealisedNaturalUsd: 0,
      totalUsd: realisedToday,
    },
    alerts: [],
    alertCounts,
    expectations: [],
    checks: {
      duplicateOrders: 0,
      lostRecords: 0,
      unreconciledPositions: 0,
      orphanLegs: 0,
      pnlMismatchUsd: 0,
      details: [],
    },
    closesByRule,
  };
}

/** Net liquidation per day's end: the realised to date plus a mark-to-market swing. */
const NET_SWING = [180, 420, 610, -350, -120];

/** The constructed run; `source: 'aws'` drops the broker view, runs and job list as the AWS reader does. */
export function constructedRun(source: 'local' | 'aws' = 'local'): RunSummary {
  const days = DATES.map(dayOf);
  let realised = 0;
  let peak = -Infinity;
  for (const [i, day] of days.entries()) {
    realised += day.pnl.realisedUsd;
    const netLiquidation = NET_LIQ_START + realised + NET_SWING[i]!;
    peak = Math.max(peak, netLiquidation);
    const equity: EquityPoint = {
      date: day.date,
      netLiquidation,
      realisedToDateUsd: realised,
      brokerRealisedToDateUsd: realised,
      drawdownUsd: Math.min(0, netLiquidation - peak),
    };
    day.equity = equity;
    if (source === 'local') {
      day.runs = [];
      day.simulator = {
        account: 'DU1234567',
        orders: [],
        positions: [],
        executions: 0,
        commissionsUsd: 0,
        netLiquidation,
        realizedPnlUsd: realised,
        unrealizedPnlUsd: 0,
      };
    }
  }
  const sum = (f: (d: ReportDay) => Record<string, number> | undefined) => {
    const out: Record<string, number> = {};
    for (const d of days) for (const [k, n] of Object.entries(f(d) ?? {})) out[k] = (out[k] ?? 0) + n;
    return out;
  };
  return {
    source,
    scenario: { name: 'normal', description: 'an ordinary week (constructed for the report tests)' },
    seed: 7,
    from: DATES[0]!,
    to: DATES.at(-1)!,
    startedAt: '2026-12-02T21:00:00.000Z',
    realDurationMs: 700_000,
    completed: true,
    problems: [],
    days,
    totals: {
      duplicateOrders: 0,
      lostRecords: 0,
      unreconciledPositions: 0,
      orphanLegs: 0,
      pnlMismatchUsd: 0,
      closesByRule: sum((d) => d.closesByRule),
      alertCounts: sum((d) => d.alertCounts) as Record<AlertSeverity, number>,
      realisedUsd: realised,
    },
  };
}
