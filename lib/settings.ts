// Deploy-time settings, from CDK context (`-c key=value` or cdk.json), validated once so a typo fails the
// synth with the setting's name instead of deploying something else:
//
//   npx cdk deploy -c alertEmail=you@example.com -c alertPhone=+15551234567 -c tradingMode=paper
//
// Trading behaviour (strategies, limits, dry run, kill switch) is NOT here: it lives in the config table
// and changes without a deploy. These are the settings that shape the infrastructure itself, plus the
// bridge's own hard caps, which must not move with the config table (below).
import { z } from 'zod';
import { riskSchema } from '#core/config';
import { gatewayHoursSchema } from '#core/gateway-hours';
import { DEFAULT_WEEKLY_LOGIN, weeklyLoginSchema } from '#core/login';

const contextString = z.preprocess((value) => (value === '' ? undefined : value), z.string().optional());

/**
 * The bridge's own hard caps (BRIDGE_MAX_CONTRACTS_PER_ORDER / _PER_DAY), the last line of defence if a job
 * or the config table goes wrong, so they come from the deploy, not from the config table. The bridge
 * counts option contracts, legs × ratio × quantity (an iron condor of 10 is 40), and the day's cap counts
 * opening orders only (closing is never blocked). Defaults follow the config's defaults with a margin:
 * - per order: `risk.maxContractsPerTrade` (10) of the widest strategy, an iron condor of four legs: 40;
 * - per day: every allowed position (`risk.maxOpenPositions`, 5) at that full size, three times over: an
 *   entry refused or cancelled and sent again under a new attempt, and a second run by hand the same day.
 *   10 × 4 × 5 × 3 = 600 option contracts: a normal day opens at most a third of it, a job stuck in a loop
 *   hits it within a few orders.
 * Raising `risk.maxContractsPerTrade` or `risk.maxOpenPositions` in the config table does not raise these:
 * redeploy with `-c bridgeMaxContractsPerOrder=N -c bridgeMaxContractsPerDay=N`.
 */
const CONFIG_DEFAULTS = riskSchema.parse({});
export const BRIDGE_LEGS_PER_POSITION = 4;
export const BRIDGE_OPENINGS_PER_POSITION_PER_DAY = 3;
export const DEFAULT_BRIDGE_MAX_CONTRACTS_PER_ORDER =
  CONFIG_DEFAULTS.maxContractsPerTrade * BRIDGE_LEGS_PER_POSITION;
export const DEFAULT_BRIDGE_MAX_CONTRACTS_PER_DAY =
  DEFAULT_BRIDGE_MAX_CONTRACTS_PER_ORDER *
  CONFIG_DEFAULTS.maxOpenPositions *
  BRIDGE_OPENINGS_PER_POSITION_PER_DAY;

const contractCap = (name: string, max: number, fallback: number) =>
  z.coerce
    .number({ error: `${name} must be a whole number` })
    .int({ error: `${name} must be a whole number` })
    .min(1, { error: `${name} must be at least 1` })
    .max(max, { error: `${name} must be at most ${max}` })
    .default(fallback);

