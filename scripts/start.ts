// `npm start`: simulated trading days through the real job handlers, with no AWS and no IB account.
//
// Starts the local stack (DynamoDB Local, the TWS-protocol simulator, the bridge), walks the job
// schedule from 08:00 New York (position-sync pre-market, strategy-analysis 09:45,
// execute-strategies 10:00 on the paper account, monitor every 5 minutes until the close,
// position-sync 16:15, ...) by jumping the simulator's clock from one run to the next, prints a line
// per run, and writes out/summary.json and out/report.html. `--days N` walks N trading days on the same
// stack (the night between: expiries settle, IB Gateway restarts at 23:45) and checks five counts after
// each day (scripts/report/reconcile.ts).
//
//   npm start                                   # the normal day
//   npm start -- --days 20                      # twenty trading days, checked after each
//   npm start -- --faults my-faults.json        # a fault script in the simulator's format
//   npm start -- --scenario sell-off --seed 7   # a named fault scenario
//   npm start -- --help                         # the scenarios and flags
//
// Jobs are picked up by file as they are written: a job without a handler yet is listed as "not
// available yet"; a job that exists and throws fails the run (exit code 1).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  addDays,
  nextTradingDay,
  nyDate,
  nyTimeToEpoch,
  previousTradingDay,
  sessionFor,
} from '../functions/core/calendar';
import type { MarketCalendar } from '../functions/core/calendar';
import { JOB_TIMINGS } from '../functions/core/schedule';
import { expectedFiresOn } from '../functions/core/watchman';
import { intentKey } from '../functions/core/orders';
import { JOB_NAMES, parseConfig } from '../functions/core/config';
import type { JobName } from '../functions/core/config';
import type { AlertSeverity, IsoDate } from '../functions/core/types';
import type { BridgeEvent } from '../gateway-container/bridge/contract';
import type { ScheduledFault } from '../gateway-container/simulator/server/faults';
import {
  bridgeEventEnvelope,
  DEFAULT_DATE,
  hideSdkNodeVersionWarning,
  loadJob,
  REPO_ROOT,
  scheduledEvent,
  startLocalStack,
} from './local/stack';
import type { LocalStack, LocalStackOptions } from './local/stack';
import {
  clockTime,
  faultScriptFile,
  firstTradingDay,
  minutesStep,
  numberAbove,
  oneOf,
  parseFlags,
  UsageError,
  wholeNumber,
  wholeNumberIn,
} from './args';
import { writeOutputs } from './report/outputs';
import { brokerCashOf } from './scenarios/expiring-spreads';
import { expiryWeek } from './scenarios/expiry-week';
import { loginNeverApproved, weeklyLogin } from './scenarios/weekly-login';
import { brokerBook, checksClean, equityPoint, reconcile } from './report/reconcile';
import { collectDayRecords, hhmm } from './report/summary';
import type {
  DayChecks,
  DaySummary,
  Expectation,
  PositionView,
  RunRecord,
  RunStatus,
  RunSummary,
} from './report/summary';

// ---------------------------------------------------------------------------------------------------
// The schedule (lib/jobs-table.ts)
// ---------------------------------------------------------------------------------------------------

export interface ScheduledRun {
  /** New York HH:MM. */
  time: string;
  job: JobName;
  /** The schedule table's priority: orders runs at the same minute. */
  priority: number;
  label?: string;
  /** The schedule's `detail`: a payload the handler validates like a manual one. */
  payload?: Record<string, unknown>;
}

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

export interface ScheduleOptions {
  date: IsoDate;
  calendar: MarketCalendar;
  /** Minutes between data-collection runs (the schedule says 5). */
  collectEveryMinutes?: number;
  /** Minutes between monitor runs (the schedule says 5). */
  monitorEveryMinutes?: number;
  /** Last time of the day to run anything (a shortened day for tests). */
  until?: string;
  /** strategy-analysis `maxQuotes` (option quotes per underlying); undefined leaves the job's default. */
  analysisMaxQuotes?: number;
}

/**
 * The day's runs in order, by time then priority: the schedule table (functions/core/schedule.ts), the
 * fires each job's calendar gate lets run (a fire the handler would skip, such as 15:55 on a 13:00 early
 * close, is left out rather than walked). Three local differences, each to keep a simulated day short or
 * complete: `--collect-every`/`monitorEveryMinutes` thin the 5-minute jobs; health-check runs on the hour
 * 08:00-18:00 (every 10 minutes, every day, in AWS); verify-positions, on demand in AWS, runs once at
 * 18:05 as the day's reconciliation report.
 */
export function daySchedule(options: ScheduleOptions): ScheduledRun[] {
  const runs: ScheduledRun[] = [];
  const open = sessionFor(options.date, options.calendar)?.open;
  for (const job of JOB_NAMES) {
    const timing = JOB_TIMINGS[job];
    for (const schedule of timing.schedules) {
      const fires = expectedFiresOn(options.date, { ...timing, schedules: [schedule] }, options.calendar);
      // A job with several once-a-day schedules names each run (position-sync pre-market, post-market).
      const label = timing.schedules.length > 1 && fires.length === 1 ? schedule.label : undefined;
      for (const at of fires) {
        const time = hhmm(at);
        const every =
          job === 'monitor'
            ? options.monitorEveryMinutes
            : job.startsWith('collect-')
              ? options.collectEveryMinutes
              : undefined;
        if (every && open !== undefined && Math.round((at - open) / 60_000) % every !== 0) continue;
        if (job === 'health-check' && (!time.endsWith(':00') || time < '08:00' || time > '18:00')) continue;
        const payload =
          job === 'strategy-analysis' && options.analysisMaxQuotes !== undefined
            ? { maxQuotes: options.analysisMaxQuotes }
            : undefined;
        runs.push({
          time,
          job,
          priority: timing.priority,
          ...(label ? { label } : {}),
          ...(payload ? { payload } : {}),
        });
      }
    }
  }
  // On demand in production; once at the end here, as the day's reconciliation report (no repair).
  runs.push({
    time: '18:05',
    job: 'verify-positions',
    priority: JOB_TIMINGS['verify-positions'].priority,
    label: 'end-of-day report',
  });
  const until = options.until ? minutesOf(options.until) : Number.POSITIVE_INFINITY;
  return runs
    .filter((r) => minutesOf(r.time) <= until)
    .sort((a, b) => minutesOf(a.time) - minutesOf(b.time) || a.priority - b.priority);
}

// ---------------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------------

export interface ScenarioContext {
  stack: LocalStack;
  /** The run's (first) trading day, on every day of the run. */
  date: IsoDate;
  /** The trading day being run (an event's day) or judged (the check's day). */
  today: IsoDate;
  /** Epoch ms of a New York time on the run's date. */
  at(time: string): number;
  log(line: string): void;
}

export interface ScenarioEvent {
  /** Trading day of the run the event happens on: 0 = the first (default), 4 = the fifth. */
  day?: number;
  time: string;
  label: string;
  apply(ctx: ScenarioContext): void | Promise<void>;
}

export interface Scenario {
  name: string;
  description: string;
  /** Trading days the scenario needs to make its point (default 1); `--days` below it is raised to it. */
  days?: number;
  /** The first day when `--date` is not given: a scenario tied to a week of the calendar names it. */
  date?: IsoDate;
  config?: LocalStackOptions['config'];
  /**
   * Environment variables the deployed jobs would have (e.g. TRADING_MODE=live: an account with a
   * second factor), set for the run and restored after it.
   */
  env?: Readonly<Record<string, string>>;
  /** When the stack starts (default 08:00 of the day): a scenario that needs the day before starts then. */
  start?(date: IsoDate): number;
  /** Before the first job (08:00). */
  setup?(ctx: ScenarioContext): void | Promise<void>;
  /** Things that happen to the market or the gateway during the day. */
  events?: ScenarioEvent[];
  /** A reason when a run's failure or refusal is what the scenario provokes; undefined otherwise. */
  tolerate?(run: RunRecord): string | undefined;
  /**
   * What the run must show for the scenario to have made its point, judged once after its last event's
   * day: `summary` is that day, `days` every day run so far (oldest first, `summary` included).
   */
  check?(
    summary: DaySummary,
    ctx: ScenarioContext,
    days: readonly DaySummary[],
  ): Expectation[] | Promise<Expectation[]>;
}

