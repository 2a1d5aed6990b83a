// Sharing a running stack with other processes (npm run local:up ↔ npm run invoke): the stack-info file
// (out/local-stack.json: endpoints, table prefix, secrets) and a loopback control endpoint over the
// simulator's clock, with the clock another process follows it by.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, resolve } from 'node:path';
import type { Clock } from '#adapters/clock';
import type { SimulatorClock } from './clocks';
import { REPO_ROOT } from './jobs';

/** Where `npm run local:up` describes the running stack for `npm run invoke`. */
export const STACK_INFO_FILE = resolve(REPO_ROOT, 'out/local-stack.json');

/** What another process needs to use a running stack (out/local-stack.json). */
export interface LocalStackInfo {
  pid: number;
  startedAt: string;
  dynamoEndpoint: string;
  tablePrefix: string;
  bridgeUrl: string;
  bridgeSecret: string;
  bridgeOrderSecret: string;
  simulator: { host: string; port: number; seed: number };
  /** Simulated ms per real ms of the running stack (a remote clock extrapolates with it). */
  speed: number;
  /** Loopback control endpoint (GET /time, POST /advance) sharing the simulator's clock. */
  controlUrl?: string;
  /** Environment a job process uses (TABLE_*, DYNAMODB_ENDPOINT, BRIDGE_URL, BRIDGE_SECRET, AWS_*). */
  env: Record<string, string>;
}

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) {
    body += String(chunk);
    if (body.length > 10_000) throw new Error('body too large');
  }
  return body;
}

/**
 * Loopback endpoint over the stack's clock: `GET /time` → `{ now }`, `POST /advance {"ms":N}` (a job's
 * sleep in another process) → `{ now }`. Unauthenticated like the simulator itself, so loopback only.
 */
export async function startControlServer(clock: SimulatorClock): Promise<ControlServer> {
  const server = createServer((request, response) => {
    void (async () => {
      try {
        if (request.method === 'GET' && request.url === '/time')
          return sendJson(response, 200, { now: clock.now() });
        if (request.method === 'POST' && request.url === '/advance') {
          const parsed = JSON.parse((await readBody(request)) || '{}') as { ms?: unknown };
          const ms = Number(parsed.ms);
          if (!Number.isFinite(ms) || ms < 0 || ms > 7 * 86_400_000) {
            return sendJson(response, 400, {
              error: 'ms: expected a number of milliseconds from 0 to 7 days',
            });
          }
          await clock.sleep(ms);
          return sendJson(response, 200, { now: clock.now() });
        }
        sendJson(response, 404, { error: 'GET /time or POST /advance' });
      } catch (error) {
        sendJson(response, 400, { error: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/**
 * A clock in another process that follows a running stack's simulator: `now()` extrapolates from the
 * last reading at the stack's speed, `sleep` asks the stack to jump. `sync()` must run once first.
 */
export function remoteClock(controlUrl: string, speed: number): Clock & { sync(): Promise<void> } {
  let simAt = 0;
  let realAt = 0;
  const remember = (now: number) => {
    simAt = now;
    realAt = Date.now();
  };
  const call = async (path: string, init?: RequestInit) => {
    const response = await fetch(`${controlUrl}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { now?: number; error?: string };
    if (!response.ok || typeof body.now !== 'number') {
      throw new Error(`local stack control ${path}: ${body.error ?? response.status}`);
    }
    remember(body.now);
  };
  return {
    now: () => simAt + (Date.now() - realAt) * speed,
    sleep: (ms) => call('/advance', { method: 'POST', body: JSON.stringify({ ms }) }),
    sync: () => call('/time'),
  };
}

export function writeStackInfo(info: LocalStackInfo, file = STACK_INFO_FILE): void {
  mkdirSync(dirname(file), { recursive: true });
  // The file holds the bridge secret: readable by its owner only.
  writeFileSync(file, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

/** The running stack described in `file`, or undefined when there is none (no file, or its process is gone). */
export function readStackInfo(file = STACK_INFO_FILE): LocalStackInfo | undefined {
  if (!existsSync(file)) return undefined;
  let info: LocalStackInfo;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as LocalStackInfo;
  } catch {
    return undefined;
  }
  if (typeof info.pid !== 'number' || !processAlive(info.pid)) return undefined;
  return info;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
