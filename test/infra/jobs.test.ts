// The Lambda jobs, their schedules, retries, dead-letter queues and permissions.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { JOB_NAMES } from '#core/config';
import type { JobName } from '#core/config';
import { TABLES } from '#adapters/dynamo/tables';
import type { TableId } from '#adapters/dynamo/tables';
import { deployedUnder, JOB_TIMINGS } from '#core/schedule';
import { JOBS } from '#lib/jobs-table';
import type { OptionsIncomeStack } from '#lib/options-income-stack';
import { repoPath } from '#lib/paths';
import { logicalId, referencedId, resourcesOfType, synthTemplate, removeTestOutputs } from './support';

afterAll(removeTestOutputs);

let stack: OptionsIncomeStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthTemplate());
});

const job = (name: JobName) => {
  const deployed = stack.jobs.deployed.get(name);
  if (!deployed) throw new Error(`${name} is not deployed`);
  return deployed;
};

function schedulesOf(name: JobName) {
  const fnId = logicalId(job(name).fn);
  return Object.values(resourcesOfType(template, 'AWS::Scheduler::Schedule'))
    .map((resource) => resource.Properties as Record<string, unknown>)
    .filter((props) => referencedId((props.Target as Record<string, unknown>).Arn) === fnId);
}

// The schedule as the README's job table gives it, written out apart from lib/jobs-table.ts so a slip
// there shows: New York wall-clock times, Monday to Friday (health-check every day).
const FIVE_MINUTES_IN_MARKET_HOURS = ['cron(30-55/5 9 ? * MON-FRI *)', 'cron(0-55/5 10-15 ? * MON-FRI *)'];
const EXPECTED_CRONS: Record<JobName, string[]> = {
  'load-historical-data': ['cron(0 8 ? * MON-FRI *)'],
  'position-sync': ['cron(0 8 ? * MON-FRI *)', 'cron(15 16 ? * MON-FRI *)'],
  'validate-ib-connection': ['cron(45 8 ? * MON-FRI *)'],
  'strategy-analysis': ['cron(45 9 ? * MON-FRI *)'],
  'execute-strategies': ['cron(0 10 ? * MON-FRI *)'],
  'collect-option-data': FIVE_MINUTES_IN_MARKET_HOURS,
  'collect-futures-data': FIVE_MINUTES_IN_MARKET_HOURS,
  monitor: FIVE_MINUTES_IN_MARKET_HOURS,
  'daily-statistics': ['cron(30 16 ? * MON-FRI *)'],
  'validate-data-quality': ['cron(0 18 ? * MON-FRI *)'],
  // Every day, weekends included: a gateway down on Sunday should be known before Monday's open.
  'health-check': ['cron(*/10 * ? * * *)'],
  'verify-positions': [],
  // Only with -c gatewayHours=market (test/infra/gateway-hours.test.ts).
  'gateway-hours': ['cron(30 7 ? * MON-FRI *)', 'cron(30 18 ? * MON-FRI *)'],
};

/** The jobs a deploy without optional settings has: every one not tied to a setting. */
const DEFAULT_JOBS = JOB_NAMES.filter((name) => deployedUnder(JOB_TIMINGS[name].deployedWith, 'always'));

/** Values of one cron field (`*`, `n`, `a-b`, `a-b/s`, `a/s`) within [min, max]. */
function expandField(field: string, min: number, max: number): number[] {
  const [range = '*', stepText] = field.split('/');
  const step = stepText === undefined ? 1 : Number(stepText);
  let from = min;
  let to = max;
  if (range !== '*') {
    const [a, b] = range.split('-').map(Number) as [number, number | undefined];
    from = a;
    to = b ?? (stepText === undefined ? a : max);
  }
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
}

/** Minutes after midnight a `cron(min hour ...)` fires at. */
function fireTimes(expression: string): number[] {
  const [minute = '', hour = ''] = expression.replace(/^cron\(|\)$/g, '').split(' ');
  return expandField(hour, 0, 23).flatMap((h) => expandField(minute, 0, 59).map((m) => h * 60 + m));
}

/**
 * The DynamoDB actions the adapters call, per table, read from their source: each store file's commands
 * (a transaction's Put/Update items count as PutItem/UpdateItem) on the tables that file touches, plus
 * Powertools' idempotency layer (GetItem, conditional PutItem, UpdateItem, DeleteItem on failure).
 */
