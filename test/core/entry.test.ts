import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '#core/config';
import type { ConfigInput } from '#core/config';
import { evaluateEntry, positionMaxLossUsd, sizeEntry } from '#core/entry';
import type { EntryInput, EntryResult } from '#core/entry';
import { intentKey } from '#core/orders';
import type { MarketClock, OptionContract, ScoredCandidate, StrategyPosition } from '#core/types';

const EXPIRY = '2026-04-17';
const TRADE_DATE = '2026-03-10';

function put(strike: number, conId?: number, symbol = 'SPY', expiry = EXPIRY): OptionContract {
  return { symbol, expiry, strike, right: 'P', multiplier: 100, ...(conId === undefined ? {} : { conId }) };
}

// Bull put 580/575 on SPY: short 580 at 1.30 × 1.40, long 575 at 0.50 × 0.60.
// Credit at mid 1.35 − 0.55 = 0.80, at natural 1.30 − 0.60 = 0.70; width 5.
// Max loss per contract: (5 − 0.80)·100 = $420 at mid, (5 − 0.70)·100 = $430 at natural.
function candidate(overrides: Partial<ScoredCandidate> = {}): ScoredCandidate {
  const quote = (contract: OptionContract, bid: number, ask: number) => ({
    contract,
    bid,
    ask,
    timestamp: 0,
  });
  const short = put(580, 1001);
  const long = put(575, 1002);
  return {
    id: 'SPY|BULL_PUT|2026-04-17|580/575',
    strategy: 'BULL_PUT',
    symbol: 'SPY',
    expiry: EXPIRY,
    dte: 38,
    legs: [
      { contract: short, action: 'SELL', ratio: 1, quote: quote(short, 1.3, 1.4) },
      { contract: long, action: 'BUY', ratio: 1, quote: quote(long, 0.5, 0.6) },
    ],
    width: 5,
    creditMid: 0.8,
    creditNatural: 0.7,
    maxProfitUsd: 80,
    maxLossUsd: 420,
    breakevens: [579.2],
    pop: 0.8,
    expectedValueUsd: 5,
    underlyingPrice: 600,
    score: 80,
    breakdown: {
      ivRank: 15,
      creditToWidth: 10,
      shortDelta: 15,
      liquidity: 15,
      dteFit: 5,
      ivHv: 10,
      trendFit: 10,
    },
    rejections: [],
    ...overrides,
  };
}

function clock(overrides: Partial<MarketClock> = {}): MarketClock {
  // 10:30 New York on a regular day: 60 min after the open, 330 before the close.
  return {
    now: Date.UTC(2026, 2, 10, 14, 30),
    tradeDate: TRADE_DATE,
    isTradingDay: true,
    isOpen: true,
    earlyClose: false,
    minutesSinceOpen: 60,
    minutesToClose: 330,
    ...overrides,
  };
}

function position(id: string, symbol: string, overrides: Partial<StrategyPosition> = {}): StrategyPosition {
  return {
    id,
    strategy: 'BULL_PUT',
    symbol,
    expiry: EXPIRY,
    legs: [
      { contract: put(300, undefined, symbol), quantity: -1 },
      { contract: put(295, undefined, symbol), quantity: 1 },
    ],
    quantity: 1,
    entryCredit: 1,
    width: 5,
    openedAt: 0,
    commissionsUsd: 0,
    ...overrides,
  };
}

interface Scenario extends Partial<Omit<EntryInput, 'config'>> {
  config?: ConfigInput;
}

function input(s: Scenario = {}): EntryInput {
  const { config, ...rest } = s;
  return {
    candidate: candidate(),
    clock: clock(),
    account: { accountId: 'DU1234567', netLiquidation: 100_000, availableFunds: 50_000 },
    openPositions: [],
    todayPnlUsd: { realised: 0, unrealised: 0 },
    whatIfMargin: 2_000,
    dryRun: false,
    jobEnabled: true,
    ...rest,
    config: parseConfig(config ?? {}),
  };
}

function steps(result: EntryResult): number[] {
  return result.ok ? [] : result.refusals.map((r) => r.step);
}

function reasons(result: EntryResult): string {
  return result.ok ? '' : result.refusals.map((r) => r.reason).join(' | ');
}

