// The CDK app `npx cdk synth` / `npx cdk deploy` runs (cdk.json). Offline, no credentials, no Docker at
// synth. Settings come from context (lib/settings.ts):
//   npx cdk deploy -c alertEmail=you@example.com [-c alertPhone=+15551234567] [-c tradingMode=live]
// The cdk-nag AwsSolutions checks run on every synth: an unacknowledged finding fails it.
import { createApp } from '#lib/app';

createApp({ nag: true }).app.synth();
