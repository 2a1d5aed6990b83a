// `npx tsx scripts/candidates.ts --date YYYY-MM-DD [--symbol SPY] [--id ID | --top N]`: reads the day's
// candidate archive (every candidate strategy-analysis scored, see candidate-archive.ts) through the
// same adapter the job writes with, and answers "why wasn't X traded?".
//
//   --id ID      that candidate's score breakdown, rejection reasons and notes (its symbol is the id's
//                first part); says whether it is also stored as a full item
//   otherwise    per underlying: candidates, eligible, the most common rejection reasons, and the top N
//
// Where: the stack `npm run local:up` keeps running (out/local-stack.json), or `--endpoint URL` with
// `--prefix P` (DynamoDB Local tables `P-candidates`), or AWS with `--table NAME` (the stack's candidates
// table; credentials and region from the usual AWS environment).
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoCandidateStore } from '#adapters/dynamo/candidate-store';
import { documentClient, localDynamoClient, tableNames } from '#adapters/dynamo/index';
import type { ArchivedCandidate, CandidateStore } from '#adapters/ports';
import type { IsoDate } from '#core/types';
import { parseFlags, UsageError, wholeNumber } from './args';
import { DEFAULT_TABLE_PREFIX, readStackInfo } from './local/stack';

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  date: { type: 'string' },
  symbol: { type: 'string' },
  id: { type: 'string' },
  top: { type: 'string' },
  endpoint: { type: 'string' },
  prefix: { type: 'string' },
  table: { type: 'string' },
} as const;

export const HELP = [
  'npx tsx scripts/candidates.ts --date YYYY-MM-DD [--symbol SPY] [--id ID | --top N] [where]',
  '',
  "Reads the day's candidate archive: every candidate strategy-analysis scored, with its breakdown and reasons.",
  '  --id ID          one candidate: score breakdown, rejection reasons, notes (symbol taken from the id)',
  '  --symbol SYM     only this underlying',
  '  --top N          candidates listed per underlying, best score first (default 5)',
  'Where (default: the stack `npm run local:up` keeps running):',
  '  --endpoint URL   DynamoDB Local at URL, with --prefix P (default "local") for its tables',
  '  --table NAME     the candidates table in AWS (credentials and region from the environment)',
].join('\n');

export interface CandidatesArgs {
  date: IsoDate;
  symbol?: string;
  id?: string;
  top: number;
  endpoint?: string;
  prefix: string;
  table?: string;
}

