// The report's charts as the renderer draws them from a constructed run: each chart's numbers are read
// back from the SVG (points, markers, bars, ticks) and checked against the run's own figures.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { factorChart, scoreHistogram } from '#scripts/report/charts/candidates';
import { alertsBySeverityChart, closesByRuleChart } from '#scripts/report/charts/daily-counts';
import { equityChart } from '#scripts/report/charts/equity';
import { payoffAtExpiry, payoffChart } from '#scripts/report/charts/payoff';
import { positionLines, positionPnlChart } from '#scripts/report/charts/position-pnl';
import { CHART_KINDS } from '#scripts/report/charts/svg';
import { CHROMIUM_MISSING, findChromium } from '#scripts/report/chromium';
import { renderRunReport } from '#scripts/report/html';
import { scoreDistribution } from '#scripts/report/day-records';
import type { ReportDay, RunSummary } from '#scripts/report/summary';
import { DATES, PLANS, constructedRun } from './report-fixture';

interface Element {
  tag: string;
  attrs: Record<string, string>;
  /** Text up to the next tag (for <text>). */
  text: string;
}

/** Every start tag of `markup` with its attributes (our SVG is regular: attributes in double quotes). */
function elements(markup: string): Element[] {
  const out: Element[] = [];
  for (const m of markup.matchAll(/<([a-z]+)((?:\s+[\w:-]+="[^"]*")*)\s*\/?>([^<]*)/g)) {
    const attrs: Record<string, string> = {};
    for (const a of m[2]!.matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]!] = a[2]!;
    out.push({ tag: m[1]!, attrs, text: m[3]! });
  }
  return out;
}

const withAttr = (markup: string, name: string, value?: string) =>
  elements(markup).filter((e) => (value === undefined ? name in e.attrs : e.attrs[name] === value));

/** The charts of a page by kind, each as its own SVG string. */
function chartsOf(html: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const m of html.matchAll(/<svg data-chart="([a-z-]+)"[\s\S]*?<\/svg>/g))
    map.set(m[1]!, [...(map.get(m[1]!) ?? []), m[0]]);
  return map;
}

const points = (polyline: Element) =>
  polyline.attrs.points!.split(' ').map((p) => p.split(',').map(Number) as [number, number]);

/** x of the tick labelled `label` on the x axis. */
const xTick = (svg: string, label: string) =>
  Number(elements(svg).find((e) => e.attrs['data-tick'] === 'x' && e.text === label)!.attrs.x);

describe('equity chart', () => {
  const run = constructedRun();
  const svg = equityChart(run.days);

  it('has one point per day for net liquidation and realised to date, with the day’s figures', () => {
    const net = withAttr(svg, 'data-series', 'net-liquidation').filter((e) => e.tag === 'circle');
    const realised = withAttr(svg, 'data-series', 'realised').filter((e) => e.tag === 'circle');
    expect(net.map((e) => Number(e.attrs['data-value']))).toEqual(
      run.days.map((d) => d.equity!.netLiquidation),
    );
    expect(realised.map((e) => Number(e.attrs['data-value']))).toEqual(
      run.days.map((d) => d.equity!.realisedToDateUsd),
    );
    // Days left to right, evenly spaced.
    const xs = net.map((e) => Number(e.attrs.cx));
    for (let i = 1; i < xs.length; i += 1) expect(xs[i]!).toBeGreaterThan(xs[i - 1]!);
    expect(
      xs
        .map((x, i) => x - (xs[i - 1] ?? x - (xs[1]! - xs[0]!)))
        .every((d) => Math.abs(d - (xs[1]! - xs[0]!)) < 0.02),
    ).toBe(true);
    expect(
      elements(svg)
        .filter((e) => e.attrs['data-tick'] === 'x')
        .map((e) => e.text),
    ).toEqual(DATES.map((d) => d.slice(5)));
  });

  it('covers every value in each panel’s y-range and draws the drawdown below zero', () => {
    const domain = (panel: string) =>
      withAttr(svg, 'data-panel', panel)[0]!.attrs['data-domain']!.split(',').map(Number) as [number, number];
    const [netMin, netMax] = domain('net-liquidation');
    const nets = run.days.map((d) => d.equity!.netLiquidation!);
    expect(netMin).toBeLessThanOrEqual(Math.min(...nets));
    expect(netMax).toBeGreaterThanOrEqual(Math.max(...nets));
    // Not a range so wide the swings vanish: within one step of the values.
    expect(Math.max(...nets) - Math.min(...nets)).toBeGreaterThan((netMax - netMin) / 2);
    const [lo, hi] = domain('realised');
    const pnl = run.days.flatMap((d) => [d.equity!.realisedToDateUsd, d.equity!.drawdownUsd, 0]);
    expect(lo).toBeLessThanOrEqual(Math.min(...pnl));
    expect(hi).toBeGreaterThanOrEqual(Math.max(...pnl));
    expect(Math.min(...run.days.map((d) => d.equity!.drawdownUsd))).toBeLessThan(0);
    expect(withAttr(svg, 'data-series', 'drawdown').some((e) => e.tag === 'polygon')).toBe(true);
  });

  it('leaves a gap for a day without equity, and says "no data" when no day has it', () => {
    const days = constructedRun().days;
    delete days[2]!.equity;
    const gap = equityChart(days);
    expect(withAttr(gap, 'data-series', 'net-liquidation')).toHaveLength(4);
    expect(equityChart(days.map((d) => ({ date: d.date })))).toContain('no data');
  });
});

