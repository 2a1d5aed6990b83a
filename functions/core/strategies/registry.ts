// The registered strategy kinds, one module each. Adding a kind = one module in this folder plus one
// line here: StrategyKind, the config enum and default, the candidate search, the trend fit, alert
// names, the analysis' quote plan and position-sync's recognition all derive from this list.
import { bearCall } from './bear-call';
import { bullPut } from './bull-put';
import { ironButterfly } from './iron-butterfly';
import { ironCondor } from './iron-condor';
import type { HeldOptionLeg, StrategyModule } from './shared';

/** In build order: the spreads first, then what pairs them (so candidates come out verticals first). */
export const STRATEGIES = [bullPut, bearCall, ironCondor, ironButterfly] as const;

export type StrategyKind = (typeof STRATEGIES)[number]['kind'];

/** Every kind, for the config enum (zod wants a non-empty tuple). */
export const STRATEGY_KINDS = STRATEGIES.map((s) => s.kind) as unknown as readonly [
  StrategyKind,
  ...StrategyKind[],
];

/** The kinds built when the config does not say. */
export const DEFAULT_STRATEGIES: StrategyKind[] = STRATEGIES.filter((s) => s.enabledByDefault).map(
  (s) => s.kind,
);

const byKind = new Map<string, StrategyModule>(STRATEGIES.map((s) => [s.kind, s]));

/** The module of `kind`; throws on a kind no module registers (a stored record from another version). */
export function strategyOf(kind: StrategyKind): StrategyModule<StrategyKind> {
  const found = byKind.get(kind);
  if (!found) throw new Error(`unknown strategy kind ${String(kind)}`);
  return found as StrategyModule<StrategyKind>;
}

/**
 * The trading rules' words for `kind`: `iron condor`. A kind no module registers (a record written by
 * another version) is named by itself: an alert must never fail for a name.
 */
export const strategyLabel = (kind: StrategyKind): string => byKind.get(kind)?.label ?? String(kind);

/** The sides of the chain the analysis quotes for `kinds` (see `StrategyModule.quotes`). */
export function quoteSides(kinds: readonly StrategyKind[]): {
  puts: boolean;
  calls: boolean;
  atTheMoney: boolean;
} {
  const modules = kinds.map(strategyOf);
  return {
    puts: modules.some((m) => m.quotes.puts),
    calls: modules.some((m) => m.quotes.calls),
    atTheMoney: modules.some((m) => m.quotes.atTheMoney === true),
  };
}

/** The kind these held legs (one underlying and expiry) form, if any registered module recognises them. */
export function recogniseStrategy(legs: readonly HeldOptionLeg[]): StrategyKind | undefined {
  return STRATEGIES.find((s) => s.recognises(legs))?.kind;
}
