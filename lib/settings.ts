// Deploy-time settings, from CDK context (`-c key=value` or cdk.json), validated once so a typo fails the
// synth with the setting's name instead of deploying something else:
//
//   npx cdk deploy -c alertEmail=you@example.com -c alertPhone=+15551234567 -c tradingMode=paper
//
// Trading behaviour (strategies, limits, dry run, kill switch) is NOT here: it lives in the config table
// and changes without a deploy. These are the settings that shape the infrastructure itself.
import { z } from 'zod';

const contextString = z.preprocess((value) => (value === '' ? undefined : value), z.string().optional());

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
});

export type Settings = z.infer<typeof SettingsSchema>;

export const SETTING_KEYS = Object.keys(SettingsSchema.shape) as (keyof Settings)[];

/** Reads the settings from a context lookup (`(key) => node.tryGetContext(key)`); throws naming each bad one. */
export function settingsFromContext(lookup: (key: string) => unknown): Settings {
  const raw = Object.fromEntries(SETTING_KEYS.map((key) => [key, lookup(key)]));
  const parsed = SettingsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `${String(issue.path[0] ?? '?')}: ${issue.message}`);
  throw new Error(`invalid CDK context:\n  ${lines.join('\n  ')}`);
}
