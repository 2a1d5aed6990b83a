// monitor: ONE consistent snapshot — open positions from DynamoDB and ONE batched quote request for
// every distinct leg plus the underlyings — then per position: P&L, the decision engine (`decide`), a
// P&L snapshot and the decision (rule, reason, inputs) stored, exits through the same idempotent intent
// path as entries (purpose CLOSE; urgent pricing for rules 3–5), and alerts with cooldown and severity
// escalation. Exit orders of one run are worked concurrently so one slow fill does not hold the others.
// A refused exit is tried again on the next cycle under a new attempt key, up to
// `exits.maxCloseAttemptsPerDay` per position per day (core `nextCloseAttempt`), then one CRITICAL.
import type { BrokerQuote, QuoteRequest } from '#adapters/bridge-client';
import type { DecisionRecord } from '#adapters/ports';
import { describePosition } from '#core/alerts';
import { decide } from '#core/decision';
import type { Decision, WorkingOrder } from '#core/decision';
import { intentKey, planCombo, positionSpreadLegs } from '#core/orders';
import { legKey } from '#core/chain';
import { unrealisedPnl } from '#core/pnl';
import type { OptionContract, OptionQuote } from '#core/types';
import type { RunContext, RunOutcome } from '../shared/define-job';
import { checkUnderlyingQuote, optionQuoteRequest, stockQuoteRequest } from '../shared/quotes';
import { alertExitsExhausted, closeAttempt, closableNow, closePosition, resumeExit } from './exits';
import { manageAssignedHoldings } from './holdings';
import { reconcilePartialCloses } from './partial-closes';
import { leniantQuote, nearbyQuotesFor } from './snapshot';
import { errorMessage } from '../shared/errors';

export interface MonitorInput {
  dryRun?: boolean | undefined;
}

const JOB = 'monitor';

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
    bridgeProblem = errorMessage(error);
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
