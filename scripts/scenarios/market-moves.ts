// Scenarios where the market moves: a sell-off through the short strikes, a volatility crush, and a
// sell-off while the long wings have stopped quoting.
import { minutesOfDay } from '#core/calendar';
import type { LocalStack } from '../local/stack';
import type { PositionView } from '../report/summary';
import { expect, hasOpenPositions } from './expectations';
import type { Scenario } from './scenario';

/**
 * Moves an underlying by `returnPct` at once (and its volatility up), as a gap or a crash would. The
 * engine has no shock control yet, so this edits its saved state and loads it back: conIds, orders and
 * positions are part of that state and carry over unchanged.
 */
export function shockUnderlying(
  stack: LocalStack,
  symbol: string,
  returnPct: number,
  volLogBump = 0.6,
): void {
  // The simulator's own fault (also scriptable with --faults): pushes the new prices to every line.
  stack.simulator.faults.priceShock(symbol, returnPct, volLogBump);
}

export const sellOff: Scenario = {
  name: 'sell-off',
  description: 'at 12:00 every underlying drops 12% at once and volatility jumps; stop-loss / breach exits',
  events: [
    {
      time: '12:00',
      label: 'sell-off: every underlying −12%, implied volatility up',
      apply: ({ stack }) => {
        // 12%: beyond the furthest short strike the delta window allows (|delta| 0.10 at ~45 DTE), so any entry is hit.
        for (const symbol of ['SPY', 'QQQ', 'IWM']) shockUnderlying(stack, symbol, -12);
      },
    },
  ],
  check: (summary) => [
    expect('positions at risk were closed by a stop-loss or breach rule', () => {
      if (!hasOpenPositions(summary)) return 'not checked';
      const exits = summary.positions.flatMap((p) =>
        p.notableDecisions.filter(
          (d) => d.action === 'CLOSE' && minutesOfDay(d.time) >= minutesOfDay('12:00'),
        ),
      );
      return {
        ok: exits.length > 0,
        detail: exits.length
          ? exits.map((d) => `${d.time} rule ${d.rule} ${d.ruleName}`).join('; ')
          : 'no CLOSE decision after 12:00',
      };
    }),
  ],
};

export const volCrush: Scenario = {
  name: 'vol-crush',
  description:
    'ordinary entries on the first day; at 11:00 of the second, implied volatility of every underlying falls by 40% with the price unchanged: the credit spreads lose most of their value and the monitor takes the profit (rule 8)',
  days: 2,
  events: [
    {
      day: 1,
      time: '11:00',
      label: 'volatility crush: every underlying’s implied volatility × 0.6, price unchanged',
      // log-volatility −0.51 = volatility × e^−0.51 ≈ 0.6
      apply: ({ stack }) => {
        for (const symbol of ['SPY', 'QQQ', 'IWM']) shockUnderlying(stack, symbol, 0, -0.51);
      },
    },
  ],
  check: (summary, _ctx, days) => {
    const opened = days.some((d) => d.orderCounts.filled > 0);
    const profitTaken = days.reduce((n, d) => n + (d.closesByRule?.['profit target'] ?? 0), 0);
    return [
      expect('positions opened on the first day were closed at the profit target', () => ({
        ok: opened && profitTaken > 0,
        detail: opened
          ? `${profitTaken} profit-target close(s); closes: ${JSON.stringify(summary.closesByRule ?? {})}`
          : 'no opening order filled on the first day',
      })),
    ];
  },
};

export const wingQuoteMissing: Scenario = {
  name: 'wing-quote-missing',
  description:
    'from 11:40 the long put wing of every open position stops quoting; at 12:00 every underlying drops 12%: the breached positions are closed on a model price for the wing, with a CRITICAL alert',
  events: [
    {
      time: '11:40',
      label: 'the long put wing of each open position stops quoting (no bid, no ask)',
      apply: async ({ stack, log }) => {
        for (const position of await stack.stores.positions.listOpen()) {
          const wing = position.legs.find((l) => l.quantity > 0 && l.contract.right === 'P');
          if (wing?.contract.conId === undefined) continue;
          stack.simulator.faults.quotes(wing.contract.conId, 'missing');
          log(
            `        ${position.id}: no quotes for P${wing.contract.strike} (conId ${wing.contract.conId})`,
          );
        }
      },
    },
    {
      time: '12:00',
      label: 'sell-off: every underlying −12%, implied volatility up',
      apply: ({ stack }) => {
        for (const symbol of ['SPY', 'QQQ', 'IWM']) shockUnderlying(stack, symbol, -12);
      },
    },
  ],
  check: (summary, ctx) => {
    // The positions whose put wing went silent: open before 11:40 with a long put.
    const hit = summary.positions.filter(
      (p) => p.openedAt < ctx.at('11:40') && p.legs.some((l) => l.right === 'P' && l.quantity > 0),
    );
    const modelCloses = (p: PositionView) =>
      p.notableDecisions.filter((d) => d.action === 'CLOSE' && d.inputs.modelPriced === true);
    const ordersById = new Map(summary.orders.map((o) => [o.intentKey, o]));
    return [
      expect('each breached position without a wing quote was closed that day on a model price', () => {
        if (hit.length === 0) return 'not checked';
        const open = hit.filter((p) => p.status !== 'CLOSED' || modelCloses(p).length === 0);
        return {
          ok: open.length === 0,
          detail: hit
            .map((p) => `${p.id} ${p.status}${p.closeReason ? ` (${p.closeReason})` : ''}`)
            .join('; '),
        };
      }),
      expect('every such close was limited at or below the width', () => {
        const closes = hit.flatMap((p) => modelCloses(p).map((d) => ({ p, d })));
        if (closes.length === 0) return 'not checked';
        const over = closes.filter(({ p, d }) => {
          const order = d.intentKey ? ordersById.get(d.intentKey) : undefined;
          return (
            !order ||
            !(Math.abs(order.limitPrice) <= p.width) ||
            !(Number(d.inputs.protectiveLimit) <= p.width)
          );
        });
        return {
          ok: over.length === 0,
          detail: closes
            .map(({ p, d }) => `${p.id} limit ${String(d.inputs.protectiveLimit)} ≤ width ${p.width}`)
            .join('; '),
        };
      }),
      expect('a CRITICAL alert named the position, the wing and its model price', () => {
        if (hit.length === 0) return 'not checked';
        const critical = summary.alerts.filter(
          (a) => a.severity === 'CRITICAL' && /model price/.test(a.message),
        );
        const missing = hit.filter((p) => !critical.some((a) => a.message.includes(p.id)));
        return {
          ok: missing.length === 0,
          detail: critical.length ? critical[0]!.message : 'no CRITICAL alert with a model price',
        };
      }),
    ];
  },
};
