// The `gateway:sim` command line: argument parsing, and one real run that prints its ready line,
// accepts the real client and exits cleanly on SIGTERM.

import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCli } from '#simulator/cli';
import { closeAll, connectClient } from './server-harness';

afterEach(closeAll);

describe('gateway:sim arguments', () => {
  it('reads port, seed, speed, account and a New York start time', () => {
    const options = parseCli([
      '--port',
      '4002',
      '--seed',
      '9',
      '--speed',
      '60',
      '--start',
      '2026-11-24T09:30',
      '--account',
      'live',
    ]);
    expect(options).toMatchObject({
      port: 4002,
      seed: 9,
      speed: 60,
      account: 'live',
      host: '127.0.0.1',
      limits: true,
    });
    // 09:30 New York on 24 Nov 2026 (EST, UTC−5) is 14:30 UTC.
    expect(options !== 'help' && options.start).toBe(Date.UTC(2026, 10, 24, 14, 30));
  });

  it('defaults to a paper account, seed 1 and real-time speed', () => {
    expect(parseCli(['--port', '0'])).toMatchObject({
      port: 0,
      seed: 1,
      speed: 1,
      account: 'paper',
      start: undefined,
    });
  });

  it('refuses missing or malformed arguments with a message that says what is wrong', () => {
    expect(() => parseCli([])).toThrow(/--port is required/);
    expect(() => parseCli(['--port', '1', '--account', 'demo'])).toThrow(/paper or live/);
    expect(() => parseCli(['--port', '1', '--start', '24/11/2026'])).toThrow(/YYYY-MM-DDTHH:mm/);
    expect(() => parseCli(['--port', '1', '--speed', 'fast'])).toThrow(/--speed must be a number/);
    expect(() => parseCli(['--port', '1', '--bogus'])).toThrow();
    expect(parseCli(['--help'])).toBe('help');
  });
});

describe('gateway:sim process', () => {
  it('prints one ready line, serves the real client and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
    const faults = join(dir, 'faults.json');
    writeFileSync(faults, JSON.stringify([{ fault: 'slow', delayMs: 1 }]));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'gateway-container/simulator/cli.ts',
        '--port',
        '0',
        '--seed',
        '5',
        '--speed',
        '0',
        '--faults',
        faults,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => void (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 40_000;
      while (!out.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const match = /^simulator ready on 127\.0\.0\.1:(\d+) .*seed 5.*1 scheduled faults\)\n$/.exec(out);
      expect(match, out).not.toBeNull();
      const client = await connectClient(Number(match?.[1]), 0);
      expect(client.accounts).toMatch(/^DU/);
      client.close();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out.trim().split('\n')).toHaveLength(1);
  }, 60_000);
});
