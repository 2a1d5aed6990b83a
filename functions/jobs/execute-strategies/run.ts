// execute-strategies: today's stored candidates at or above the minimum score → fresh quotes → each one
// rebuilt from them and filtered and scored again (reevaluateCandidate; refused unless still eligible, the
// decision stored on the candidate item) → account, open positions, IB what-if margin → the core's entry
// workflow (evaluateEntry) → one order intent per
// candidate → the order policy (order-workflow.ts) → fills opened as positions (openFromFill).
// Kill switch and close-only stop it before anything is asked of IB; a dry run records DRY_RUN intents
// and alerts what would have been sent, transmitting nothing. Never a market order (the types have none).
import type { CandidateReevaluation } from '#adapters/ports';
import { describeSpread, usd } from '#core/alerts';
import { marketClock } from '#core/calendar';
import { dayPnl, marksFrom } from '#core/day-pnl';
import { evaluateEntry, sizeEntry } from '#core/entry';
import type { OrderIntent, OrderIntentLeg, OrderIntentRecord } from '#core/intents';
import { positionFromFill } from '#core/lifecycle';
import { comboOrderFor, DEFAULT_TICK, initialLimit, intentKey } from '#core/orders';
import { reevaluateCandidate } from '#core/reevaluation';
import type { Reevaluation } from '#core/reevaluation';
import { rankCandidates, selectForExecution } from '#core/scoring';
import type { ScoredCandidate, StrategyPosition } from '#core/types';
import type { RunContext, RunOutcome } from '../shared/define-job';
import { nextAttempt, orderDeps, runOrder, ticketOf, timeForAnOrder } from '../shared/order-workflow';
import type { OrderOutcome, OrderTicket } from '../shared/order-workflow';
import { applyOpenFill } from '../shared/positions';
import { pricedLegs, refreshQuotes } from './fresh-quotes';
import { JOB } from './idempotency';
import { errorMessage } from '../shared/errors';

export { idempotentRun } from './idempotency';

export interface ExecuteInput {
  dryRun?: boolean | undefined;
  minScore?: number | undefined;
  maxOrders?: number | undefined;
}

/** Entry check 4's figure: the core's day P&L (realised today + unrealised of the open positions). */
async function todayPnl(ctx: RunContext): Promise<{ realised: number; unrealised: number }> {
  const { stores, tradeDate } = ctx;
  const [open, closed, snapshots] = await Promise.all([
    stores.positions.listOpen(),
    stores.positions.listByStatus('CLOSED'),
    stores.snapshots.listPnlByDay(tradeDate),
  ]);
  const day = dayPnl({ tradeDate, positions: [...open, ...closed], marks: marksFrom(snapshots) });
  return { realised: day.realisedUsd, unrealised: day.unrealisedUsd };
}

function label(
  c: Pick<ScoredCandidate, 'symbol' | 'strategy' | 'expiry'> & {
    legs: readonly Pick<OrderIntentLeg, 'contract' | 'action'>[];
  },
  quantity?: number,
): string {
  return describeSpread(
    c.symbol,
    c.strategy,
    c.expiry,
    c.legs.map((l) => ({ right: l.contract.right, strike: l.contract.strike, short: l.action === 'SELL' })),
    quantity,
  );
}

