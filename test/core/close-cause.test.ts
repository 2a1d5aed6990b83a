import { describe, expect, it } from 'vitest';
import { closeCause } from '#core/close-cause';

describe('closeCause: what closed a position, in the report’s words', () => {
  it('names a closing order by its decision rule', () => {
    expect(closeCause({ closingOrder: { purpose: 'CLOSE', rule: 8 }, lastRealisedKind: 'CLOSE' })).toBe(
      'profit target',
    );
    expect(closeCause({ closingOrder: { purpose: 'CLOSE', rule: 9 }, lastRealisedKind: 'CLOSE' })).toBe(
      'DTE exit',
    );
    expect(closeCause({ closingOrder: { purpose: 'CLOSE', rule: 4 }, lastRealisedKind: 'CLOSE' })).toBe(
      'stop loss',
    );
    expect(closeCause({ closingOrder: { purpose: 'CLOSE', rule: 5 }, lastRealisedKind: 'CLOSE' })).toBe(
      'short strike breached',
    );
  });

  it('names a close without an order of ours by the realised ledger', () => {
    expect(closeCause({ lastRealisedKind: 'EXPIRY' })).toBe('expiry');
    expect(closeCause({ lastRealisedKind: 'ASSIGNMENT' })).toBe('assignment');
    expect(closeCause({ lastRealisedKind: 'EXERCISE' })).toBe('exercise');
    expect(closeCause({ lastRealisedKind: 'EXTERNAL' })).toBe('closed outside the system');
    // Found gone at IB with no P&L known (verify-positions' repair).
    expect(closeCause({})).toBe('closed outside the system');
  });

  it('expiry wins over an earlier partial close by an order of ours', () => {
    expect(closeCause({ closingOrder: { purpose: 'CLOSE', rule: 8 }, lastRealisedKind: 'EXPIRY' })).toBe(
      'expiry',
    );
  });

  it('names the close of assigned holdings, an order without a rule and an unknown rule', () => {
    expect(closeCause({ closingOrder: { purpose: 'CLOSE_HOLDING' }, lastRealisedKind: 'CLOSE' })).toBe(
      'holdings closed',
    );
    expect(closeCause({ closingOrder: { purpose: 'CLOSE' }, lastRealisedKind: 'CLOSE' })).toBe(
      'close order without a rule',
    );
    expect(closeCause({ closingOrder: { purpose: 'CLOSE', rule: 11 } })).toBe('rule 11');
  });
});