export function parseCandidatesArgs(argv: readonly string[]): CandidatesArgs | { help: true } {
  const { values } = parseFlags(argv, OPTIONS);
  if (values.help) return { help: true };
  if (!values.date || !/^\d{4}-\d{2}-\d{2}$/.test(values.date)) {
    throw new UsageError(`--date: expected the trade date YYYY-MM-DD, got "${values.date ?? ''}"`);
  }
  if (values.table && values.endpoint) throw new UsageError('--table (AWS) and --endpoint (local): pick one');
  const symbol = values.symbol ?? values.id?.split(':')[0];
  return {
    date: values.date,
    ...(symbol ? { symbol } : {}),
    ...(values.id ? { id: values.id } : {}),
    top: values.top === undefined ? 5 : wholeNumber('--top', values.top),
    ...(values.endpoint ? { endpoint: values.endpoint } : {}),
    prefix: values.prefix ?? DEFAULT_TABLE_PREFIX,
    ...(values.table ? { table: values.table } : {}),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

/** One candidate, as an operator reads it: numbers, breakdown, then why it was or was not eligible. */
export function describeCandidate(c: ArchivedCandidate): string {
  const b = c.breakdown;
  return [
    `${c.id} (${c.strategy}, expiry ${c.expiry}, DTE ${c.dte}, width ${c.width})`,
    `  score ${c.score}: IV rank ${b.ivRank}, credit/width ${b.creditToWidth}, short delta ${b.shortDelta}, ` +
      `liquidity ${b.liquidity}, DTE fit ${b.dteFit}, IV/HV ${b.ivHv}, trend fit ${b.trendFit}`,
    `  credit ${c.creditMid.toFixed(2)} mid / ${c.creditNatural.toFixed(2)} natural, max loss $${c.maxLossUsd.toFixed(2)}, ` +
      `POP ${pct(c.pop)}, EV $${c.expectedValueUsd.toFixed(2)}, breakevens ${c.breakevens.map((x) => x.toFixed(2)).join(' / ')}, ` +
      `underlying ${c.underlyingPrice.toFixed(2)}`,
    c.eligible
      ? '  eligible: passed every hard filter and reached the minimum score'
      : c.rejections.length > 0
        ? `  rejected: ${c.rejections.join('; ')}`
        : '  not eligible: passed the hard filters, score below the minimum',
    ...c.notes.map((n) => `  note: ${n}`),
  ].join('\n');
}

/** The report for `args`, one line at a time to `write`; returns the exit status. */
export async function runCandidates(
  args: CandidatesArgs,
  store: CandidateStore,
  write: (line: string) => void,
): Promise<number> {
  if (args.id) {
    for await (const row of store.readArchive(args.date, args.symbol)) {
      if (row.id !== args.id) continue;
      write(describeCandidate(row));
      const item = await store.get(args.date, args.id);
      write(
        item
          ? '  also stored as a full item (legs and quotes): one of the best of its underlying'
          : '  archive only (ranked below the best stored as full items)',
      );
      // execute-strategies' second look, on the quotes its order would have been priced from.
      for (const r of item?.reevaluations ?? []) {
        const outcome = r.intentKey ? `order ${r.intentKey}` : 'refused';
        const entry = r.entryRefusals?.length ? `; ${r.entryRefusals.join('; ')}` : '';
        write(`  execution${r.dryRun ? ' (dry run)' : ''}: ${outcome}: ${r.reason}${entry}`);
      }
      return 0;
    }
    write(
      `no candidate ${args.id} in the archive of ${args.date}${args.symbol ? ` for ${args.symbol}` : ''}`,
    );
    return 1;
  }
  interface Tally {
    count: number;
    eligible: number;
    reasons: Map<string, number>;
    top: ArchivedCandidate[];
  }
  const tallies = new Map<string, Tally>();
  for await (const row of store.readArchive(args.date, args.symbol)) {
    let t = tallies.get(row.symbol);
    if (!t) tallies.set(row.symbol, (t = { count: 0, eligible: 0, reasons: new Map(), top: [] }));
    t.count += 1;
    if (row.eligible) t.eligible += 1;
    // Reasons grouped by shape: "credit 0.21 is below ..." and "credit 0.25 ..." count together.
    for (const r of new Set(row.rejections.map((x) => x.replace(/-?\d+(\.\d+)?/g, 'N')))) {
      t.reasons.set(r, (t.reasons.get(r) ?? 0) + 1);
    }
    if (args.top > 0) {
      t.top.push(row);
      if (t.top.length > args.top * 4) t.top = t.top.sort((a, b) => b.score - a.score).slice(0, args.top);
    }
  }
  if (tallies.size === 0) {
    write(
      `no archive for ${args.date}${args.symbol ? ` and ${args.symbol}` : ''} (has strategy-analysis run?)`,
    );
    return 1;
  }
  for (const [symbol, t] of tallies) {
    write(`${symbol} ${args.date}: ${t.count} candidates archived, ${t.eligible} eligible`);
    const reasons = [...t.reasons].sort((a, b) => b[1] - a[1]).slice(0, 5);
    for (const [reason, n] of reasons) write(`  ${n}× ${reason}`);
    for (const c of t.top.sort((a, b) => b.score - a.score).slice(0, args.top)) write(describeCandidate(c));
  }
  return 0;
}

/**
 * A missing table as one line naming it (a wrong --prefix or --table, or another region), instead of the
 * SDK's stack trace; undefined for any other error.
 */
export function missingTableHint(error: unknown, table: string): string | undefined {
  if (!(error instanceof Error) || error.name !== 'ResourceNotFoundException') return undefined;
  return `no table ${table}: check --prefix (DynamoDB Local) or --table and the AWS region`;
}

function storeFor(args: CandidatesArgs): { store: CandidateStore; table: string; close: () => void } {
  let client: DynamoDBClient;
  let table: string;
  if (args.table) {
    client = new DynamoDBClient({});
    table = args.table;
  } else {
    const endpoint = args.endpoint ?? readStackInfo()?.dynamoEndpoint;
    if (!endpoint) {
      throw new UsageError('no local stack running: start `npm run local:up`, or pass --endpoint / --table');
    }
    client = localDynamoClient(endpoint);
    const prefix = args.endpoint ? args.prefix : (readStackInfo()?.tablePrefix ?? args.prefix);
    table = tableNames(prefix).candidates;
  }
  return {
    store: dynamoCandidateStore(documentClient(client), table),
    table,
    close: () => client.destroy(),
  };
}

export async function main(argv: string[]): Promise<number> {
  let args: CandidatesArgs | { help: true };
  try {
    args = parseCandidatesArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${HELP}`);
    return 2;
  }
  if ('help' in args) {
    console.log(HELP);
    return 0;
  }
  let opened: ReturnType<typeof storeFor>;
  try {
    opened = storeFor(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(error.message);
    return 2;
  }
  try {
    return await runCandidates(args, opened.store, (line) => console.log(line));
  } catch (error) {
    const hint = missingTableHint(error, opened.table);
    if (hint === undefined) throw error;
    console.error(hint);
    return 2;
  } finally {
    opened.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(await main(process.argv.slice(2)));
}