const within = (run: { time: string }, from: string, to: string) =>
  minutesOf(run.time) >= minutesOf(from) && minutesOf(run.time) <= minutesOf(to);

/** An expectation that can only be judged when the jobs it depends on exist. */
function expect(
  summary: DaySummary,
  description: string,
  needs: JobName[],
  judge: () => { ok: boolean; detail?: string } | 'not checked',
): Expectation {
  const missing = needs.filter((job) => summary.jobs.notAvailableYet.includes(job));
  if (missing.length > 0) {
    return { description, status: 'not checked', detail: `${missing.join(', ')} not available yet` };
  }
  const verdict = judge();
  if (verdict === 'not checked') return { description, status: 'not checked' };
  return {
    description,
    status: verdict.ok ? 'met' : 'not met',
    ...(verdict.detail ? { detail: verdict.detail } : {}),
  };
}

/** Checks every scenario shares: the jobs' records agree with the broker's own view. */
export function consistencyChecks(summary: DaySummary): Expectation[] {
  const brokerOrders = new Map(summary.simulator.orders.map((o) => [o.orderRef, o]));
  const brokerPositions = new Map(summary.simulator.positions.map((p) => [p.conId, p.position]));
  return [
    expect(
      summary,
      'every order the system placed is at the broker with the same fills',
      ['execute-strategies'],
      () => {
        const placed = summary.orders.filter((o) => o.orderId !== undefined && !o.dryRun);
        const wrong = placed.filter((o) => {
          const broker = brokerOrders.get(o.intentKey);
          return !broker || broker.filled !== o.filledQuantity;
        });
        return {
          ok: wrong.length === 0,
          detail:
            wrong.length === 0
              ? `${placed.length} orders agree`
              : `disagree: ${wrong.map((o) => o.intentKey).join(', ')}`,
        };
      },
    ),
    expect(summary, 'the broker has no order the system does not know', ['execute-strategies'], () => {
      // The day's intents, and the opening orders of the positions recorded (a position's id is its
      // opening intent's key, which may be an earlier day's).
      const known = new Set([
        ...summary.orders.map((o) => o.intentKey),
        ...summary.positions.map((p) => p.id),
      ]);
      const unknown = summary.simulator.orders.filter((o) => !known.has(o.orderRef));
      return {
        ok: unknown.length === 0,
        ...(unknown.length ? { detail: unknown.map((o) => `#${o.orderId} ${o.orderRef}`).join(', ') } : {}),
      };
    }),
    expect(
      summary,
      "open positions' legs and holdings equal the broker's positions",
      ['execute-strategies', 'position-sync'],
      () => {
        // Spread legs, orphaned legs and shares an assignment left: everything a position owns.
        const ours = new Map<number, number>();
        for (const p of summary.positions.filter((x) => x.status === 'OPEN')) {
          for (const leg of p.holdings) ours.set(leg.conId, (ours.get(leg.conId) ?? 0) + leg.quantity);
        }
        const conIds = new Set([...ours.keys(), ...brokerPositions.keys()]);
        const diff = [...conIds].filter((id) => (ours.get(id) ?? 0) !== (brokerPositions.get(id) ?? 0));
        return {
          ok: diff.length === 0,
          detail: diff.length === 0 ? `${conIds.size} legs agree` : `differ on conIds ${diff.join(', ')}`,
        };
      },
    ),
  ];
}

const hasOpenPositions = (summary: DaySummary) => summary.positions.length > 0;

/**
 * Moves an underlying by `returnPct` at once (and its volatility up), as a gap or a crash would. The
 * engine has no shock control yet, so this edits its saved state and loads it back: conIds, orders and
 * positions are part of that state and carry over unchanged.
 */
export function shockUnderlying(
  stack: LocalStack,
  symbol: string,
  returnPct: number,
  volLogBump = 0.6,
): void {
  // The simulator's own fault (also scriptable with --faults): pushes the new prices to every line.
  stack.simulator.faults.priceShock(symbol, returnPct, volLogBump);
}

/** The assigned position of the early-assignment scenario, set up the day before. */
const EARLY_ASSIGNMENT_SUBJECT = 'scenario-early-assignment';

/**
 * The day before: an IWM bull put whose short is 2% in the money, opened through an intent and its
 * fill (position-sync applies it, as after a run that crashed), then OCC assigns the short after the
 * close (the earlyAssignment fault). Returns the opening intent key.
 */
async function openAndAssignTheDayBefore(ctx: ScenarioContext): Promise<string> {
  const { stack } = ctx;
  const engine = stack.simulator.engine;
  const calendar = parseConfig({}).calendar;
  const dayBefore = previousTradingDay(ctx.date, calendar);
  const stock = engine.findContracts({ symbol: 'IWM', secType: 'STK' })[0]!;
  const spot = engine.quote(stock.conId)!.last!;
  const params = engine.optionParams('IWM')[0]!;
  const expiry = params.expirations.find((e) => e >= addDays(dayBefore, 30).replaceAll('-', ''))!;
  const put = (strike: number) =>
    engine.findContracts({ symbol: 'IWM', secType: 'OPT', lastTradeDate: expiry, strike, right: 'P' })[0];
  const shortStrike = [...params.strikes]
    .sort((a, b) => Math.abs(a - spot * 1.02) - Math.abs(b - spot * 1.02))
    .find((k) => put(k) && put(k - 5))!;
  const contract = (strike: number) => ({
    symbol: 'IWM',
    expiry: `${expiry.slice(0, 4)}-${expiry.slice(4, 6)}-${expiry.slice(6)}`,
    strike,
    right: 'P' as const,
    conId: put(strike)!.conId,
    multiplier: 100,
  });
  const key = intentKey({ tradeDate: dayBefore, subjectId: EARLY_ASSIGNMENT_SUBJECT, purpose: 'OPEN' });
  // Priced at the spread's natural credit (short bid − long ask): marketable, so it fills at once, and
  // inside the bridge's price band (a token credit far below natural would be refused there).
  const natural =
    engine.quote(put(shortStrike)!.conId)!.bid! - engine.quote(put(shortStrike - 5)!.conId)!.ask!;
  const limitPrice = Math.floor(natural * 100) / 100;
  const legs = [
    { contract: contract(shortStrike), action: 'SELL' as const, ratio: 1 },
    { contract: contract(shortStrike - 5), action: 'BUY' as const, ratio: 1 },
  ];
  await stack.stores.intents.create(
    {
      intentKey: key,
      tradeDate: dayBefore,
      purpose: 'OPEN',
      strategy: 'BULL_PUT',
      symbol: 'IWM',
      positionId: key,
      legs,
      action: 'SELL',
      quantity: 1,
      limitPrice,
      dryRun: false,
      reason: 'scenario early-assignment: an IWM bull put opened the day before, its short 2% in the money',
      createdBy: 'scenario',
    },
    stack.clock.now(),
  );
  await stack.context.bridge(26).placeOrder({
    orderRef: key,
    legs: legs.map((l) => ({
      conId: l.contract.conId,
      action: l.action === 'SELL' ? 'BUY' : 'SELL',
      ratio: 1,
    })),
    action: 'SELL',
    quantity: 1,
    orderType: 'LMT',
    limitPrice,
    tif: 'DAY',
  });
  stack.clock.advanceTo(stack.clock.now() + 60_000);
  await stack.invoke('position-sync', scheduledEvent(stack.clock.now()));
  // OCC assigns after the close; IB shows it the next morning.
  stack.clock.advanceTo(nyTimeToEpoch(dayBefore, '17:00'));
  ctx.log(`${dayBefore} 17:00  scenario: OCC assigns the short IWM P${shortStrike} early`);
  stack.simulator.faults.earlyAssignment('IWM');
  return key;
}