describe('position P&L paths', () => {
  const run = constructedRun();
  const lines = positionLines(run.days);

  it('joins each position’s days by id into one line from entry to exit, oldest first', () => {
    expect(lines.map((l) => l.id)).toEqual(PLANS.map((p) => p.id));
    const spy = lines.find((l) => l.id === 'pos-spy-ic-1')!;
    const expected = run.days.flatMap((d) =>
      d.positions.filter((p) => p.id === spy.id).flatMap((p) => p.pnlPath!),
    );
    expect(spy.points).toEqual(expected);
    expect(run.days.filter((d) => d.positions.some((p) => p.id === spy.id)).map((d) => d.date)).toEqual(
      DATES.slice(0, 3),
    );
    expect(spy.status).toBe('CLOSED');
    expect(spy.closedBy).toBe('profit target');
    expect(spy.maxProfitUsd).toBe(1.6 * 100 * 2);
  });

  it('ends a closed position’s line with a marker labelled by its closedBy, at the realised P&L', () => {
    for (const [id, closedBy, realised] of [
      ['pos-spy-ic-1', 'profit target', 332],
      ['pos-iwm-bp-1', 'stop loss', -536],
    ] as const) {
      const svg = positionPnlChart(
        lines.find((l) => l.id === id)!,
        DATES,
      );
      const line = points(withAttr(svg, 'data-series', 'pnl')[0]!);
      const exit = svg.match(/<g data-marker="exit"[^>]*>([\s\S]*?)<\/g>/)!;
      const marker = elements(exit[0])[0]!;
      expect(marker.attrs['data-closed-by']).toBe(closedBy);
      expect(Number(marker.attrs['data-value'])).toBe(realised);
      expect(exit[1]).toContain(`>${closedBy} `);
      // The diamond sits on the line's last point, the rightmost.
      const [ex, ey] = line.at(-1)!;
      expect(Math.max(...line.map(([x]) => x))).toBe(ex);
      expect(elements(exit[0]).find((e) => e.tag === 'path')!.attrs.d).toContain(
        `M${ex} ${Math.round((ey - 6) * 100) / 100}`,
      );
      expect(svg).not.toContain('data-marker="last"');
    }
  });

  it('marks an open position’s last point as open, with no exit marker', () => {
    const svg = positionPnlChart(
      lines.find((l) => l.id === 'pos-qqq-bc-1')!,
      DATES,
    );
    expect(svg).toContain('data-marker="last"');
    expect(svg).not.toContain('data-marker="exit"');
    // One point per snapshot of the four days it was open.
    const snapshots = run.days
      .flatMap((d) => d.positions.filter((p) => p.id === 'pos-qqq-bc-1'))
      .flatMap((p) => p.pnlPath!);
    expect(points(withAttr(svg, 'data-series', 'pnl')[0]!)).toHaveLength(snapshots.length);
  });

  it('says "no data" for a position without P&L snapshots', () => {
    const days = constructedRun().days;
    for (const d of days) for (const p of d.positions) delete p.pnlPath;
    const svg = positionPnlChart(positionLines(days)[0]!, DATES);
    expect(svg).toContain('data-chart="position-pnl"');
    expect(svg).toContain('no data');
  });
});

