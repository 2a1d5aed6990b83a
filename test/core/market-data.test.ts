// What a quote says about the account's market data, and how loud each answer is.
import { describe, expect, it } from 'vitest';
import { accessProblem, optionProbe, quoteAccess, SUBSCRIPTION_NEEDED } from '#core/market-data';

const refused = (code: number, message = 'IB says no') => ({ error: { code, message } });

describe('market-data access', () => {
  it("classifies IB's codes: not subscribed, delayed, competing session, other refusals", () => {
    expect(quoteAccess(refused(354))).toEqual({ access: 'not-subscribed', label: 'not subscribed (IB 354)' });
    expect(quoteAccess(refused(10089)).access).toBe('not-subscribed');
    expect(quoteAccess(refused(10167))).toEqual({ access: 'delayed', label: 'delayed (IB 10167)' });
    expect(quoteAccess(refused(10197))).toEqual({
      access: 'competing-session',
      label: 'blocked by a competing session (IB 10197)',
    });
    expect(quoteAccess(refused(200, 'No security definition'))).toEqual({
      access: 'refused',
      label: 'refused (IB 200: No security definition)',
    });
  });

  it('a quote without error: delayed ticks, no price at all, or real-time', () => {
    expect(quoteAccess({ delayed: true, bid: 1 }).access).toBe('delayed');
    expect(quoteAccess({}).access).toBe('no-price');
    expect(quoteAccess(undefined).access).toBe('no-price');
    expect(quoteAccess({ bid: 1.2 }).access).toBe('real-time');
    expect(quoteAccess({ last: 1.2 }).access).toBe('real-time');
  });

  it('a missing subscription or a competing session is CRITICAL and names the fix; options need OPRA', () => {
    expect(accessProblem('real-time', 'STK')).toBeUndefined();
    expect(accessProblem('not-subscribed', 'OPT')).toEqual({
      severity: 'CRITICAL',
      remedy: `the account needs ${SUBSCRIPTION_NEEDED.OPT}`,
    });
    expect(SUBSCRIPTION_NEEDED.OPT).toContain('OPRA');
    expect(accessProblem('delayed', 'STK')?.severity).toBe('CRITICAL');
    expect(accessProblem('competing-session', 'STK')?.remedy).toContain('log it out');
    expect(accessProblem('no-price', 'STK')?.severity).toBe('WARNING');
    expect(accessProblem('refused', 'STK')?.severity).toBe('WARNING');
  });
});

describe('the option validate-ib-connection probes', () => {
  const chain = {
    expirations: ['2026-06-03', '2026-06-05', '2026-06-08', '2026-06-12', '2026-06-19'],
    strikes: [490, 495, 500, 505, 510],
    underlyingPrice: 503.2,
    multiplier: 100,
  };

  it('is the put nearest the money in the first expiry a week or more out', () => {
    expect(optionProbe('QQQ', chain, '2026-06-01')).toEqual({
      symbol: 'QQQ',
      expiry: '2026-06-08',
      strike: 505,
      right: 'P',
      multiplier: 100,
    });
    // A week out exactly counts; past the last expiry, the last one.
    expect(optionProbe('QQQ', chain, '2026-06-05')?.expiry).toBe('2026-06-12');
    expect(optionProbe('QQQ', chain, '2026-06-30')?.expiry).toBe('2026-06-19');
  });

  it('takes the middle strike when IB had no price, and nothing from an empty chain', () => {
    const { underlyingPrice: _, ...noPrice } = chain;
    expect(optionProbe('QQQ', noPrice, '2026-06-01')?.strike).toBe(500);
    expect(optionProbe('QQQ', { ...chain, strikes: [] }, '2026-06-01')).toBeUndefined();
    expect(optionProbe('QQQ', { ...chain, expirations: [] }, '2026-06-01')).toBeUndefined();
  });
});