export const SCENARIOS: Record<string, Scenario> = {
  normal: {
    name: 'normal',
    description: 'an ordinary day: analysis, paper entries at 10:00, monitoring every 5 minutes',
    check: (summary) => [
      expect(summary, 'strategy-analysis scored candidates', ['strategy-analysis'], () => ({
        ok: summary.candidates.count > 0,
        detail: `${summary.candidates.count} scored, ${summary.candidates.eligible} eligible`,
      })),
    ],
  },
  'gateway-disconnect': {
    name: 'gateway-disconnect',
    description:
      'IB Gateway restarts at 11:00 and refuses connections for 20 minutes; the bridge reconnects, the monitor holds meanwhile',
    events: [
      {
        time: '11:00',
        label: 'IB Gateway restarts: connections dropped and refused until 11:20',
        apply: ({ stack }) => stack.simulator.faults.restart(20 * 60_000),
      },
    ],
    tolerate: (run) =>
      within(run, '11:00', '11:25') ? 'gateway down (expected in this scenario)' : undefined,
    check: (summary) => [
      {
        description: 'the bridge lost the gateway during the outage',
        ...(summary.runs.some((r) => within(r, '11:00', '11:20') && r.bridge !== 'ready')
          ? { status: 'met' as const }
          : { status: 'not met' as const, detail: 'every run in 11:00–11:20 saw a ready bridge' }),
      },
      {
        description: 'the bridge reconnected after the gateway came back',
        ...(summary.runs.some((r) => minutesOf(r.time) >= minutesOf('11:30') && r.bridge === 'ready')
          ? { status: 'met' as const }
          : { status: 'not met' as const, detail: 'no run after 11:30 saw a ready bridge' }),
      },
      expect(summary, 'the monitor held (data guard) while the gateway was down', ['monitor'], () => {
        if (!hasOpenPositions(summary)) return 'not checked';
        const guarded = summary.positions.flatMap((p) =>
          p.notableDecisions.filter((d) => d.rule === 1 && within(d, '11:00', '11:25')),
        );
        return { ok: guarded.length > 0, detail: `${guarded.length} data-guard holds` };
      }),
    ],
  },
  'stale-quotes': {
    name: 'stale-quotes',
    description:
      'the quote feed stops from 11:00 to 11:30 (empty quotes); the data guard holds and a WARNING goes out',
    events: [
      {
        time: '11:00',
        label: 'quote feed stops for every contract',
        apply: ({ stack }) => stack.simulator.faults.quotes('all', 'missing'),
      },
      {
        time: '11:30',
        label: 'quote feed restored',
        apply: ({ stack }) => stack.simulator.faults.quotes('all', undefined),
      },
    ],
    tolerate: (run) =>
      within(run, '11:00', '11:30') && run.job !== 'monitor'
        ? 'no quotes (expected in this scenario)'
        : undefined,
    check: (summary) => [
      expect(summary, 'the monitor held (data guard) on the missing quotes', ['monitor'], () => {
        if (!hasOpenPositions(summary)) return 'not checked';
        const guarded = summary.positions.flatMap((p) =>
          p.notableDecisions.filter((d) => d.rule === 1 && within(d, '11:00', '11:30')),
        );
        return { ok: guarded.length > 0, detail: `${guarded.length} data-guard holds` };
      }),
      expect(summary, 'a WARNING alert about the stale data', ['monitor'], () => {
        if (!hasOpenPositions(summary)) return 'not checked';
        const warnings = summary.alerts.filter(
          (a) => a.severity === 'WARNING' && within({ time: hhmm(a.at) }, '11:00', '11:35'),
        );
        return { ok: warnings.length > 0, detail: warnings.map((a) => a.title).join('; ') };
      }),
    ],
  },
  'order-rejected': {
    name: 'order-rejected',
    description:
      'the broker rejects every new order from 09:55 to 10:30 (error 201); CRITICAL alert, no retry loop',
    events: [
      {
        time: '09:55',
        label: 'the broker starts rejecting orders (201: insufficient margin)',
        apply: ({ stack }) =>
          stack.simulator.faults.rejectOrders('Order rejected - reason: insufficient margin'),
      },
      {
        time: '10:30',
        label: 'the broker accepts orders again',
        apply: ({ stack }) => stack.simulator.faults.rejectOrders(undefined),
      },
    ],
    check: (summary) => [
      expect(summary, 'the rejected orders raised a CRITICAL alert', ['execute-strategies'], () => {
        const rejected = summary.simulator.orders.filter((o) => o.rejectReason);
        if (rejected.length === 0) return { ok: false, detail: 'no order reached the broker to be rejected' };
        const critical = summary.alerts.filter((a) => a.severity === 'CRITICAL');
        return {
          ok: critical.length > 0,
          detail: `${rejected.length} rejected, ${critical.length} CRITICAL alerts`,
        };
      }),
      expect(
        summary,
        'no retry loop: each intent reached the broker at most once',
        ['execute-strategies'],
        () => {
          const perRef = new Map<string, number>();
          for (const o of summary.simulator.orders) perRef.set(o.orderRef, (perRef.get(o.orderRef) ?? 0) + 1);
          const repeated = [...perRef].filter(([, n]) => n > 1);
          return {
            ok: repeated.length === 0,
            ...(repeated.length ? { detail: repeated.map(([r, n]) => `${r} ×${n}`).join(', ') } : {}),
          };
        },
      ),
    ],
  },
  'sell-off': {
    name: 'sell-off',
    description: 'at 12:00 every underlying drops 12% at once and volatility jumps; stop-loss / breach exits',
    events: [
      {
        time: '12:00',
        label: 'sell-off: every underlying −12%, implied volatility up',
        apply: ({ stack }) => {
          // 12%: beyond the furthest short strike the delta window allows (|delta| 0.10 at ~45 DTE), so any entry is hit.
          for (const symbol of ['SPY', 'QQQ', 'IWM']) shockUnderlying(stack, symbol, -12);
        },
      },
    ],
    check: (summary) => [
      expect(
        summary,
        'positions at risk were closed by a stop-loss or breach rule',
        ['monitor', 'execute-strategies'],
        () => {
          if (!hasOpenPositions(summary)) return 'not checked';
          const exits = summary.positions.flatMap((p) =>
            p.notableDecisions.filter((d) => d.action === 'CLOSE' && minutesOf(d.time) >= minutesOf('12:00')),
          );
          return {
            ok: exits.length > 0,
            detail: exits.length
              ? exits.map((d) => `${d.time} rule ${d.rule} ${d.ruleName}`).join('; ')
              : 'no CLOSE decision after 12:00',
          };
        },
      ),
    ],
  },
  'vol-crush': {
    name: 'vol-crush',
    description:
      'ordinary entries on the first day; at 11:00 of the second, implied volatility of every underlying falls by 40% with the price unchanged: the credit spreads lose most of their value and the monitor takes the profit (rule 8)',
    days: 2,
    events: [
      {
        day: 1,
        time: '11:00',
        label: 'volatility crush: every underlying’s implied volatility × 0.6, price unchanged',
        // log-volatility −0.51 = volatility × e^−0.51 ≈ 0.6
        apply: ({ stack }) => {
          for (const symbol of ['SPY', 'QQQ', 'IWM']) shockUnderlying(stack, symbol, 0, -0.51);
        },
      },
    ],
    check: (summary, _ctx, days) => {
      const opened = days.some((d) => d.orderCounts.filled > 0);
      const profitTaken = days.reduce((n, d) => n + (d.closesByRule?.['profit target'] ?? 0), 0);
      return [
        expect(
          summary,
          'positions opened on the first day were closed at the profit target',
          ['monitor'],
          () => ({
            ok: opened && profitTaken > 0,
            detail: opened
              ? `${profitTaken} profit-target close(s); closes: ${JSON.stringify(summary.closesByRule ?? {})}`
              : 'no opening order filled on the first day',
          }),
        ),
      ];
    },
  },
  'wing-quote-missing': {
    name: 'wing-quote-missing',
    description:
      'from 11:40 the long put wing of every open position stops quoting; at 12:00 every underlying drops 12%: the breached positions are closed on a model price for the wing, with a CRITICAL alert',
    events: [
      {
        time: '11:40',
        label: 'the long put wing of each open position stops quoting (no bid, no ask)',
        apply: async ({ stack, log }) => {
          for (const position of await stack.stores.positions.listOpen()) {
            const wing = position.legs.find((l) => l.quantity > 0 && l.contract.right === 'P');
            if (wing?.contract.conId === undefined) continue;
            stack.simulator.faults.quotes(wing.contract.conId, 'missing');
            log(
              `        ${position.id}: no quotes for P${wing.contract.strike} (conId ${wing.contract.conId})`,
            );
          }
        },
      },
      {
        time: '12:00',
        label: 'sell-off: every underlying −12%, implied volatility up',
        apply: ({ stack }) => {
          for (const symbol of ['SPY', 'QQQ', 'IWM']) shockUnderlying(stack, symbol, -12);
        },
      },
    ],
    check: (summary, ctx) => {
      // The positions whose put wing went silent: open before 11:40 with a long put.
      const hit = summary.positions.filter(
        (p) => p.openedAt < ctx.at('11:40') && p.legs.some((l) => l.right === 'P' && l.quantity > 0),
      );
      const modelCloses = (p: PositionView) =>
        p.notableDecisions.filter((d) => d.action === 'CLOSE' && d.inputs.modelPriced === true);
      const ordersById = new Map(summary.orders.map((o) => [o.intentKey, o]));
      return [
        expect(
          summary,
          'each breached position without a wing quote was closed that day on a model price',
          ['monitor', 'execute-strategies'],
          () => {
            if (hit.length === 0) return 'not checked';
            const open = hit.filter((p) => p.status !== 'CLOSED' || modelCloses(p).length === 0);
            return {
              ok: open.length === 0,
              detail: hit
                .map((p) => `${p.id} ${p.status}${p.closeReason ? ` (${p.closeReason})` : ''}`)
                .join('; '),
            };
          },
        ),
        expect(summary, 'every such close was limited at or below the width', ['monitor'], () => {
          const closes = hit.flatMap((p) => modelCloses(p).map((d) => ({ p, d })));
          if (closes.length === 0) return 'not checked';
          const over = closes.filter(({ p, d }) => {
            const order = d.intentKey ? ordersById.get(d.intentKey) : undefined;
            return (
              !order ||
              !(Math.abs(order.limitPrice) <= p.width) ||
              !(Number(d.inputs.protectiveLimit) <= p.width)
            );
          });
          return {
            ok: over.length === 0,
            detail: closes
              .map(({ p, d }) => `${p.id} limit ${String(d.inputs.protectiveLimit)} ≤ width ${p.width}`)
              .join('; '),
          };
        }),
        expect(
          summary,
          'a CRITICAL alert named the position, the wing and its model price',
          ['monitor'],
          () => {
            if (hit.length === 0) return 'not checked';
            const critical = summary.alerts.filter(
              (a) => a.severity === 'CRITICAL' && /model price/.test(a.message),
            );
            const missing = hit.filter((p) => !critical.some((a) => a.message.includes(p.id)));
            return {
              ok: missing.length === 0,
              detail: critical.length ? critical[0]!.message : 'no CRITICAL alert with a model price',
            };
          },
        ),
      ];
    },
  },
  'early-assignment': {
    name: 'early-assignment',
    description:
      'an IWM bull put opened the day before is assigned early overnight; position-sync records it, the first monitor cycle closes the shares and the hedge',
    start: (date) => nyTimeToEpoch(previousTradingDay(date, parseConfig({}).calendar), '15:00'),
    setup: async (ctx) => {
      await openAndAssignTheDayBefore(ctx);
    },
    check: async (summary, ctx) => {
      const calendar = parseConfig({}).calendar;
      const key = intentKey({
        tradeDate: previousTradingDay(ctx.date, calendar),
        subjectId: EARLY_ASSIGNMENT_SUBJECT,
        purpose: 'OPEN',
      });
      const position = await ctx.stack.stores.positions.get(key);
      const assigned = position?.assignments?.[0];
      const intents = await ctx.stack.stores.intents.listByPosition(key);
      const refs = new Set([key, ...intents.map((i) => i.intentKey)]);
      const conIds = new Set(
        [
          ...(assigned ? [assigned.contract.conId] : []),
          ...(position?.orphanLegs ?? []).map((l) => l.contract.conId),
        ].filter((c): c is number => c !== undefined),
      );
      const gone = assigned?.contract.conId;
      const badOrders = ctx.stack.simulator
        .orders()
        .filter((o) => o.request.orderRef !== key)
        .filter((o) =>
          (o.request.contract.legs ?? [{ conId: o.request.contract.conId }]).some((l) => l.conId === gone),
        );
      const critical = (title: string) =>
        summary.alerts.some((a) => a.severity === 'CRITICAL' && a.title.startsWith(title));
      const cash = position
        ? brokerCashOf(
            ctx.stack.simulator,
            refs,
            new Set([...conIds, ...position.legs.map((l) => l.contract.conId!)]),
          )
        : 0;
      return [
        {
          description: 'position-sync recorded the assignment (contracts, strike, shares, cash)',
          ...(assigned && assigned.contracts === 1 && assigned.shares === 100
            ? {
                status: 'met' as const,
                detail: `${assigned.contracts} × P${assigned.strike}: +${assigned.shares} shares, cash ${assigned.cashUsd}`,
              }
            : { status: 'not met' as const, detail: 'no assignment on the position' }),
        },
        {
          description: 'no order with a leg IB no longer holds',
          ...(badOrders.length === 0
            ? { status: 'met' as const }
            : { status: 'not met' as const, detail: badOrders.map((o) => o.request.orderRef).join(', ') }),
        },
        {
          description: 'the shares and the hedge were closed with limit orders; the position is closed',
          ...(position?.status === 'CLOSED' &&
          intents.some((i) => i.holding?.kind === 'STOCK' && i.status === 'FILLED')
            ? { status: 'met' as const, detail: position.closeReason ?? '' }
            : { status: 'not met' as const, detail: `position ${position?.status ?? 'missing'}` }),
        },
        {
          description: "realised P&L equals the broker's cash ledger for the position, to the cent",
          ...(position?.realisedPnlUsd === cash
            ? { status: 'met' as const, detail: `$${cash.toFixed(2)}` }
            : {
                status: 'not met' as const,
                detail: `realised ${position?.realisedPnlUsd}, broker cash ${cash}`,
              }),
        },
        {
          description: 'CRITICAL alerts: the assignment, and the holdings being closed',
          ...(critical('ASSIGNED') && critical('Closing assigned holdings')
            ? { status: 'met' as const }
            : { status: 'not met' as const, detail: summary.alerts.map((a) => a.title).join('; ') }),
        },
      ];
    },
  },
  'corrupt-config': {
    name: 'corrupt-config',
    description:
      'an operator typo in the config table (risk.maxOpenPositions = "five"); trading stops with a CRITICAL alert',
    setup: async ({ stack }) => {
      const risk = parseConfig({}).risk;
      await stack.putRawConfigItem('risk', { ...risk, maxOpenPositions: 'five' });
    },
    tolerate: (run) => (run.status === 'refused' ? 'config invalid (expected in this scenario)' : undefined),
    check: (summary) => [
      expect(summary, 'a CRITICAL alert names the bad config field', [], () => {
        const critical = summary.alerts.filter(
          (a) => a.severity === 'CRITICAL' && /maxOpenPositions/.test(a.message),
        );
        if (summary.jobs.available.length === 0) return 'not checked';
        return {
          ok: critical.length > 0,
          detail: critical[0]?.message ?? 'no CRITICAL alert naming risk.maxOpenPositions',
        };
      }),
      {
        description: 'no order reached the broker',
        ...(summary.simulator.orders.length === 0
          ? { status: 'met' as const }
          : { status: 'not met' as const, detail: `${summary.simulator.orders.length} orders` }),
      },
    ],
  },
  'expiry-week': expiryWeek,
  'weekly-login': weeklyLogin,
  'login-never-approved': loginNeverApproved,
};

