// monitor: ONE consistent snapshot — open positions from DynamoDB and ONE batched quote request for
// every distinct leg plus the underlyings — then per position: P&L, the decision engine (`decide`), a
// P&L snapshot and the decision (rule, reason, inputs) stored, exits through the same idempotent intent
// path as entries (purpose CLOSE; urgent pricing for rules 3–5), and alerts with cooldown and severity
// escalation. Exit orders of one run are worked concurrently so one slow fill does not hold the others.
// A refused exit is tried again on the next cycle under a new attempt key, up to
// `exits.maxCloseAttemptsPerDay` per position per day (core `nextCloseAttempt`), then one CRITICAL.
import type { BrokerQuote, QuoteRequest } from '../../adapters/bridge-client';
import type { DecisionRecord, PositionRecord } from '../../adapters/ports';
import { IntentConflictError, PositionConflictError } from '../../adapters/ports';
import { describePosition, usd } from '../../core/alerts';
import { decide, RULES } from '../../core/decision';
import type { Decision, WorkingOrder } from '../../core/decision';
import type { OrderIntent, OrderIntentRecord } from '../../core/intents';
import { closeRealisedUsd } from '../../core/lifecycle';
import type { FillSummary } from '../../core/lifecycle';
import { intentKey, nextCloseAttempt, planCombo, positionSpreadLegs } from '../../core/orders';
import type { CloseAttempt } from '../../core/orders';
import { legKey } from '../../core/chain';
import { ivSourceStrikes } from '../../core/model-price';
import { legQuoteProblem, unrealisedPnl } from '../../core/pnl';
import { closableSpread } from '../../core/holdings';
import type { StrategyPosition } from '../../core/types';
import type { OptionContract, OptionQuote } from '../../core/types';
import type { RunContext, RunOutcome } from '../shared/define-job';
import { orderDeps, runOrder, ticketOf } from '../shared/order-workflow';
import { heldAtIbNow } from '../shared/holdings';
import { manageAssignedHoldings } from './holdings';
import type { OrderOutcome } from '../shared/order-workflow';
import {
  checkUnderlyingQuote,
  optionContractOf,
  optionQuoteRequest,
  rawOptionQuote,
  stockQuoteRequest,
} from '../shared/quotes';

export interface MonitorInput {
  dryRun?: boolean | undefined;
}

const JOB = 'monitor';

/** The snapshot's quote: leniently converted so the decision engine's data guard names what is wrong. */
function leniantQuote(quote: BrokerQuote | undefined, contract: OptionContract): OptionQuote | undefined {
  if (!quote || quote.error) return undefined;
  const raw = rawOptionQuote(quote, optionContractOf(quote, contract) ?? contract);
  return {
    ...raw,
    bid: raw.bid ?? Number.NaN,
    ask: raw.ask ?? Number.NaN,
    // Delayed data stays flagged: the core never prices, decides or takes an IV from it.
    ...(quote.delayed ? { delayed: true } : {}),
  } as OptionQuote;
}

/**
 * Quotes of the listed strikes nearest each leg whose snapshot quote is unusable (same expiry and
 * right), for the model price of a position in danger (decision rule 1). Only asked when a leg's quote
 * is unusable, so it is a second, small request (plus the bridge's cached chain of the symbol); when
 * it fails, the position's own quoted legs remain the only IV sources.
 */
