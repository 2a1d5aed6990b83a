import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineBudget } from '#bridge/lines';
import { type Clock, OutgoingQueue } from '#bridge/pacer';

/** A manual clock: timers fire only when the test advances time. */
function manualClock(): Clock & { advance(ms: number): void } {
  let t = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let seq = 0;
  return {
    now: () => t,
    setTimeout(fn, ms) {
      const id = seq++;
      timers.push({ at: t + ms, fn, id });
      return id;
    },
    clearTimeout(handle) {
      timers = timers.filter((x) => x.id !== handle);
    },
    advance(ms) {
      const end = t + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > end) break;
        timers.shift();
        t = next.at;
        next.fn();
      }
      t = end;
    },
  };
}

describe('OutgoingQueue', () => {
  it('never lets more than 45 messages out in any rolling second nor 4 in 90 ms, and sends all of them', () => {
    const clock = manualClock();
    const sent: number[] = [];
    const q = new OutgoingQueue({ clock, maxPerWindow: 45, windowMs: 1000, maxBurst: 4, burstWindowMs: 90 });
    for (let i = 0; i < 500; i++) q.enqueue(50, () => sent.push(clock.now()));
    clock.advance(20_000);
    expect(sent).toHaveLength(500);
    // sliding-window check over every send instant
    for (let i = 0; i < sent.length; i++) {
      const inWindow = sent.filter((t) => t >= sent[i]! && t < sent[i]! + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(45);
      expect(sent.filter((t) => t >= sent[i]! && t < sent[i]! + 90).length).toBeLessThanOrEqual(4);
    }
    // and no slower than needed: 500 messages at 45/s need at least 11 full windows, not many more
    expect(sent.at(-1)!).toBeLessThanOrEqual(12_000);
  });

  it('sends waiting messages by priority (lower first), first-in first-out within a priority', () => {
    const clock = manualClock();
    const order: string[] = [];
    const q = new OutgoingQueue({ clock, maxPerWindow: 1, windowMs: 1000, maxBurst: 1 });
    q.enqueue(50, () => order.push('first data')); // goes out at once: the window is empty
    q.enqueue(50, () => order.push('data A'));
    q.enqueue(100, () => order.push('health'));
    q.enqueue(50, () => order.push('data B'));
    q.enqueue(-2, () => order.push('order'));
    q.enqueue(10, () => order.push('history'));
    clock.advance(10_000);
    expect(order).toEqual(['first data', 'order', 'history', 'data A', 'data B', 'health']);
  });

  it('law: the send order is sorted by (priority, arrival) for any arrival sequence', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -2, max: 100 }), { minLength: 1, maxLength: 60 }),
        (priorities) => {
          const clock = manualClock();
          const q = new OutgoingQueue({ clock, maxPerWindow: 1, windowMs: 10, maxBurst: 1 });
          q.pause(); // everything arrives before anything leaves
          const out: { p: number; i: number }[] = [];
          priorities.forEach((p, i) => q.enqueue(p, () => out.push({ p, i })));
          q.resume();
          clock.advance(10 * priorities.length + 10);
          const expected = priorities.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
          expect(out).toEqual(expected);
        },
      ),
    );
  });

  it('counts externally sent messages (the handshake) against the window, and drops queued items on clear', () => {
    const clock = manualClock();
    const q = new OutgoingQueue({ clock, maxPerWindow: 2, windowMs: 1000, maxBurst: 2 });
    q.recordExternalSend('startApi');
    let sent = 0;
    let dropped = 0;
    q.enqueue(1, () => sent++);
    q.enqueue(
      1,
      () => sent++,
      'x',
      () => dropped++,
    );
    expect(sent).toBe(1);
    q.clear();
    clock.advance(5000);
    expect(sent).toBe(1);
    expect(dropped).toBe(1);
  });
});

describe('LineBudget', () => {
  it('never has more than its maximum in use; waiters get lines as others are released', async () => {
    const budget = new LineBudget(90);
    const held: (() => void)[] = [];
    const acquisitions = Array.from({ length: 500 }, () =>
      budget.acquire(50).then((release) => held.push(release)),
    );
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(budget.linesInUse).toBe(90);
    expect(budget.waiting).toBe(410);
    while (held.length > 0) {
      held.shift()!();
      await new Promise((r) => setTimeout(r, 0));
    }
    await Promise.all(acquisitions);
    while (held.length > 0) held.shift()!();
    expect(budget.peak).toBe(90);
    expect(budget.linesInUse).toBe(0);
  });

  it('serves waiting requests by priority, and a double release frees only one line', async () => {
    const budget = new LineBudget(1);
    const first = await budget.acquire(50);
    const order: string[] = [];
    const low = budget.acquire(90).then((r) => (order.push('low'), r));
    const high = budget.acquire(10).then((r) => (order.push('high'), r));
    first();
    first();
    const releaseHigh = await high;
    expect(budget.linesInUse).toBe(1);
    releaseHigh();
    (await low)();
    expect(order).toEqual(['high', 'low']);
    expect(budget.peak).toBe(1);
  });
});