describe('evaluateEntry: the passing case', () => {
  it('plans a SELL of the combo at mid for the sized quantity, keyed and transmitted', () => {
    const result = evaluateEntry(input());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { plan } = result;
    // Sizing: budget 2% of $100,000 = $2,000; one contract at the worst fill risks $430; floor(2000/430) = 4.
    expect(plan.quantity).toBe(4);
    expect(plan.purpose).toBe('OPEN');
    expect(plan.candidateId).toBe(candidate().id);
    expect(plan.action).toBe('SELL');
    expect(plan.legs).toEqual([
      { conId: 1001, action: 'BUY', ratio: 1 },
      { conId: 1002, action: 'SELL', ratio: 1 },
    ]);
    expect(plan.limitPrice).toBe(0.8);
    expect(plan.orderType).toBe('LMT');
    expect(plan.transmit).toBe(true);
    expect(plan.dryRun).toBe(false);
    expect(plan.intentKey).toBe(
      intentKey({ tradeDate: TRADE_DATE, subjectId: candidate().id, purpose: 'OPEN' }),
    );
    expect(plan.risk).toMatchObject({
      riskBudgetUsd: 2000,
      maxLossPerContractUsd: 430,
      quantity: 4,
      maxLossUsd: 1720,
      portfolioRiskAfterUsd: 1720,
      portfolioRiskLimitUsd: 25_000,
    });
  });

  it('is deterministic: the same input plans the same intent key (a retry cannot create a second order)', () => {
    const a = evaluateEntry(input());
    const b = evaluateEntry(input());
    expect(a.ok && b.ok && a.plan.intentKey === b.plan.intentKey).toBe(true);
  });
});

describe('evaluateEntry: each step refusing alone', () => {
  const cases: [string, Scenario, number, RegExp][] = [
    ['low score', { candidate: candidate({ score: 69.9 }) }, 0, /score 69.9 is below the minimum 70/],
    ['hard-filter rejection', { candidate: candidate({ rejections: ['quote stale'] }) }, 0, /quote stale/],
    ['kill switch', { config: { trading: { killSwitch: true } } }, 1, /kill switch/],
    ['job disabled', { jobEnabled: false }, 1, /disabled/],
    ['close-only', { config: { trading: { closeOnly: true } } }, 1, /close-only/],
    [
      'paper mode on a live account',
      { account: { accountId: 'U1234567', netLiquidation: 100_000, availableFunds: 50_000 } },
      1,
      /not a paper account/,
    ],
    ['live mode on a paper account', { config: { trading: { mode: 'live' } } }, 1, /is a paper account/],
    [
      'market closed',
      { clock: clock({ isOpen: false, minutesSinceOpen: -30, minutesToClose: 420 }) },
      2,
      /market is closed/,
    ],
    [
      'holiday',
      { clock: clock({ isTradingDay: false, isOpen: false, minutesSinceOpen: NaN, minutesToClose: NaN }) },
      2,
      /not a trading day/,
    ],
    ['first 15 minutes', { clock: clock({ minutesSinceOpen: 14, minutesToClose: 376 }) }, 2, /first 15 min/],
    ['last 30 minutes', { clock: clock({ minutesSinceOpen: 361, minutesToClose: 29 }) }, 2, /last 30 min/],
    // 12:40 on an early-close day: 20 min before the 13:00 close, which the clock already accounts for.
    [
      'last 30 minutes of an early close',
      { clock: clock({ earlyClose: true, minutesSinceOpen: 190, minutesToClose: 20 }) },
      2,
      /early close/,
    ],
    [
      'max open positions',
      {
        openPositions: ['a', 'b', 'c', 'd', 'e'].map((id, i) =>
          position(id, ['QQQ', 'IWM', 'DIA', 'XLF', 'GLD'][i]!, { entryCredit: 4.9 }),
        ),
      },
      3,
      /5 open positions: the limit is 5/,
    ],
    [
      'max per underlying',
      {
        openPositions: [
          position('a', 'SPY', { entryCredit: 4.9 }),
          position('b', 'SPY', { entryCredit: 4.9 }),
        ],
      },
      3,
      /2 open positions on SPY/,
    ],
    [
      'daily loss limit reached',
      { todayPnlUsd: { realised: -2000, unrealised: -1000 } },
      4,
      /reached the daily limit \$3,000.00/,
    ],
    [
      'zero contracts',
      { account: { accountId: 'DU1', netLiquidation: 20_000, availableFunds: 50_000 } },
      5,
      // 2% of $20,000 = $400 < $430.
      /risk budget \$400.00 \(2% of \$20,000.00\) is below one contract's max loss \$430.00/,
    ],
    [
      'portfolio risk',
      // Held: (10 − 1)·100·27 = $24,300; plus this $1,720 = $26,020 > 25% of $100,000.
      { openPositions: [position('big', 'QQQ', { width: 10, quantity: 27 })] },
      6,
      /\$26,020.00 .* exceeds \$25,000.00/,
    ],
    ['margin above the limit', { whatIfMargin: 25_000.01 }, 7, /exceeds \$25,000.00/],
    ['margin missing', { whatIfMargin: undefined }, 7, /margin is missing/],
    ['margin NaN', { whatIfMargin: Number.NaN }, 7, /margin is missing/],
  ];

  for (const [name, scenario, step, reason] of cases) {
    it(`${name} → step ${step} only`, () => {
      const result = evaluateEntry(input(scenario));
      expect(steps(result)).toEqual([step]);
      expect(reasons(result)).toMatch(reason);
    });
  }

  it('a shared leg with a held position refuses at step 3, by conId or by contract', () => {
    const holder = position('held', 'SPY', {
      legs: [{ contract: put(580, 1001), quantity: -1 }],
      entryCredit: 4.9,
    });
    expect(steps(evaluateEntry(input({ openPositions: [holder] })))).toEqual([3]);
    const noConId = position('held', 'SPY', {
      legs: [{ contract: put(575), quantity: 1 }],
      entryCredit: 4.9,
    });
    const result = evaluateEntry(input({ openPositions: [noConId] }));
    expect(steps(result)).toEqual([3]);
    expect(reasons(result)).toMatch(/P575 2026-04-17 is already held by position held/);
    // Same strike, other expiry: not the same contract.
    const otherExpiry = position('held', 'SPY', {
      legs: [{ contract: put(575, undefined, 'SPY', '2026-05-15'), quantity: 1 }],
      entryCredit: 4.9,
    });
    expect(evaluateEntry(input({ openPositions: [otherExpiry] })).ok).toBe(true);
  });

  it('a leg without a conId cannot be ordered', () => {
    const c = candidate();
    const legs = [c.legs[0]!, { ...c.legs[1]!, contract: put(575) }];
    const result = evaluateEntry(input({ candidate: { ...c, legs } }));
    expect(steps(result)).toEqual([0]);
  });
});

