// The scenarios' shared expectation helpers, and the consistency checks every day of every scenario is
// judged by (the jobs' records against the broker's own view).
import { minutesOfDay } from '#core/calendar';
import type { DaySummary, Expectation } from '../report/summary';

/** The run (or decision, or alert) happened from `from` to `to` (New York HH:MM), both included. */
export const within = (run: { time: string }, from: string, to: string) =>
  minutesOfDay(run.time) >= minutesOfDay(from) && minutesOfDay(run.time) <= minutesOfDay(to);

/** An expectation judged on the day's summary; 'not checked' when the day gives it nothing to judge. */
export function expect(
  description: string,
  judge: () => { ok: boolean; detail?: string } | 'not checked',
): Expectation {
  const verdict = judge();
  if (verdict === 'not checked') return { description, status: 'not checked' };
  return {
    description,
    status: verdict.ok ? 'met' : 'not met',
    ...(verdict.detail ? { detail: verdict.detail } : {}),
  };
}

/** Checks every scenario shares: the jobs' records agree with the broker's own view. */
export function consistencyChecks(summary: DaySummary): Expectation[] {
  const brokerOrders = new Map(summary.simulator.orders.map((o) => [o.orderRef, o]));
  const brokerPositions = new Map(summary.simulator.positions.map((p) => [p.conId, p.position]));
  return [
    expect('every order the system placed is at the broker with the same fills', () => {
      const placed = summary.orders.filter((o) => o.orderId !== undefined && !o.dryRun);
      const wrong = placed.filter((o) => {
        const broker = brokerOrders.get(o.intentKey);
        return !broker || broker.filled !== o.filledQuantity;
      });
      return {
        ok: wrong.length === 0,
        detail:
          wrong.length === 0
            ? `${placed.length} orders agree`
            : `disagree: ${wrong.map((o) => o.intentKey).join(', ')}`,
      };
    }),
    expect('the broker has no order the system does not know', () => {
      // The day's intents, and the opening orders of the positions recorded (a position's id is its
      // opening intent's key, which may be an earlier day's).
      const known = new Set([
        ...summary.orders.map((o) => o.intentKey),
        ...summary.positions.map((p) => p.id),
      ]);
      const unknown = summary.simulator.orders.filter((o) => !known.has(o.orderRef));
      return {
        ok: unknown.length === 0,
        ...(unknown.length ? { detail: unknown.map((o) => `#${o.orderId} ${o.orderRef}`).join(', ') } : {}),
      };
    }),
    expect("open positions' legs and holdings equal the broker's positions", () => {
      // Spread legs, orphaned legs and shares an assignment left: everything a position owns.
      const ours = new Map<number, number>();
      for (const p of summary.positions.filter((x) => x.status === 'OPEN')) {
        for (const leg of p.holdings) ours.set(leg.conId, (ours.get(leg.conId) ?? 0) + leg.quantity);
      }
      const conIds = new Set([...ours.keys(), ...brokerPositions.keys()]);
      const diff = [...conIds].filter((id) => (ours.get(id) ?? 0) !== (brokerPositions.get(id) ?? 0));
      return {
        ok: diff.length === 0,
        detail: diff.length === 0 ? `${conIds.size} legs agree` : `differ on conIds ${diff.join(', ')}`,
      };
    }),
  ];
}

/** The day has positions to judge a rule on (else the expectation is not checked). */
export const hasOpenPositions = (summary: DaySummary) => summary.positions.length > 0;
