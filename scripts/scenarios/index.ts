// The `npm start` scenarios: what happens to the market or the gateway on which day of a run, and what
// the run must show for each to have made its point. The runner (scripts/start.ts) applies them; the
// multi-day ones with set-ups of their own live beside this file (expiry-week, weekly-login).
import { addDays, nyTimeToEpoch, previousTradingDay } from '../../functions/core/calendar';
import { intentKey } from '../../functions/core/orders';
import { parseConfig } from '../../functions/core/config';
import type { IsoDate } from '../../functions/core/types';
import { scheduledEvent } from '../local/stack';
import type { LocalStack, LocalStackOptions } from '../local/stack';
import { brokerCashOf, expiryStackOf, openSpreadThroughBridge } from './expiring-spreads';
import { expiryWeek } from './expiry-week';
import { loginNeverApproved, weeklyLogin } from './weekly-login';
import { hhmm } from '../report/summary';
import type { DaySummary, Expectation, PositionView, RunRecord } from '../report/summary';

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

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

/** An expectation judged on the day's summary; 'not checked' when the day gives it nothing to judge. */
function expect(
  description: string,
  judge: () => { ok: boolean; detail?: string } | 'not checked',
): Expectation {
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
    expect('every order the system placed is at the broker with the same fills', () => {
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
    }),
    expect('the broker has no order the system does not know', () => {
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
    expect("open positions' legs and holdings equal the broker's positions", () => {
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
    }),
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
  const calendar = parseConfig({}).calendar;
  const dayBefore = previousTradingDay(ctx.date, calendar);
  const params = stack.simulator.engine.optionParams('IWM')[0]!;
  const expiry = params.expirations.find((e) => e >= addDays(dayBefore, 30).replaceAll('-', ''))!;
  // Priced at the spread's natural credit (short bid − long ask): marketable, so it fills at once, and
  // inside the bridge's price band (a token credit far below natural would be refused there).
  const { key, shortPut } = await openSpreadThroughBridge(expiryStackOf(stack), {
    strategy: 'BULL_PUT',
    symbol: 'IWM',
    expiry,
    tradeDate: dayBefore,
    subjectId: EARLY_ASSIGNMENT_SUBJECT,
    // −2% out of the money: the short put 2% in the money.
    shortOtmPct: -2,
    width: 5,
    reason: 'scenario early-assignment: an IWM bull put opened the day before, its short 2% in the money',
  });
  const shortStrike = shortPut.strike;
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
      expect('strategy-analysis scored candidates', () => ({
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
      expect('the monitor held (data guard) while the gateway was down', () => {
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
      expect('the monitor held (data guard) on the missing quotes', () => {
        if (!hasOpenPositions(summary)) return 'not checked';
        const guarded = summary.positions.flatMap((p) =>
          p.notableDecisions.filter((d) => d.rule === 1 && within(d, '11:00', '11:30')),
        );
        return { ok: guarded.length > 0, detail: `${guarded.length} data-guard holds` };
      }),
      expect('a WARNING alert about the stale data', () => {
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
      expect('the rejected orders raised a CRITICAL alert', () => {
        const rejected = summary.simulator.orders.filter((o) => o.rejectReason);
        if (rejected.length === 0) return { ok: false, detail: 'no order reached the broker to be rejected' };
        const critical = summary.alerts.filter((a) => a.severity === 'CRITICAL');
        return {
          ok: critical.length > 0,
          detail: `${rejected.length} rejected, ${critical.length} CRITICAL alerts`,
        };
      }),
      expect('no retry loop: each intent reached the broker at most once', () => {
        const perRef = new Map<string, number>();
        for (const o of summary.simulator.orders) perRef.set(o.orderRef, (perRef.get(o.orderRef) ?? 0) + 1);
        const repeated = [...perRef].filter(([, n]) => n > 1);
        return {
          ok: repeated.length === 0,
          ...(repeated.length ? { detail: repeated.map(([r, n]) => `${r} ×${n}`).join(', ') } : {}),
        };
      }),
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
      expect('positions at risk were closed by a stop-loss or breach rule', () => {
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
      }),
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
        expect('positions opened on the first day were closed at the profit target', () => ({
          ok: opened && profitTaken > 0,
          detail: opened
            ? `${profitTaken} profit-target close(s); closes: ${JSON.stringify(summary.closesByRule ?? {})}`
            : 'no opening order filled on the first day',
        })),
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
        expect('each breached position without a wing quote was closed that day on a model price', () => {
          if (hit.length === 0) return 'not checked';
          const open = hit.filter((p) => p.status !== 'CLOSED' || modelCloses(p).length === 0);
          return {
            ok: open.length === 0,
            detail: hit
              .map((p) => `${p.id} ${p.status}${p.closeReason ? ` (${p.closeReason})` : ''}`)
              .join('; '),
          };
        }),
        expect('every such close was limited at or below the width', () => {
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
        expect('a CRITICAL alert named the position, the wing and its model price', () => {
          if (hit.length === 0) return 'not checked';
          const critical = summary.alerts.filter(
            (a) => a.severity === 'CRITICAL' && /model price/.test(a.message),
          );
          const missing = hit.filter((p) => !critical.some((a) => a.message.includes(p.id)));
          return {
            ok: missing.length === 0,
            detail: critical.length ? critical[0]!.message : 'no CRITICAL alert with a model price',
          };
        }),
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
      expect('a CRITICAL alert names the bad config field', () => {
        const critical = summary.alerts.filter(
          (a) => a.severity === 'CRITICAL' && /maxOpenPositions/.test(a.message),
        );
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