describe('evaluateEntry: boundaries', () => {
  it('allows entries exactly at 15 min after the open and 30 min before the close', () => {
    expect(evaluateEntry(input({ clock: clock({ minutesSinceOpen: 15, minutesToClose: 375 }) })).ok).toBe(
      true,
    );
    expect(evaluateEntry(input({ clock: clock({ minutesSinceOpen: 360, minutesToClose: 30 }) })).ok).toBe(
      true,
    );
  });

  it('stops at a loss of exactly 3% and allows one a cent below', () => {
    expect(steps(evaluateEntry(input({ todayPnlUsd: { realised: -3000, unrealised: 0 } })))).toEqual([4]);
    expect(evaluateEntry(input({ todayPnlUsd: { realised: -3500, unrealised: 500.01 } })).ok).toBe(true);
    // Profits elsewhere today offset losses: the rule is on realised + unrealised.
    expect(evaluateEntry(input({ todayPnlUsd: { realised: -4000, unrealised: 2000 } })).ok).toBe(true);
  });

  it('accepts margin exactly at available funds × marginUsage', () => {
    expect(evaluateEntry(input({ whatIfMargin: 25_000 })).ok).toBe(true);
  });

  it('accepts portfolio risk exactly at the limit', () => {
    // Held: (20.4 − 1)·100·12 = $23,280; plus this trade's $1,720 = $25,000, exactly 25% of $100,000.
    // One more held contract: $25,220 + $1,720 = $26,940, over.
    const held = (quantity: number) => [position('p', 'QQQ', { width: 20.4, quantity })];
    expect(evaluateEntry(input({ openPositions: held(12) })).ok).toBe(true);
    expect(steps(evaluateEntry(input({ openPositions: held(13) })))).toEqual([6]);
  });
});