async function nearbyQuotesFor(
  ctx: RunContext,
  positions: readonly PositionRecord[],
  quoteMap: ReadonlyMap<string, OptionQuote | undefined>,
  underlyings: ReadonlyMap<string, unknown>,
  freshness: { now: number; maxAgeSeconds: number },
  reasons: string[],
): Promise<OptionQuote[]> {
  const wanted = new Map<string, OptionContract>();
  const chains = new Map<string, Promise<number[]>>();
  for (const position of positions) {
    // Without a usable underlying price no model price can be had: nothing to ask for.
    if (!underlyings.has(position.symbol)) continue;
    const bad = position.legs.filter((l) => legQuoteProblem(quoteMap.get(legKey(l.contract)), freshness));
    if (bad.length === 0) continue;
    let strikes = chains.get(position.symbol);
    if (!strikes) {
      strikes = ctx.bridge.chain(position.symbol).then((c) => c.strikes);
      chains.set(position.symbol, strikes);
    }
    let listed: number[];
    try {
      listed = await strikes;
    } catch (error) {
      reasons.push(`${position.symbol}: no chain for nearby strikes (${errorText(error)})`);
      continue;
    }
    for (const leg of bad) {
      const { contract } = leg;
      const known = new Set(
        position.legs
          .filter((l) => l.contract.expiry === contract.expiry && l.contract.right === contract.right)
          .map((l) => l.contract.strike),
      );
      // The nearest listed strike on each side keeps the market-data lines few (IB allows 100).
      for (const strike of ivSourceStrikes(listed, contract.strike, known, 1)) {
        const near: OptionContract = {
          symbol: contract.symbol,
          expiry: contract.expiry,
          right: contract.right,
          strike,
          multiplier: contract.multiplier,
        };
        wanted.set(legKey(near), near);
      }
    }
  }
  if (wanted.size === 0) return [];
  const contracts = [...wanted.values()];
  try {
    const quotes = await ctx.bridge.quotes(contracts.map(optionQuoteRequest));
    return contracts.flatMap((c, i) => leniantQuote(quotes[i], c) ?? []);
  } catch (error) {
    reasons.push(`nearby strikes not quoted (${errorText(error)})`);
    return [];
  }
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function runMonitor(input: MonitorInput, ctx: RunContext): Promise<RunOutcome> {
  const { config, stores, bridge, tradeDate } = ctx;
  const dryRun = input.dryRun ?? config.trading.dryRun;
  const positions = await stores.positions.listOpen();
  if (positions.length === 0)
    return { did: 'nothing to monitor: no open positions', counts: { positions: 0 } };

  // The snapshot: every distinct leg once, plus each underlying, in one request.
  const legs = new Map<string, OptionContract>();
  for (const p of positions) for (const leg of p.legs) legs.set(legKey(leg.contract), leg.contract);
  const symbols = [...new Set(positions.map((p) => p.symbol))];
  const legList = [...legs.values()];
  const requests: QuoteRequest[] = [...legList.map(optionQuoteRequest), ...symbols.map(stockQuoteRequest)];
  let quotes: BrokerQuote[] = [];
  let bridgeUp = true;
  let bridgeProblem: string | undefined;
  try {
    quotes = await bridge.quotes(requests);
  } catch (error) {
    bridgeUp = false;
    bridgeProblem = error instanceof Error ? error.message : String(error);
  }
  const now = ctx.clock.now();
  const market = { ...ctx.market, now };
  const quoteMap = new Map<string, OptionQuote | undefined>();
  legList.forEach((contract, i) => quoteMap.set(legKey(contract), leniantQuote(quotes[i], contract)));
  const underlyings = new Map<string, { price: number; timestamp: number }>();
  symbols.forEach((symbol, i) => {
    const q = quotes[legList.length + i];
    const checked = q && checkUnderlyingQuote(q, symbol, now, config.filters.maxQuoteAgeSeconds);
    if (checked && checked.ok)
      underlyings.set(symbol, { price: checked.quote.price, timestamp: checked.quote.timestamp });
  });

  const reasons: string[] = bridgeProblem
    ? [`quotes unavailable, every position held by the data guard: ${bridgeProblem}`]
    : [];
  const freshness = { now, maxAgeSeconds: config.filters.maxQuoteAgeSeconds };
  const nearbyQuotes = bridgeUp
    ? await nearbyQuotesFor(ctx, positions, quoteMap, underlyings, freshness, reasons)
    : [];

  const working = await stores.intents.listWorking();
  const counts = {
    positions: positions.length,
    hold: 0,
    close: 0,
    manage: 0,
    exitsPlaced: 0,
    closed: 0,
    alerts: 0,
    snapshots: 0,
  };
  const exits: Promise<void>[] = [];

  for (const listed of positions) {
    const position = await reconcilePartialCloses(ctx, listed, reasons);
    if (!position) continue;
    // Shares and orphaned legs an assignment left: closed at the next session's first cycle.
    const holdingsWork = await manageAssignedHoldings(ctx, position, dryRun, counts, reasons);
    if (holdingsWork) exits.push(holdingsWork);
    if (position.quantity === 0 || position.legs.length === 0) continue; // no spread left to judge
    const order = working.find((r) => r.positionId === position.id && r.purpose === 'CLOSE');
    const workingOrder: WorkingOrder | undefined = order && {
      orderId: order.orderId ?? 0,
      purpose: 'close',
      limit: order.limitPrice,
      repriceCount: order.repriceCount,
      placedAt: order.createdAt,
    };
    const decideAt = (dataGuardSince?: number): Decision =>
      decide({
        position,
        quotes: quoteMap,
        underlying: underlyings.get(position.symbol),
        clock: market,
        bridgeUp,
        nearbyQuotes,
        ...(workingOrder ? { workingOrder } : {}),
        ...(dataGuardSince === undefined ? {} : { dataGuardSince }),
        config,
      });
    const guardKey = `dataguard#${position.id}`;
    let decision = decideAt();
    // The guard's clock runs while a leg quote is unusable, also when a model price closes the position.
    if (decision.rule === 1 || decision.modelled)
      decision = decideAt(await stores.alerts.holdingSince(guardKey, now));
    else await stores.alerts.clear(guardKey);

    const pnl = unrealisedPnl(position, quoteMap, { now, maxAgeSeconds: config.filters.maxQuoteAgeSeconds });
    if (pnl.ok) {
      await stores.snapshots.putPnl({
        positionId: position.id,
        at: now,
        tradeDate,
        unrealisedMidUsd: pnl.midUsd,
        unrealisedNaturalUsd: pnl.naturalUsd,
        closeCostMid: pnl.closeCostMid,
        closeCostNatural: pnl.closeCostNatural,
        pctOfMaxProfit: pnl.pctOfMaxProfit,
        ...(underlyings.has(position.symbol)
          ? { underlyingPrice: underlyings.get(position.symbol)!.price }
          : {}),
      });
      counts.snapshots += 1;
    }

    const record: DecisionRecord = {
      positionId: position.id,
      at: now,
      tradeDate,
      action: decision.action,
      rule: decision.rule,
      ruleName: decision.ruleName,
      urgent: decision.urgent,
      reason:
        bridgeProblem && decision.rule === 1
          ? `${decision.reason} (bridge: ${bridgeProblem})`
          : decision.reason,
      inputs: decision.inputs,
      ...(decision.alert ? { alert: decision.alert } : {}),
    };

    if (decision.alert) {
      const sent = await ctx.alert({
        subject: position.id,
        rule: decision.rule,
        severity: decision.alert.severity,
        positionId: position.id,
        title: `${position.symbol} rule ${decision.rule} ${decision.ruleName}`,
        message: `${describePosition(position)}: ${decision.alert.reason}`,
        ...(pnl.ok ? { numbers: { unrealisedUsd: pnl.midUsd } } : {}),
      });
      if (sent.sent) counts.alerts += 1;
    }

    if (decision.action === 'CLOSE') {
      counts.close += 1;
      if (config.trading.killSwitch) {
        record.reason = `${record.reason} — NOT closed: kill switch is on`;
        reasons.push(`${position.id}: rule ${decision.rule} wants to close, kill switch on`);
      } else {
        const next = await closeAttempt(ctx, position.id, dryRun);
        // Legs the data guard priced from the model stand in at that price (see decision.modelled).
        const modelled = new Map(decision.modelled?.legs.map((l) => [l.key, { bid: l.price, ask: l.price }]));
        if (next.kind === 'WORKING') {
          // A close is already working (not yet seen by rule 2): manage it, never a second order.
          counts.manage += 1;
          record.intentKey = next.intent.intentKey;
          exits.push(resumeExit(ctx, position, next.intent, counts, reasons));
        } else if (next.kind === 'EXHAUSTED') {
          record.reason = `${record.reason} — NOT closed: ${next.text}`;
          reasons.push(`${position.id}: rule ${decision.rule} wants to close, ${next.text}`);
          await alertExitsExhausted(ctx, position, `rule ${decision.rule} ${decision.ruleName}`, next);
        } else {
          // Just before the order: only legs IB holds now, in the quantities it holds (an assignment or a
          // trade in TWS may have taken one since position-sync last ran). Never a combo with a gone leg.
          const closable = await closableNow(ctx, position);
          const target = closable.position;
          if (closable.problem) {
            reasons.push(`${position.id}: ${closable.problem}`);
            record.reason = `${record.reason} — ${closable.problem}`;
            await ctx.alert({
              subject: position.id,
              rule: 'leg-missing',
              severity: 'CRITICAL',
              positionId: position.id,
              title: `Exit limited to what IB holds: ${position.symbol}`,
              message: `${describePosition(position)}: ${closable.problem}. position-sync records what became of the missing legs.`,
            });
          }
          const priced =
            target.quantity > 0
              ? positionSpreadLegs(
                  target,
                  (leg) => modelled.get(legKey(leg.contract)) ?? quoteMap.get(legKey(leg.contract)),
                )
              : ({ ok: false, missing: ['no whole spread held at IB'] } as const);
          if (!priced.ok) {
            reasons.push(`${position.id}: cannot price the exit: ${priced.missing.join(', ')}`);
          } else {
            const attempt = next.attempt;
            const plan = planCombo(
              {
                purpose: 'CLOSE',
                subjectId: position.id,
                symbol: position.symbol,
                tradeDate,
                legs: priced.legs,
                quantity: target.quantity,
                urgent: decision.urgent,
                dryRun,
                attempt,
              },
              config.orders,
            );
            const key = dryRun
              ? intentKey({ tradeDate, subjectId: `${position.id}|dry-run`, purpose: 'CLOSE', attempt })
              : plan.intentKey;
            record.intentKey = key;
            exits.push(
              closePosition(
                ctx,
                position,
                decision,
                {
                  intentKey: key,
                  tradeDate,
                  purpose: 'CLOSE',
                  strategy: position.strategy,
                  symbol: position.symbol,
                  positionId: position.id,
                  legs: target.legs.map((l) => ({
                    contract: l.contract,
                    action: l.quantity < 0 ? 'SELL' : 'BUY',
                    ratio: Math.abs(l.quantity) / target.quantity,
                  })),
                  action: plan.action,
                  quantity: plan.quantity,
                  // A close on a model price goes at the protective limit (never above the width).
                  limitPrice: decision.modelled?.limit ?? plan.limitPrice,
                  dryRun,
                  reason: `rule ${decision.rule} ${decision.ruleName}: ${decision.reason}`,
                  rule: decision.rule,
                  createdBy: JOB,
                },
                counts,
                reasons,
              ),
            );
          }
        }
      }
    } else if (decision.action === 'MANAGE' && order) {
      counts.manage += 1;
      record.intentKey = order.intentKey;
      exits.push(resumeExit(ctx, position, order, counts, reasons));
    } else {
      counts.hold += 1;
    }
    await stores.snapshots.putDecision(record);
  }
  await Promise.all(exits);

  return {
    did: `checked ${positions.length} position(s): ${counts.close} to close, ${counts.manage} working, ${counts.hold} held`,
    counts,
    reasons,
    ok: bridgeUp,
  };
}

// The legs of the intent hold the strategy's actions (SELL = short), as an opening intent does, so the
// same ticket builder gives the BAG for the close.
async function closePosition(
  ctx: RunContext,
  position: PositionRecord,
  decision: Decision,
  intent: OrderIntent,
  counts: Record<string, number>,
  reasons: string[],
): Promise<void> {
  const outcome = await runOrder(orderDeps(ctx), ticketOf(intent));
  if (!outcome.resumed && outcome.record.orderId !== undefined) counts.exitsPlaced! += 1;
  await afterExit(ctx, position, outcome, `rule ${decision.rule} ${decision.ruleName}`, counts, reasons);
}

async function resumeExit(
  ctx: RunContext,
  position: PositionRecord,
  order: OrderIntentRecord,
  counts: Record<string, number>,
  reasons: string[],
): Promise<void> {
  const outcome = await runOrder(orderDeps(ctx), ticketOf(order));
  const rule = RULES.find((r) => r.number === order.rule);
  await afterExit(
    ctx,
    position,
    outcome,
    rule ? `rule ${rule.number} ${rule.name}` : 'exit',
    counts,
    reasons,
  );
}

/** The exit attempt policy (core `nextCloseAttempt`) over the position's closing intents of this mode. */
async function closeAttempt(
  ctx: RunContext,
  positionId: string,
  dryRun: boolean,
): Promise<CloseAttempt<OrderIntentRecord>> {
  const closes = (await ctx.stores.intents.listByPosition(positionId)).filter(
    (r) => r.purpose === 'CLOSE' && r.dryRun === dryRun,
  );
  return nextCloseAttempt(closes, {
    tradeDate: ctx.tradeDate,
    maxAttempts: ctx.config.exits.maxCloseAttemptsPerDay,
  });
}

/**
 * The CRITICAL once a position's exits are used up for the day. Keyed on the position, so the cooldown
 * keeps the cycles after it from repeating it (at most once per `alerts.cooldownMinutes`).
 */
async function alertExitsExhausted(
  ctx: RunContext,
  position: PositionRecord,
  why: string,
  exhausted: Extract<CloseAttempt, { kind: 'EXHAUSTED' }>,
): Promise<void> {
  await ctx.alert({
    subject: position.id,
    rule: 'exits-exhausted',
    severity: 'CRITICAL',
    positionId: position.id,
    title: `Exits exhausted: ${position.symbol}`,
    message: `${describePosition(position)}: ${why} wants it closed, but ${exhausted.text}. No further exit order today: close it by hand.`,
    numbers: { failedAttempts: exhausted.failed, maxAttempts: exhausted.maxAttempts },
  });
}

/**
 * A close that ended without closing anything (rejected, or cancelled with nothing filled): the next
 * cycle tries again under a new key unless that was the day's last attempt, which alerts CRITICAL.
 */
async function afterFailedExit(
  ctx: RunContext,
  position: PositionRecord,
  outcome: OrderOutcome,
  why: string,
): Promise<void> {
  const next = await closeAttempt(ctx, position.id, outcome.record.dryRun);
  if (next.kind === 'EXHAUSTED') {
    await alertExitsExhausted(ctx, position, why, next);
    return;
  }
  // Unfilled cancels are the price policy at work (no alert, as before); another close working: no retry.
  if (outcome.status !== 'REJECTED' || next.kind !== 'PLACE') return;
  await ctx.alert({
    subject: outcome.intentKey,
    rule: 'order-rejected',
    severity: 'WARNING',
    positionId: position.id,
    title: `Exit rejected: ${position.symbol}`,
    message: `${describePosition(position)} (${why}): exit attempt ${next.failed} of ${next.maxAttempts} today rejected: ${outcome.record.statusReason ?? outcome.reason}; tried again on the next cycle.`,
  });
}

async function afterExit(
  ctx: RunContext,
  position: PositionRecord,
  outcome: OrderOutcome,
  why: string,
  counts: Record<string, number>,
  reasons: string[],
): Promise<void> {
  reasons.push(`${position.id}: ${outcome.status} (${outcome.reason})`);
  if (outcome.status === 'DRY_RUN') {
    await ctx.alert({
      subject: outcome.intentKey,
      rule: 'dry-run',
      severity: 'INFO',
      positionId: position.id,
      title: `Dry run: close ${position.symbol}`,
      message: `Dry run, nothing sent: would close ${describePosition(position)} at ${outcome.record.limitPrice.toFixed(2)} (${why}).`,
    });
    return;
  }
  if (outcome.status === 'REJECTED' || (outcome.status === 'CANCELLED' && outcome.filledQuantity === 0)) {
    await afterFailedExit(ctx, position, outcome, why);
    return;
  }
  const fill = outcome.fill;
  if (!fill || fill.filledQuantity <= 0 || outcome.record.appliedAt !== undefined) return;
  if (fill.filledQuantity < position.quantity) {
    // Part closed: the rest stays open under the same id and the next run closes it (attempt + 1).
    const left = position.quantity - fill.filledQuantity;
    await applyPartialClose(ctx, position, outcome.intentKey, fill);
    reasons.push(`${position.id}: ${fill.filledQuantity} of ${position.quantity} closed, ${left} left open`);
    // A partial fill left open after the last reprice: the next run re-submits the rest (attempt + 1).
    await ctx.alert({
      subject: position.id,
      rule: 'partial-exit',
      severity: 'WARNING',
      positionId: position.id,
      title: `Exit part-filled: ${position.symbol}`,
      message: `${describePosition(position)}: ${fill.filledQuantity} of ${position.quantity} closed at ${Math.abs(fill.avgFillPrice).toFixed(2)} (${why}); ${left} left open, re-submitted on the next run.`,
      numbers: { filled: fill.filledQuantity, left },
    });
    return;
  }
  const debit = Math.abs(fill.avgFillPrice);
  // The last close of the position also carries the opening commissions.
  const realisedPnlUsd = closeRealisedUsd(position, fill, position.quantity, position.commissionsUsd);
  try {
    await ctx.stores.positions.closeFromFill({
      intentKey: outcome.intentKey,
      positionId: position.id,
      fill,
      realisedPnlUsd,
      reason: why,
      now: ctx.clock.now(),
    });
    counts.closed! += 1;
    await ctx.alert({
      subject: outcome.intentKey,
      rule: 'closed',
      severity: 'INFO',
      positionId: position.id,
      title: `Closed ${position.symbol} ${usd(realisedPnlUsd)}`,
      message: `Closed ${describePosition(position)} at ${debit.toFixed(2)} (${why}): realised ${usd(realisedPnlUsd)}.`,
      numbers: { realisedPnlUsd },
    });
  } catch (error) {
    if (!(error instanceof IntentConflictError || error instanceof PositionConflictError)) throw error;
  }
}

/**
 * Shrinks the position by a closing order's partial fill and marks that fill applied, in one store
 * transaction. Undefined when someone else applied it or changed the position first.
 */
async function applyPartialClose(
  ctx: RunContext,
  position: PositionRecord,
  intentKey: string,
  fill: FillSummary,
): Promise<PositionRecord | undefined> {
  try {
    const reduced = await ctx.stores.positions.reduceFromFill({
      intentKey,
      positionId: position.id,
      expectedVersion: position.version,
      fill,
      realisedPnlUsd: closeRealisedUsd(position, fill),
      now: ctx.clock.now(),
    });
    return reduced.position;
  } catch (error) {
    if (error instanceof IntentConflictError || error instanceof PositionConflictError) return undefined;
    throw error;
  }
}

/**
 * A run that crashed after a closing order was cancelled with a partial fill, but before that fill was
 * applied, would otherwise leave the position at its old size and the next exit would close too much.
 * Applies every such fill before the position is judged; undefined (skip this cycle) on a conflict.
 */
async function reconcilePartialCloses(
  ctx: RunContext,
  position: PositionRecord,
  reasons: string[],
): Promise<PositionRecord | undefined> {
  const unapplied = (await ctx.stores.intents.listByPosition(position.id)).filter(
    (r) =>
      r.purpose === 'CLOSE' && r.status === 'CANCELLED' && r.filledQuantity > 0 && r.appliedAt === undefined,
  );
  let current = position;
  for (const intent of unapplied) {
    const fill: FillSummary = {
      filledQuantity: intent.filledQuantity,
      avgFillPrice: intent.avgFillPrice ?? intent.limitPrice,
    };
    // The intent does not carry commissions; IB's executions for its orderRef do.
    try {
      const orders = await ctx.bridge.ordersByRef(intent.intentKey);
      fill.commissionsUsd = orders.flatMap((o) => o.fills).reduce((sum, f) => sum + (f.commission ?? 0), 0);
    } catch (error) {
      reasons.push(
        `${position.id}: commissions of ${intent.intentKey} unknown (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    const reduced =
      fill.filledQuantity < current.quantity
        ? await applyPartialClose(ctx, current, intent.intentKey, fill)
        : undefined;
    if (!reduced) {
      reasons.push(
        `${position.id}: partial close ${intent.intentKey} could not be applied; skipped this cycle`,
      );
      return undefined;
    }
    reasons.push(
      `${position.id}: applied the earlier partial close ${intent.intentKey} (${fill.filledQuantity} spreads)`,
    );
    current = reduced;
  }
  return current;
}

/**
 * The spreads of the position IB holds right now (bridge /positions), for the closing combo; `problem`
 * says what differs (a leg IB holds less of, or /positions unreadable: then nothing is closable).
 */
async function closableNow(
  ctx: RunContext,
  position: PositionRecord,
): Promise<{ position: StrategyPosition; problem?: string }> {
  let atIb: Map<number, number>;
  try {
    atIb = await heldAtIbNow(ctx);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      position: { ...position, quantity: 0, legs: [] },
      problem: `not closed: IB's positions could not be read just before the order (${why})`,
    };
  }
  const closable = closableSpread(position, atIb);
  if (closable.missing.length === 0) return { position };
  return {
    position: closable.position,
    problem: `IB no longer holds every leg: ${closable.missing.join(', ')}; closing ${closable.position.quantity} of ${position.quantity} spread(s)`,
  };
}
