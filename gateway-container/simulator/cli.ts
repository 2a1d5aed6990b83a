// `npm run gateway:sim -- --port N [--seed S] [--speed X] [--start YYYY-MM-DDTHH:mm] [--account paper|live]
// [--faults FILE]`: the TWS-protocol simulator on its own. Prints one line when it accepts connections
// and runs until SIGINT/SIGTERM. `--start` is the simulated wall-clock start in New York time.

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { nyDateTimeToEpoch, parseFaultScript, startSimulator, type Simulator } from './index';
import { nyStamp } from './server/time';

const USAGE = `usage: gateway:sim --port N [--host H] [--seed S] [--speed X] [--start YYYY-MM-DDTHH:mm]
                  [--account paper|live] [--faults FILE] [--snapshot-delay MS] [--no-limits] [--verbose]`;

export interface CliOptions {
  port: number;
  host: string;
  seed: number;
  speed: number;
  start?: number;
  account: 'paper' | 'live';
  faultsFile?: string;
  snapshotDelayMs?: number;
  limits: boolean;
  verbose: boolean;
}

function number(name: string, text: string | undefined, fallback: number, min = 0): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min)
    throw new Error(`--${name} must be a number ≥ ${min}, got "${text}"`);
  return value;
}

/** Parses the command line; throws with a readable message on anything wrong. */
export function parseCli(argv: string[]): CliOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
      speed: { type: 'string' },
      start: { type: 'string' },
      account: { type: 'string' },
      faults: { type: 'string' },
      'snapshot-delay': { type: 'string' },
      'no-limits': { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (values.port === undefined) throw new Error('--port is required (0 picks a free port)');
  const account = values.account ?? 'paper';
  if (account !== 'paper' && account !== 'live')
    throw new Error(`--account must be paper or live, got "${account}"`);
  let start: number | undefined;
  if (values.start !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(values.start)) {
      throw new Error(`--start must be YYYY-MM-DDTHH:mm (New York time), got "${values.start}"`);
    }
    start = nyDateTimeToEpoch(values.start);
  }
  return {
    port: Math.trunc(number('port', values.port, 0)),
    host: values.host ?? '127.0.0.1',
    seed: Math.trunc(number('seed', values.seed, 1)),
    speed: number('speed', values.speed, 1),
    start,
    account,
    faultsFile: values.faults,
    snapshotDelayMs:
      values['snapshot-delay'] === undefined
        ? undefined
        : number('snapshot-delay', values['snapshot-delay'], 0),
    limits: !values['no-limits'],
    verbose: values.verbose ?? false,
  };
}

export async function runCli(argv: string[]): Promise<Simulator | undefined> {
  const options = parseCli(argv);
  if (options === 'help') {
    console.log(USAGE);
    return undefined;
  }
  const faults = options.faultsFile
    ? parseFaultScript(JSON.parse(readFileSync(options.faultsFile, 'utf8')))
    : [];
  // The log can fire while the simulator starts, before `sim` exists.
  const clock: { now?: () => number } = {};
  const sim = await startSimulator({
    port: options.port,
    host: options.host,
    seed: options.seed,
    speed: options.speed,
    start: options.start,
    account: options.account,
    faults,
    snapshotDelayMs: options.snapshotDelayMs,
    limits: options.limits ? undefined : false,
    log: options.verbose
      ? (line) => console.error(`[sim ${clock.now ? nyStamp(clock.now()) : 'start'}] ${line}`)
      : undefined,
  });
  clock.now = sim.now;
  const accounts = sim.engine.accounts().join(',');
  console.log(
    `simulator ready on ${sim.host}:${sim.port} (seed ${options.seed}, speed ${options.speed}, ` +
      `start ${nyStamp(sim.now())} New York, account ${accounts}, ${faults.length} scheduled faults)`,
  );
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    void sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return sim;
}

// Run only when executed directly, so tests can import parseCli.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCli(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    console.error(USAGE);
    process.exit(2);
  });
}
