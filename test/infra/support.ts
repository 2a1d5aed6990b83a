// Shared helpers for the infra tests: build the real app (lib/app.ts, with cdk.json's feature flags) in
// process and look things up in its template.
//
// By default nothing is bundled (CDK's `aws:cdk:bundling-stacks` context set to none): the template is
// the same, and a synth takes a second or two instead of one esbuild run per job. bundling.test.ts
// bundles for real.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import type { App, CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { createApp, projectContext } from '#lib/app';
import type { CreateAppOptions } from '#lib/app';
import type { OptionsIncomeStack } from '#lib/options-income-stack';
import { repoPath } from '#lib/paths';

export const FIXTURE_ENTRY = repoPath('test/infra/fixtures/handler.ts');
export const TEST_EMAIL = 'ops@example.com';
export const TEST_PHONE = '+15551234567';

export interface TestAppOptions {
  /** Extra CDK context (settings such as tradingMode). */
  context?: Record<string, unknown>;
  nag?: boolean;
  /** Run esbuild for the functions (slow). */
  bundle?: boolean;
  stack?: CreateAppOptions['stack'];
}

export interface TestApp {
  app: App;
  stack: OptionsIncomeStack;
  outdir: string;
}

const outdirs: string[] = [];

/** Deletes the cloud assemblies this file's tests wrote (call from afterAll). */
export function removeTestOutputs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function buildTestApp(options: TestAppOptions = {}): TestApp {
  const outdir = mkdtempSync(join(tmpdir(), 'infra-test-'));
  outdirs.push(outdir);
  const { app, stack } = createApp({
    outdir,
    nag: options.nag ?? false,
    context: {
      ...projectContext(),
      alertEmail: TEST_EMAIL,
      alertPhone: TEST_PHONE,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
    stack: { entryOverride: FIXTURE_ENTRY, ...options.stack },
  });
  return { app, stack, outdir };
}

/** The app's template (the fixture entry for every job, nothing bundled). */
export function synthTemplate(options: TestAppOptions = {}): {
  stack: OptionsIncomeStack;
  template: Template;
} {
  const { stack } = buildTestApp(options);
  return { stack, template: Template.fromStack(stack) };
}

/** The logical id CloudFormation knows a construct (or its default child) by. */
export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(element).resolve(element.logicalId) as string;
}

export type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

export function resourcesOfType(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** `{ "Fn::GetAtt": [id, "Arn"] }` → id (and `{ Ref: id }` → id). */
export function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof record.Ref === 'string') return record.Ref;
  return undefined;
}
