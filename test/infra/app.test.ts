// The app as `cdk synth` builds it: cdk-nag on, settings from context.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { createApp, projectContext } from '#lib/app';
import type { OptionsIncomeStack } from '#lib/options-income-stack';
import { buildTestApp, FIXTURE_ENTRY, resourcesOfType, removeTestOutputs } from './support';

afterAll(removeTestOutputs);

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: unknown[];
    suppressedViolations?: {
      ruleName: string;
      reason: string;
      acknowledgedId: string;
      acknowledgedAt: string;
      violatingConstructs: { constructPath: string }[];
    }[];
  }[];
}

describe('cdk-nag AwsSolutions', () => {
  let report: ValidationReport;

  beforeAll(() => {
    const { app, outdir } = buildTestApp({ nag: true });
    app.synth();
    report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
    // A full synth with cdk-nag: slow on a loaded machine.
  }, 180_000);

  it('finds nothing unacknowledged in the app', () => {
    const awsSolutions = report.pluginReports.find((r) => r.pluginName === 'AwsSolutions');
    expect(awsSolutions?.conclusion).toBe('success');
    expect(awsSolutions?.violations).toEqual([]);
  });

  it('acknowledges each accepted finding by its exact id, with a reason', () => {
    const suppressed = report.pluginReports.flatMap((r) => r.suppressedViolations ?? []);
    expect(suppressed.length).toBeGreaterThan(0);
    for (const violation of suppressed) {
      expect(violation.reason.length, violation.acknowledgedId).toBeGreaterThan(40);
      // No blanket acknowledgement of a whole rule that reports per finding.
      if (violation.ruleName.startsWith('AwsSolutions-IAM'))
        expect(violation.acknowledgedId).toMatch(/\[.+\]$/);
    }
  });

  it('acknowledges each finding on the very resource it is about, never on a parent such as a whole role', () => {
    const suppressed = report.pluginReports.flatMap((r) => r.suppressedViolations ?? []);
    for (const violation of suppressed) {
      for (const { constructPath } of violation.violatingConstructs) {
        // The L1 resource itself, or the L2 whose default child it is.
        expect([constructPath, constructPath.replace(/\/Resource$/, '')], violation.acknowledgedId).toContain(
          violation.acknowledgedAt,
        );
      }
    }
  });

  it('fails the synth on a new finding', () => {
    const { app, stack } = buildTestApp({ nag: true, context: { bridgeImage: 'example.com/ib-bridge:1' } });
    stack.jobs.deployed
      .get('monitor')!
      .fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
  });
});

