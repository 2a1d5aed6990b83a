// verify-positions (on demand): DynamoDB's open positions against IB's positions, leg by leg.
//
// Every difference is reported: a leg we hold that IB does not (missing at IB), an IB option leg no
// open position explains (missing in DynamoDB), and a leg both hold in different quantities. Any
// difference is a CRITICAL alert. Nothing is written unless the payload says { "repair": true }:
//   - a position whose legs are ALL gone at IB is closed ("gone at IB", no realised P&L guessed);
//   - unknown IB legs are grouped by underlying and expiry and recorded as EXTERNAL positions when
//     they form one of our strategies (position-sync's grouping); other groups are reported only;
//   - quantity mismatches and partly-gone positions are reported, never rewritten: which side is
//     right needs a person.
import type { BrokerPosition } from '#adapters/bridge-client';
import { PositionConflictError } from '#adapters/ports';
import type { PositionRecord } from '#adapters/ports';
import { describePosition } from '#core/alerts';
import { externalPosition, heldOptionContract } from '#core/lifecycle';
import type { HeldLeg } from '#core/lifecycle';
import type { OptionContract } from '#core/types';
import type { RunContext, RunOutcome } from '../shared/define-job';

export interface VerifyInput {
  repair?: boolean | undefined;
}

/** One option leg, identified the same way on both sides (IB conIds are not always in our records). */
export function legId(c: Pick<OptionContract, 'symbol' | 'expiry' | 'right' | 'strike'>): string {
  return `${c.symbol} ${c.expiry} ${c.right}${c.strike}`;
}

export type Difference =
  | { kind: 'MISSING_AT_IB'; leg: string; ours: number; positionIds: string[] }
  | { kind: 'MISSING_IN_DYNAMODB'; leg: string; ib: number; contract?: OptionContract; averageCost: number }
  | { kind: 'QUANTITY_MISMATCH'; leg: string; ours: number; ib: number; positionIds: string[] };

/** Every leg-level difference between our open positions and IB's option positions. Pure. */
export function comparePositions(
  open: readonly Pick<PositionRecord, 'id' | 'legs' | 'orphanLegs'>[],
  ib: readonly BrokerPosition[],
): Difference[] {
  const ours = new Map<string, { quantity: number; positionIds: string[] }>();
  for (const p of open)
    // An assignment's orphaned legs are the position's too.
    for (const l of [...p.legs, ...(p.orphanLegs ?? [])]) {
      const id = legId(l.contract);
      const entry = ours.get(id) ?? { quantity: 0, positionIds: [] };
      entry.quantity += l.quantity;
      if (!entry.positionIds.includes(p.id)) entry.positionIds.push(p.id);
      ours.set(id, entry);
    }
  const theirs = new Map<string, { quantity: number; contract: OptionContract; averageCost: number }>();
  for (const v of ib) {
    const contract = heldOptionContract(v);
    if (!contract || v.quantity === 0) continue;
    const id = legId(contract);
    const entry = theirs.get(id);
    theirs.set(id, {
      quantity: (entry?.quantity ?? 0) + v.quantity,
      contract,
      averageCost: v.averageCost,
    });
  }
  const differences: Difference[] = [];
  for (const [leg, o] of ours) {
    const t = theirs.get(leg);
    if (o.quantity === 0 && !t) continue;
    if (!t) differences.push({ kind: 'MISSING_AT_IB', leg, ours: o.quantity, positionIds: o.positionIds });
    else if (t.quantity !== o.quantity)
      differences.push({
        kind: 'QUANTITY_MISMATCH',
        leg,
        ours: o.quantity,
        ib: t.quantity,
        positionIds: o.positionIds,
      });
  }
  for (const [leg, t] of theirs) {
    if (ours.has(leg)) continue;
    differences.push({
      kind: 'MISSING_IN_DYNAMODB',
      leg,
      ib: t.quantity,
      contract: t.contract,
      averageCost: t.averageCost,
    });
  }
  return differences.sort((a, b) => (a.leg < b.leg ? -1 : a.leg > b.leg ? 1 : 0));
}

export function describeDifference(d: Difference): string {
  switch (d.kind) {
    case 'MISSING_AT_IB':
      return `${d.leg}: we hold ${d.ours} (${d.positionIds.join(', ')}), IB holds none`;
    case 'MISSING_IN_DYNAMODB':
      return `${d.leg}: IB holds ${d.ib}, no open position of ours`;
    case 'QUANTITY_MISMATCH':
      return `${d.leg}: we hold ${d.ours} (${d.positionIds.join(', ')}), IB holds ${d.ib}`;
  }
}

