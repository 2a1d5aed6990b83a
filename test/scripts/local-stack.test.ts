// The local stack: it starts and stops cleanly (no java left, no port left open), a job runs through it,
// and another process's `npm run invoke` reaches it through the control endpoint and the stack file.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nyTimeToEpoch } from '#core/calendar';
import { invokeOnRunningStack } from '#scripts/invoke';
import {
  LOCAL_DYNAMO_HEAP_MB,
  readStackInfo,
  startControlServer,
  startLocalStack,
  writeStackInfo,
} from '#scripts/local/stack';
import { dynamoEndpoint } from '../support/dynamodb';

function portRefuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const portOf = (url: string) => Number(new URL(url).port);

describe('local stack', () => {
  it('starts DynamoDB Local, the simulator and the bridge, and leaves nothing behind on stop', async () => {
    const stack = await startLocalStack({ write: null, start: nyTimeToEpoch('2026-06-01', '10:30') });
    const javaPid = stack.dynamoPid as number;
    const ports = [portOf(stack.dynamoEndpoint), stack.simulator.port, portOf(stack.bridge.url)];
    try {
      expect(javaPid).toBeGreaterThan(0);
      expect(processGone(javaPid)).toBe(false);
      // Its heap is capped (Java's default let it grow past 4 GB in a day).
      expect(readFileSync(`/proc/${javaPid}/cmdline`, 'utf8').split('\0')).toContain(
        `-Xmx${LOCAL_DYNAMO_HEAP_MB}m`,
      );
      for (const port of ports) expect(await portRefuses(port)).toBe(false);
      // Seeded config reads back valid, and the bridge is connected to the simulator's paper account.
      const config = await stack.stores.config.loadConfig();
      expect(config.trading.mode).toBe('paper');
      const health = await stack.context.bridge(100).health();
      expect(health.state).toBe('ready');
      expect(health.tradingMode).toBe('paper');
    } finally {
      await stack.stop();
    }
    expect(processGone(javaPid)).toBe(true);
    for (const port of ports) expect(await portRefuses(port)).toBe(true);
    // A second stop is harmless.
    await stack.stop();
  }, 60_000);

  it('serves a running stack to another process: control clock, stack file, remote invoke', async () => {
    const prefix = `stack-${Date.now().toString(36)}`;
    const start = nyTimeToEpoch('2026-06-01', '10:30');
    const stack = await startLocalStack({
      write: null,
      start,
      dynamoEndpoint: dynamoEndpoint(),
      tablePrefix: prefix,
    });
    const control = await startControlServer(stack.clock);
    try {
      // Without a JVM of its own the stack must not claim one.
      expect(stack.dynamoPid).toBeUndefined();

      const info = { ...stack.info(), controlUrl: control.url };
      const file = join(mkdtempSync(join(tmpdir(), 'stack-')), 'local-stack.json');
      writeStackInfo(info, file);
      // The file holds the bridge secret: owner-only permissions.
      expect(statSync(file).mode & 0o077).toBe(0);
      expect(readStackInfo(file)).toEqual(info);
      expect(JSON.parse(readFileSync(file, 'utf8')).env.TABLE_CONFIG).toBe(`${prefix}-config`);
      // A file left by a process that is gone describes no running stack.
      writeStackInfo({ ...info, pid: 2 ** 22 + 12345 }, file);
      expect(readStackInfo(file)).toBeUndefined();

      // The remote clock asks the stack to jump: 10 simulated minutes pass at once.
      const before = stack.clock.now();
      const response = await fetch(`${control.url}/advance`, {
        method: 'POST',
        body: JSON.stringify({ ms: 600_000 }),
      });
      const { now } = (await response.json()) as { now: number };
      expect(now - before).toBeGreaterThanOrEqual(600_000);
      expect(now - before).toBeLessThan(600_000 + 60_000);
      const bad = await fetch(`${control.url}/advance`, { method: 'POST', body: JSON.stringify({ ms: -5 }) });
      expect(bad.status).toBe(400);

      const lines: string[] = [];
      const outcome = await invokeOnRunningStack(info, 'validate-ib-connection', {}, (line) =>
        lines.push(line),
      );
      const result = outcome.result as {
        job: string;
        ok: boolean;
        tradeDate: string;
        did?: string;
        skipped?: string;
      };
      expect(result.job).toBe('validate-ib-connection');
      expect(result.tradeDate).toBe('2026-06-01');
      expect(result.ok).toBe(true);
      expect(result.skipped).toBeUndefined();

      // A payload the job does not take is refused by name, through the same path.
      const refused = await invokeOnRunningStack(
        info,
        'validate-ib-connection',
        { bogus: 1 },
        () => undefined,
      );
      expect(refused.result).toMatchObject({ ok: false, error: expect.stringContaining('bogus') });
    } finally {
      await control.close();
      await stack.stop();
    }
  }, 60_000);
});
