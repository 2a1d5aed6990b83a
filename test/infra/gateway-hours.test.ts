// `-c gatewayHours=market`: the gateway-hours job, its two New York schedules, ecs:UpdateService on exactly
// the gateway service, GATEWAY_HOURS on every job; without the flag (or with `always`) nothing of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { OptionsIncomeStack } from '#lib/options-income-stack';
import { settingsFromContext } from '#lib/settings';
import { logicalId, referencedId, removeTestOutputs, resourcesOfType, synthTemplate } from './support';

afterAll(removeTestOutputs);

let market: { stack: OptionsIncomeStack; template: Template };
let plain: { stack: OptionsIncomeStack; template: Template };
let always: { stack: OptionsIncomeStack; template: Template };

beforeAll(() => {
  market = synthTemplate({ context: { gatewayHours: 'market' } });
  plain = synthTemplate();
  always = synthTemplate({ context: { gatewayHours: 'always' } });
});

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

function statementsOfRole(template: Template, roleId: string): Statement[] {
  return Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties?.Roles as unknown[]).some((role) => referencedId(role) === roleId))
    .flatMap((policy) => (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
}

function jobEnvironments(template: Template): Record<string, unknown>[] {
  return Object.values(resourcesOfType(template, 'AWS::Lambda::Function'))
    .filter((fn) => String(fn.Properties?.Description ?? '').includes(' job (bridge priority '))
    .map(
      (fn) =>
        (fn.Properties?.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables ?? {},
    );
}

describe('gatewayHours=market', () => {
  it('deploys gateway-hours on two New York schedules, 07:30 and 18:30 on weekdays', () => {
    const deployed = market.stack.jobs.deployed.get('gateway-hours');
    expect(deployed).toBeDefined();
    const fnId = logicalId(deployed!.fn);
    const crons = Object.values(resourcesOfType(market.template, 'AWS::Scheduler::Schedule'))
      .map((s) => s.Properties as Record<string, unknown>)
      .filter((p) => referencedId((p.Target as Record<string, unknown>).Arn) === fnId)
      .map((p) => [p.ScheduleExpression, p.ScheduleExpressionTimezone]);
    expect(crons.sort()).toEqual([
      ['cron(30 18 ? * MON-FRI *)', 'America/New_York'],
      ['cron(30 7 ? * MON-FRI *)', 'America/New_York'],
    ]);
  });

  it('lets gateway-hours update exactly the gateway service, and gives it the order secret to cancel', () => {
    const { fn } = market.stack.jobs.deployed.get('gateway-hours')!;
    const serviceId = logicalId(market.stack.gateway.service);
    const ecsStatements = statementsOfRole(market.template, logicalId(fn.role!)).filter((s) =>
      ([] as string[]).concat(s.Action).some((a) => a.startsWith('ecs:')),
    );
    expect(ecsStatements).toHaveLength(1);
    expect(([] as string[]).concat(ecsStatements[0]!.Action).sort()).toEqual([
      'ecs:DescribeServices',
      'ecs:UpdateService',
    ]);
    const resources = ([] as unknown[]).concat(ecsStatements[0]!.Resource);
    expect(resources.map(referencedId)).toEqual([serviceId]);
    const env = (
      market.template.toJSON().Resources[logicalId(fn)].Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(referencedId(env.ECS_SERVICE)).toBe(serviceId);
    expect(referencedId(env.BRIDGE_ORDER_SECRET_ARN)).toBe(logicalId(market.stack.gateway.bridgeOrderSecret));
    expect(env.TRADING_MODE).toBe('paper');
  });

  it('tells every job the gateway hours', () => {
    const envs = jobEnvironments(market.template);
    expect(envs.length).toBe(market.stack.jobs.deployed.size);
    for (const env of envs) expect(env.GATEWAY_HOURS).toBe('market');
  });
});

describe('without the flag', () => {
  it('deploys no gateway-hours job and sets no GATEWAY_HOURS', () => {
    expect(plain.stack.jobs.deployed.has('gateway-hours')).toBe(false);
    for (const env of jobEnvironments(plain.template)) expect(env.GATEWAY_HOURS).toBeUndefined();
  });

  it('gatewayHours=always is the same template as no setting', () => {
    expect(always.template.toJSON()).toEqual(plain.template.toJSON());
    expect(market.template.toJSON()).not.toEqual(plain.template.toJSON());
  });

  it('refuses any other value, naming the setting', () => {
    expect(() => settingsFromContext((key) => (key === 'gatewayHours' ? 'nights' : undefined))).toThrow(
      'gatewayHours: gatewayHours must be always or market',
    );
  });
});