/**
 * Unknown legs of one underlying and expiry, as strategies: all of them when they form one (an iron
 * condor), else the puts and the calls each on their own (a spread beside a stray leg is still recorded).
 */
export function strategyGroups(legs: readonly HeldLeg[]): HeldLeg[][] {
  if (externalPosition([...legs], 0)) return [[...legs]];
  const puts = legs.filter((l) => l.contract.right === 'P');
  const calls = legs.filter((l) => l.contract.right === 'C');
  return [puts, calls].filter((side) => side.length > 0);
}

export async function runVerifyPositions(input: VerifyInput, ctx: RunContext): Promise<RunOutcome> {
  const repair = input.repair === true;
  const [open, ib] = await Promise.all([ctx.stores.positions.listOpen(), ctx.bridge.positions()]);
  const differences = comparePositions(open, ib);
  const reasons = differences.map(describeDifference);
  const counts = {
    openPositions: open.length,
    ibOptionLegs: ib.filter((v) => v.contract.kind === 'OPTION' && v.quantity !== 0).length,
    differences: differences.length,
    missingAtIb: differences.filter((d) => d.kind === 'MISSING_AT_IB').length,
    missingInDynamo: differences.filter((d) => d.kind === 'MISSING_IN_DYNAMODB').length,
    quantityMismatches: differences.filter((d) => d.kind === 'QUANTITY_MISMATCH').length,
    closed: 0,
    createdExternal: 0,
  };
  const repairs: string[] = [];

  if (repair && differences.length > 0) {
    const now = ctx.clock.now();
    const atIb = new Set(
      ib.flatMap((v) => (heldOptionContract(v) && v.quantity !== 0 ? [legId(heldOptionContract(v)!)] : [])),
    );
    for (const p of open) {
      // Shares an assignment left are the position's until the monitor closes them.
      if (p.stock || [...p.legs, ...(p.orphanLegs ?? [])].some((l) => atIb.has(legId(l.contract)))) continue;
      try {
        await ctx.stores.positions.markClosed(p.id, { reason: 'gone at IB (verify-positions repair)', now });
        counts.closed += 1;
        repairs.push(`closed ${p.id}: ${describePosition(p)} no longer held at IB`);
      } catch (error) {
        if (!(error instanceof PositionConflictError)) throw error;
        repairs.push(`${p.id}: already closed by another run`);
      }
    }
    const groups = new Map<string, HeldLeg[]>();
    for (const d of differences) {
      if (d.kind !== 'MISSING_IN_DYNAMODB' || !d.contract) continue;
      const key = `${d.contract.symbol}|${d.contract.expiry}`;
      groups.set(key, [
        ...(groups.get(key) ?? []),
        { contract: d.contract, quantity: d.ib, averageCost: d.averageCost },
      ]);
    }
    for (const group of groups.values()) {
      for (const legs of strategyGroups(group)) {
        const position = externalPosition(legs, now);
        const label = legs.map((l) => `${legId(l.contract)} ×${l.quantity}`).join(', ');
        if (!position) {
          repairs.push(`not recorded (not one of our strategies): ${label}`);
          continue;
        }
        const created = await ctx.stores.positions.create(position, { source: 'EXTERNAL', now });
        if (created.created) {
          counts.createdExternal += 1;
          repairs.push(`recorded EXTERNAL ${position.id}: ${describePosition(position)}`);
        } else {
          repairs.push(`${position.id} already recorded (${created.existing.status})`);
        }
      }
    }
    const left = differences.filter((d) => d.kind === 'QUANTITY_MISMATCH').length;
    if (left > 0) repairs.push(`${left} quantity mismatch(es) left for an operator: not rewritten`);
  }

  if (differences.length > 0) {
    await ctx.alert({
      subject: 'positions',
      rule: 'position-mismatch',
      severity: 'CRITICAL',
      title: `Position mismatch: ${differences.length} difference(s) with IB`,
      message:
        `${reasons.slice(0, 5).join('; ')}${differences.length > 5 ? `; and ${differences.length - 5} more` : ''}. ` +
        (repair
          ? `Repaired: ${counts.closed} closed, ${counts.createdExternal} recorded.`
          : 'Repair with {"repair": true}.'),
      numbers: { differences: differences.length },
    });
  }
  return {
    did:
      differences.length === 0
        ? `DynamoDB and IB agree: ${open.length} open position(s), ${counts.ibOptionLegs} IB option leg(s)`
        : `found ${differences.length} difference(s) between DynamoDB and IB${repair ? `; repaired: ${counts.closed} closed, ${counts.createdExternal} recorded as EXTERNAL` : '; nothing changed (repair not asked)'}`,
    counts,
    reasons: [...reasons, ...repairs],
    details: { repair, differences },
    ok: differences.length === 0,
  };
}