describe('payoff at expiry', () => {
  const condor = PLANS[0]!;
  const input = {
    label: 'SPY iron condor',
    symbol: 'SPY',
    legs: condor.legs,
    entryCredit: condor.entryCredit,
    quantity: condor.quantity,
    underlyingPrice: 502.4,
  };

  it('is the credit plus each leg’s intrinsic value', () => {
    // 2 lots of a 5-wide condor for 1.60: +$320 inside, −$680 beyond a long strike, linear between.
    expect(payoffAtExpiry(input, 500)).toBe(320);
    expect(payoffAtExpiry(input, 470)).toBe(-680);
    expect(payoffAtExpiry(input, 482)).toBe(-280);
    expect(payoffAtExpiry(input, 522)).toBe(-80);
    expect(payoffAtExpiry(input, 540)).toBe(-680);
    expect(payoffAtExpiry({ ...input, legs: condor.legs.slice(0, 2) }, 470)).toBe(-680);
  });

  it('has its kinks exactly at the strikes, max profit = entry credit × 100 × quantity, and the breakevens', () => {
    const svg = payoffChart(input);
    const line = withAttr(svg, 'data-series', 'payoff')[0]!;
    expect(Number(line.attrs['data-max-profit'])).toBe(condor.entryCredit * 100 * condor.quantity);
    expect(Number(line.attrs['data-max-loss'])).toBe(-(5 - condor.entryCredit) * 100 * condor.quantity);
    const values = line.attrs['data-values']!.split(' ').map(
      (p) => p.split(':').map(Number) as [number, number],
    );
    const slope = (a: [number, number], b: [number, number]) => (b[1] - a[1]) / (b[0] - a[0]);
    const kinks = values
      .slice(1, -1)
      .filter((p, i) => Math.abs(slope(values[i]!, p) - slope(p, values[i + 2]!)) > 1e-6)
      .map(([s]) => s);
    expect(kinks).toEqual([480, 485, 520, 525]);
    for (const [s, v] of values) expect(v).toBeCloseTo(payoffAtExpiry(input, s), 1);
    expect(svg).toContain('breakevens 483.4 and 521.6');
    expect(svg).toContain('max profit $320');
    expect(svg).toContain('max loss −$680');
  });

  it('marks the short strikes and the underlying’s current price', () => {
    const svg = payoffChart(input);
    expect(withAttr(svg, 'data-marker', 'short-strike').map((e) => Number(e.attrs['data-strike']))).toEqual([
      485, 520,
    ]);
    expect(withAttr(svg, 'data-marker', 'underlying')[0]!.attrs['data-price']).toBe('502.4');
    const { underlyingPrice: _, ...withoutPrice } = input;
    expect(payoffChart(withoutPrice)).toContain('current price not recorded');
    expect(payoffChart({ ...input, legs: [] })).toContain('no data');
  });
});

describe('score distribution', () => {
  it('counts every score once, colours the bins at or above minScore, and puts the line at minScore', () => {
    const scores = [12, 55, 55.5, 64.9, 65, 69.9, 70, 71, 88, 100];
    for (const minScore of [70, 65]) {
      const svg = scoreHistogram({ date: '2026-06-01', ...scoreDistribution(scores, minScore), minScore });
      const bars = withAttr(svg, 'data-bin');
      expect(bars.reduce((n, b) => n + Number(b.attrs['data-count']), 0)).toBe(scores.length);
      expect(bars.find((b) => b.attrs['data-bin'] === '65')!.attrs['data-count']).toBe('2');
      for (const b of bars) expect(b.attrs.fill === '#009E73').toBe(Number(b.attrs['data-bin']) >= minScore);
      const line = withAttr(svg, 'data-series', 'min-score')[0]!;
      const expected = minScore === 70 ? xTick(svg, '70') : (xTick(svg, '60') + xTick(svg, '70')) / 2;
      expect(Number(line.attrs.x1)).toBeCloseTo(expected, 1);
      const above = scores.filter((s) => s >= minScore).length;
      expect(svg).toContain(`${above} at/above`);
    }
  });

  it('draws a day of several hundred thousand scores (a real day scores 130k+ per underlying set)', () => {
    // Spreading every score into Math.max overflowed the call stack at this size.
    const scores = Array.from({ length: 400_000 }, (_, i) => (i * 37) % 101);
    const svg = scoreHistogram({ date: '2026-06-01', ...scoreDistribution(scores, 70), minScore: 70 });
    const bars = withAttr(svg, 'data-bin');
    expect(bars.reduce((n, b) => n + Number(b.attrs['data-count']), 0)).toBe(400_000);
    expect(svg).toContain('highest 100.');
  });

  it('says "no data" when the day did not record its scores', () => {
    expect(scoreHistogram({ date: '2026-06-01', minScore: 70 })).toContain('no data');
  });
});