describe('evaluateEntry: collects every refusal', () => {
  it('names each failing step, in order, rather than stopping at the first', () => {
    const result = evaluateEntry(
      input({
        config: { trading: { killSwitch: true } },
        clock: clock({ isOpen: false }),
        todayPnlUsd: { realised: -5000, unrealised: 0 },
        whatIfMargin: undefined,
      }),
    );
    expect(steps(result)).toEqual([1, 2, 4, 7]);
    expect(result.risk.dailyLossUsd).toBe(5000);
  });
});

describe('sizing', () => {
  it('sizes on the worst fill the pricing allows, not on mid', () => {
    // Budget 2% of $105,000 = $2,100. At mid, 2100 / 420 = 5 contracts exactly; but the order may fill
    // down at natural (credit 0.70), where 5 contracts would risk 5 × 430 = $2,150 > $2,100. So 4.
    const size = sizeEntry(candidate(), 105_000, parseConfig({}));
    expect(size).toEqual({
      quantity: 4,
      riskBudgetUsd: 2100,
      maxLossPerContractUsd: 430,
      uncappedQuantity: 4,
    });
  });

  it('uses minCredit as the worst credit when natural is below it', () => {
    // Natural 0.20 is below the $0.30 floor: the order never fills under 0.30, so (5 − 0.30)·100 = $470.
    const size = sizeEntry(candidate({ creditNatural: 0.2 }), 100_000, parseConfig({}));
    expect(size.maxLossPerContractUsd).toBe(470);
    expect(size.quantity).toBe(4); // floor(2000 / 470) = 4
  });

  it('caps at maxContractsPerTrade', () => {
    // 2% of $1,000,000 = $20,000; 20000 / 430 = 46.5 → 46, capped at 10.
    const size = sizeEntry(candidate(), 1_000_000, parseConfig({}));
    expect(size.uncappedQuantity).toBe(46);
    expect(size.quantity).toBe(10);
  });

  it('law: the order never risks more than the budget, and one more contract would (unless capped)', () => {
    const config = parseConfig({});
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000, max: 5_000_000 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 5, max: 95 }),
        (netLiq, width, creditPctOfWidth) => {
          const creditMid = Math.round(width * creditPctOfWidth) / 100;
          const creditNatural = Math.max(0, Math.round((creditMid - 0.1) * 100) / 100);
          const c = candidate({
            width,
            creditMid,
            creditNatural,
            maxLossUsd: Math.round((width - creditMid) * 10000) / 100,
          });
          const s = sizeEntry(c, netLiq, config);
          expect(s.quantity * s.maxLossPerContractUsd).toBeLessThanOrEqual(s.riskBudgetUsd + 1e-6);
          expect(s.quantity).toBeLessThanOrEqual(config.risk.maxContractsPerTrade);
          if (s.quantity < config.risk.maxContractsPerTrade) {
            expect((s.quantity + 1) * s.maxLossPerContractUsd).toBeGreaterThan(s.riskBudgetUsd);
          }
        },
      ),
    );
  });

  it('a held position risks (width − entry credit)·100·quantity', () => {
    expect(positionMaxLossUsd(position('p', 'QQQ', { width: 5, entryCredit: 1.25, quantity: 2 }))).toBe(750);
  });
});

describe('dry run', () => {
  it('builds the same plan but does not transmit', () => {
    const live = evaluateEntry(input());
    const dry = evaluateEntry(input({ dryRun: true }));
    expect(live.ok && dry.ok).toBe(true);
    if (!live.ok || !dry.ok) return;
    expect(dry.plan.transmit).toBe(false);
    expect(dry.plan.dryRun).toBe(true);
    expect({ ...dry.plan, transmit: true, dryRun: false }).toEqual(live.plan);
  });

  it('falls back to config.trading.dryRun when the run does not say; an explicit flag wins', () => {
    const { dryRun: _omit, ...withoutFlag } = input({ config: { trading: { dryRun: true } } });
    const fallback = evaluateEntry(withoutFlag);
    expect(fallback.ok && fallback.plan.transmit).toBe(false);
    const explicit = evaluateEntry(input({ config: { trading: { dryRun: true } }, dryRun: false }));
    expect(explicit.ok && explicit.plan.transmit).toBe(true);
  });

  it('still refuses what a real run would refuse', () => {
    expect(steps(evaluateEntry(input({ dryRun: true, config: { trading: { killSwitch: true } } })))).toEqual([
      1,
    ]);
  });
});
