// The cost model on the real synthesized template (lib/app.ts with cdk.json's context): each resource it
// finds is priced from the price table, so a change to the template moves the estimate by exactly that
// resource's price; and the README's cost table is the one `npx tsx scripts/cost.ts --write` generates.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  contextFromArgs,
  COST_TABLE_END,
  COST_TABLE_START,
  costTableMarkdown,
  estimateFor,
  synthesize,
  withCostTable,
} from '#scripts/cost';
import { UsageError } from '#scripts/args';
import { measureDay } from '#scripts/cost/measure';
import { MEASURED_DAY, VOLUMES } from '#scripts/cost/measured';
import { estimateMonthlyCost } from '#scripts/cost/model';
import type { CostLine, Estimate } from '#scripts/cost/model';
import { averageMonth, calendarMonth, MARKET_HOURS_PER_TRADING_DAY } from '#scripts/cost/month';
import { ALWAYS_FREE, PRICES } from '#scripts/cost/prices';
import { firesPerMonth, resourcesOf } from '#scripts/cost/template';
import type { CfnTemplate, Properties } from '#scripts/cost/template';
import type { DaySummary } from '#scripts/report/summary';

const SYNTH_TIMEOUT = 180_000;
const month = averageMonth(2026);
const june = calendarMonth(2026, 6);

let template: CfnTemplate;
beforeAll(() => {
  template = synthesize().template;
}, SYNTH_TIMEOUT);