describe('factor breakdown of the chosen candidates', () => {
  const run = constructedRun();
  const chosen = run.days.flatMap((d) =>
    (d.candidates.chosen ?? []).map((candidate) => ({ date: d.date, candidate })),
  );

  it('stacks the seven factors of each candidate into a bar whose length is its score', () => {
    expect(chosen.length).toBe(PLANS.length);
    const svg = factorChart(chosen, 70);
    const x0 = xTick(svg, '0');
    const perPoint = (xTick(svg, '100') - x0) / 100;
    for (const { candidate } of chosen) {
      const group = svg.match(new RegExp(`<g data-candidate="${candidate.id}"[\\s\\S]*?</g>`))![0];
      const segments = withAttr(group, 'data-factor');
      expect(segments.map((s) => s.attrs['data-factor'])).toEqual(
        Object.keys(candidate.breakdown).filter(
          (k) => candidate.breakdown[k as keyof typeof candidate.breakdown] > 0,
        ),
      );
      const sum = segments.reduce((n, s) => n + Number(s.attrs['data-points']), 0);
      expect(sum).toBeCloseTo(candidate.score, 6);
      const width = segments.reduce((n, s) => n + Number(s.attrs.width), 0);
      expect(width).toBeCloseTo(candidate.score * perPoint, 0);
      expect(Number(segments[0]!.attrs.x)).toBeCloseTo(x0, 1);
    }
    expect(Number(withAttr(svg, 'data-series', 'min-score')[0]!.attrs.x1)).toBeCloseTo(xTick(svg, '70'), 1);
  });

  it('tells "not recorded" apart from "none chosen"', () => {
    expect(factorChart(undefined)).toContain('no data: the chosen candidates were not recorded');
    expect(factorChart([])).toContain('no candidate was chosen in this run');
  });
});

describe('closes by rule and alerts by severity per day', () => {
  const run = constructedRun();

  it('stacks each day’s closes by rule and alerts by severity, totals on top', () => {
    const closes = closesByRuleChart(run.days);
    const alerts = alertsBySeverityChart(run.days);
    for (const day of run.days) {
      const closeDay = closes.match(new RegExp(`<g data-day="${day.date}"[\\s\\S]*?</g>`))![0];
      const total = Object.values(day.closesByRule!).reduce((a, b) => a + b, 0);
      expect(elements(closeDay)[0]!.attrs['data-total']).toBe(String(total));
      for (const [rule, n] of Object.entries(day.closesByRule!))
        expect(withAttr(closeDay, 'data-series', rule)[0]!.attrs['data-count']).toBe(String(n));
      const alertDay = alerts.match(new RegExp(`<g data-day="${day.date}"[\\s\\S]*?</g>`))![0];
      for (const severity of ['CRITICAL', 'WARNING', 'INFO'] as const) {
        const bar = withAttr(alertDay, 'data-series', severity)[0];
        expect(Number(bar?.attrs['data-count'] ?? 0)).toBe(day.alertCounts[severity]);
      }
    }
    expect(closes).toContain('data-legend="profit target"');
    expect(closes).toContain('data-legend="stop loss"');
  });

  it('shows n/a for a day that did not record its closes, and "no data" when none did', () => {
    const days = constructedRun().days;
    delete days[1]!.closesByRule;
    expect(closesByRuleChart(days)).toContain('n/a');
    expect(closesByRuleChart(days.map(({ closesByRule: _, ...d }) => d))).toContain('no data');
  });
});