// ---------------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------------

export interface StartArgs {
  scenario: string;
  seed: number;
  /** Absent: the scenario's own first day, else DEFAULT_DATE. */
  date?: IsoDate;
  /** Set when --date was a weekend or holiday and the run starts on the next trading day. */
  dateNote?: string;
  days: number;
  faults?: ScheduledFault[];
  faultsFile?: string;
  speed: number;
  outDir: string;
  until?: string;
  collectEvery: number;
  verbose: boolean;
  help: boolean;
}

// One usage error class for the three local scripts (scripts/args.ts); re-exported under its old name.
export { UsageError };

// What the README and --help document; each value is checked by the shared validators of scripts/args.ts.
const START_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean' },
  scenario: { type: 'string' },
  seed: { type: 'string' },
  date: { type: 'string' },
  days: { type: 'string' },
  faults: { type: 'string' },
  speed: { type: 'string' },
  until: { type: 'string' },
  'collect-every': { type: 'string' },
  out: { type: 'string' },
} as const;

export function parseStartArgs(argv: readonly string[]): StartArgs {
  const { values } = parseFlags(argv, START_OPTIONS);
  const date = values.date === undefined ? undefined : firstTradingDay('--date', values.date);
  const script = values.faults === undefined ? undefined : faultScriptFile('--faults', values.faults);
  return {
    scenario:
      values.scenario === undefined ? 'normal' : oneOf('scenario', values.scenario, Object.keys(SCENARIOS)),
    seed: values.seed === undefined ? 1 : wholeNumber('--seed', values.seed),
    ...(date ? { date: date.date } : {}),
    ...(date?.note ? { dateNote: date.note } : {}),
    days: values.days === undefined ? 1 : wholeNumberIn('--days', values.days, 1, MAX_DAYS),
    ...(script ? { faults: script.faults, faultsFile: script.file } : {}),
    speed: values.speed === undefined ? 1 : numberAbove('--speed', values.speed, 0, 1000),
    outDir: resolve(values.out ?? resolve(REPO_ROOT, 'out')),
    ...(values.until === undefined ? {} : { until: clockTime('--until', values.until) }),
    collectEvery:
      values['collect-every'] === undefined
        ? 5
        : minutesStep('--collect-every', values['collect-every'], 5, 60),
    verbose: values.verbose ?? false,
    help: values.help ?? false,
  };
}