describe('settings from context', () => {
  const build = (context: Record<string, unknown>) =>
    createApp({
      context: { ...projectContext(), 'aws:cdk:bundling-stacks': [], ...context },
      stack: { entryOverride: FIXTURE_ENTRY },
    });

  it('refuses a bad phone number, trading mode or CPU size, naming the setting', () => {
    expect(() => build({ alertPhone: '555-1234' })).toThrow(/alertPhone/);
    expect(() => build({ tradingMode: 'demo' })).toThrow(/tradingMode/);
    expect(() => build({ gatewayCpu: '256' })).toThrow(/gatewayCpu/);
    expect(() => build({ alertEmail: 'not-an-address' })).toThrow(/alertEmail/);
  });

  it("refuses bridge contract caps that are not whole numbers ≥ 1, or a day's cap below one order's", () => {
    expect(() => build({ bridgeMaxContractsPerOrder: '0' })).toThrow(/bridgeMaxContractsPerOrder/);
    expect(() => build({ bridgeMaxContractsPerOrder: '2.5' })).toThrow(/bridgeMaxContractsPerOrder/);
    expect(() => build({ bridgeMaxContractsPerDay: 'many' })).toThrow(/bridgeMaxContractsPerDay/);
    expect(() => build({ bridgeMaxContractsPerOrder: '20', bridgeMaxContractsPerDay: '10' })).toThrow(
      /bridgeMaxContractsPerDay.*bridgeMaxContractsPerOrder/,
    );
  });

  it('passes overridden bridge contract caps to the bridge container', () => {
    const { stack } = build({ bridgeMaxContractsPerOrder: '4', bridgeMaxContractsPerDay: '40' });
    const bridge = (
      Object.values(resourcesOfType(Template.fromStack(stack), 'AWS::ECS::TaskDefinition'))[0]!.Properties!
        .ContainerDefinitions as { Name: string; Environment: { Name: string; Value: unknown }[] }[]
    ).find((c) => c.Name === 'bridge')!;
    const env = Object.fromEntries(bridge.Environment.map((e) => [e.Name, e.Value]));
    expect(env).toMatchObject({ BRIDGE_MAX_CONTRACTS_PER_ORDER: '4', BRIDGE_MAX_CONTRACTS_PER_DAY: '40' });
  });

  it("weekly login: a Sunday time becomes IBC's cold restart (TWS_COLD_RESTART) and the health check's WEEKLY_LOGIN", () => {
    expect(() => build({ weeklyLogin: 'Sat 18:00' })).toThrow(/weeklyLogin.*Sundays only/);
    expect(() => build({ weeklyLogin: 'Sun 00:30' })).toThrow(/weeklyLogin/);
    const containersOf = (stack: OptionsIncomeStack) =>
      Object.values(resourcesOfType(Template.fromStack(stack), 'AWS::ECS::TaskDefinition'))[0]!.Properties!
        .ContainerDefinitions as { Name: string; Environment: { Name: string; Value: unknown }[] }[];
    const envOf = (stack: OptionsIncomeStack, name: string) =>
      Object.fromEntries(
        containersOf(stack)
          .find((c) => c.Name === name)!
          .Environment.map((e) => [e.Name, e.Value]),
      );
    const healthCheckEnv = (stack: OptionsIncomeStack) => {
      const fn = stack.jobs.deployed.get('health-check')!.fn;
      const resource =
        Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as never)];
      return (resource.Properties.Environment.Variables ?? {}) as Record<string, unknown>;
    };
    // the default (Sun 18:00, paper) is asserted on the platform test's stack
    const early = build({ weeklyLogin: 'Sun 07:30', tradingMode: 'live' }).stack;
    expect(envOf(early, 'ib-gateway').TWS_COLD_RESTART).toBe('07:30');
    expect(healthCheckEnv(early)).toMatchObject({ WEEKLY_LOGIN: 'Sun 07:30', TRADING_MODE: 'live' });
  }, 120_000);

  describe('live mode, 1 vCPU, a prebuilt bridge image, no alert email', () => {
    let stack: OptionsIncomeStack;
    let template: Template;

    beforeAll(() => {
      ({ stack } = build({
        tradingMode: 'live',
        gatewayCpu: '1024',
        bridgeImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/ib-bridge:1.2.3',
        alertEmail: '',
      }));
      template = Template.fromStack(stack);
    });

    const containers = () =>
      Object.values(resourcesOfType(template, 'AWS::ECS::TaskDefinition'))[0]!.Properties!
        .ContainerDefinitions as {
        Name: string;
        Image: unknown;
        Environment: { Name: string; Value: unknown }[];
      }[];
    const envOf = (name: string) =>
      Object.fromEntries(
        containers()
          .find((c) => c.Name === name)!
          .Environment.map((e) => [e.Name, e.Value]),
      );

    it('logs the gateway into the live account and points the bridge at the live port', () => {
      expect(envOf('ib-gateway').TRADING_MODE).toBe('live');
      expect(envOf('bridge').TRADING_MODE).toBe('live');
      expect(envOf('bridge').IB_PORT).toBe('4001');
      template.hasOutput('TradingMode', { Value: 'live' });
    });

    it('sizes the task and uses the given bridge image', () => {
      template.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '1024', Memory: '2048' });
      expect(containers().find((c) => c.Name === 'bridge')!.Image).toBe(
        '123456789012.dkr.ecr.us-east-1.amazonaws.com/ib-bridge:1.2.3',
      );
    });

    it('warns that alerts reach nobody, and subscribes no email', () => {
      Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('alertEmail'));
      template.resourceCountIs('AWS::SNS::Subscription', 0);
    });
  });
});
