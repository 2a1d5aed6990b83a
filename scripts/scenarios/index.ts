// The `npm start` scenarios by name: what happens to the market or the gateway on which day of a run, and
// what the run must show for each to have made its point. The runner (scripts/day/runner.ts) applies
// them. Each family lives in its own file beside this one; scenario.ts says what a scenario is,
// expectations.ts holds the helpers and the consistency checks every day is judged by.
import { earlyAssignment } from './early-assignment';
import { expect } from './expectations';
import { expiryWeek } from './expiry-week';
import { corruptConfig, gatewayDisconnect, orderRejected, staleQuotes } from './faults';
import { sellOff, volCrush, wingQuoteMissing } from './market-moves';
import type { Scenario } from './scenario';
import { loginNeverApproved, weeklyLogin } from './weekly-login';

export { consistencyChecks } from './expectations';
export { shockUnderlying } from './market-moves';
export type { Scenario, ScenarioContext, ScenarioEvent } from './scenario';

export const SCENARIOS: Record<string, Scenario> = {
  normal: {
    name: 'normal',
    description: 'an ordinary day: analysis, paper entries at 10:00, monitoring every 5 minutes',
    check: (summary) => [
      expect('strategy-analysis scored candidates', () => ({
        ok: summary.candidates.count > 0,
        detail: `${summary.candidates.count} scored, ${summary.candidates.eligible} eligible`,
      })),
    ],
  },
  'gateway-disconnect': gatewayDisconnect,
  'stale-quotes': staleQuotes,
  'order-rejected': orderRejected,
  'sell-off': sellOff,
  'vol-crush': volCrush,
  'wing-quote-missing': wingQuoteMissing,
  'early-assignment': earlyAssignment,
  'corrupt-config': corruptConfig,
  'expiry-week': expiryWeek,
  'weekly-login': weeklyLogin,
  'login-never-approved': loginNeverApproved,
};
