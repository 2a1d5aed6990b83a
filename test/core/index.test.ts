import { describe, expect, it } from 'vitest';
import * as core from '#core/index';

describe('core public API', () => {
  it('exposes pricing through functions/core/index.ts', () => {
    // Hull, Options, Futures and Other Derivatives: S=42, K=40, r=10%, σ=20%, T=0.5 → call 4.76, put 0.81.
    const inputs = { spot: 42, strike: 40, years: 0.5, rate: 0.1, vol: 0.2 };
    expect(core.bsPrice({ right: 'C', ...inputs })).toBeCloseTo(4.76, 2);
    expect(core.bsGreeks({ right: 'P', ...inputs }).price).toBeCloseTo(0.81, 2);
    const iv = core.impliedVol({
      right: 'C',
      spot: 42,
      strike: 40,
      years: 0.5,
      rate: 0.1,
      price: core.bsPrice({ right: 'C', ...inputs }),
    });
    expect(iv.ok && iv.vol).toBeCloseTo(0.2, 6);
  });

  it('exposes the domain entry points by their domain names', () => {
    for (const name of [
      'parseConfig',
      'buildCandidates',
      'hardFilterReasons',
      'scoreCandidate',
      'rankCandidates',
      'evaluateEntry',
      'intentKey',
      'unrealisedPnl',
      'dayPnl',
      'decide',
      'marketClock',
      'pnlAlertSeverity',
    ]) {
      expect(typeof (core as Record<string, unknown>)[name], name).toBe('function');
    }
  });
});
