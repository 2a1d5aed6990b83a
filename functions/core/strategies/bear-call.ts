// Bear call spread (trading rules, "Strategies"): sell call K, buy call K + w.
import type { Candidate, OptionChain } from '../types';
import type { Config } from '../config';
import { ramp } from '../curves';
import { buildVerticals, heldVertical, verticalFrom } from './shared';
import type { BuildContext, StrategyModule } from './shared';

/** Every eligible bear call spread (sell call K, buy call K + w). */
export function buildBearCalls(chain: OptionChain, config: Config, ctx: BuildContext): Candidate[] {
  return buildVerticals(chain, config, ctx, 'BEAR_CALL', 'C');
}

export const bearCall: StrategyModule<'BEAR_CALL'> = {
  kind: 'BEAR_CALL',
  label: 'bear call',
  enabledByDefault: true,
  quotes: { puts: false, calls: true },
  build: (_chain, _config, _ctx, verticals) => verticals.calls(),
  rebuild(input) {
    if (input.legs.length !== 2) return `a vertical has 2 legs, not ${input.legs.length}`;
    const built = verticalFrom(input, 'BEAR_CALL', 0);
    return typeof built === 'string' ? built : built.candidate;
  },
  // The mirror image: full in a downtrend (p ≤ down), zero in an uptrend (p ≥ up).
  trendFit: (p, down, up) => ramp(p, up, down),
  recognises: (legs) => legs.every((l) => l.contract.right === 'C') && heldVertical(legs, 'C') !== undefined,
};
