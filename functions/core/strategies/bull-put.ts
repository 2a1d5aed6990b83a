// Bull put spread (trading rules, "Strategies"): sell put K, buy put K − w.
import type { Candidate, OptionChain } from '../types';
import type { Config } from '../config';
import { ramp } from '../curves';
import { buildVerticals, heldVertical, verticalFrom } from './shared';
import type { BuildContext, StrategyModule } from './shared';

/** Every eligible bull put spread (sell put K, buy put K − w). */
export function buildBullPuts(chain: OptionChain, config: Config, ctx: BuildContext): Candidate[] {
  return buildVerticals(chain, config, ctx, 'BULL_PUT', 'P');
}

export const bullPut: StrategyModule<'BULL_PUT'> = {
  kind: 'BULL_PUT',
  label: 'bull put',
  enabledByDefault: true,
  quotes: { puts: true, calls: false },
  build: (_chain, _config, _ctx, verticals) => verticals.puts(),
  rebuild(input) {
    if (input.legs.length !== 2) return `a vertical has 2 legs, not ${input.legs.length}`;
    const built = verticalFrom(input, 'BULL_PUT', 0);
    return typeof built === 'string' ? built : built.candidate;
  },
  // Full in an uptrend (p ≥ up), zero in a downtrend (p ≤ down), linear between: a flat market earns half.
  trendFit: (p, down, up) => ramp(p, down, up),
  recognises: (legs) => legs.every((l) => l.contract.right === 'P') && heldVertical(legs, 'P') !== undefined,
};
