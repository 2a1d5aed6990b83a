// `npm run cost [-- -c key=value ...]`: the monthly AWS cost of the stack as it would deploy with those
// context flags, measured from the template synthesized in process (lib/app.ts, cdk.json's context, no
// bundling), resource by resource (scripts/cost/model.ts), at the prices of scripts/cost/prices.ts and the
// volumes of one measured `npm start` day (scripts/cost/measured.ts). `--write` regenerates the README's
// cost table between the cost-table markers; test/scripts/cost.test.ts fails when it is stale.
//
//   npm run cost                                   # the default stack
//   npm run cost -- -c gatewayArch=arm64 -c egress=ipv6
//   npx tsx scripts/cost.ts --write
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createApp, projectContext } from '#lib/app';
import { settingsFromContext } from '#lib/settings';
import { parseFlags, UsageError } from './args';
import { MEASURED_DAY, MEASURED_ON, VOLUMES } from './cost/measured';
import { estimateMonthlyCost } from './cost/model';
import type { Estimate } from './cost/model';
import { averageMonth, gatewayHoursIn, MARKET_HOURS_PER_TRADING_DAY } from './cost/month';
import type { Month } from './cost/month';
import { PRICE_REGION, PRICES_CHECKED } from './cost/prices';
import type { CfnTemplate } from './cost/template';

export const COST_TABLE_START = '<!-- cost-table:start -->';
export const COST_TABLE_END = '<!-- cost-table:end -->';

/** The year whose average month the README prices (its NYSE holidays are in the calendar). */
export const ESTIMATE_YEAR = 2026;

/**
 * A deploy as the README's quick deploy does it: alerts by email. `-c alertPhone=+1…` adds the SMS
 * subscription and the number it needs (a row of its own in the README).
 */
const ALERT_CONTEXT = { alertEmail: 'you@example.com' };

/**
 * The README's rows: the default, each cost flag alone, the two layouts the owner set targets for
 * (ipv6 + arm64 ≤ $30, all three ≤ $15), and SMS alerts on top of the default. arm64 has been the
 * default since its image was verified, so its row is the former default, x86_64.
 */
export const VARIANTS: readonly Record<string, string>[] = [
  {},
  { gatewayArch: 'x86_64' },
  { egress: 'ipv6' },
  { gatewayHours: 'market' },
  { egress: 'ipv6', gatewayArch: 'arm64' },
  { egress: 'ipv6', gatewayArch: 'arm64', gatewayHours: 'market' },
  { alertPhone: '+15551234567' },
];

