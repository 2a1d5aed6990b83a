// The SNS alerter: one topic, email subscribed to everything, SMS subscribed with a filter policy on the
// `severity` message attribute so only CRITICAL reaches a phone. Cooldown first (alerter.ts), then
// publish. Subjects are what an email client shows; SNS refuses subjects over 100 characters or with
// characters outside printable ASCII, so the subject is cleaned rather than letting the publish fail.
import type { SNSClient } from '@aws-sdk/client-sns';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { PublishCommandInput } from '@aws-sdk/client-sns';
import type { Alert } from '#core/alerts';
import { cooldownAlerter } from './alerter';
import type { Alerter, AlertPublisher } from './alerter';
import type { AlertStateStore } from './ports';

export const MAX_SUBJECT_LENGTH = 100;
/** SMS segments are 160 characters; a few segments is plenty for "position, rule, numbers". */
export const MAX_MESSAGE_LENGTH = 600;

/** `[CRITICAL] SPY loss $612.00`, printable ASCII only, at most 100 characters. */
export function alertSubject(alert: Pick<Alert, 'severity' | 'title'>): string {
  const ascii = `[${alert.severity}] ${alert.title}`
    .replace(/×/g, 'x')
    .replace(/≥/g, '>=')
    .replace(/≤/g, '<=')
    .replace(/[–—]/g, '-')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return ascii.length <= MAX_SUBJECT_LENGTH ? ascii : `${ascii.slice(0, MAX_SUBJECT_LENGTH - 3)}...`;
}

/** The short body: the alert's own sentence, which names the position, the rule and the numbers. */
export function alertMessage(alert: Pick<Alert, 'message'>): string {
  const text = alert.message.trim();
  return text.length <= MAX_MESSAGE_LENGTH ? text : `${text.slice(0, MAX_MESSAGE_LENGTH - 3)}...`;
}

/** The exact PublishCommand input for an alert (tests assert it). */
export function publishInput(topicArn: string, alert: Alert): PublishCommandInput {
  return {
    TopicArn: topicArn,
    Subject: alertSubject(alert),
    Message: alertMessage(alert),
    MessageAttributes: {
      severity: { DataType: 'String', StringValue: alert.severity },
    },
  };
}

export function snsPublisher(options: { client: Pick<SNSClient, 'send'>; topicArn: string }): AlertPublisher {
  return {
    async publish(alert) {
      const out = await options.client.send(new PublishCommand(publishInput(options.topicArn, alert)));
      return out.MessageId === undefined ? {} : { messageId: out.MessageId };
    },
  };
}

/** SNS alerter with the cooldown claimed in the alert-state table before each publish. */
export function snsAlerter(options: {
  client: Pick<SNSClient, 'send'>;
  topicArn: string;
  alertState: AlertStateStore;
}): Alerter {
  return cooldownAlerter(snsPublisher(options), options.alertState);
}
