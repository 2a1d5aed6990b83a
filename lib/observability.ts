// Alarms a person must hear about, on the alert topic (email; alarms carry no `severity` attribute, so
// they never reach the SMS subscription):
// - execute-strategies or monitor failed (the trading runs: no retry, someone must look);
// - anything in a job's dead-letter queue (a run dropped, expired or failed after its retries);
// - the gateway task is not running.
// Plus a small dashboard of the same signals.
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { JobName } from '#core/config';
import type { Alerts } from './alerts';
import type { GatewayService } from './gateway-service';
import type { Jobs } from './jobs';
import type { Network } from './network';

/**
 * The EC2 API calls that change who may reach what: security-group rules, security groups themselves,
 * network-ACL entries and associations, and the security groups of a network interface (a task moved into
 * another group).
 */
export const NETWORK_CHANGE_EVENTS = [
  'AuthorizeSecurityGroupIngress',
  'AuthorizeSecurityGroupEgress',
  'RevokeSecurityGroupIngress',
  'RevokeSecurityGroupEgress',
  'ModifySecurityGroupRules',
  'UpdateSecurityGroupRuleDescriptionsIngress',
  'UpdateSecurityGroupRuleDescriptionsEgress',
  'CreateSecurityGroup',
  'DeleteSecurityGroup',
  'CreateNetworkAcl',
  'DeleteNetworkAcl',
  'CreateNetworkAclEntry',
  'ReplaceNetworkAclEntry',
  'DeleteNetworkAclEntry',
  'ReplaceNetworkAclAssociation',
  'ModifyNetworkInterfaceAttribute',
] as const;

/** Jobs whose every failure is alarmed (the others alarm through their dead-letter queue). */
export const ERROR_ALARM_JOBS: readonly JobName[] = ['execute-strategies', 'monitor'];

export interface ObservabilityProps {
  network: Network;
  alerts: Alerts;
  jobs: Jobs;
  gateway: GatewayService;
}

export class Observability extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  /** Security-group and network-ACL changes → the alert topic. */
  readonly networkChangeRule: events.Rule;
  /** The role that rule publishes with. */
  readonly networkChangeRole: iam.IRole;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const notify = new actions.SnsAction(props.alerts.topic);
    const add = (alarm: cloudwatch.Alarm) => {
      alarm.addAlarmAction(notify);
      this.alarms.push(alarm);
      return alarm;
    };

    for (const name of ERROR_ALARM_JOBS) {
      const job = props.jobs.deployed.get(name);
      if (!job) continue;
      add(
        new cloudwatch.Alarm(this, `${name}-errors`, {
          alarmDescription: `${name} failed (it is never retried): read its log group, then check IB and the positions table`,
          metric: job.fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    for (const [name, job] of props.jobs.deployed) {
      add(
        new cloudwatch.Alarm(this, `${name}-dead-letters`, {
          alarmDescription: `${name}: an invocation was dropped or failed for good; the message in its dead-letter queue says why`,
          metric: job.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    // The watchman of the watchman: the health check names every job that stopped running, so a health
    // check that stops running itself (a disabled schedule, a broken role, a function that fails before
    // it can alert) must be heard too. It is invoked every 10 minutes: an hour without one invocation is
    // an alarm, and no data at all (it never ran) counts as breaching.
    const healthCheck = props.jobs.deployed.get('health-check');
    if (healthCheck) {
      add(
        new cloudwatch.Alarm(this, 'health-check-silent', {
          alarmDescription:
            'The health check has not run for an hour: nothing watches the gateway, the IB login or the other jobs. Check its schedule and its log group',
          metric: healthCheck.fn.metricInvocations({
            period: Duration.hours(1),
            statistic: cloudwatch.Stats.SUM,
          }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        }),
      );
    }

    // "Running task count < 1" without Container Insights (whose RunningTaskCount would cost ≈ $7/month):
    // the free AWS/ECS CPUUtilization of the service has data points exactly while a task runs, so its
    // sample count is below 1 (missing data, treated as breaching) when none does. Three 5-minute periods
    // ride out a deployment, which stops the old task before starting the new one.
    const runningTasks = new cloudwatch.Metric({
      namespace: 'AWS/ECS',
      metricName: 'CPUUtilization',
      dimensionsMap: {
        ClusterName: props.gateway.cluster.clusterName,
        ServiceName: props.gateway.service.serviceName,
      },
      statistic: cloudwatch.Stats.SAMPLE_COUNT,
      period: Duration.minutes(5),
    });
    add(
      new cloudwatch.Alarm(this, 'gateway-not-running', {
        alarmDescription:
          'No IB Gateway task has run for 15 minutes: check the ECS service events (image pull, secrets, circuit breaker)',
        metric: runningTasks,
        threshold: 1,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
    );

    // Any security-group or network-ACL change in this account and region, by anyone (the console, a
    // script, CloudFormation itself during a deploy): opening the IB API (4001-4004) or VNC to anything
    // but the task itself would hand out an unauthenticated trading connection. CloudTrail delivers these
    // management events to the default bus; the email says who did what to which resource. All changes,
    // not only this VPC's groups: a task moved into a new group would otherwise go unseen. Email only
    // (EventBridge sets no `severity` attribute, so the SMS filter does not let it through).
    const networkChanged = (this.networkChangeRule = new events.Rule(this, 'NetworkAccessChanged', {
      description: 'Alert on every security-group or network-ACL change (CloudTrail)',
      eventPattern: {
        source: ['aws.ec2'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: { eventSource: ['ec2.amazonaws.com'], eventName: [...NETWORK_CHANGE_EVENTS] },
      },
    }));
    this.networkChangeRole = new iam.Role(this, 'NetworkAccessChangedRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'EventBridge publishes network-change alerts to the alert topic',
    });
    networkChanged.addTarget(
      new targets.SnsTopic(props.alerts.topic, {
        role: this.networkChangeRole,
        // EventBridge publishes with a role of its own (IAM grants on the topic and its key) rather than a
        // key-policy statement for events.amazonaws.com.
        authorizeUsingRole: true,
        message: events.RuleTargetInput.fromText(
          // Plain string fields only; the full request is in CloudTrail under the event id.
          `[network change] ${events.EventField.fromPath('$.detail.eventName')} by ` +
            `${events.EventField.fromPath('$.detail.userIdentity.arn')} at ${events.EventField.time}, ` +
            `CloudTrail event ${events.EventField.fromPath('$.detail.eventID')}. Check that no rule opens ` +
            `ports 4000-4004 or 5900 to the gateway task (security group ` +
            `${props.network.bridgeSecurityGroup.securityGroupId}).`,
        ),
      }),
    );

    const deployed = [...props.jobs.deployed.values()];
    new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(1),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Job errors',
            width: 12,
            left: deployed.map((job) =>
              job.fn.metricErrors({ period: Duration.minutes(5), label: job.spec.name }),
            ),
          }),
          new cloudwatch.GraphWidget({
            title: 'Job duration (max)',
            width: 12,
            left: deployed.map((job) =>
              job.fn.metricDuration({
                period: Duration.minutes(5),
                statistic: cloudwatch.Stats.MAXIMUM,
                label: job.spec.name,
              }),
            ),
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Gateway task running (CPU samples per 5 min)',
            width: 12,
            left: [runningTasks],
          }),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 12, alarms: this.alarms }),
        ],
      ],
    });
  }
}
