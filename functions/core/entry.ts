// The entry workflow (trading rules, "Entry workflow"): every check before an opening order, the sizing,
// and the order plan. Every refusal that applies is collected, each with the step number of the rules,
// so the record explains fully why a candidate was not traded.
import { usd } from './alerts';
import type { Config } from './config';
import { DEFAULT_TICK, planCombo } from './orders';
import type { OrderPlan, PricedSpreadLeg } from './orders';
import type { MarketClock, OptionContract, ScoredCandidate, StrategyPosition } from './types';

/**
 * The account's mode as its id tells it: IB paper accounts start with `DU`, everything else is live. The
 * one rule the jobs and the bridge share (the bridge refuses every order when it disagrees with the
 * stack's TRADING_MODE).
 */
export function accountMode(accountId: string): 'paper' | 'live' {
  return accountId.trim().toUpperCase().startsWith('DU') ? 'paper' : 'live';
}

export interface EntryAccount {
  accountId: string;
  netLiquidation: number;
  availableFunds: number;
}

export interface EntryInput {
  candidate: ScoredCandidate;
  config: Config;
  clock: MarketClock;
  account: EntryAccount;
  openPositions: readonly StrategyPosition[];
  /** Today's P&L so far in dollars (negative for a loss). */
  todayPnlUsd: { realised: number; unrealised: number };
  /**
   * IB's what-if initial-margin change for the whole order at the quantity `sizeEntry` gives. Required:
   * undefined or NaN refuses at step 7 (ask IB first, then evaluate again).
   */
  whatIfMargin: number | undefined;
  /** Do everything except transmit; undefined falls back to `config.trading.dryRun`. */
  dryRun?: boolean;
  /** The execute-strategies job's enabled flag. */
  jobEnabled: boolean;
  /** Price increment of the combo; $0.01 for penny-pilot underlyings. */
  tick?: number;
}

export interface EntryRefusal {
  /** Step of the entry workflow (1–8); 0 for a candidate that is not eligible or not tradable at all. */
  step: number;
  reason: string;
}

/** The risk figures behind the decision, recorded with it whether it passed or not. */
export interface EntryRisk {
  /** `riskPerTradePct` of net liquidation. */
  riskBudgetUsd: number;
  /** Max loss of one contract at the worst credit the order can fill at (see `sizeEntry`). */
  maxLossPerContractUsd: number;
  quantity: number;
  /** Max loss of the whole order. */
  maxLossUsd: number;
  portfolioRiskBeforeUsd: number;
  portfolioRiskAfterUsd: number;
  portfolioRiskLimitUsd: number;
  dailyLossUsd: number;
  dailyLossLimitUsd: number;
  marginUsd?: number;
  marginLimitUsd: number;
}

export interface EntryPlan extends OrderPlan {
  purpose: 'OPEN';
  candidateId: string;
  risk: EntryRisk;
}

export type EntryResult =
  { ok: true; plan: EntryPlan; risk: EntryRisk } | { ok: false; refusals: EntryRefusal[]; risk: EntryRisk };

export interface EntrySize {
  quantity: number;
  riskBudgetUsd: number;
  maxLossPerContractUsd: number;
  /** Quantity before the `maxContractsPerTrade` cap. */
  uncappedQuantity: number;
}

/**
 * Step 5: contracts = floor(riskBudget / maxLossPerContract), capped at `maxContractsPerTrade`, with
 * riskBudget = `riskPerTradePct` of net liquidation. The max loss per contract is (width − c)·multiplier
 * with c the worst credit the order may fill at: the reprice path ends at natural and never goes below
 * `minCredit`, so c = max(natural credit, minCredit). Sizing on that (not on mid) keeps a fill anywhere
 * on the path inside the budget. It is never taken below the candidate's own `maxLossUsd`.
 */
export function sizeEntry(candidate: ScoredCandidate, netLiquidation: number, config: Config): EntrySize {
  const riskBudgetUsd = (config.risk.riskPerTradePct / 100) * netLiquidation;
  const multiplier = candidate.legs[0]?.contract.multiplier ?? 100;
  const worstCredit = Math.max(candidate.creditNatural, config.orders.minCredit);
  const maxLossPerContractUsd = round2(
    Math.max(
      candidate.maxLossUsd,
      (candidate.width - Math.min(worstCredit, candidate.creditMid)) * multiplier,
    ),
  );
  const usable =
    Number.isFinite(riskBudgetUsd) &&
    riskBudgetUsd > 0 &&
    Number.isFinite(maxLossPerContractUsd) &&
    maxLossPerContractUsd > 0;
  // A hair of tolerance so a budget of exactly 5 × max loss gives 5, not 4, after float arithmetic.
  const uncappedQuantity = usable ? Math.floor(riskBudgetUsd / maxLossPerContractUsd + 1e-9) : 0;
  return {
    quantity: Math.min(uncappedQuantity, config.risk.maxContractsPerTrade),
    riskBudgetUsd,
    maxLossPerContractUsd,
    uncappedQuantity,
  };
}