const copy = (): CfnTemplate => structuredClone(template);
const only = (t: CfnTemplate, type: string): [string, Properties] => {
  const found = resourcesOf(t, type);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const line = (estimate: Estimate, item: RegExp): CostLine => {
  const found = estimate.lines.filter((l) => item.test(l.item));
  expect(found, String(item)).toHaveLength(1);
  return found[0]!;
};
const total = (t: CfnTemplate, options: { gatewayHours?: string; m?: typeof month } = {}) =>
  estimateMonthlyCost({ template: t, month: options.m ?? month, gatewayHours: options.gatewayHours });

describe('the month', () => {
  it('counts days, weekdays and NYSE trading days from the calendar', () => {
    // June 2026: 30 days, 22 weekdays, Juneteenth (Fri 19th) closed.
    expect(june).toMatchObject({ days: 30, hours: 720, tradingDays: 21 });
    expect(june.weekdays.slice(1, 6).reduce((a, b) => a + b, 0)).toBe(22);
    // November 2026: 21 weekdays, Thanksgiving closed.
    expect(calendarMonth(2026, 11).tradingDays).toBe(20);
    expect(month.hours).toBe(730);
  });

  it('counts a schedule expression’s fires and hours in the month', () => {
    expect(firesPerMonth('cron(0-55/5 10-15 ? * MON-FRI *)', june)).toEqual({
      perMonth: 22 * 6 * 12,
      hoursPerMonth: 22 * 6,
    });
    expect(firesPerMonth('cron(*/10 * ? * * *)', june).perMonth).toBe(30 * 144);
    expect(firesPerMonth('cron(0 18 ? * SUN *)', june).perMonth).toBe(june.weekdays[0]);
    expect(firesPerMonth('rate(1 hour)', june).perMonth).toBe(720);
  });
});

describe('the estimate of the synthesized stack', () => {
  it('removing an interface endpoint lowers it by its price × hours × AZs', () => {
    const without = copy();
    const interfaces = resourcesOf(without, 'AWS::EC2::VPCEndpoint').filter(
      ([, e]) => e.VpcEndpointType === 'Interface',
    );
    expect(interfaces.length).toBeGreaterThan(1);
    const [id, endpoint] = interfaces[0]!;
    const azs = (endpoint.SubnetIds as unknown[]).length;
    delete without.Resources[id];
    expect(total(template).totalUsd - total(without).totalUsd).toBeCloseTo(
      PRICES.interfaceEndpoint.azHour * month.hours * azs,
      9,
    );
  });

  it('prices the task at its architecture’s Fargate rates, with its public IPv4 all month', () => {
    const [, task] = only(template, 'AWS::ECS::TaskDefinition');
    const vcpu = Number(task.Cpu) / 1024;
    const gb = Number(task.Memory) / 1024;
    // arm64 is the default deploy's architecture (lib/settings.ts).
    const armEstimate = total(template);
    expect(line(armEstimate, /public IPv4/).usd).toBeCloseTo(month.hours * PRICES.publicIpv4Hour, 9);
    expect(line(armEstimate, /vCPU \(ARM64\)/).usd).toBeCloseTo(
      vcpu * month.hours * PRICES.fargate.vcpuHour.ARM64,
      9,
    );
    expect(line(armEstimate, /memory \(ARM64\)/).usd).toBeCloseTo(
      gb * month.hours * PRICES.fargate.gbHour.ARM64,
      9,
    );
    expect(armEstimate.lines.some((l) => /X86_64/.test(l.item))).toBe(false);

    const x86 = copy();
    only(x86, 'AWS::ECS::TaskDefinition')[1].RuntimePlatform = { CpuArchitecture: 'X86_64' };
    const x86Estimate = total(x86);
    expect(line(x86Estimate, /vCPU \(X86_64\)/).usd).toBeCloseTo(
      vcpu * month.hours * PRICES.fargate.vcpuHour.X86_64,
      9,
    );
    expect(line(x86Estimate, /memory \(X86_64\)/).usd).toBeCloseTo(
      gb * month.hours * PRICES.fargate.gbHour.X86_64,
      9,
    );
  });

  it('gatewayHours=market runs the task 11 h on each trading day of the month', () => {
    const [, task] = only(template, 'AWS::ECS::TaskDefinition');
    const vcpu = Number(task.Cpu) / 1024;
    const hours = MARKET_HOURS_PER_TRADING_DAY * 21; // June 2026's trading days (above)
    const market = total(template, { gatewayHours: 'market', m: june });
    expect(line(market, /vCPU/).usd).toBeCloseTo(vcpu * hours * PRICES.fargate.vcpuHour.ARM64, 9);
    expect(line(market, /public IPv4/).usd).toBeCloseTo(hours * PRICES.publicIpv4Hour, 9);
    // Without the setting (it may not exist yet) the task is always on.
    expect(line(total(template, { m: june }), /vCPU/).usd).toBeCloseTo(
      vcpu * 720 * PRICES.fargate.vcpuHour.ARM64,
      9,
    );
  });

  it('prices a NAT gateway and its Elastic IP when the template has them', () => {
    const withNat = copy();
    withNat.Resources.TestNat = { Type: 'AWS::EC2::NatGateway', Properties: {} };
    withNat.Resources.TestEip = { Type: 'AWS::EC2::EIP', Properties: {} };
    expect(total(template).lines.some((l) => /NAT/.test(l.item))).toBe(false);
    const expected =
      month.hours * PRICES.natGateway.hour +
      VOLUMES.natGatewayGbPerMonth * PRICES.natGateway.gb +
      month.hours * PRICES.publicIpv4Hour;
    expect(total(withNat).totalUsd - total(template).totalUsd).toBeCloseTo(expected, 9);
  });

  it('prices each function at its MemorySize and architecture, its runs from the template’s schedules', () => {
    const [id, fn] = resourcesOf(template, 'AWS::Lambda::Function').find(
      ([, f]) =>
        (f.Environment as { Variables: Record<string, string> })?.Variables?.POWERTOOLS_SERVICE_NAME ===
        'monitor',
    )!;
    const runs = resourcesOf(template, 'AWS::Scheduler::Schedule')
      .filter(([, s]) => JSON.stringify(s.Target).includes(id))
      .reduce((sum, [, s]) => sum + firesPerMonth(String(s.ScheduleExpression), month).perMonth, 0);
    const gbSeconds =
      runs * (MEASURED_DAY.jobs.monitor!.meanDurationMs / 1000) * (Number(fn.MemorySize) / 1024);
    expect(line(total(template), /^monitor \(arm64\)/).usd).toBeCloseTo(
      gbSeconds * PRICES.lambda.gbSecond.arm64,
      9,
    );

    const x86 = copy();
    x86.Resources[id]!.Properties!.Architectures = ['x86_64'];
    x86.Resources[id]!.Properties!.MemorySize = Number(fn.MemorySize) * 2;
    expect(line(total(x86), /^monitor \(x86_64\)/).usd).toBeCloseTo(
      gbSeconds * 2 * PRICES.lambda.gbSecond.x86_64,
      9,
    );
  });

  it(
    'sends SMS only the severities the subscription filters, and leases a number for it',
    () => {
      // The default deploy alerts by email only: no SMS line, no number.
      expect(total(template).lines.some((l) => /SMS|toll-free/.test(l.item))).toBe(false);
      const withPhone = synthesize({ alertPhone: '+15551234567' }).template;
      const [smsId] = resourcesOf(withPhone, 'AWS::SNS::Subscription').find(([, s]) => s.Protocol === 'sms')!;
      const noSms = structuredClone(withPhone);
      delete noSms.Resources[smsId];
      const critical = MEASURED_DAY.alertsPerDay.CRITICAL * month.tradingDays;
      expect(total(withPhone).totalUsd - total(noSms).totalUsd).toBeCloseTo(
        PRICES.sns.tollFreeNumberMonth + critical * PRICES.sns.smsUs,
        9,
      );
    },
    SYNTH_TIMEOUT,
  );

  it('takes the always-free allowances off, each capped at its allowance', () => {
    const base = total(template);
    const credit = (e: Estimate, item: string) => e.alwaysFree.find((c) => c.item === item)?.usd ?? 0;
    expect(base.afterAlwaysFreeUsd).toBeCloseTo(
      base.totalUsd - base.alwaysFree.reduce((sum, c) => sum + c.usd, 0),
      9,
    );
    const dashboards = resourcesOf(template, 'AWS::CloudWatch::Dashboard').length;
    expect(credit(base, 'CloudWatch dashboards')).toBeCloseTo(
      Math.min(dashboards, ALWAYS_FREE.cloudWatch.dashboards) * PRICES.cloudWatch.dashboardMonth,
      9,
    );
    // Four more dashboards: the list price grows by four, the free ones stay three.
    const more = copy();
    for (let i = 0; i < 4; i++)
      more.Resources[`ExtraDashboard${i}`] = { Type: 'AWS::CloudWatch::Dashboard', Properties: {} };
    const moreEstimate = total(more);
    expect(moreEstimate.totalUsd - base.totalUsd).toBeCloseTo(4 * PRICES.cloudWatch.dashboardMonth, 9);
    expect(credit(moreEstimate, 'CloudWatch dashboards')).toBeCloseTo(
      ALWAYS_FREE.cloudWatch.dashboards * PRICES.cloudWatch.dashboardMonth,
      9,
    );
    // Nothing billed by the hour (Fargate, endpoints, IPv4) or by the key or secret is ever free.
    expect(base.alwaysFree.some((c) => /Fargate|endpoint|IPv4|KMS|Secrets/.test(c.item))).toBe(false);
  });

  it(
    'follows a context flag into the template: -c gatewayCpu=1024 doubles the vCPU line',
    () => {
      const big = estimateFor({ gatewayCpu: '1024' });
      expect(line(big, /vCPU/).usd).toBeCloseTo(1 * month.hours * PRICES.fargate.vcpuHour.ARM64, 9);
      expect(big.totalUsd - total(template).totalUsd).toBeCloseTo(
        0.5 * month.hours * PRICES.fargate.vcpuHour.ARM64,
        9,
      );
    },
    SYNTH_TIMEOUT,
  );

  it(
    'follows -c egress=ipv6: the three interface endpoints and their data are gone, nothing else moves',
    () => {
      const ipv6 = estimateFor({ egress: 'ipv6' });
      const endpoints = resourcesOf(template, 'AWS::EC2::VPCEndpoint').filter(
        ([, e]) => e.VpcEndpointType === 'Interface',
      );
      expect(endpoints).toHaveLength(3);
      const endpointUsd = endpoints.reduce(
        (sum, [, e]) =>
          sum + (e.SubnetIds as unknown[]).length * month.hours * PRICES.interfaceEndpoint.azHour,
        VOLUMES.interfaceEndpointGbPerMonth * PRICES.interfaceEndpoint.gb,
      );
      expect(total(template).totalUsd - ipv6.totalUsd).toBeCloseTo(endpointUsd, 9);
      expect(ipv6.lines.some((l) => /interface endpoint/.test(l.item))).toBe(false);
    },
    SYNTH_TIMEOUT,
  );

  it('a bad flag fails with the settings error; -c needs key=value', () => {
    expect(() => synthesize({ gatewayCpu: '300' })).toThrow(
      /invalid CDK context:\n {2}gatewayCpu: gatewayCpu must be 512 or 1024/,
    );
    expect(contextFromArgs(['-c', 'egress=ipv6', '-c', 'alertPhone='])).toEqual({
      context: { egress: 'ipv6', alertPhone: '' },
      write: false,
    });
    expect(() => contextFromArgs(['-c', 'egress'])).toThrow(UsageError);
  });
});

describe('measuring an npm start day', () => {
  it('averages durations, log bytes and metrics per run from the summary and the log capture', () => {
    const run = (job: string, trigger: string, elapsedMs: number) => ({ job, trigger, elapsedMs });
    const summary = {
      days: [
        {
          date: '2026-06-01',
          runs: [
            run('monitor', 'schedule', 100),
            run('monitor', 'schedule', 300),
            run('position-sync', 'event', 50),
          ],
          alertCounts: { INFO: 2, WARNING: 0, CRITICAL: 1 },
        },
      ],
    } as unknown as { days: DaySummary[] };
    const info = '{"level":"INFO","service":"monitor"}';
    const emf = '{"_aws":{"CloudWatchMetrics":[{"Metrics":[{"Name":"Ran"}]}]},"service":"monitor"}';
    const measured = measureDay(summary, ['08:00 monitor ran', info, emf, info].join('\n'));
    expect(measured.jobs.monitor).toEqual({
      scheduledRunsPerDay: 2,
      eventRunsPerDay: 0,
      meanDurationMs: 200,
      logBytesPerRun: Math.round((2 * (info.length + 26) + emf.length + 26) / 2),
      metricsPerRun: 1,
    });
    expect(measured.jobs['position-sync']).toMatchObject({ eventRunsPerDay: 1, logBytesPerRun: 0 });
    expect(measured.alertsPerDay).toEqual({ INFO: 2, WARNING: 0, CRITICAL: 1 });
  });
});

describe('README cost table', () => {
  it('rewrites only the block between the markers', () => {
    const doc = `before\n${COST_TABLE_START}\nstale\n${COST_TABLE_END}\nafter\n`;
    expect(withCostTable(doc, 'TABLE')).toBe(
      `before\n${COST_TABLE_START}\nTABLE\n${COST_TABLE_END}\nafter\n`,
    );
    expect(() => withCostTable('# no markers', 'TABLE')).toThrow(/cost-table:start/);
  });

  it(
    'README.md holds the current table (run `npx tsx scripts/cost.ts --write`)',
    () => {
      const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
      expect(readme).toContain(COST_TABLE_START);
      const block = readme.slice(
        readme.indexOf(COST_TABLE_START) + COST_TABLE_START.length,
        readme.indexOf(COST_TABLE_END),
      );
      expect(block.trim()).toBe(costTableMarkdown());
    },
    SYNTH_TIMEOUT * 4,
  );
});