describe('renderRunReport', () => {
  it('draws every chart kind above the days’ detail, one <details> per day with the last open', () => {
    const run = constructedRun();
    const html = renderRunReport(run);
    const charts = chartsOf(html);
    expect([...charts.keys()].sort()).toEqual([...CHART_KINDS].sort());
    expect(charts.get('position-pnl')).toHaveLength(PLANS.length);
    expect(charts.get('payoff')).toHaveLength(2);
    expect(charts.get('scores')).toHaveLength(DATES.length);
    const details = [...html.matchAll(/<details class="day"( open)?><summary>(\S+)/g)];
    expect(details.map((d) => d[2])).toEqual(DATES);
    expect(details.map((d) => Boolean(d[1]))).toEqual([false, false, false, false, true]);
    expect(html.lastIndexOf('data-chart=')).toBeLessThan(html.indexOf('<details class="day"'));
    for (const count of [
      'duplicate orders: 0',
      'lost records: 0',
      'unreconciled positions: 0',
      'orphan legs: 0',
    ])
      expect(html).toContain(count);
    expect(html).toContain('P&amp;L mismatch (system vs broker): $0.00');
    // Self-contained: no script, no stylesheet link, no external URL (inline SVG needs no xmlns).
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\//i);
  });

  it('renders an AWS run and an older summary without the optional fields: "no data", never a throw', () => {
    const run = constructedRun('aws');
    for (const day of run.days as ReportDay[]) {
      delete day.equity;
      delete day.closesByRule;
      delete day.checks;
      delete day.candidates.scoreCounts;
      delete day.candidates.chosen;
      for (const p of day.positions) {
        delete p.pnlPath;
        delete p.closedBy;
        delete p.lastPnl;
      }
    }
    const html = renderRunReport(run);
    const charts = chartsOf(html);
    for (const kind of ['equity', 'position-pnl', 'scores', 'factors', 'closes-by-rule'])
      for (const svg of charts.get(kind)!) expect(svg).toContain('no data');
    expect(charts.get('payoff')![0]).toContain('current price not recorded');
    expect(html).toContain('not available from AWS');
    expect(html).toContain('Read back from the deployed DynamoDB tables');
    // A run of no days at all still renders its header.
    expect(renderRunReport({ ...run, days: [] })).toContain('no trading day in this run');
  });

  it('escapes a hostile symbol, scenario and close rule everywhere, charts included', () => {
    const hostile = `<script>alert("x")</script>&'`;
    const run: RunSummary = constructedRun();
    run.scenario.name = hostile;
    for (const day of run.days) {
      day.closesByRule = { [hostile]: 1 };
      for (const p of day.positions) {
        p.symbol = hostile;
        if (p.closedBy) p.closedBy = hostile;
      }
      for (const c of day.candidates.chosen ?? []) c.symbol = hostile;
    }
    run.totals.closesByRule = { [hostile]: 5 };
    const html = renderRunReport(run);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('alert("x")');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    const charts = chartsOf(html);
    expect(charts.get('position-pnl')!.some((svg) => svg.includes('data-closed-by="&lt;script&gt;'))).toBe(
      true,
    );
    expect(charts.get('closes-by-rule')![0]).toContain('data-legend="&lt;script&gt;');
    // Every attribute still parses: no quote broke out of its value.
    for (const svg of [...charts.values()].flat())
      for (const e of elements(svg)) for (const v of Object.values(e.attrs)) expect(v).not.toMatch(/["<>]/);
  });
});

describe('finding Chromium', () => {
  it('finds it on PATH, and names how to install it when it is nowhere', () => {
    expect(findChromium({ PATH: '' }, [])).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'chromium-'));
    writeFileSync(join(dir, 'chromium'), '#!/bin/sh\n');
    chmodSync(join(dir, 'chromium'), 0o755);
    expect(findChromium({ PATH: dir }, [])).toBe(join(dir, 'chromium'));
    expect(CHROMIUM_MISSING).toContain('apt-get install -y chromium');
  });
});
