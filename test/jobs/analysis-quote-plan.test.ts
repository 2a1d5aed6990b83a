// strategy-analysis quotes the options of whole expiries, best DTE first, within `maxQuotes` per
// underlying. A budget below one expiry's strike window (a SPY-like chain on $1 strikes needs well over
// 100 quotes an expiry) used to skip every expiry and report "no expiry in the DTE window" on a chain
// full of them; it now quotes the best expiry's middle strikes.
import { describe, expect, it } from 'vitest';
import { daysToExpiry } from '#core/chain';
import { parseConfig, type ConfigInput } from '#core/config';
import { planQuotes } from '#jobs/strategy-analysis/quote-plan';
import { addDays, TRADE_DATE } from '../core/fixtures/chain';

const config = parseConfig({});
const spot = 600;
// Weekly expiries from 4 to 88 days, $1 strikes ±150 around spot (the simulator lists SPY like this).
const chain = {
  symbol: 'SPY',
  multiplier: 100,
  expirations: Array.from({ length: 13 }, (_, i) => addDays(TRADE_DATE, 4 + 7 * i)),
  strikes: Array.from({ length: 301 }, (_, i) => 450 + i),
};
const vol = 0.18;
const wholeWindow = planQuotes(chain, spot, vol, TRADE_DATE, config, 100_000);
const sweetSpot = (config.scoring.dteFullMin + config.scoring.dteFullMax) / 2;
const bestExpiry = [...wholeWindow.expiries].sort(
  (a, b) =>
    Math.abs(daysToExpiry(TRADE_DATE, a) - sweetSpot) - Math.abs(daysToExpiry(TRADE_DATE, b) - sweetSpot),
)[0]!;

describe('planQuotes', () => {
  it('the fixture: every expiry in the DTE window needs more than 60 quotes', () => {
    const perExpiry = new Map<string, number>();
    for (const c of wholeWindow.contracts) perExpiry.set(c.expiry, (perExpiry.get(c.expiry) ?? 0) + 1);
    expect(perExpiry.size).toBeGreaterThan(3);
    expect(Math.min(...perExpiry.values())).toBeGreaterThan(60);
  });

  it('a budget below one expiry quotes the best expiry, filled to the budget, puts and calls alike', () => {
    const plan = planQuotes(chain, spot, vol, TRADE_DATE, config, 60);
    expect(plan.expiries).toEqual([bestExpiry]);
    expect(plan.contracts).toHaveLength(60);
    const puts = plan.contracts.filter((c) => c.right === 'P');
    const calls = plan.contracts.filter((c) => c.right === 'C');
    expect(puts).toHaveLength(30);
    expect(calls).toHaveLength(30);
    // Only strikes of that expiry's own window, no contract twice.
    const window = new Set(
      wholeWindow.contracts.filter((c) => c.expiry === bestExpiry).map((c) => `${c.right}${c.strike}`),
    );
    const keys = plan.contracts.map((c) => `${c.right}${c.strike}`);
    expect(keys.every((k) => window.has(k))).toBe(true);
    expect(new Set(keys).size).toBe(60);
    // The middle of each side's window: neither the strikes at the money nor the farthest wings.
    const putStrikes = puts.map((c) => c.strike);
    const windowPuts = [...window].filter((k) => k.startsWith('P')).map((k) => Number(k.slice(1)));
    expect(Math.max(...putStrikes)).toBeLessThan(Math.max(...windowPuts));
    expect(Math.min(...putStrikes)).toBeGreaterThan(Math.min(...windowPuts));
    // Consecutive strikes: spreads of every width up to the band's size can be built from them.
    expect(Math.max(...putStrikes) - Math.min(...putStrikes)).toBe(29);
  });

  it('a budget that holds whole expiries still takes whole expiries only, best DTE first', () => {
    const plan = planQuotes(chain, spot, vol, TRADE_DATE, config, 600);
    const perExpiry = new Map<string, number>();
    for (const c of plan.contracts) perExpiry.set(c.expiry, (perExpiry.get(c.expiry) ?? 0) + 1);
    expect(plan.expiries).toContain(bestExpiry);
    for (const expiry of plan.expiries) {
      expect(perExpiry.get(expiry)).toBe(wholeWindow.contracts.filter((c) => c.expiry === expiry).length);
    }
    expect(plan.contracts.length).toBeLessThanOrEqual(600);
  });

  it('quotes the sides the enabled strategy modules ask for; the iron butterfly both rights at the money', () => {
    // Spot 600.40 between the listed 600 and 601: an out-of-the-money window stops at 600 (puts) and
    // starts at 601 (calls); a butterfly may short either strike, so it needs P601 and C600 as well.
    const between = 600.4;
    const keysOf = (strategies: ConfigInput['universe']) =>
      new Set(
        planQuotes(chain, between, vol, TRADE_DATE, parseConfig({ universe: strategies }), 100_000)
          .contracts.filter((c) => c.expiry === bestExpiry)
          .map((c) => `${c.right}${c.strike}`),
      );
    const defaults = keysOf({});
    expect([defaults.has('P600'), defaults.has('P601'), defaults.has('C600'), defaults.has('C601')]).toEqual([
      true,
      false,
      false,
      true,
    ]);
    const fly = keysOf({ strategies: ['IRON_BUTTERFLY'] });
    for (const k of ['P600', 'P601', 'C600', 'C601']) expect(fly.has(k)).toBe(true);
    // Only the strikes at the money are added: the rest of the window is the condor's.
    expect(fly.size).toBe(defaults.size + 2);
    const putsOnly = keysOf({ strategies: ['BULL_PUT'] });
    expect([...putsOnly].every((k) => k.startsWith('P'))).toBe(true);
    expect(putsOnly.size).toBeGreaterThan(0);
  });

  it('no expiry inside the DTE window still plans nothing', () => {
    const near = { ...chain, expirations: [addDays(TRADE_DATE, 4), addDays(TRADE_DATE, 11)] };
    expect(planQuotes(near, spot, vol, TRADE_DATE, config, 60).contracts).toEqual([]);
  });
});

it("npm start's day analyses with the job's own quote budget", async () => {
  const { DEFAULT_ANALYSIS_MAX_QUOTES } = await import('#scripts/start');
  const { DEFAULT_MAX_QUOTES } = await import('#jobs/strategy-analysis/quote-plan');
  expect(DEFAULT_ANALYSIS_MAX_QUOTES).toBe(DEFAULT_MAX_QUOTES);
});
