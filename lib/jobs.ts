// One Lambda per deployed job of the job table, its EventBridge Scheduler schedules in New York time, its
// dead-letter queue and exactly the permissions its code uses.
//
// Retries, the trap (docs/aws-notes.md): a Scheduler target retries up to 185 times over 24 hours by
// default, and Lambda's asynchronous invocation retries twice more. A trading run that executes late, or
// twice, is worse than one that does not run, so for the `none` policy (execute-strategies, monitor) both
// layers are set to zero retries with a one-minute maximum event age; whatever is dropped or fails lands
// in the job's dead-letter queue, which alarms. Idempotency keys (job + trade date, intent keys) still
// collapse the at-least-once delivery that remains.
import { Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { TimeZone } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { JobName } from '#core/config';
import type { GatewayHours } from '#core/gateway-hours';
import { deployedUnder } from '#core/schedule';
import type { Alerts } from './alerts';
import type { BridgeEvents } from './event-bus';
import type { GatewayService } from './gateway-service';
import { JobFunction } from './job-function';
import { JOBS } from './jobs-table';
import type { JobSchedule, JobSpec, RetryPolicy } from './jobs-table';
import type { Network } from './network';
import type { Storage } from './storage';

/**
 * Schedules fire Monday to Friday unless a schedule says every day (health-check); each job checks NYSE
 * holidays and early closes itself.
 */
export const SCHEDULE_DAYS = { weekdays: 'MON-FRI', 'every-day': '*' } as const;
const daysOf = (schedule: JobSchedule) => SCHEDULE_DAYS[schedule.days ?? 'weekdays'];
export const SCHEDULE_TIME_ZONE = TimeZone.AMERICA_NEW_YORK;

/** Attempts after the first, per layer. */
export const RETRIES: Record<RetryPolicy, { scheduler: number; lambdaAsync: number }> = {
  none: { scheduler: 0, lambdaAsync: 0 },
  modest: { scheduler: 2, lambdaAsync: 1 },
};

/**
 * What a schedule sends: the shape of an EventBridge scheduled event, which the job framework
 * (functions/jobs/shared/input.ts) reads as "run on schedule" with the scheduled time. The payload
 * schemas are strict, so nothing else is added: the job's bridge priority is part of its handler
 * (defineJob), not of the event.
 */
export function scheduledEventInput(): scheduler.ScheduleTargetInput {
  return scheduler.ScheduleTargetInput.fromObject({
    version: '0',
    id: scheduler.ContextAttribute.executionId,
    'detail-type': 'Scheduled Event',
    source: 'aws.scheduler',
    time: scheduler.ContextAttribute.scheduledTime,
    resources: [scheduler.ContextAttribute.scheduleArn],
    detail: {},
  });
}

export interface JobsProps {
  network: Network;
  storage: Storage;
  alerts: Alerts;
  gateway: GatewayService;
  bridgeEvents: BridgeEvents;
  /** The job table (default JOBS); tests deploy a part of it. */
  jobs?: readonly JobSpec[];
  /** Tests: bundle this one small file for every job instead of the real handlers (fast synth). */
  entryOverride?: string;
  /** `market`: the gateway runs only around the session (gateway-hours job, GATEWAY_HOURS); default always. */
  gatewayHours?: GatewayHours;
}

export interface DeployedJob {
  spec: JobSpec;
  fn: JobFunction;
  deadLetterQueue: sqs.Queue;
  schedules: scheduler.Schedule[];
  /** The role the job's schedules assume; undefined for an on-demand job. */
  schedulerRole: iam.Role | undefined;
}

export class Jobs extends Construct {
  readonly deployed = new Map<JobName, DeployedJob>();
  constructor(scope: Construct, id: string, props: JobsProps) {
    super(scope, id);
    // A job deployed only with a setting (gateway-hours) is left out without it.
    for (const spec of props.jobs ?? JOBS) {
      if (deployedUnder(spec.deployedWith, props.gatewayHours ?? 'always'))
        this.deployed.set(spec.name, this.deployJob(spec, props));
    }

    const positionSync = this.deployed.get('position-sync');
    if (positionSync) props.bridgeEvents.trigger(positionSync.fn, positionSync.deadLetterQueue);
  }

  private deployJob(spec: JobSpec, props: JobsProps): DeployedJob {
    const { network, storage, alerts, gateway } = props;
    const scope = new Construct(this, spec.name);
    const retries = RETRIES[spec.retry];
    const maxEventAge = Duration.minutes(Math.max(1, spec.maxEventAgeMinutes));

    const deadLetterQueue = new sqs.Queue(scope, 'DeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });

    const fn = new JobFunction(scope, 'Function', {
      entry: props.entryOverride ?? spec.entry,
      serviceName: spec.name,
      description: `${spec.name} job (bridge priority ${spec.priority})`,
      memorySize: spec.memoryMiB,
      timeout: Duration.seconds(spec.timeoutSeconds),
      vpc: network.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [network.jobsSecurityGroup],
      environment: {
        ...storage.environment(),
        // Every job builds a bridge client (the framework hands one to each run), so all get the URL and
        // the secret's ARN; only the jobs that call the bridge may read the secret. The order-route
        // secret exists only where orders are placed.
        BRIDGE_URL: gateway.bridgeUrl,
        BRIDGE_SECRET_ARN: gateway.bridgeSecret.secretArn,
        ...(spec.placesOrders ? { BRIDGE_ORDER_SECRET_ARN: gateway.bridgeOrderSecret.secretArn } : {}),
        ALERT_TOPIC_ARN: alerts.topic.topicArn,
        // The job shell skips IB work outside the gateway's hours (core/gateway-hours.ts); absent = always.
        ...(props.gatewayHours === 'market' ? { GATEWAY_HOURS: 'market' } : {}),
        ...(spec.managesGateway
          ? {
              ECS_CLUSTER: gateway.cluster.clusterName,
              ECS_SERVICE: gateway.service.serviceName,
              // the login alerts: when the weekly login is, and whether it needs a second factor at all
              WEEKLY_LOGIN: gateway.weeklyLogin,
              TRADING_MODE: gateway.tradingMode,
            }
          : {}),
      },
    });
    fn.configureAsyncInvoke({
      retryAttempts: retries.lambdaAsync,
      maxEventAge,
      onFailure: new destinations.SqsDestination(deadLetterQueue),
    });

    // Least privilege: what every job does (read the config, claim alert cooldowns, publish alerts), then
    // what this job's code uses (jobs-table.ts).
    storage.grantRead(fn, 'config');
    storage.grantReadWrite(fn, 'alertState');
    alerts.topic.grantPublish(fn);
    const writes = new Set(spec.writes);
    for (const table of writes) storage.grantReadWrite(fn, table);
    for (const table of spec.reads) if (!writes.has(table)) storage.grantRead(fn, table);
    if (spec.usesBridge) gateway.bridgeSecret.grantRead(fn);
    if (spec.placesOrders) gateway.bridgeOrderSecret.grantRead(fn);
    if (spec.managesGateway) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['ecs:DescribeServices', 'ecs:UpdateService'],
          resources: [gateway.service.serviceArn],
        }),
      );
    }

    // One Scheduler role per job, allowed to invoke this function only (CDK would otherwise share a
    // stack-level role per target); it also sends undeliverable events to the job's dead-letter queue.
    const schedulerRole =
      spec.schedules.length > 0
        ? new iam.Role(scope, 'SchedulerRole', {
            assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
              conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
            }),
            description: `EventBridge Scheduler invokes the ${spec.name} job`,
          })
        : undefined;
    const schedules = spec.schedules.map(
      (schedule) =>
        new scheduler.Schedule(scope, `Schedule-${schedule.label}`, {
          description: `${spec.name}: ${schedule.description} (New York time, ${schedule.days === 'every-day' ? 'every day' : SCHEDULE_DAYS.weekdays})`,
          schedule: cronExpression(schedule),
          target: new schedulerTargets.LambdaInvoke(fn, {
            role: schedulerRole,
            input: scheduledEventInput(),
            retryAttempts: retries.scheduler,
            maxEventAge,
            deadLetterQueue,
          }),
        }),
    );
    return { spec, fn, deadLetterQueue, schedules, schedulerRole };
  }
}

export function cronExpression(schedule: JobSchedule): scheduler.ScheduleExpression {
  return scheduler.ScheduleExpression.cron({
    minute: schedule.minute,
    hour: schedule.hour,
    weekDay: daysOf(schedule),
    timeZone: SCHEDULE_TIME_ZONE,
  });
}