function dynamoActionsUsedPerTable(): Record<TableId, Set<string>> {
  const storeTables: Record<string, TableId[]> = {
    'alert-state-store.ts': ['alertState'],
    'candidate-store.ts': ['candidates'],
    'config-store.ts': ['config'],
    'order-intent-store.ts': ['orders'],
    // Its fill transactions also update the order intent.
    'position-store.ts': ['positions', 'orders'],
    'snapshot-store.ts': ['snapshots'],
  };
  const used = Object.fromEntries(Object.keys(TABLES).map((id) => [id, new Set<string>()])) as Record<
    TableId,
    Set<string>
  >;
  const commands: [RegExp, string][] = [
    [/\bnew GetCommand\(/, 'dynamodb:GetItem'],
    [/\bnew PutCommand\(|\bPut: \{/, 'dynamodb:PutItem'],
    [/\bnew UpdateCommand\(|\bUpdate: \{/, 'dynamodb:UpdateItem'],
    [/\bnew DeleteCommand\(|\bDelete: \{/, 'dynamodb:DeleteItem'],
    [/\bnew ScanCommand\(/, 'dynamodb:Scan'],
    [/\bnew QueryCommand\(|\bqueryAll\(|\bqueryLimited\(/, 'dynamodb:Query'],
    [/\bbatchPutAll\(|\bnew BatchWriteCommand\(/, 'dynamodb:BatchWriteItem'],
  ];
  const files = readdirSync(repoPath('functions/adapters/dynamo')).filter((f) => f.endsWith('-store.ts'));
  expect(files.sort()).toEqual(Object.keys(storeTables).sort());
  for (const file of files) {
    const source = readFileSync(repoPath('functions/adapters/dynamo', file), 'utf8');
    for (const [pattern, action] of commands)
      if (pattern.test(source)) for (const id of storeTables[file]!) used[id].add(action);
  }
  for (const action of ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'])
    used.idempotency.add(`dynamodb:${action}`);
  return used;
}

/** The jobs that place, reprice or cancel orders: the only ones given the order secret. */
const ORDER_JOBS: readonly JobName[] = ['execute-strategies', 'monitor'];

describe('job table', () => {
  it('lists every job of the core config exactly once', () => {
    expect(JOBS.map((spec) => spec.name).sort()).toEqual([...JOB_NAMES].sort());
  });

  it('names a handler entry that exists for every job', () => {
    for (const name of JOB_NAMES) {
      const spec = JOBS.find((s) => s.name === name);
      expect(spec, name).toBeDefined();
      expect(existsSync(repoPath(spec!.entry)), spec!.entry).toBe(true);
    }
  });

  it('keeps every job shorter than its shortest schedule interval where runs repeat', () => {
    // A 5-minute job that could run longer than 5 minutes would overlap the next run.
    for (const spec of JOBS) {
      if (spec.schedules.some((s) => s.minute.includes('/5'))) expect(spec.timeoutSeconds).toBeLessThan(300);
    }
  });
});

describe('schedules', () => {
  it('run in America/New_York, without a flexible window', () => {
    const schedules = Object.values(resourcesOfType(template, 'AWS::Scheduler::Schedule'));
    expect(schedules.length).toBeGreaterThan(0);
    for (const { Properties } of schedules) {
      expect(Properties?.ScheduleExpressionTimezone).toBe('America/New_York');
      expect(Properties?.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
      expect(Properties?.State).toBe('ENABLED');
    }
  });

  it.each(DEFAULT_JOBS)('%s fires at the architecture table times', (name) => {
    const expressions = schedulesOf(name).map((props) => props.ScheduleExpression);
    expect(expressions.sort()).toEqual([...EXPECTED_CRONS[name]].sort());
  });

  it('cover 09:30-15:55 every 5 minutes exactly once for the market-hours jobs', () => {
    const expected: number[] = [];
    for (let t = 9 * 60 + 30; t < 16 * 60; t += 5) expected.push(t);
    for (const name of ['monitor', 'collect-option-data', 'collect-futures-data'] as const) {
      const times = schedulesOf(name).flatMap((props) => fireTimes(props.ScheduleExpression as string));
      expect(times.sort((a, b) => a - b)).toEqual(expected);
    }
  });

  it('send a scheduled-event envelope the job framework reads as a scheduled run', () => {
    for (const name of DEFAULT_JOBS) {
      for (const props of schedulesOf(name)) {
        const input = JSON.parse((props.Target as { Input: string }).Input) as Record<string, unknown>;
        expect(input['detail-type']).toBe('Scheduled Event');
        expect(input.time).toBe('<aws.scheduler.scheduled-time>');
        // The payload schemas are strict: an extra field in `detail` would be refused.
        expect(input.detail).toEqual({});
      }
    }
  });
});

describe('retries', () => {
  it.each(['execute-strategies', 'monitor'] as const)(
    '%s: no retries anywhere, a short max event age, a dead-letter queue',
    (name) => {
      const { fn, deadLetterQueue } = job(name);
      const queueId = logicalId(deadLetterQueue);
      for (const props of schedulesOf(name)) {
        const target = props.Target as Record<string, Record<string, unknown>>;
        expect(target.RetryPolicy?.MaximumRetryAttempts).toBe(0);
        expect(target.RetryPolicy?.MaximumEventAgeInSeconds).toBeLessThanOrEqual(120);
        expect(referencedId(target.DeadLetterConfig?.Arn)).toBe(queueId);
      }
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(fn) },
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 60,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
      });
    },
  );

  it('the other jobs: a few retries (never the 185 default) and a dead-letter queue', () => {
    for (const [name, { deadLetterQueue }] of stack.jobs.deployed) {
      if (name === 'execute-strategies' || name === 'monitor') continue;
      for (const props of schedulesOf(name)) {
        const target = props.Target as Record<string, Record<string, unknown>>;
        expect(target.RetryPolicy?.MaximumRetryAttempts, name).toBeGreaterThan(0);
        expect(target.RetryPolicy?.MaximumRetryAttempts, name).toBeLessThanOrEqual(3);
        expect(target.RetryPolicy?.MaximumEventAgeInSeconds, name).toBeLessThanOrEqual(3600);
        expect(referencedId(target.DeadLetterConfig?.Arn)).toBe(logicalId(deadLetterQueue));
      }
    }
  });

  it('every function sends failed async invocations to its dead-letter queue', () => {
    const configs = Object.values(resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig'));
    expect(configs).toHaveLength(stack.jobs.deployed.size);
    for (const { fn, deadLetterQueue } of stack.jobs.deployed.values()) {
      const config = configs.find((c) => referencedId(c.Properties?.FunctionName) === logicalId(fn));
      const destination = (config?.Properties?.DestinationConfig as Record<string, Record<string, unknown>>)
        .OnFailure?.Destination;
      expect(referencedId(destination)).toBe(logicalId(deadLetterQueue));
    }
  });
});

describe('functions', () => {
  const functionProps = (name: JobName) =>
    resourcesOfType(template, 'AWS::Lambda::Function')[logicalId(job(name).fn)]?.Properties as Record<
      string,
      unknown
    >;

  it('are nodejs22.x on ARM64 with active tracing, in the isolated subnets, in the jobs security group', () => {
    const isolated = stack.network.vpc.isolatedSubnets.map((subnet) => logicalId(subnet));
    expect(isolated).toHaveLength(2);
    for (const name of stack.jobs.deployed.keys()) {
      const props = functionProps(name);
      expect(props.Runtime).toBe('nodejs22.x');
      expect(props.Architectures).toEqual(['arm64']);
      expect(props.TracingConfig).toEqual({ Mode: 'Active' });
      const vpc = props.VpcConfig as { SubnetIds: unknown[]; SecurityGroupIds: unknown[] };
      expect(vpc.SubnetIds.map(referencedId).sort()).toEqual([...isolated].sort());
      expect(vpc.SecurityGroupIds.map(referencedId)).toEqual([logicalId(stack.network.jobsSecurityGroup)]);
    }
  });

  it('log to their own log group with a retention', () => {
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    for (const name of stack.jobs.deployed.keys()) {
      const groupId = referencedId((functionProps(name).LoggingConfig as { LogGroup: unknown }).LogGroup);
      expect(groupId, name).toBeDefined();
      expect(groups[groupId!]?.Properties?.RetentionInDays, name).toBeGreaterThan(0);
    }
  });

  it('get every table name, the bridge URL from Cloud Map, the secret ARN and the topic ARN', () => {
    const namespace = Object.values(
      resourcesOfType(template, 'AWS::ServiceDiscovery::PrivateDnsNamespace'),
    )[0];
    const service = Object.values(resourcesOfType(template, 'AWS::ServiceDiscovery::Service'))[0];
    const taskDefinition = Object.values(resourcesOfType(template, 'AWS::ECS::TaskDefinition'))[0];
    const bridge = (taskDefinition?.Properties?.ContainerDefinitions as Record<string, unknown>[]).find(
      (c) => c.Name === 'bridge',
    ) as { PortMappings: { ContainerPort: number }[] };
    const url = `http://${String(service?.Properties?.Name)}.${String(namespace?.Properties?.Name)}:${bridge.PortMappings[0]!.ContainerPort}`;

    for (const name of stack.jobs.deployed.keys()) {
      const env = (functionProps(name).Environment as { Variables: Record<string, unknown> }).Variables;
      for (const table of Object.values(TABLES)) {
        expect(referencedId(env[table.envVar]), `${name} ${table.envVar}`).toBe(
          logicalId(stack.storage.tables[table.id]),
        );
      }
      expect(env.BRIDGE_URL).toBe(url);
      expect(referencedId(env.BRIDGE_SECRET_ARN)).toBe(logicalId(stack.gateway.bridgeSecret));
      // The order secret only where orders are placed, modified or cancelled.
      expect(referencedId(env.BRIDGE_ORDER_SECRET_ARN), name).toBe(
        ORDER_JOBS.includes(name) ? logicalId(stack.gateway.bridgeOrderSecret) : undefined,
      );
      expect(referencedId(env.ALERT_TOPIC_ARN)).toBe(logicalId(stack.alerts.topic));
      expect(env.POWERTOOLS_SERVICE_NAME).toBe(name);
    }
  });
});

describe('permissions', () => {
  type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

  function statementsOf(name: JobName): Statement[] {
    const roleId = logicalId(job(name).fn.role!);
    return Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
      .filter((policy) =>
        (policy.Properties?.Roles as unknown[]).some((role) => referencedId(role) === roleId),
      )
      .flatMap((policy) => (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
  }

  /** True when some statement allows `action` on the resource with logical id `resourceId`. */
  function allows(name: JobName, action: string, resourceId: string): boolean {
    return statementsOf(name).some((statement) => {
      const actions = ([] as string[]).concat(statement.Action);
      const resources = ([] as unknown[]).concat(statement.Resource);
      return (
        statement.Effect === 'Allow' &&
        actions.includes(action) &&
        resources.some((resource) => referencedId(resource) === resourceId)
      );
    });
  }

  const table = (id: TableId) => logicalId(stack.storage.tables[id]);

  it('every job reads the config, and none can write it', () => {
    for (const name of stack.jobs.deployed.keys()) {
      expect(allows(name, 'dynamodb:Scan', table('config')), name).toBe(true);
      expect(allows(name, 'dynamodb:PutItem', table('config')), name).toBe(false);
    }
  });

  it('execute-strategies writes positions, orders and idempotency records, and cannot touch the ECS service', () => {
    for (const id of ['positions', 'orders', 'idempotency'] as const) {
      expect(allows('execute-strategies', 'dynamodb:PutItem', table(id)), id).toBe(true);
    }
    expect(allows('execute-strategies', 'dynamodb:PutItem', table('candidates'))).toBe(false);
    expect(
      statementsOf('execute-strategies').some((s) =>
        ([] as string[]).concat(s.Action).some((a) => a.startsWith('ecs:')),
      ),
    ).toBe(false);
  });

  it('validate-data-quality only reads snapshots and never reads the bridge secret', () => {
    expect(allows('validate-data-quality', 'dynamodb:Query', table('snapshots'))).toBe(true);
    expect(allows('validate-data-quality', 'dynamodb:PutItem', table('snapshots'))).toBe(false);
    expect(
      allows('validate-data-quality', 'secretsmanager:GetSecretValue', logicalId(stack.gateway.bridgeSecret)),
    ).toBe(false);
    expect(allows('monitor', 'secretsmanager:GetSecretValue', logicalId(stack.gateway.bridgeSecret))).toBe(
      true,
    );
  });

  it('the jobs that call the bridge read the current bridge secret; no job reads the previous one or the IB login', () => {
    const readSecret = (name: JobName, secret: IConstruct) =>
      allows(name, 'secretsmanager:GetSecretValue', logicalId(secret));
    for (const [name, { spec }] of stack.jobs.deployed) {
      expect(readSecret(name, stack.gateway.bridgeSecret), name).toBe(spec.usesBridge);
      // The jobs sign with the current secret only; the previous one is for the bridge to accept.
      expect(readSecret(name, stack.gateway.bridgeSecretPrevious), name).toBe(false);
      expect(readSecret(name, stack.gateway.ibCredentials), name).toBe(false);
    }
  });

  it('only execute-strategies and monitor read the order secret; no job reads its previous one', () => {
    const readSecret = (name: JobName, secret: IConstruct) =>
      allows(name, 'secretsmanager:GetSecretValue', logicalId(secret));
    for (const name of stack.jobs.deployed.keys()) {
      expect(readSecret(name, stack.gateway.bridgeOrderSecret), name).toBe(ORDER_JOBS.includes(name));
      expect(readSecret(name, stack.gateway.bridgeOrderSecretPrevious), name).toBe(false);
    }
  });

  it('verify-positions has no access to the orders table (its code never reads or writes it)', () => {
    const orders = table('orders');
    const onOrders = statementsOf('verify-positions').filter((statement) =>
      ([] as unknown[]).concat(statement.Resource).some((resource) => {
        const id = referencedId(resource) ?? JSON.stringify(resource);
        return id === orders || id.includes(orders);
      }),
    );
    expect(onOrders).toEqual([]);
  });

  it('grant only the DynamoDB actions the stores call on each table', () => {
    const used = dynamoActionsUsedPerTable();
    for (const name of stack.jobs.deployed.keys()) {
      for (const id of Object.keys(TABLES) as TableId[]) {
        const granted = statementsOf(name)
          .filter((statement) =>
            ([] as unknown[])
              .concat(statement.Resource)
              .some((resource) => JSON.stringify(resource).includes(`"${table(id)}"`)),
          )
          .flatMap((statement) => ([] as string[]).concat(statement.Action))
          .filter((action) => action.startsWith('dynamodb:'));
        const unused = granted.filter((action) => !used[id].has(action));
        expect(unused, `${name} on ${id}`).toEqual([]);
      }
    }
    // The destructive and bulk actions stay where their store uses them.
    for (const name of stack.jobs.deployed.keys()) {
      for (const id of ['positions', 'orders', 'snapshots'] as const)
        expect(allows(name, 'dynamodb:DeleteItem', table(id)), `${name} ${id}`).toBe(false);
      for (const id of [
        'positions',
        'orders',
        'snapshots',
        'candidates',
        'alertState',
        'idempotency',
      ] as const)
        expect(allows(name, 'dynamodb:Scan', table(id)), `${name} ${id}`).toBe(false);
    }
    // And the writes each job needs are still there.
    expect(allows('strategy-analysis', 'dynamodb:BatchWriteItem', table('candidates'))).toBe(true);
    expect(allows('monitor', 'dynamodb:UpdateItem', table('positions'))).toBe(true);
    expect(allows('verify-positions', 'dynamodb:PutItem', table('positions'))).toBe(true);
    expect(allows('execute-strategies', 'dynamodb:DeleteItem', table('idempotency'))).toBe(true);
  });

  it('only health-check may restart the gateway service', () => {
    const serviceId = logicalId(stack.gateway.service);
    for (const name of stack.jobs.deployed.keys()) {
      expect(allows(name, 'ecs:UpdateService', serviceId), name).toBe(name === 'health-check');
    }
  });
});

describe('bridge events', () => {
  it('run position-sync on OrderFilled and PositionChanged from the bridge, with retries and a DLQ', () => {
    const { fn, deadLetterQueue } = job('position-sync');
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(stack.bridgeEvents.bus) },
      EventPattern: { source: ['ib-bridge'], 'detail-type': ['OrderFilled', 'PositionChanged'] },
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [logicalId(fn), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(deadLetterQueue), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 2 },
        },
      ],
    });
  });
});

describe('a part of the job table', () => {
  let pendingTemplate: Template;

  beforeAll(() => {
    ({ template: pendingTemplate } = synthTemplate({
      stack: { jobs: JOBS.filter((spec) => spec.name === 'monitor') },
    }));
  });

  it('deploys those jobs only: no other function, schedule, event rule or queue', () => {
    // monitor only: one function (plus CDK's custom resource that locks the default security group).
    const jobFunctions = Object.values(resourcesOfType(pendingTemplate, 'AWS::Lambda::Function')).filter(
      (fn) =>
        typeof fn.Properties?.Description === 'string' &&
        fn.Properties.Description.endsWith('job (bridge priority 32)'),
    );
    expect(jobFunctions).toHaveLength(1);
    pendingTemplate.resourceCountIs('AWS::Scheduler::Schedule', 2);
    // No fill-event rule on the bridge's bus (the network-change alarm on the default bus stays).
    const busRules = Object.values(resourcesOfType(pendingTemplate, 'AWS::Events::Rule')).filter(
      (rule) => rule.Properties?.EventBusName !== undefined,
    );
    expect(busRules).toHaveLength(0);
    pendingTemplate.resourceCountIs('AWS::SQS::Queue', 1);
  });
});