export async function executeStrategies(input: ExecuteInput, ctx: RunContext): Promise<RunOutcome> {
  const { config, stores, bridge, tradeDate } = ctx;
  const dryRun = input.dryRun ?? config.trading.dryRun;
  if (config.trading.killSwitch)
    return { did: 'nothing: the kill switch is on (no new orders)', counts: { orders: 0 } };
  if (config.trading.closeOnly)
    return { did: 'nothing: close-only mode (no entries)', counts: { orders: 0 } };

  const minScore = input.minScore ?? config.scoring.minScore;
  const maxOrders = input.maxOrders ?? config.risk.maxOpenPositions;
  const stored = await stores.candidates.listByTradeDate(tradeDate);
  if (stored.length === 0) {
    return {
      did: `nothing: no candidates stored for ${tradeDate} (has strategy-analysis run?)`,
      counts: { orders: 0 },
    };
  }
  const selected = selectForExecution(rankCandidates(stored), minScore).slice(0, maxOrders);
  if (selected.length === 0) {
    return {
      did: `nothing: none of ${stored.length} candidates scores ${minScore} or more`,
      counts: { candidates: stored.length, orders: 0 },
    };
  }

  const intentsToday = await stores.intents.listByTradeDate(tradeDate);
  const account = await bridge.account();
  const openPositions: StrategyPosition[] = await stores.positions.listOpen();
  const pnl = await todayPnl(ctx);
  const reasons: string[] = [];
  const counts = {
    selected: selected.length,
    placed: 0,
    filled: 0,
    /** Of `filled`: opened with fewer contracts than ordered (the rest cancelled after the reprices). */
    partlyFilled: 0,
    dryRun: 0,
    refused: 0,
    rejected: 0,
    unfilled: 0,
    resumed: 0,
    /** Not started: too little time left in the invocation to work another order to its end. */
    notStarted: 0,
  };
  const notPlaced: string[] = [];
  // Initial margin IB's what-if said this run's earlier orders take: the account was read once, before
  // them, so the candidates after an order are checked against what is left.
  let committedMarginUsd = 0;
  const config1 = { ...config, scoring: { ...config.scoring, minScore } };

  // Orders are worked concurrently (as the monitor's exits are): each needs minutes of reprices, and one
  // after the other they would not fit one invocation. A placed order counts at its full size against
  // the caps, shared legs and risk of every candidate after it until it settles.
  const working: Promise<void>[] = [];
  const deferred: string[] = [];
  const work = (ticket: OrderTicket, resumed?: OrderIntentRecord) => {
    const held = positionFromFill(
      ticket.intent,
      { filledQuantity: ticket.intent.quantity, avgFillPrice: ticket.intent.limitPrice },
      ctx.clock.now(),
    );
    openPositions.push(held);
    if (resumed) counts.resumed += 1;
    const order = runOrder(orderDeps(ctx), ticket).then((outcome) => settle(outcome, held));
    // Handled here so a failure while later candidates are still evaluated is not an unhandled
    // rejection; allSettled below still sees it.
    order.catch(() => undefined);
    working.push(order);
  };

  const settle = async (outcome: OrderOutcome, held?: StrategyPosition): Promise<void> => {
    const record = outcome.record;
    if (outcome.status === 'INTENT') notPlaced.push(`${record.intentKey}: ${outcome.reason}`);
    if (outcome.status === 'REJECTED') {
      counts.rejected += 1;
      await ctx.alert({
        subject: record.intentKey,
        rule: 'order-rejected',
        severity: 'CRITICAL',
        title: `Order rejected: ${record.symbol} ${record.strategy}`,
        message: `${label({ ...record, expiry: record.legs[0]?.contract.expiry ?? '', legs: record.legs }, record.quantity)}: ${outcome.reason}`,
      });
    }
    if (record.orderId !== undefined && !outcome.resumed) counts.placed += 1;
    const opened = await applyOpenFill(ctx, outcome);
    // What the order now holds: the position it opened; nothing if it never went out, was rejected or
    // was cancelled unfilled; else (still working, or applied by position-sync) its full size, as before.
    const nothingHeld =
      record.orderId === undefined ||
      outcome.status === 'REJECTED' ||
      (outcome.status === 'CANCELLED' && outcome.filledQuantity === 0);
    const at = held ? openPositions.indexOf(held) : -1;
    if (at >= 0) {
      if (opened) openPositions.splice(at, 1, opened);
      else if (nothingHeld) openPositions.splice(at, 1);
    }
    if (opened) {
      counts.filled += 1;
      if (opened.quantity < record.quantity) counts.partlyFilled += 1;
      await ctx.alert({
        subject: record.intentKey,
        rule: 'filled',
        severity: 'INFO',
        title: `Opened ${record.symbol} ${record.strategy}`,
        message: `Opened ${label({ ...record, expiry: opened.expiry, legs: record.legs }, opened.quantity)} for ${opened.entryCredit.toFixed(2)} credit (${usd(opened.entryCredit * 100 * opened.quantity)}).`,
        numbers: { entryCredit: opened.entryCredit, quantity: opened.quantity },
      });
    }
    if (outcome.unfilled > 0) {
      counts.unfilled += outcome.unfilled;
      await ctx.alert({
        subject: record.intentKey,
        rule: 'unfilled',
        severity: 'WARNING',
        title: `Not filled: ${record.symbol} ${record.strategy}`,
        message: `${record.intentKey}: ${outcome.reason}.`,
        numbers: { unfilled: outcome.unfilled },
      });
    }
    reasons.push(`${record.candidateId ?? record.intentKey}: ${outcome.status} (${outcome.reason})`);
  };

  for (const stale of selected) {
    const mine = intentsToday.filter(
      (r) => r.candidateId === stale.id && r.purpose === 'OPEN' && r.dryRun === dryRun,
    );
    const live = mine.find(
      (r) => r.status === 'INTENT' || r.status === 'SUBMITTED' || r.status === 'PARTIAL',
    );
    const done = mine.find((r) => r.status === 'FILLED' || r.status === 'DRY_RUN' || r.status === 'REJECTED');
    if (done) {
      reasons.push(`${stale.id}: already ${done.status} today (${done.intentKey})`);
      continue;
    }
    if (live) {
      // A run stopped with this intent working or unplaced: resume it, never a second intent.
      work(ticketOf(live), live);
      continue;
    }
    const time = dryRun ? ({ ok: true } as const) : timeForAnOrder(orderDeps(ctx));
    if (!time.ok) {
      // Not started rather than left working unwatched when the invocation ends.
      deferred.push(stale.id);
      reasons.push(`${stale.id}: not started: ${time.reason}`);
      continue;
    }
    const cancelled = mine.filter((r) => r.status === 'CANCELLED');
    const attempt = nextAttempt(cancelled);
    const remainder =
      cancelled.length > 0
        ? Math.max(0, cancelled.at(-1)!.quantity - cancelled.at(-1)!.filledQuantity)
        : undefined;
    if (remainder === 0) {
      reasons.push(`${stale.id}: filled in full by an earlier attempt`);
      continue;
    }
    // The 09:45 approval is not enough: the candidate is rebuilt from the quotes its order would be priced
    // from and must pass the analysis' filters and score again, on the context it was scored with.
    const decided = (
      decision: Omit<CandidateReevaluation, 'at' | 'dryRun' | 'minScore' | 'scoreBefore' | 'creditBefore'>,
    ) =>
      stores.candidates.recordReevaluation(tradeDate, stale.id, {
        at: ctx.clock.now(),
        dryRun,
        minScore,
        scoreBefore: stale.score,
        creditBefore: stale.creditMid,
        ...decision,
      });
    const fresh = await refreshQuotes(ctx, stale);
    const notScored = (why: string): Reevaluation => ({
      eligible: false,
      scoreBefore: stale.score,
      reason: `score ${stale.score} → not scored: ${why}`,
    });
    const check = !fresh.ok
      ? notScored(fresh.reason)
      : !stale.market
        ? notScored(
            'no market context stored with the candidate (an older analysis); run strategy-analysis again',
          )
        : reevaluateCandidate(stale, fresh.fresh, stale.market, config, ctx.clock.now(), minScore);
    const rescored = check.candidate
      ? { scoreAfter: check.candidate.score, creditAfter: check.candidate.creditMid }
      : {};
    if (!check.eligible || !check.candidate) {
      counts.refused += 1;
      reasons.push(`${stale.id}: ${check.reason}`);
      await decided({ eligible: false, reason: check.reason, ...rescored });
      continue;
    }
    const candidate = check.candidate;
    const legs = pricedLegs(candidate);
    const size = sizeEntry(candidate, account.netLiquidation, config1);
    let whatIfMargin: number | undefined;
    if (size.quantity > 0) {
      const price = initialLimit(legs, 'OPEN', DEFAULT_TICK, config.orders.minCredit);
      const combo = comboOrderFor('OPEN', legs, price);
      try {
        const whatIf = await bridge.whatIf({
          legs: combo.legs,
          action: combo.action,
          quantity: size.quantity,
          orderType: 'LMT',
          limitPrice: combo.limitPrice,
          tif: config.orders.timeInForce,
        });
        whatIfMargin = whatIf.initMarginChange;
      } catch (error) {
        reasons.push(`${stale.id}: what-if failed: ${errorMessage(error)}`);
      }
    }
    const now = ctx.clock.now();
    const entry = evaluateEntry({
      candidate,
      config: config1,
      clock: marketClock(now, config.calendar),
      account: {
        accountId: account.accountId,
        netLiquidation: account.netLiquidation,
        availableFunds: account.availableFunds - committedMarginUsd,
      },
      openPositions,
      todayPnlUsd: pnl,
      whatIfMargin,
      dryRun,
      jobEnabled: config.jobs[JOB],
    });
    if (!entry.ok) {
      counts.refused += 1;
      const refusals = entry.refusals.map((r) => `step ${r.step}: ${r.reason}`);
      reasons.push(`${candidate.id}: ${refusals.join('; ')}`);
      await decided({ eligible: true, reason: check.reason, ...rescored, entryRefusals: refusals });
      continue;
    }
    const plan = entry.plan;
    const quantity = remainder === undefined ? plan.quantity : Math.min(plan.quantity, remainder);
    // A dry run gets its own key, so a later real run the same day is not mistaken for a duplicate.
    const key = intentKey({
      tradeDate,
      subjectId: dryRun ? `${candidate.id}|dry-run` : candidate.id,
      purpose: 'OPEN',
      attempt,
    });
    const intent: OrderIntent = {
      intentKey: key,
      tradeDate,
      purpose: 'OPEN',
      strategy: candidate.strategy,
      symbol: candidate.symbol,
      candidateId: candidate.id,
      positionId: key,
      legs: candidate.legs.map((l) => ({ contract: l.contract, action: l.action, ratio: l.ratio })),
      action: plan.action,
      quantity,
      limitPrice: plan.limitPrice,
      dryRun,
      reason: `${check.reason}; mid ${plan.mid}, natural ${plan.natural}; max loss ${usd(entry.risk.maxLossUsd)}`,
      createdBy: JOB,
    };
    await decided({ eligible: true, reason: check.reason, ...rescored, intentKey: key });
    committedMarginUsd += Math.max(0, whatIfMargin ?? 0);
    if (!dryRun) {
      work(ticketOf(intent, plan.tick));
      continue;
    }
    const outcome = await runOrder(orderDeps(ctx), ticketOf(intent, plan.tick));
    if (outcome.status !== 'DRY_RUN') {
      await settle(outcome);
      continue;
    }
    counts.dryRun += 1;
    // As if it filled in full: the candidates after it are checked as a real run would check them
    // (caps, shared legs, portfolio risk, margin), so a dry run never approves more than a real run could.
    openPositions.push(
      positionFromFill(intent, { filledQuantity: quantity, avgFillPrice: plan.limitPrice }, now),
    );
    await ctx.alert({
      subject: key,
      rule: 'dry-run',
      severity: 'INFO',
      title: `Dry run: ${candidate.symbol} ${candidate.strategy}`,
      message: `Dry run, nothing sent: would ${plan.action} ${label(candidate, quantity)} at ${plan.limitPrice.toFixed(2)} (mid ${plan.mid.toFixed(2)}, natural ${plan.natural.toFixed(2)}), score ${candidate.score}, max loss ${usd(entry.risk.maxLossUsd)}.`,
      numbers: { limitPrice: plan.limitPrice, quantity, score: candidate.score },
    });
    reasons.push(`${candidate.id}: dry run recorded (${key})`);
  }

  // Every order is seen to its end before the run returns (a Lambda frozen after returning would leave
  // one working unwatched); the first failure is raised only then.
  const settled = await Promise.allSettled(working);
  const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
  counts.notStarted = deferred.length;
  if (deferred.length > 0) {
    await ctx.alert({
      subject: `${JOB}-${tradeDate}-time`,
      rule: 'not-started',
      severity: 'WARNING',
      title: `${deferred.length} candidate(s) not started: invocation time`,
      message: `${deferred.length} candidate(s) at or above score ${minScore} were not started because too little time was left in the invocation to work an order to its end: ${deferred.join(', ')}. Raise the function's timeout or lower orders.repriceSeconds × orders.maxReprices.`,
      numbers: { deferred: deferred.length },
    });
  }

  if (notPlaced.length > 0) {
    // Fail the run so the idempotency record is dropped and a retry resumes these intents (same
    // orderRef); finishing "successfully" would block them until tomorrow.
    throw new Error(
      `${notPlaced.length} order intent(s) written but not placed; a retry resumes them: ${notPlaced.join('; ')}`,
    );
  }
  return {
    did: dryRun
      ? `dry run: ${counts.dryRun} order(s) recorded, nothing transmitted`
      : `${counts.placed} order(s) placed, ${counts.filled} filled${counts.partlyFilled > 0 ? ` (${counts.partlyFilled} in part)` : ''}, ${counts.refused} refused${counts.notStarted > 0 ? `, ${counts.notStarted} not started (time)` : ''}`,
    counts,
    reasons,
    ok: counts.rejected === 0,
  };
}
