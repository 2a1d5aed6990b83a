import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import type { BridgeEvent } from '#bridge/contract';
import { callbackSink, eventBridgeSink } from '#bridge/events';

const filled: BridgeEvent = {
  type: 'OrderFilled',
  detail: {
    orderId: 7,
    orderRef: 'k1',
    status: 'Filled',
    filled: 1,
    remaining: 0,
    averagePrice: -1.2,
    time: 1,
  },
};

describe('event sinks', () => {
  it('EventBridge: one PutEvents entry on the configured bus, source ib-bridge, detail-type = event type', async () => {
    const sent: PutEventsCommand[] = [];
    const sink = eventBridgeSink({
      eventBusName: 'trading-bus',
      client: {
        send: async (cmd: unknown) => (
          sent.push(cmd as PutEventsCommand),
          { FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] }
        ),
      } as never,
    });
    await sink.publish(filled);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(PutEventsCommand);
    const [entry] = sent[0]!.input.Entries!;
    expect(entry).toEqual({
      EventBusName: 'trading-bus',
      Source: 'ib-bridge',
      DetailType: 'OrderFilled',
      Detail: JSON.stringify(filled.detail),
    });
  });

  it('EventBridge: retries a failed entry and reports failure after the last attempt', async () => {
    let calls = 0;
    const flaky = eventBridgeSink({
      eventBusName: 'b',
      attempts: 2,
      client: {
        send: async () =>
          ++calls === 1
            ? { FailedEntryCount: 1, Entries: [{ ErrorMessage: 'throttled' }] }
            : { FailedEntryCount: 0 },
      } as never,
    });
    await flaky.publish(filled);
    expect(calls).toBe(2);
    const broken = eventBridgeSink({
      eventBusName: 'b',
      attempts: 2,
      client: { send: async () => Promise.reject(new Error('no network')) } as never,
    });
    await expect(broken.publish(filled)).rejects.toThrow(/no network/);
  });

  it('callback sink hands every event to the listener', async () => {
    const got: BridgeEvent[] = [];
    await callbackSink((e) => {
      got.push(e);
    }).publish(filled);
    expect(got).toEqual([filled]);
  });
});
