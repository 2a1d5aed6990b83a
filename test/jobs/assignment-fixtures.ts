// What the assignment and expiry tests share: what IB holds, the two jobs that handle assignments run
// as the scheduler runs them, and the alert subjects published since a point.
import { handler as monitor } from '#jobs/monitor';
import { handler as sync } from '#jobs/position-sync';
import type { JobStack } from './support';
import { lambdaContext } from './support';

export function assignmentFixtures(stack: JobStack) {
  const engine = stack.sim.engine;
  const account = engine.accounts()[0]!;
  /** IB's positions by conId, signed, without the closed ones. */
  const heldAtIb = () =>
    new Map(
      engine
        .positions(account)
        .filter((p) => p.position !== 0)
        .map((p) => [p.contract.conId, p.position]),
    );
  const runSync = () =>
    sync(
      { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} },
      lambdaContext('position-sync'),
    );
  const runMonitor = () => monitor({}, lambdaContext('monitor'));
  const subjects = (from: number) =>
    stack
      .published()
      .slice(from)
      .map((p) => String(p.Subject));
  return { heldAtIb, runSync, runMonitor, subjects };
}
