// `npm run local:up`: starts the local stack and keeps it running for `npm run invoke` in other
// terminals, until Ctrl-C. Prints the endpoints and the environment a job process would use, and
// writes them to out/local-stack.json (owner-readable only: it holds the bridge secret).
//
// The simulator's clock runs at `--speed` from `--at` (default 09:50 New York, market open), so
// every job can be invoked at once. Fills and position changes run position-sync right away, as the
// EventBridge rule does in AWS.
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { nyTimeToEpoch } from '#core/calendar';
import type { IsoDate } from '#core/types';
import type { BridgeEvent } from '#bridge/contract';
import { clockTime, numberAbove, parseFlags, tradingDay, UsageError, wholeNumber } from './args';
import {
  bridgeEventEnvelope,
  DEFAULT_DATE,
  hideSdkNodeVersionWarning,
  readStackInfo,
  STACK_INFO_FILE,
  startControlServer,
  startLocalStack,
  writeStackInfo,
} from './local/stack';
import type { LocalStack } from './local/stack';

export interface LocalUpArgs {
  date: IsoDate;
  at: string;
  seed: number;
  speed: number;
  help: boolean;
}

// The shared usage error of the local scripts (scripts/args.ts), under the name this script exported.
export const LocalUpUsageError = UsageError;
export type LocalUpUsageError = UsageError;

const LOCAL_UP_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  date: { type: 'string' },
  at: { type: 'string' },
  seed: { type: 'string' },
  speed: { type: 'string' },
} as const;

export function parseLocalUpArgs(argv: readonly string[]): LocalUpArgs {
  const { values } = parseFlags(argv, LOCAL_UP_OPTIONS);
  return {
    date: values.date === undefined ? DEFAULT_DATE : tradingDay('--date', values.date),
    at: values.at === undefined ? '09:50' : clockTime('--at', values.at),
    seed: values.seed === undefined ? 1 : wholeNumber('--seed', values.seed),
    speed: values.speed === undefined ? 1 : numberAbove('--speed', values.speed, 0, 1000),
    help: values.help ?? false,
  };
}

const HELP = [
  'npm run local:up [-- options]: DynamoDB Local + simulator + bridge, kept running for `npm run invoke`.',
  `  --date YYYY-MM-DD  trading day of the simulated clock (default ${DEFAULT_DATE})`,
  '  --at HH:MM         New York time the clock starts at (default 09:50)',
  '  --seed N           market seed (default 1)',
  '  --speed N          simulated ms per real ms (default 1)',
].join('\n');

/** Runs position-sync on the bridge's fill events, one invocation at a time. */
function syncOnEvents(stack: LocalStack, write: (line: string) => void): void {
  let chain = Promise.resolve();
  const pending: BridgeEvent[] = [];
  stack.onBridgeEvent((event) => {
    pending.push(event);
    chain = chain.then(async () => {
      const batch = pending.splice(0);
      if (batch.length === 0) return;
      const first = batch.find((e) => e.type === 'OrderFilled') ?? (batch[0] as BridgeEvent);
      try {
        const outcome = await stack.invoke('position-sync', bridgeEventEnvelope(first, stack.clock.now()));
        const result = outcome.result as { did?: string; skipped?: string; error?: string } | undefined;
        write(
          `position-sync on ${batch.length} bridge event(s): ${result?.did ?? result?.skipped ?? result?.error ?? ''}`,
        );
      } catch (error) {
        write(
          `position-sync on bridge events failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    });
  });
}

async function main(argv: string[]): Promise<number> {
  let args: LocalUpArgs;
  try {
    args = parseLocalUpArgs(argv);
  } catch (error) {
    if (error instanceof LocalUpUsageError) {
      console.error(`npm run local:up: ${error.message}\n\n${HELP}`);
      return 2;
    }
    throw error;
  }
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  const running = readStackInfo();
  if (running) {
    console.error(
      `A local stack already runs (pid ${running.pid}, ${STACK_INFO_FILE}); stop it first (Ctrl-C in its terminal).`,
    );
    return 1;
  }
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  hideSdkNodeVersionWarning();
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const write = (line: string) => console.log(line);
  const stack = await startLocalStack({
    seed: args.seed,
    speed: args.speed,
    start: nyTimeToEpoch(args.date, args.at),
    write,
  });
  const control = await startControlServer(stack.clock);
  const info = { ...stack.info(), controlUrl: control.url };
  writeStackInfo(info);
  syncOnEvents(stack, write);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    write(`${signal}: stopping the local stack …`);
    rmSync(STACK_INFO_FILE, { force: true });
    void Promise.allSettled([control.close(), stack.stop()]).then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));

  write(
    [
      `Local stack up: ${args.date} ${args.at} New York (seed ${args.seed}, speed ${args.speed}×).`,
      `  DynamoDB Local  ${info.dynamoEndpoint} (tables ${info.tablePrefix}-*)`,
      `  simulator       ${info.simulator.host}:${info.simulator.port} (TWS protocol)`,
      `  bridge          ${info.bridgeUrl}`,
      `  clock control   ${control.url} (GET /time, POST /advance {"ms":N})`,
      `  described in    ${STACK_INFO_FILE}`,
      '',
      'Environment of a job process (the secret is in the file above):',
      ...Object.entries(info.env).map(
        ([k, v]) => `  export ${k}=${k === 'BRIDGE_SECRET' ? '<see local-stack.json>' : v}`,
      ),
      '',
      "Invoke a job from another terminal:  npm run invoke -- strategy-analysis '{}'",
      'Ctrl-C stops everything.',
    ].join('\n'),
  );
  // Stay up: the servers keep the event loop alive until shutdown.
  return await new Promise<number>(() => undefined);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(await main(process.argv.slice(2)));
}
