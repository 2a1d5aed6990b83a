// One SNS topic for every alert: the jobs' trading alerts (SNS alerter, with a `severity` message
// attribute) and the CloudWatch alarms. Email receives everything; SMS only messages whose `severity`
// attribute is CRITICAL (a subscription filter policy, so the phone is not woken for a WARNING; alarm
// notifications carry no attributes and so go to email only).
//
// For the README's deploy section: SMS to US numbers needs a registered origination identity (a
// toll-free number or 10DLC registration, in AWS End User Messaging), and a new account is in the SMS
// sandbox with a $1.00/month SMS spend limit (about 100-150 US messages): verify the destination number
// in the sandbox, or request production access and a higher limit, or CRITICAL alerts silently stop
// arriving by SMS once the limit is reached (email still gets them).
import { Annotations, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** The message attribute the SNS alerter sets, and the value the SMS subscription lets through. */
export const SEVERITY_ATTRIBUTE = 'severity';
export const SMS_SEVERITY = 'CRITICAL';

export interface AlertsProps {
  /** Every alert and alarm. */
  email?: string;
  /** E.164 number for CRITICAL alerts. */
  phone?: string;
}

export class Alerts extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    // A customer managed key (≈ $1/month) rather than alias/aws/sns: CloudWatch alarms cannot publish to
    // a topic encrypted with the AWS managed key, whose policy cannot be changed.
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the alert topic',
      enableKeyRotation: true,
    });
    // Publishing to an SSE-KMS topic takes kms:GenerateDataKey* and kms:Decrypt on its key (SNS developer
    // guide, "Key management"): the alarms through this statement, the jobs and the security-group rule's
    // role through their IAM grants (topic.grantPublish). Nobody else gets kms:Decrypt on this key. The
    // condition keeps another account's alarms from using it (the confused-deputy guard).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'IB options income',
      masterKey: this.key,
      enforceSSL: true,
    });

    if (props.email) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    } else {
      Annotations.of(this).addWarningV2(
        'options-income:no-alert-email',
        'No alertEmail context: alerts reach nobody. Deploy with -c alertEmail=you@example.com.',
      );
    }
    if (props.phone) {
      this.topic.addSubscription(
        new subscriptions.SmsSubscription(props.phone, {
          filterPolicy: {
            [SEVERITY_ATTRIBUTE]: sns.SubscriptionFilter.stringFilter({ allowlist: [SMS_SEVERITY] }),
          },
        }),
      );
    }
  }
}