/** The template and settings `cdk synth -c ...` would produce (settings errors thrown as lib/settings words them). */
export function synthesize(context: Record<string, string> = {}): {
  template: CfnTemplate;
  settings: Record<string, unknown>;
} {
  const outdir = mkdtempSync(join(tmpdir(), 'cost-'));
  try {
    const { app, stack } = createApp({
      outdir,
      context: { ...projectContext(), ...ALERT_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context },
    });
    const settings = settingsFromContext((key) => app.node.tryGetContext(key)) as Record<string, unknown>;
    const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
    return { template, settings };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The estimate for a set of `-c` flags, over the average month of ESTIMATE_YEAR unless told. */
export function estimateFor(
  context: Record<string, string> = {},
  month: Month = averageMonth(ESTIMATE_YEAR),
): Estimate & { gatewayHours: unknown } {
  const { template, settings } = synthesize(context);
  // `gatewayHours` is read when the settings have it; before that flag exists it is always on.
  const gatewayHours = settings.gatewayHours;
  return { ...estimateMonthlyCost({ template, month, gatewayHours }), gatewayHours };
}

const dollars = (value: number) => `$${value.toFixed(2)}`;
const flagText = (context: Record<string, string>) =>
  Object.keys(context).length === 0
    ? 'default'
    : Object.entries(context)
        .map(([key, value]) => `\`${key}=${value}\``)
        .join(' + ');

export function assumptionLines(month: Month, gatewayHours?: unknown): string[] {
  return [
    `${month.label}: ${month.hours.toFixed(0)} h, ${month.days.toFixed(2)} days, ${month.tradingDays.toFixed(2)} NYSE trading days (functions/core calendar)`,
    `gateway task: ${gatewayHoursIn(month, gatewayHours).toFixed(1)} h (${gatewayHours === 'market' ? `${MARKET_HOURS_PER_TRADING_DAY} h × trading days` : 'always on'})`,
    `job durations, log bytes, alerts: one npm start day measured ${MEASURED_ON} (scripts/cost/measured.ts); alerts ${MEASURED_DAY.alertsPerDay.INFO} INFO, ${MEASURED_DAY.alertsPerDay.WARNING} WARNING, ${MEASURED_DAY.alertsPerDay.CRITICAL} CRITICAL a trading day`,
    `guessed: gateway logs ${VOLUMES.gatewayLogBytesPerDay / 1e6} MB/day, flow log ${VOLUMES.flowLogBytesPerDay / 1e6} MB/day, ${VOLUMES.interfaceEndpointGbPerMonth} GB through endpoints`,
    `${PRICE_REGION} list prices checked ${PRICES_CHECKED} (scripts/cost/prices.ts); "after always-free" takes off the allowances every account gets each month (CloudWatch, Lambda, X-Ray, SNS, DynamoDB storage) when nothing else in the account uses them; data transfer out and ECR storage not included`,
  ];
}

export function formatEstimate(estimate: Estimate, gatewayHours?: unknown): string {
  const width = Math.max(...estimate.lines.map((line) => line.item.length));
  const rows = estimate.lines.map(
    (line) =>
      `  ${line.group.padEnd(17)} ${line.item.padEnd(width)} ${dollars(line.usd).padStart(8)}  ${line.quantity}`,
  );
  const credits = estimate.alwaysFree.map(
    (credit) =>
      `  ${'always free'.padEnd(17)} ${credit.item.padEnd(width)} ${dollars(-credit.usd).padStart(8)}`,
  );
  return [
    `Monthly estimate: ${dollars(estimate.totalUsd)} at list prices, ${dollars(estimate.afterAlwaysFreeUsd)} after AWS's always-free allowances`,
    ...rows,
    ...credits,
    'Assumptions:',
    ...assumptionLines(estimate.month, gatewayHours).map((line) => `  ${line}`),
  ].join('\n');
}

/** The README block: one row per variant, then the default's breakdown. */
export function costTableMarkdown(): string {
  const estimates = VARIANTS.map((context) => ({ context, estimate: estimateFor(context) }));
  const base = estimates[0]!.estimate;
  const variantRows = estimates.map(
    ({ context, estimate }) =>
      `| ${flagText(context)} | ${dollars(estimate.totalUsd)} | ${dollars(estimate.afterAlwaysFreeUsd)} | ${dollars(estimate.totalUsd - base.totalUsd)} |`,
  );
  const breakdown = base.lines.map(
    (line) =>
      `| ${line.group} | ${line.item} | ${line.quantity.replace(/\|/g, '\\|')} | ${dollars(line.usd)} |`,
  );
  return [
    '| `-c` flags | per month, list prices | after always-free allowances | vs default (list) |',
    '|---|---|---|---|',
    ...variantRows,
    '',
    'The default, resource by resource:',
    '',
    '| | resource | quantity × price | per month |',
    '|---|---|---|---|',
    ...breakdown,
    `| | **total** | | **${dollars(base.totalUsd)}** |`,
    ...base.alwaysFree.map((credit) => `| always free | ${credit.item} | | ${dollars(-credit.usd)} |`),
    `| | **after always-free allowances** | | **${dollars(base.afterAlwaysFreeUsd)}** |`,
    '',
    ...assumptionLines(base.month).map((line) => `- ${line}`),
  ].join('\n');
}

export function withCostTable(doc: string, table: string = costTableMarkdown()): string {
  const start = doc.indexOf(COST_TABLE_START);
  const end = doc.indexOf(COST_TABLE_END);
  if (start < 0 || end < start) throw new Error(`no ${COST_TABLE_START} … ${COST_TABLE_END} block`);
  return `${doc.slice(0, start + COST_TABLE_START.length)}\n${table}\n${doc.slice(end)}`;
}

/** `-c key=value` pairs (as `cdk` takes them) into a context object. */
export function contextFromArgs(argv: readonly string[]): {
  context: Record<string, string>;
  write: boolean;
} {
  const { values } = parseFlags(argv, {
    context: { type: 'string', short: 'c', multiple: true },
    write: { type: 'boolean' },
  });
  const context: Record<string, string> = {};
  for (const pair of values.context ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UsageError(`-c needs key=value, got "${pair}"`);
    context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { context, write: values.write ?? false };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    const { context, write } = contextFromArgs(process.argv.slice(2));
    if (write) {
      const readme = resolve(import.meta.dirname, '..', 'README.md');
      writeFileSync(readme, withCostTable(readFileSync(readme, 'utf8')));
      console.log(`wrote the cost table into ${readme}`);
    } else {
      const estimate = estimateFor(context);
      console.log(formatEstimate(estimate, estimate.gatewayHours));
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