/** Max loss of a held position: (width − entry credit)·multiplier·quantity. */
export function positionMaxLossUsd(position: StrategyPosition): number {
  const multiplier = position.legs[0]?.contract.multiplier ?? 100;
  return Math.max(0, position.width - position.entryCredit) * multiplier * position.quantity;
}

function sameContract(a: OptionContract, b: OptionContract): boolean {
  if (a.conId !== undefined && b.conId !== undefined) return a.conId === b.conId;
  return a.symbol === b.symbol && a.expiry === b.expiry && a.right === b.right && a.strike === b.strike;
}

const pct = (x: number) => `${x}%`;

/** Runs the entry workflow for one candidate; a plan only when nothing refuses. */
export function evaluateEntry(input: EntryInput): EntryResult {
  const { candidate, config, clock, account, openPositions, todayPnlUsd } = input;
  const { trading, risk: limits } = config;
  const refusals: EntryRefusal[] = [];
  const refuse = (step: number, reason: string) => refusals.push({ step, reason });
  const netLiq = account.netLiquidation;
  const netLiqKnown = Number.isFinite(netLiq) && netLiq > 0;

  // Step 0: only an eligible, tradable candidate reaches the workflow.
  if (candidate.rejections.length > 0) {
    refuse(0, `candidate failed hard filters: ${candidate.rejections.join('; ')}`);
  }
  if (!(candidate.score >= config.scoring.minScore)) {
    refuse(0, `score ${candidate.score} is below the minimum ${config.scoring.minScore}`);
  }
  const legs: PricedSpreadLeg[] = [];
  for (const leg of candidate.legs) {
    if (leg.contract.conId === undefined) {
      refuse(0, `leg ${leg.contract.right}${leg.contract.strike} has no IB conId`);
    } else {
      legs.push({
        conId: leg.contract.conId,
        held: leg.action === 'SELL' ? 'SHORT' : 'LONG',
        ratio: leg.ratio,
        quote: leg.quote,
      });
    }
  }
  if (candidate.legs.length === 0) refuse(0, 'candidate has no legs');

  // Step 1: switches and trading mode.
  if (trading.killSwitch) refuse(1, 'kill switch is on: no new orders');
  if (!input.jobEnabled) refuse(1, 'the execute-strategies job is disabled');
  if (trading.closeOnly) refuse(1, 'close-only mode: entries are not allowed');
  const isPaperAccount = accountMode(account.accountId) === 'paper';
  if (trading.mode === 'paper' && !isPaperAccount) {
    refuse(
      1,
      `mode is paper but account ${account.accountId} is not a paper account (paper accounts start with DU)`,
    );
  }
  if (trading.mode === 'live' && isPaperAccount) {
    refuse(1, `mode is live but account ${account.accountId} is a paper account`);
  }

  // Step 2: session window. The clock's minutes already account for early closes. Both windows are
  // half-open: at exactly `noEntryFirstMinutes` after the open, or `noEntryLastMinutes` before the close,
  // entries are allowed.
  if (!clock.isTradingDay || !clock.isOpen) {
    refuse(2, `market is closed (${clock.tradeDate}${clock.isTradingDay ? '' : ', not a trading day'})`);
  } else {
    if (!(clock.minutesSinceOpen >= limits.noEntryFirstMinutes)) {
      refuse(
        2,
        `${Math.floor(clock.minutesSinceOpen)} min since the open: no entries in the first ${limits.noEntryFirstMinutes} min`,
      );
    }
    if (!(clock.minutesToClose >= limits.noEntryLastMinutes)) {
      refuse(
        2,
        `${Math.ceil(clock.minutesToClose)} min to the close${clock.earlyClose ? ' (early close)' : ''}: no entries in the last ${limits.noEntryLastMinutes} min`,
      );
    }
  }

  // Step 3: position caps and shared legs.
  if (openPositions.length >= limits.maxOpenPositions) {
    refuse(3, `${openPositions.length} open positions: the limit is ${limits.maxOpenPositions}`);
  }
  const onUnderlying = openPositions.filter((p) => p.symbol === candidate.symbol).length;
  if (onUnderlying >= limits.maxPerUnderlying) {
    refuse(
      3,
      `${onUnderlying} open positions on ${candidate.symbol}: the limit is ${limits.maxPerUnderlying}`,
    );
  }
  for (const leg of candidate.legs) {
    const holder = openPositions.find((p) =>
      p.legs.some((held) => sameContract(held.contract, leg.contract)),
    );
    if (holder) {
      refuse(
        3,
        `leg ${leg.contract.right}${leg.contract.strike} ${leg.contract.expiry} is already held by position ${holder.id}`,
      );
    }
  }

  // Step 4: daily loss limit. "Reaches" the limit stops entries, as the config describes it.
  const dailyPnl = todayPnlUsd.realised + todayPnlUsd.unrealised;
  const dailyLossUsd = Math.max(0, -dailyPnl);
  const dailyLossLimitUsd = (limits.maxDailyLossPct / 100) * netLiq;
  if (!Number.isFinite(dailyPnl)) {
    refuse(4, "today's P&L is unknown");
  } else if (netLiqKnown && dailyLossUsd >= dailyLossLimitUsd) {
    refuse(
      4,
      `today's loss ${usd(dailyLossUsd)} reached the daily limit ${usd(dailyLossLimitUsd)} (${pct(limits.maxDailyLossPct)} of ${usd(netLiq)})`,
    );
  }

  // Step 5: sizing.
  const size = sizeEntry(candidate, netLiq, config);
  if (!netLiqKnown) {
    refuse(5, `net liquidation ${usd(netLiq)} is unknown or not positive: cannot size`);
  } else if (size.quantity === 0) {
    refuse(
      5,
      `0 contracts: risk budget ${usd(size.riskBudgetUsd)} (${pct(limits.riskPerTradePct)} of ${usd(netLiq)}) is below one contract's max loss ${usd(size.maxLossPerContractUsd)}`,
    );
  }
  const maxLossUsd = round2(size.quantity * size.maxLossPerContractUsd);

  // Step 6: portfolio risk after the trade.
  const portfolioRiskBeforeUsd = round2(openPositions.reduce((sum, p) => sum + positionMaxLossUsd(p), 0));
  const portfolioRiskAfterUsd = round2(portfolioRiskBeforeUsd + maxLossUsd);
  const portfolioRiskLimitUsd = (limits.maxPortfolioRiskPct / 100) * netLiq;
  if (netLiqKnown && portfolioRiskAfterUsd > portfolioRiskLimitUsd) {
    refuse(
      6,
      `portfolio risk after the trade ${usd(portfolioRiskAfterUsd)} (held ${usd(portfolioRiskBeforeUsd)} + this ${usd(maxLossUsd)}) exceeds ${usd(portfolioRiskLimitUsd)} (${pct(limits.maxPortfolioRiskPct)} of ${usd(netLiq)})`,
    );
  }

  // Step 7: IB's what-if margin against available funds.
  const marginLimitUsd = account.availableFunds * limits.marginUsage;
  const margin = input.whatIfMargin;
  if (margin === undefined || !Number.isFinite(margin)) {
    refuse(7, 'what-if margin is missing: ask IB for the combo at the sized quantity first');
  } else if (!Number.isFinite(marginLimitUsd)) {
    refuse(7, `available funds ${usd(account.availableFunds)} are unknown`);
  } else if (margin > marginLimitUsd) {
    refuse(
      7,
      `what-if margin ${usd(margin)} exceeds ${usd(marginLimitUsd)} (${limits.marginUsage} × available funds ${usd(account.availableFunds)})`,
    );
  }

  const risk: EntryRisk = {
    riskBudgetUsd: round2(size.riskBudgetUsd),
    maxLossPerContractUsd: size.maxLossPerContractUsd,
    quantity: size.quantity,
    maxLossUsd,
    portfolioRiskBeforeUsd,
    portfolioRiskAfterUsd,
    portfolioRiskLimitUsd: round2(portfolioRiskLimitUsd),
    dailyLossUsd: round2(dailyLossUsd),
    dailyLossLimitUsd: round2(dailyLossLimitUsd),
    ...(margin === undefined || !Number.isFinite(margin) ? {} : { marginUsd: margin }),
    marginLimitUsd: round2(marginLimitUsd),
  };
  if (refusals.length > 0) return { ok: false, refusals, risk };

  // Step 8: the plan; a dry run builds it the same way and only leaves `transmit` off.
  const dryRun = input.dryRun ?? trading.dryRun;
  const order = planCombo(
    {
      purpose: 'OPEN',
      subjectId: candidate.id,
      symbol: candidate.symbol,
      tradeDate: clock.tradeDate,
      legs,
      quantity: size.quantity,
      dryRun,
      tick: input.tick ?? DEFAULT_TICK,
    },
    config.orders,
  );
  const plan: EntryPlan = { ...order, purpose: 'OPEN', candidateId: candidate.id, risk };
  return { ok: true, plan, risk };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
