// The bridge's fill and position events: a custom EventBridge bus (so nothing else's events mix in) and a
// rule that runs position-sync on each, making the scheduled syncs needed only at the edges of the day.
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '#bridge/contract';

/** The detail-types the bridge publishes (gateway-container/bridge/events.ts) and position-sync accepts. */
export const BRIDGE_EVENT_TYPES = ['OrderFilled', 'PositionChanged'] as const;

export class BridgeEvents extends Construct {
  readonly bus: events.EventBus;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', {
      description: 'OrderFilled and PositionChanged events from the IB bridge',
    });
  }

  /** Lets the bridge (the gateway task role) publish. */
  grantPublish(grantee: iam.IGrantable): void {
    this.bus.grantPutEventsTo(grantee);
  }

  /**
   * Runs `fn` on every bridge event. A sync is idempotent (it reconciles with IB), so a failed delivery
   * is retried a couple of times, then kept in `deadLetterQueue`.
   */
  trigger(fn: lambda.IFunction, deadLetterQueue: sqs.IQueue): events.Rule {
    return new events.Rule(this, 'PositionSyncOnFills', {
      eventBus: this.bus,
      description: 'Run position-sync on every fill and position change the bridge reports',
      eventPattern: { source: [EVENT_SOURCE], detailType: [...BRIDGE_EVENT_TYPES] },
      targets: [
        new targets.LambdaFunction(fn, {
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
          deadLetterQueue,
        }),
      ],
    });
  }
}
