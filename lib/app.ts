// Builds the CDK app: bin/app.ts (what `cdk synth` runs) and the infra tests use the same function, so
// the tests check the app that deploys.
import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import type { AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { acknowledgeNagFindings } from './nag';
import { OptionsIncomeStack } from './options-income-stack';
import type { OptionsIncomeStackProps } from './options-income-stack';
import { repoPath } from './paths';
import { settingsFromContext } from './settings';

export const STACK_NAME = 'IbOptionsIncome';

/**
 * The context in cdk.json (feature flags, settings). The CLI hands it to bin/app.ts; a test that builds
 * the app in process passes it itself, so it tests the same flags.
 */
export function projectContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(repoPath('cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

export interface CreateAppOptions extends AppProps {
  /** Run the cdk-nag AwsSolutions checks at synth (synth fails on an unacknowledged finding). */
  nag?: boolean;
  /** Tests: job table overrides (see OptionsIncomeStackProps). */
  stack?: Omit<OptionsIncomeStackProps, 'settings'>;
}

export function createApp(options: CreateAppOptions = {}): { app: App; stack: OptionsIncomeStack } {
  const { nag = false, stack: stackOptions = {}, ...appProps } = options;
  const app = new App(appProps);
  const settings = settingsFromContext((key) => app.node.tryGetContext(key));
  const stack = new OptionsIncomeStack(app, STACK_NAME, {
    description: 'IB options income: gateway task, Lambda jobs, schedules, storage, alerts',
    settings,
    ...stackOptions,
  });
  acknowledgeNagFindings(stack);
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
