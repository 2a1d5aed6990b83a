// Where the bridge's fill and position events go: EventBridge in AWS (a rule triggers position-sync),
// an in-process callback for local runs and tests.

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, type BridgeEvent } from './contract';

export interface EventSink {
  publish(event: BridgeEvent): Promise<void>;
}

/** Calls `listener` for every event, in process. */
export function callbackSink(listener: (event: BridgeEvent) => void | Promise<void>): EventSink {
  return {
    async publish(event) {
      await listener(event);
    },
  };
}

/** Drops every event (a bridge started without a bus and without a listener). */
export const nullSink: EventSink = { publish: async () => undefined };

export interface EventBridgeSinkOptions {
  eventBusName: string;
  client?: Pick<EventBridgeClient, 'send'>;
  /** Attempts per event for throttling or partial failures. */
  attempts?: number;
}

/** PutEvents to `eventBusName` with source `ib-bridge` and detail-type = the event type. */
export function eventBridgeSink(options: EventBridgeSinkOptions): EventSink {
  const client = options.client ?? new EventBridgeClient({});
  const attempts = options.attempts ?? 3;
  return {
    async publish(event) {
      const entry = {
        EventBusName: options.eventBusName,
        Source: EVENT_SOURCE,
        DetailType: event.type,
        Detail: JSON.stringify(event.detail),
      };
      let lastError = 'unknown';
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          const out = await client.send(new PutEventsCommand({ Entries: [entry] }));
          if (!out.FailedEntryCount) return;
          lastError = out.Entries?.[0]?.ErrorMessage ?? 'failed entry';
        } catch (err) {
          lastError = err instanceof Error ? err.message : String(err);
        }
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
      throw new Error(`PutEvents to ${options.eventBusName} failed: ${lastError}`);
    },
  };
}