export const SettingsSchema = z.object({
  /** paper (default) or live: the gateway's TRADING_MODE and the bridge's IB port follow it. */
  tradingMode: z.enum(['paper', 'live']).default('paper'),
  /** Every alert and alarm by email. Without it the topic has no email subscriber (a synth warning). */
  alertEmail: contextString.pipe(z.email({ error: 'alertEmail must be an email address' }).optional()),
  /** CRITICAL alerts by SMS, E.164 (`+15551234567`). */
  alertPhone: contextString.pipe(
    z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'alertPhone must be an E.164 number such as +15551234567')
      .optional(),
  ),
  /**
   * IB's weekly full login (the one that needs the IBKR Mobile approval), `Sun HH:MM` New York. The gateway
   * restarts cold then (IBC's ColdRestartTime, Sundays only) and the health check alerts until it is
   * approved. Default Sun 18:00 (functions/core/login.ts says why).
   */
  weeklyLogin: contextString.pipe(weeklyLoginSchema.default(DEFAULT_WEEKLY_LOGIN)),
  /**
   * How the Lambda jobs reach SNS, Secrets Manager and ECS (lib/network.ts): `endpoints` (default), three
   * interface endpoints; `ipv6`, their dual-stack public endpoints over IPv6 through an egress-only
   * internet gateway, no interface endpoint (lib/dual-stack.ts lists the regions where that works).
   */
  egress: z
    .enum(['endpoints', 'ipv6'], { error: "egress must be 'endpoints' or 'ipv6'" })
    .default('endpoints'),
  /**
   * CPU architecture of the gateway task: `arm64` (default, Graviton, about 20 % cheaper) or `x86_64`.
   * The IB Gateway image at the pinned tag is published for both (gateway-container/Dockerfile.gateway).
   */
  gatewayArch: z
    .enum(['x86_64', 'arm64'], { error: "gatewayArch must be 'x86_64' or 'arm64'" })
    .default('arm64'),
  /**
   * `always` (default): the gateway task runs around the clock. `market`: only 07:30-18:30 New York on
   * trading days (functions/core/gateway-hours.ts), started and stopped by the gateway-hours job; every
   * start is a fresh IB login, so a live account approves IBKR Mobile each morning.
   */
  gatewayHours: contextString.pipe(gatewayHoursSchema.default('always')),
  /** Fargate CPU units of the gateway task (memory is 2 GB either way); see gateway-service.ts. */
  gatewayCpu: z.coerce
    .number()
    .refine((cpu) => cpu === 512 || cpu === 1024, 'gatewayCpu must be 512 or 1024')
    .default(512),
  /**
   * A prebuilt bridge image (`<account>.dkr.ecr.<region>.amazonaws.com/ib-bridge:<tag>`). Without it the
   * image is built from gateway-container/Dockerfile.bridge by `cdk deploy`, which needs Docker then
   * (never at synth).
   */
  bridgeImage: contextString,
  /** IB market data type for the bridge: 1 live (default), 3 delayed for an account without subscriptions. */
  ibMarketDataType: z.coerce
    .number()
    .int()
    .refine((type) => type >= 1 && type <= 4, 'ibMarketDataType must be 1, 2, 3 or 4')
    .default(1),
  /** The bridge refuses an order for more contracts than this (combo quantity). */
  bridgeMaxContractsPerOrder: contractCap(
    'bridgeMaxContractsPerOrder',
    1000,
    DEFAULT_BRIDGE_MAX_CONTRACTS_PER_ORDER,
  ),
  /** The bridge refuses opening orders beyond this many option contracts a day. */
  bridgeMaxContractsPerDay: contractCap(
    'bridgeMaxContractsPerDay',
    100_000,
    DEFAULT_BRIDGE_MAX_CONTRACTS_PER_DAY,
  ),
});

export type Settings = z.infer<typeof SettingsSchema>;

export const SETTING_KEYS = Object.keys(SettingsSchema.shape) as (keyof Settings)[];

/** Reads the settings from a context lookup (`(key) => node.tryGetContext(key)`); throws naming each bad one. */
export function settingsFromContext(lookup: (key: string) => unknown): Settings {
  const raw = Object.fromEntries(SETTING_KEYS.map((key) => [key, lookup(key)]));
  const parsed = SettingsSchema.refine(
    (settings) => settings.bridgeMaxContractsPerDay >= settings.bridgeMaxContractsPerOrder,
    {
      path: ['bridgeMaxContractsPerDay'],
      error: 'bridgeMaxContractsPerDay must be at least bridgeMaxContractsPerOrder',
    },
  ).safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `${String(issue.path[0] ?? '?')}: ${issue.message}`);
  throw new Error(`invalid CDK context:\n  ${lines.join('\n  ')}`);
}
