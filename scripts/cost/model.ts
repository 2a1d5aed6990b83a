// The monthly cost of a synthesized template: every billable resource found by walking `Resources` by
// type (so a context flag that changes the template changes the estimate), priced from prices.ts, with
// the volumes the template cannot say taken from one measured `npm start` day (measured.ts).
// Simplifications, each small against the fixed costs: a weekday holiday's scheduled runs are priced at a
// trading day's duration (the job only checks the calendar and stops); log storage is one month of
// ingestion (30-day retention) uncompressed; data transfer out to IB and ECR storage are left out.
import { MEASURED_DAY, VOLUMES } from './measured';
import type { MeasuredDay, Volumes } from './measured';
import { gatewayHoursIn } from './month';
import type { Month } from './month';
import { ALWAYS_FREE, PRICES } from './prices';
import type { AlwaysFree, Prices } from './prices';
import { endpointService, firesPerMonth, refId, resourcesOf } from './template';
import type { CfnTemplate, Properties } from './template';

export interface CostLine {
  group: string;
  item: string;
  /** How the amount is made up, e.g. "0.5 vCPU × 1 task × 730 h × $0.04048". */
  quantity: string;
  usd: number;
}

export interface Estimate {
  month: Month;
  lines: CostLine[];
  totalUsd: number;
  /** What AWS's always-free allowances take off the total, item by item (an account using them for nothing else). */
  alwaysFree: { item: string; usd: number }[];
  /** totalUsd less the always-free allowances. */
  afterAlwaysFreeUsd: number;
}

export interface EstimateInput {
  template: CfnTemplate;
  month: Month;
  /** The `gatewayHours` setting where the deploy has one (`market`); absent: always on. */
  gatewayHours?: unknown;
  measured?: MeasuredDay;
  volumes?: Volumes;
  prices?: Prices;
  alwaysFree?: AlwaysFree;
}

const GB = 1e9;
const n = (value: number, digits = 2) => Number(value.toFixed(digits)).toLocaleString('en-US');
const usd = (value: number) => `$${value}`;
/** `GatewayService5E8511BF` → `GatewayService`: the construct path without CDK's hash. */
const constructName = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '');

interface LambdaUse {
  job: string;
  invocations: number;
  gbSeconds: number;
  arch: 'arm64' | 'x86_64';
  traced: boolean;
  metricHours: number;
}