export function helpText(): string {
  const width = Math.max(...Object.keys(SCENARIOS).map((n) => n.length));
  return [
    'npm start [-- options]: simulated trading days through the real job handlers (no AWS, no IB account).',
    '',
    'Options:',
    '  --scenario NAME   a named fault scenario (default normal)',
    '  --seed N          market seed; the same seed replays the same day (default 1)',
    `  --date YYYY-MM-DD the first trading day (default ${DEFAULT_DATE}; a weekend or holiday moves to the next one)`,
    `  --days N          consecutive trading days on one stack, checked after each (default 1, at most ${MAX_DAYS})`,
    "  --faults FILE     a fault script in the simulator's format (a JSON list; see the README)",
    '  --speed N         simulator ms per real ms while a job runs (default 1; the clock jumps between runs)',
    '  --until HH:MM     stop the day early (New York time)',
    '  --collect-every N minutes between data-collection runs (default 5, as scheduled in AWS)',
    '  --out DIR         where summary.json and report.html go (default out/)',
    "  --verbose         the jobs' own JSON logs too",
    '',
    'Scenarios:',
    ...Object.values(SCENARIOS).map((s) => `  ${s.name.padEnd(width)}  ${s.description}`),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------
// The day runner
// ---------------------------------------------------------------------------------------------------

/** Option quotes per underlying for the day's analysis: the job's own default (strategy-analysis DEFAULT_MAX_QUOTES). */
export const DEFAULT_ANALYSIS_MAX_QUOTES = 600;

export interface RunDayOptions {
  scenario?: string;
  seed?: number;
  date?: IsoDate;
  speed?: number;
  until?: string;
  /** Where summary.json and report.html go; undefined writes nothing. */
  outDir?: string;
  /** Progress lines; default console.log. */
  write?: (line: string) => void;
  /** Reuse a running DynamoDB (tests); otherwise DynamoDB Local is started and stopped. */
  dynamoEndpoint?: string;
  tablePrefix?: string;
  collectEveryMinutes?: number;
  monitorEveryMinutes?: number;
  /**
   * Option quotes per underlying strategy-analysis asks for (its `maxQuotes`). Each costs three IB
   * messages at IB's 50 per second, as in production; the default keeps the day's analysis to seconds.
   */
  analysisMaxQuotes?: number;
  /** Extra payload fields per job, merged into the schedule's detail (e.g. execute-strategies maxOrders). */
  payloads?: Partial<Record<JobName, Record<string, unknown>>>;
  /** Config sections written over the defaults (and over the scenario's), e.g. a smaller position cap. */
  config?: LocalStackOptions['config'];
  /** Checked between runs; true stops the day early (Ctrl-C). */
  aborted?: () => boolean;
  /** Called with the stack once it is up (Ctrl-C handling stops it). */
  onStack?: (stack: LocalStack) => void;
}

function classify(result: unknown): { status: RunStatus; record: Partial<RunRecord> } {
  if (!result || typeof result !== 'object') return { status: 'ran', record: {} };
  const r = result as Record<string, unknown>;
  const record: Partial<RunRecord> = {};
  if (typeof r.did === 'string') record.did = r.did;
  if (typeof r.skipped === 'string') record.skipped = r.skipped;
  if (typeof r.error === 'string') record.error = r.error;
  if (r.counts && typeof r.counts === 'object') record.counts = r.counts as Record<string, number>;
  if (Array.isArray(r.reasons)) record.reasons = r.reasons.map(String);
  if (record.skipped !== undefined) return { status: 'skipped', record };
  if (r.ok === false) return { status: record.error !== undefined ? 'refused' : 'needs-attention', record };
  return { status: 'ran', record };
}

function summarizeEvents(events: BridgeEvent[]): string {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${type} ×${n}`).join(', ');
}

function progressLine(run: RunRecord): string {
  const text =
    run.status === 'refused' || run.status === 'failed'
      ? (run.error ?? '')
      : (run.did ?? run.skipped ?? run.error ?? '');
  const status = run.tolerated ? `${run.status}*` : run.status;
  const what = run.label ? `${run.job} (${run.label})` : run.job;
  const took = run.elapsedMs >= 1000 ? ` (${(run.elapsedMs / 1000).toFixed(1)} s)` : '';
  return `${run.time}  ${what.padEnd(34)} ${status.padEnd(15)} ${text}${took}`;
}

/** The most trading days one run walks (about a year of sessions). */
export const MAX_DAYS = 250;
/** IBC restarts IB Gateway every night at 23:45 New York (lib/gateway-service.ts). */
export const NIGHTLY_RESTART_TIME = '23:45';

export interface RunDaysOptions extends RunDayOptions {
  /** Consecutive NYSE trading days from `date` (default 1, at most MAX_DAYS; a scenario may need more). */
  days?: number;
  /** A fault script in the simulator's format (`--faults FILE`), applied at its simulated times. */
  faults?: ScheduledFault[];
}

/** `count` consecutive trading days from `first` (itself a trading day). */
export function tradingDays(first: IsoDate, count: number): IsoDate[] {
  const calendar = parseConfig({}).calendar;
  const days = [first];
  while (days.length < count) days.push(nextTradingDay(days.at(-1) as IsoDate, calendar));
  return days;
}

/** The day a scenario is judged after: its last event's day, or the last day it says it needs. */
export function checkDayOf(scenario: Scenario, dayCount: number): number {
  const lastEvent = Math.max(0, ...(scenario.events ?? []).map((e) => e.day ?? 0));
  return Math.min(dayCount - 1, Math.max(lastEvent, (scenario.days ?? 1) - 1));
}

/** The run's totals: counts are the worst day's (they describe the state, which carries from day to day). */
export function runTotals(days: readonly DaySummary[]): RunSummary['totals'] {
  const closesByRule: Record<string, number> = {};
  const alertCounts: Record<AlertSeverity, number> = { INFO: 0, WARNING: 0, CRITICAL: 0 };
  for (const day of days) {
    for (const [rule, n] of Object.entries(day.closesByRule ?? {}))
      closesByRule[rule] = (closesByRule[rule] ?? 0) + n;
    for (const severity of Object.keys(alertCounts) as AlertSeverity[])
      alertCounts[severity] += day.alertCounts[severity];
  }
  const worst = (name: keyof Omit<DayChecks, 'details'>) =>
    Math.max(0, ...days.map((d) => d.checks?.[name] ?? 0));
  return {
    duplicateOrders: worst('duplicateOrders'),
    lostRecords: worst('lostRecords'),
    unreconciledPositions: worst('unreconciledPositions'),
    orphanLegs: worst('orphanLegs'),
    pnlMismatchUsd: worst('pnlMismatchUsd'),
    closesByRule,
    alertCounts,
    realisedUsd: days.at(-1)?.equity?.realisedToDateUsd ?? 0,
  };
}

/** Dollars as a trader writes them: -$672.00, $1,234.50. */
const usd = (x: number) =>
  `${x < 0 ? '-' : ''}$${Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** The one-line close of a day in the progress output. */
export function dayCloseLine(day: DaySummary, index: number, count: number): string {
  const c = day.checks;
  const counts = c
    ? `duplicate ${c.duplicateOrders}, lost ${c.lostRecords}, unreconciled ${c.unreconciledPositions}, orphan ${c.orphanLegs}, P&L mismatch ${usd(c.pnlMismatchUsd)}`
    : 'not checked';
  const closes = Object.entries(day.closesByRule ?? {})
    .map(([rule, n]) => `${rule} ×${n}`)
    .join(', ');
  return (
    `${day.date} close (day ${index + 1}/${count}, ${(day.realDurationMs / 1000).toFixed(1)} s): ${counts}; ` +
    `realised today ${usd(day.pnl.realisedUsd)}, to date ${usd(day.equity?.realisedToDateUsd ?? 0)}` +
    (day.equity?.netLiquidation === undefined ? '' : `; net liq ${usd(day.equity.netLiquidation)}`) +
    (closes ? `; closes: ${closes}` : '') +
    (day.completed ? '' : ' — NOT completed')
  );
}

/** One trading day: the day of a run of one (out/summary.json, when written, holds the run). */
export async function runDay(options: RunDayOptions = {}): Promise<DaySummary> {
  return (await runDays({ ...options, days: 1 })).days[0] as DaySummary;
}

/**
 * Walks `days` consecutive trading days on ONE local stack, as they would pass in AWS: the records, the
 * broker's positions and the market carry over; between two days the simulator runs through the night
 * (DAY orders expire, expiries settle at the options close) and IB Gateway restarts at 23:45 as IBC
 * makes it. After every day the five counts (scripts/report/reconcile.ts) compare DynamoDB with the broker.
 */
/** Sets `env` in process.env; returns what puts the previous values back. */
function applyEnv(env: Readonly<Record<string, string>> | undefined): () => void {
  const previous = Object.entries(env ?? {}).map(([name, value]) => {
    const before = process.env[name];
    process.env[name] = value;
    return [name, before] as const;
  });
  return () => {
    for (const [name, before] of previous) {
      if (before === undefined) delete process.env[name];
      else process.env[name] = before;
    }
  };
}

export async function runDays(options: RunDaysOptions = {}): Promise<RunSummary> {
  const scenario = SCENARIOS[options.scenario ?? 'normal'];
  if (!scenario) throw new UsageError(`unknown scenario "${options.scenario}"`);
  const write = options.write ?? ((line: string) => console.log(line));
  const first = options.date ?? scenario.date ?? DEFAULT_DATE;
  const seed = options.seed ?? 1;
  const speed = options.speed ?? 1;
  const calendar = parseConfig({}).calendar;
  if (!sessionFor(first, calendar)) throw new UsageError(`${first} is not a trading day`);
  const asked = options.days ?? 1;
  if (!Number.isInteger(asked) || asked < 1 || asked > MAX_DAYS) {
    throw new UsageError(`--days: expected a whole number from 1 to ${MAX_DAYS}, got "${asked}"`);
  }
  const dayCount = Math.min(MAX_DAYS, Math.max(asked, scenario.days ?? 1));
  const dates = tradingDays(first, dayCount);
  const checkDay = checkDayOf(scenario, dayCount);
  const realStart = Date.now();
  const startedAt = new Date(realStart).toISOString();
  const contextFor = (stack: LocalStack, today: IsoDate): ScenarioContext => ({
    stack,
    date: first,
    today,
    at: (time) => nyTimeToEpoch(first, time),
    log: write,
  });

  const available: JobName[] = [];
  const notAvailableYet: JobName[] = [];
  for (const job of JOB_NAMES) {
    // Loading first: a job file that exists but does not load fails the run before anything starts.
    ((await loadJob(job)).available ? available : notAvailableYet).push(job);
  }

  write(`Local stack: DynamoDB Local, simulator (seed ${seed}), bridge …`);
  const stackStart = scenario.start?.(first) ?? nyTimeToEpoch(first, '08:00');
  const stack = await startLocalStack({
    seed,
    speed,
    start: stackStart,
    write: (line) => write(line),
    ...(options.dynamoEndpoint ? { dynamoEndpoint: options.dynamoEndpoint } : {}),
    ...(options.tablePrefix ? { tablePrefix: options.tablePrefix } : {}),
    config: { ...scenario.config, ...options.config },
    ...(options.faults?.length ? { simulator: { faults: options.faults } } : {}),
  });
  options.onStack?.(stack);
  // "Since the start": the broker's book before anything happened (a scenario's set-up included).
  const baseline = brokerBook(stack.simulator);
  const from = nyDate(stackStart);
  const days: DaySummary[] = [];
  const restoreEnv = applyEnv(scenario.env);
  try {
    write(
      `Scenario ${scenario.name}: ${scenario.description}\n` +
        `Trading days: ${dates.length === 1 ? first : `${dates.length} from ${first} to ${dates.at(-1)}`}` +
        (dayCount > asked ? ` (the scenario needs ${dayCount})` : ''),
    );
    if (notAvailableYet.length > 0)
      write(`Jobs not available yet (listed, not run): ${notAvailableYet.join(', ')}`);
    await scenario.setup?.(contextFor(stack, first));

    const pendingEvents: BridgeEvent[] = [];
    stack.onBridgeEvent((event) => pendingEvents.push(event));
    let alertsSeen = 0;
    let ordersSeen = new Set<number>();
    let peak: number | undefined;
    let interrupted = false;

    for (const [index, date] of dates.entries()) {
      const dayStartReal = Date.now();
      const ctx = contextFor(stack, date);
      const at = (time: string) => nyTimeToEpoch(date, time);
      const events = (scenario.events ?? []).filter((e) => (e.day ?? 0) === index);
      const runs: RunRecord[] = [];
      const problems: string[] = [];
      if (dates.length > 1) write(`\n── ${date} (day ${index + 1} of ${dates.length}) ──`);

      const execute = async (
        job: JobName,
        event: unknown,
        meta: Pick<RunRecord, 'trigger'> & { label?: string },
      ): Promise<RunRecord> => {
        const startedAtSim = stack.clock.now();
        const base = {
          at: startedAtSim,
          time: hhmm(startedAtSim),
          job,
          trigger: meta.trigger,
          ...(meta.label ? { label: meta.label } : {}),
          bridge: stack.bridge.connection.state,
        };
        let record: RunRecord;
        try {
          const outcome = await stack.invoke(job, event);
          const { status, record: fields } = classify(outcome.result);
          record = { ...base, ...fields, status, elapsedMs: outcome.elapsedMs };
        } catch (error) {
          record = {
            ...base,
            status: 'failed',
            error: error instanceof Error ? error.message : String(error),
            elapsedMs: 0,
          };
        }
        const tolerated =
          record.status === 'failed' || record.status === 'refused' ? scenario.tolerate?.(record) : undefined;
        if (tolerated) record.tolerated = tolerated;
        else if (record.status === 'failed') problems.push(`${record.time} ${job} failed: ${record.error}`);
        else if (record.status === 'refused')
          problems.push(`${record.time} ${job} refused to run: ${record.error}`);
        return record;
      };
      const report = (record: RunRecord) => {
        runs.push(record);
        write(progressLine(record));
      };

      // Fill and position events reach position-sync at once (EventBridge in AWS), between scheduled runs.
      const drainEvents = async () => {
        if (pendingEvents.length === 0) return;
        const batch = pendingEvents.splice(0);
        if (!available.includes('position-sync')) return;
        const firstEvent = batch.find((e) => e.type === 'OrderFilled') ?? (batch[0] as BridgeEvent);
        report(
          await execute('position-sync', bridgeEventEnvelope(firstEvent, stack.clock.now()), {
            trigger: 'event',
            label: `event: ${summarizeEvents(batch)}`,
          }),
        );
      };

      // The gateway's reconnect backoff runs on real timers while the day jumps minutes at a time: give
      // the bridge the few real seconds it would have had, once the gateway accepts connections again.
      const settleBridge = async (timeoutMs = 5000) => {
        const { restartUntil, loginPending } = stack.simulator.faults.state();
        // Restarting, or waiting for a login's second factor: nothing to wait for.
        const gatewayDown = loginPending || (restartUntil !== undefined && restartUntil > stack.clock.now());
        if (!gatewayDown && stack.bridge.connection.state !== 'ready') {
          await stack.bridge.ready(timeoutMs).catch(() => undefined);
        }
      };

      const schedule = daySchedule({
        date,
        calendar,
        ...(options.collectEveryMinutes ? { collectEveryMinutes: options.collectEveryMinutes } : {}),
        ...(options.monitorEveryMinutes ? { monitorEveryMinutes: options.monitorEveryMinutes } : {}),
        ...(options.until ? { until: options.until } : {}),
        analysisMaxQuotes: options.analysisMaxQuotes ?? DEFAULT_ANALYSIS_MAX_QUOTES,
      });
      // Scenario events first, then the runs of each minute. Runs of the same minute start together, as
      // their schedules would start separate Lambdas in AWS; the bridge's queue orders them by priority.
      const minutes = [...new Set([...events.map((e) => e.time), ...schedule.map((r) => r.time)])]
        .filter((time) => !options.until || minutesOf(time) <= minutesOf(options.until))
        .sort((a, b) => minutesOf(a) - minutesOf(b));

      let completed = true;
      for (const [n, time] of minutes.entries()) {
        if (options.aborted?.()) {
          completed = false;
          interrupted = true;
          problems.push('stopped before the end of the day (interrupted)');
          break;
        }
        stack.clock.advanceTo(at(time));
        if (n === 0 && index > 0) {
          // After the nightly restart: the morning's first run needs the bridge back on the gateway.
          await settleBridge(20_000);
          const state = stack.bridge.connection.state;
          write(
            `${time}  bridge ${state === 'ready' ? 'reconnected after the nightly restart' : `NOT ready (${state})`}`,
          );
          if (state !== 'ready')
            problems.push(`${time} the bridge was not ready after the nightly restart (${state})`);
        }
        for (const event of events.filter((e) => e.time === time)) {
          write(`${time}  scenario: ${event.label}`);
          await event.apply(ctx);
        }
        await drainEvents();
        await settleBridge();
        // Listed once in the summary (jobs.notAvailableYet) rather than at every scheduled time.
        const due = schedule.filter((r) => r.time === time && available.includes(r.job));
        const records = await Promise.all(
          due.map((run) =>
            execute(
              run.job,
              scheduledEvent(stack.clock.now(), { ...run.payload, ...options.payloads?.[run.job] }),
              {
                trigger: 'schedule',
                ...(run.label ? { label: run.label } : {}),
              },
            ),
          ),
        );
        for (const record of records) report(record);
      }
      if (completed) await drainEvents();

      // Let the last fills and events land before reading the records.
      await new Promise((done) => setTimeout(done, 100));
      const { minScoreFallback: _fallback, ...records } = await collectDayRecords({
        stores: stack.stores,
        simulator: stack.simulator,
        tradeDate: date,
        dayStart: at('00:00'),
      });
      const reconciliation = await reconcile({
        stores: stack.stores,
        simulator: stack.simulator,
        from,
        date,
        baseline,
      });
      const equity = equityPoint(date, reconciliation, peak);
      peak = Math.max(peak ?? equity.netLiquidation!, equity.netLiquidation!);
      const alerts = stack.alerts.slice(alertsSeen);
      alertsSeen = stack.alerts.length;
      const alertCounts: Record<AlertSeverity, number> = { INFO: 0, WARNING: 0, CRITICAL: 0 };
      for (const alert of alerts) alertCounts[alert.severity]++;
      const summary: DaySummary = {
        scenario: { name: scenario.name, description: scenario.description },
        seed,
        date,
        speed,
        startedAt: new Date(dayStartReal).toISOString(),
        realDurationMs: 0,
        completed,
        problems,
        jobs: { available, notAvailableYet },
        runs,
        // Whatever the day's records hold (closes by rule, chosen candidates, ... as they are added).
        ...records,
        alerts,
        alertCounts,
        expectations: [],
        checks: reconciliation.checks,
        equity,
      };
      // The consistency checks judge the day's own broker orders (earlier days' are the counts' business).
      const newOrders = summary.simulator.orders.filter((o) => !ordersSeen.has(o.orderId));
      ordersSeen = new Set(summary.simulator.orders.map((o) => o.orderId));
      const judged =
        index === checkDay ? await scenario.check?.(summary, ctx, [...days, summary]) : undefined;
      summary.expectations = [
        ...(judged ?? []),
        ...consistencyChecks({ ...summary, simulator: { ...summary.simulator, orders: newOrders } }),
      ];
      for (const e of summary.expectations.filter((x) => x.status === 'not met')) {
        problems.push(`scenario check not met: ${e.description}${e.detail ? ` (${e.detail})` : ''}`);
      }
      if (!checksClean(reconciliation.checks)) {
        problems.push(`the day's checks are not all 0: ${reconciliation.checks.details.join('; ')}`);
      }
      summary.completed = completed && problems.length === 0;
      summary.realDurationMs = Date.now() - dayStartReal;
      days.push(summary);
      write(dayCloseLine(summary, index, dates.length));
      if (interrupted) break;

      if (index < dates.length - 1) {
        // The night: DAY orders expire and expiries settle as the clock passes the options close; IBC
        // restarts the gateway at 23:45 and the bridge reconnects on its own once it is back.
        stack.clock.advanceTo(at(NIGHTLY_RESTART_TIME));
        stack.simulator.faults.restart();
        await waitUntil(() => stack.bridge.connection.state !== 'ready', 5000);
        write(
          `${NIGHTLY_RESTART_TIME}  IB Gateway nightly restart (IBC): bridge ${stack.bridge.connection.state}`,
        );
      }
    }

    const run: RunSummary = {
      source: 'local',
      scenario: { name: scenario.name, description: scenario.description },
      seed,
      from: first,
      to: days.at(-1)?.date ?? first,
      startedAt,
      realDurationMs: Date.now() - realStart,
      completed: !interrupted && days.length === dates.length && days.every((d) => d.completed),
      problems: days.flatMap((d) => d.problems.map((p) => `${d.date}: ${p}`)),
      days,
      totals: runTotals(days),
    };
    if (options.outDir) writeOutputs(run, options.outDir);
    return run;
  } finally {
    restoreEnv();
    await stack.stop();
  }
}

/** Polls `done` every 20 real ms until it holds or `timeoutMs` passes. */
async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) return false;
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
  return true;
}

export function closingLines(summary: DaySummary): string[] {
  const lines = [
    '',
    `Day ${summary.date} (${summary.scenario.name}) ${summary.completed ? 'completed' : 'did NOT complete'} in ${(summary.realDurationMs / 1000).toFixed(1)} s`,
    `  candidates: ${summary.candidates.count} scored, ${summary.candidates.eligible} eligible` +
      (summary.candidates.top[0]
        ? `, top ${summary.candidates.top
            .slice(0, 3)
            .map((c) => `${c.symbol} ${c.strategy} ${c.score.toFixed(1)}`)
            .join(', ')}`
        : ''),
    `  orders: ${summary.orderCounts.intents} intents, ${summary.orderCounts.placed} placed, ${summary.orderCounts.filled} filled, ${summary.orderCounts.rejected} rejected, ${summary.orderCounts.cancelled} cancelled`,
    `  positions: ${summary.positions.filter((p) => p.status === 'OPEN').length} open, ${summary.positions.filter((p) => p.status === 'CLOSED').length} closed today; broker legs: ${summary.simulator.positions.length}`,
    `  P&L: realised $${summary.pnl.realisedUsd.toFixed(2)}, unrealised $${summary.pnl.unrealisedMidUsd.toFixed(2)} (mid)`,
    `  alerts: ${summary.alertCounts.CRITICAL} critical, ${summary.alertCounts.WARNING} warning, ${summary.alertCounts.INFO} info`,
  ];
  if (summary.jobs.notAvailableYet.length > 0)
    lines.push(`  not available yet: ${summary.jobs.notAvailableYet.join(', ')}`);
  for (const e of summary.expectations)
    lines.push(`  [${e.status}] ${e.description}${e.detail ? ` – ${e.detail}` : ''}`);
  for (const p of summary.problems) lines.push(`  PROBLEM: ${p}`);
  return lines;
}

/** What `npm start` prints at the end: the last day in full (one day) or the run's totals (many). */
export function runClosingLines(run: RunSummary): string[] {
  const last = run.days.at(-1) as DaySummary | undefined;
  const t = run.totals;
  const lines: string[] = [];
  if (run.days.length === 1 && last) lines.push(...closingLines(last));
  else {
    lines.push(
      '',
      `Run ${run.from} to ${run.to} (${run.days.length} trading days, ${run.scenario.name}) ${run.completed ? 'completed' : 'did NOT complete'} in ${(run.realDurationMs / 1000).toFixed(1)} s`,
      `  realised since the start: ${usd(t.realisedUsd)}; alerts: ${t.alertCounts.CRITICAL} critical, ${t.alertCounts.WARNING} warning, ${t.alertCounts.INFO} info`,
    );
    for (const day of run.days)
      for (const e of day.expectations.filter(
        (x) => x.status !== 'met' || !/^(every order|the broker has|open positions')/.test(x.description),
      ))
        lines.push(`  ${day.date} [${e.status}] ${e.description}${e.detail ? ` – ${e.detail}` : ''}`);
    for (const p of run.problems) lines.push(`  PROBLEM: ${p}`);
  }
  const closes = Object.entries(t.closesByRule)
    .map(([rule, n]) => `${rule} ×${n}`)
    .join(', ');
  lines.push(
    `  checks (worst day): duplicateOrders ${t.duplicateOrders}, lostRecords ${t.lostRecords}, unreconciledPositions ${t.unreconciledPositions}, orphanLegs ${t.orphanLegs}, pnlMismatchUsd ${t.pnlMismatchUsd.toFixed(2)}`,
    `  closes by rule: ${closes || 'none'}`,
  );
  return lines;
}

/** Keeps the jobs' Powertools JSON logs and metrics out of the progress lines (--verbose keeps them). */
export function quietJobLogs(verbose: boolean): void {
  if (verbose) return;
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
}

async function main(argv: string[]): Promise<number> {
  let args: StartArgs;
  try {
    args = parseStartArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`npm start: ${error.message}\n\n${helpText()}`);
      return 2;
    }
    throw error;
  }
  if (args.help) {
    console.log(helpText());
    return 0;
  }
  quietJobLogs(args.verbose);
  hideSdkNodeVersionWarning();
  let stack: LocalStack | undefined;
  let interrupted = false;
  const onSignal = (signal: string) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping the local stack …`);
    // A day mid-job would finish its job first; stop everything now so nothing is left behind.
    void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  try {
    if (args.dateNote) console.log(args.dateNote);
    if (args.faultsFile) console.log(`Fault script: ${args.faultsFile} (${args.faults?.length ?? 0} faults)`);
    const run = await runDays({
      scenario: args.scenario,
      seed: args.seed,
      date: args.date,
      days: args.days,
      ...(args.faults ? { faults: args.faults } : {}),
      speed: args.speed,
      ...(args.until ? { until: args.until } : {}),
      collectEveryMinutes: args.collectEvery,
      outDir: args.outDir,
      aborted: () => interrupted,
      onStack: (s) => {
        stack = s;
      },
    });
    for (const line of runClosingLines(run)) console.log(line);
    console.log(`  wrote ${resolve(args.outDir, 'summary.json')} and ${resolve(args.outDir, 'report.html')}`);
    return run.completed ? 0 : 1;
  } catch (error) {
    console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