export function estimateMonthlyCost(input: EstimateInput): Estimate {
  const { template, month } = input;
  const measured = input.measured ?? MEASURED_DAY;
  const volumes = input.volumes ?? VOLUMES;
  const p = input.prices ?? PRICES;
  const lines: CostLine[] = [];
  const add = (group: string, item: string, quantity: string, amount: number) => {
    if (amount > 0) lines.push({ group, item, quantity, usd: amount });
  };
  const count = (type: string) => resourcesOf(template, type).length;
  const perGb = (group: string, item: string, gb: number, price: number) =>
    add(group, item, `${n(gb, 3)} GB × ${usd(price)}`, gb * price);
  const perMillion = (group: string, item: string, units: number, price: number) =>
    add(group, item, `${n(units, 0)} × ${usd(price)}/M`, (units / 1e6) * price);
  const free = input.alwaysFree ?? ALWAYS_FREE;
  const alwaysFree: { item: string; usd: number }[] = [];
  /** The part of `used` units an allowance covers, at the unit's price. */
  const credit = (item: string, usd: number) => {
    if (usd > 0) alwaysFree.push({ item, usd });
  };
  const allowance = (item: string, used: number, allowed: number, unitPrice: number) =>
    credit(item, Math.min(used, allowed) * unitPrice);

  // Fargate: each service's task size and architecture, times its running tasks and hours.
  for (const [logicalId, service] of resourcesOf(template, 'AWS::ECS::Service')) {
    const id = constructName(logicalId);
    const task = template.Resources[refId(service.TaskDefinition) ?? '']?.Properties ?? {};
    const vcpu = Number(task.Cpu ?? 256) / 1024;
    const gb = Number(task.Memory ?? 512) / 1024;
    const platform = task.RuntimePlatform as { CpuArchitecture?: 'X86_64' | 'ARM64' } | undefined;
    const arch = platform?.CpuArchitecture ?? 'X86_64';
    const hours = gatewayHoursIn(month, input.gatewayHours);
    // A service scaled by schedule may declare 0 tasks: it still runs one in its hours.
    const desired = Number(service.DesiredCount ?? 1);
    const tasks = input.gatewayHours === 'market' ? Math.max(desired, 1) : desired;
    const taskHours = `${tasks} task × ${n(hours)} h`;
    add(
      'Fargate',
      `${id} vCPU (${arch})`,
      `${vcpu} vCPU × ${taskHours} × ${usd(p.fargate.vcpuHour[arch])}`,
      vcpu * tasks * hours * p.fargate.vcpuHour[arch],
    );
    add(
      'Fargate',
      `${id} memory (${arch})`,
      `${gb} GB × ${taskHours} × ${usd(p.fargate.gbHour[arch])}`,
      gb * tasks * hours * p.fargate.gbHour[arch],
    );
    const network = service.NetworkConfiguration as
      { AwsvpcConfiguration?: { AssignPublicIp?: string } } | undefined;
    if (network?.AwsvpcConfiguration?.AssignPublicIp === 'ENABLED') {
      add(
        'Network',
        `${id} public IPv4`,
        `${taskHours} × ${usd(p.publicIpv4Hour)}`,
        tasks * hours * p.publicIpv4Hour,
      );
    }
    if (Array.isArray(service.ServiceRegistries) && service.ServiceRegistries.length > 0) {
      const share = (tasks * hours) / month.hours;
      add(
        'Service discovery',
        `${id} Cloud Map instance`,
        `${n(share)} instance-months × ${usd(p.cloudMapInstanceMonth)}`,
        share * p.cloudMapInstanceMonth,
      );
    }
  }

  // Network: interface endpoints per AZ (their subnets), NAT gateways and Elastic IPs.
  const interfaces = resourcesOf(template, 'AWS::EC2::VPCEndpoint').filter(
    ([, e]) => e.VpcEndpointType === 'Interface',
  );
  for (const [, endpoint] of interfaces) {
    const azs = Array.isArray(endpoint.SubnetIds) ? endpoint.SubnetIds.length : 1;
    const name = endpointService(endpoint.ServiceName);
    add(
      'Network',
      `interface endpoint ${name}`,
      `${azs} AZ × ${n(month.hours)} h × ${usd(p.interfaceEndpoint.azHour)}`,
      azs * month.hours * p.interfaceEndpoint.azHour,
    );
  }
  if (interfaces.length > 0) {
    perGb('Network', 'interface endpoint data', volumes.interfaceEndpointGbPerMonth, p.interfaceEndpoint.gb);
  }
  // Resources billed by the hour or by the month, one price each, however many the template has.
  const hourly: [string, string, string[], number][] = [
    ['Network', 'NAT gateways', ['AWS::EC2::NatGateway'], p.natGateway.hour],
    ['Network', 'Elastic IPs (public IPv4)', ['AWS::EC2::EIP'], p.publicIpv4Hour],
  ];
  for (const [group, item, types, price] of hourly) {
    const units = types.reduce((sum, type) => sum + count(type), 0);
    add(group, item, `${units} × ${n(month.hours)} h × ${usd(price)}`, units * month.hours * price);
  }
  const monthly: [string, string, string[], number][] = [
    ['Security', 'KMS keys', ['AWS::KMS::Key'], p.kmsKeyMonth],
    ['Security', 'Secrets Manager secrets', ['AWS::SecretsManager::Secret'], p.secretMonth],
    [
      'Service discovery',
      'private hosted zones',
      ['AWS::ServiceDiscovery::PrivateDnsNamespace', 'AWS::Route53::HostedZone'],
      p.hostedZoneMonth,
    ],
    ['CloudWatch', 'dashboards', ['AWS::CloudWatch::Dashboard'], p.cloudWatch.dashboardMonth],
  ];
  for (const [group, item, types, price] of monthly) {
    const units = types.reduce((sum, type) => sum + count(type), 0);
    add(group, item, `${units} × ${usd(price)}`, units * price);
  }
  const dashboards = count('AWS::CloudWatch::Dashboard');
  allowance('CloudWatch dashboards', dashboards, free.cloudWatch.dashboards, p.cloudWatch.dashboardMonth);
  if (count('AWS::EC2::NatGateway') > 0) {
    perGb('Network', 'NAT gateway data', volumes.natGatewayGbPerMonth, p.natGateway.gb);
  }
  // An alarm on metric math is billed per metric it reads.
  const alarmMetrics = resourcesOf(template, 'AWS::CloudWatch::Alarm').reduce((sum, [, alarm]) => {
    const metrics = Array.isArray(alarm.Metrics)
      ? alarm.Metrics.filter((m: Properties) => m.MetricStat).length
      : 0;
    return sum + Math.max(metrics, 1);
  }, 0);
  add(
    'CloudWatch',
    'alarm metrics',
    `${alarmMetrics} × ${usd(p.cloudWatch.alarmMetricMonth)}`,
    alarmMetrics * p.cloudWatch.alarmMetricMonth,
  );
  allowance(
    'CloudWatch alarm metrics',
    alarmMetrics,
    free.cloudWatch.alarmMetrics,
    p.cloudWatch.alarmMetricMonth,
  );

  // Schedules: every Scheduler invocation, and the Lambda runs they and the event rules start.
  const runs = new Map<string, { invocations: number; metricHours: number }>();
  const addRuns = (fn: string | undefined, invocations: number, hours: number) => {
    if (!fn) return;
    const r = runs.get(fn) ?? { invocations: 0, metricHours: 0 };
    runs.set(fn, { invocations: r.invocations + invocations, metricHours: r.metricHours + hours });
  };
  let schedulerInvocations = 0;
  for (const [, schedule] of resourcesOf(template, 'AWS::Scheduler::Schedule')) {
    if (schedule.State === 'DISABLED') continue;
    const firing = firesPerMonth(String(schedule.ScheduleExpression), month);
    schedulerInvocations += firing.perMonth;
    addRuns(refId((schedule.Target as Properties | undefined)?.Arn), firing.perMonth, firing.hoursPerMonth);
  }
  perMillion('Schedules', 'EventBridge Scheduler invocations', schedulerInvocations, p.schedulerPerMillion);

  const lambdas: LambdaUse[] = [];
  for (const [id, fn] of resourcesOf(template, 'AWS::Lambda::Function')) {
    const env = (fn.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const job = String(env.POWERTOOLS_SERVICE_NAME ?? id);
    const measuredJob = measured.jobs[job];
    if (!measuredJob) continue; // a deploy-time custom resource: runs once per deploy
    const scheduled = runs.get(id) ?? { invocations: 0, metricHours: 0 };
    const rules = resourcesOf(template, 'AWS::Events::Rule').filter(([, rule]) =>
      (rule.Targets as Properties[] | undefined)?.some((target) => refId(target.Arn) === id),
    ).length;
    const eventRuns = rules > 0 ? measuredJob.eventRunsPerDay * month.tradingDays : 0;
    const invocations = scheduled.invocations + eventRuns;
    const memoryGb = Number(fn.MemorySize ?? 128) / 1024;
    const arch = (fn.Architectures as string[] | undefined)?.[0] === 'arm64' ? 'arm64' : 'x86_64';
    const traced = (fn.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active';
    const gbSeconds = invocations * (measuredJob.meanDurationMs / 1000) * memoryGb;
    lambdas.push({
      job,
      invocations,
      gbSeconds,
      arch,
      traced,
      metricHours: scheduled.metricHours + eventRuns,
    });
    add(
      'Lambda',
      `${job} (${arch})`,
      `${n(invocations, 0)} runs × ${n(measuredJob.meanDurationMs / 1000)} s × ${memoryGb} GB × ${usd(p.lambda.gbSecond[arch])}`,
      gbSeconds * p.lambda.gbSecond[arch],
    );
  }
  const invocations = lambdas.reduce((sum, l) => sum + l.invocations, 0);
  perMillion('Lambda', 'requests', invocations, p.lambda.requestPerMillion);
  const traces = lambdas.filter((l) => l.traced).reduce((sum, l) => sum + l.invocations, 0);
  perMillion('Lambda', 'X-Ray traces', traces, p.xrayTracePerMillion);
  allowance('Lambda requests', invocations, free.lambda.requests, p.lambda.requestPerMillion / 1e6);
  // One GB-second allowance for both architectures: taken at the price of the seconds it covers, in order.
  let freeGbSeconds = free.lambda.gbSeconds;
  let gbSecondsCredit = 0;
  for (const l of lambdas) {
    const covered = Math.min(l.gbSeconds, freeGbSeconds);
    freeGbSeconds -= covered;
    gbSecondsCredit += covered * p.lambda.gbSecond[l.arch];
  }
  credit('Lambda GB-seconds', gbSecondsCredit);
  allowance('X-Ray traces', traces, free.xrayTraces, p.xrayTracePerMillion / 1e6);

  // CloudWatch Logs and custom metrics at the measured volumes.
  const logGroups = count('AWS::Logs::LogGroup');
  const lambdaLogBytes = lambdas.reduce(
    (sum, l) =>
      sum + l.invocations * (measured.jobs[l.job]!.logBytesPerRun + volumes.lambdaPlatformLogBytesPerRun),
    0,
  );
  const gatewayLogBytes =
    count('AWS::ECS::Service') > 0
      ? (volumes.gatewayLogBytesPerDay * gatewayHoursIn(month, input.gatewayHours)) / 24
      : 0;
  const flowLogBytes = count('AWS::EC2::FlowLog') * volumes.flowLogBytesPerDay * month.days;
  const logGb = logGroups > 0 ? (lambdaLogBytes + gatewayLogBytes + flowLogBytes) / GB : 0;
  add(
    'CloudWatch',
    'log ingestion',
    `${n(lambdaLogBytes / 1e6)} MB Lambda + ${n(gatewayLogBytes / 1e6)} MB gateway + ${n(flowLogBytes / 1e6)} MB flow log × ${usd(p.cloudWatch.logIngestGb)}/GB`,
    logGb * p.cloudWatch.logIngestGb,
  );
  // 30-day retention holds about one month's logs.
  perGb('CloudWatch', 'log storage', logGb, p.cloudWatch.logStoreGbMonth);
  // The 5 GB cover ingestion and storage together: taken off ingestion, the dearer of the two.
  allowance('CloudWatch log ingestion', logGb, free.cloudWatch.logGb, p.cloudWatch.logIngestGb);
  const metricMonths = lambdas.reduce(
    (sum, l) =>
      sum + (measured.jobs[l.job]!.metricsPerRun * Math.min(l.metricHours, month.hours)) / month.hours,
    0,
  );
  add(
    'CloudWatch',
    'custom metrics (EMF, by hours sent)',
    `${n(metricMonths)} metric-months × ${usd(p.cloudWatch.customMetricMonth)}`,
    metricMonths * p.cloudWatch.customMetricMonth,
  );
  allowance(
    'CloudWatch custom metrics',
    metricMonths,
    free.cloudWatch.customMetrics,
    p.cloudWatch.customMetricMonth,
  );

  // DynamoDB on-demand: the measured candidates (items twice: table and byScore index; archive chunks
  // once) plus a few units a run; storage for the days candidates are held, with point-in-time recovery.
  const tables = resourcesOf(template, 'AWS::DynamoDB::Table').filter(
    ([, t]) => t.BillingMode === 'PAY_PER_REQUEST',
  );
  if (tables.length > 0) {
    const candidateUnits =
      measured.candidatesStoredPerDay * Math.ceil(volumes.candidateItemBytes / 1000) * 2 +
      measured.candidateArchiveBytesPerDay / 1000;
    const writes = candidateUnits * month.tradingDays + invocations * volumes.writeUnitsPerRun;
    const reads = invocations * volumes.readUnitsPerRun;
    perMillion('DynamoDB', 'write request units', writes, p.dynamoDb.writeUnitPerMillion);
    perMillion('DynamoDB', 'read request units', reads, p.dynamoDb.readUnitPerMillion);
    const candidateBytesPerDay =
      measured.candidatesStoredPerDay * volumes.candidateItemBytes * 2 + measured.candidateArchiveBytesPerDay;
    const storedGb = (candidateBytesPerDay * volumes.candidateDaysHeld) / GB + volumes.otherStoredGb;
    perGb('DynamoDB', 'storage', storedGb, p.dynamoDb.storageGbMonth);
    allowance('DynamoDB storage', storedGb, free.dynamoDbStorageGb, p.dynamoDb.storageGbMonth);
    const pitr = tables.some(
      ([, t]) =>
        (t.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: boolean } | undefined)
          ?.PointInTimeRecoveryEnabled,
    );
    if (pitr) perGb('DynamoDB', 'point-in-time recovery', storedGb, p.dynamoDb.pitrGbMonth);
  }

  // SNS: the measured alerts of a trading day, to each subscription its filter lets through.
  const alertsPerMonth = (severities?: unknown) =>
    Object.entries(measured.alertsPerDay)
      .filter(([severity]) => !Array.isArray(severities) || severities.includes(severity))
      .reduce((sum, [, perDay]) => sum + perDay * month.tradingDays, 0);
  if (count('AWS::SNS::Topic') > 0) {
    perMillion('SNS', 'publishes', alertsPerMonth(), p.sns.publishPerMillion);
    allowance('SNS publishes', alertsPerMonth(), free.sns.publishes, p.sns.publishPerMillion / 1e6);
  }
  let emailsLeftFree: number = free.sns.emails;
  let smsSubscriptions = 0;
  for (const [, subscription] of resourcesOf(template, 'AWS::SNS::Subscription')) {
    const severities = (subscription.FilterPolicy as { severity?: unknown } | undefined)?.severity;
    const delivered = alertsPerMonth(severities);
    if (subscription.Protocol === 'email') {
      add(
        'SNS',
        'email deliveries',
        `${n(delivered, 0)} × ${usd(p.sns.emailPer100k)}/100k`,
        (delivered / 1e5) * p.sns.emailPer100k,
      );
      const covered = Math.min(delivered, emailsLeftFree);
      emailsLeftFree -= covered;
      credit('SNS email deliveries', (covered / 1e5) * p.sns.emailPer100k);
    } else if (subscription.Protocol === 'sms') {
      smsSubscriptions++;
      add('SNS', 'SMS (US)', `${n(delivered, 0)} × ${usd(p.sns.smsUs)}`, delivered * p.sns.smsUs);
    }
  }
  if (smsSubscriptions > 0)
    add(
      'SNS',
      'toll-free origination number',
      `1 × ${usd(p.sns.tollFreeNumberMonth)}`,
      p.sns.tollFreeNumberMonth,
    );

  const totalUsd = lines.reduce((sum, line) => sum + line.usd, 0);
  const afterAlwaysFreeUsd = totalUsd - alwaysFree.reduce((sum, credit) => sum + credit.usd, 0);
  return { month, lines, totalUsd, alwaysFree, afterAlwaysFreeUsd };
}
