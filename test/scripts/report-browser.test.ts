// The multi-day report opened in headless Chromium (Debian's `chromium`, driven by playwright-core): every
// chart is laid out with a non-zero size and draws something, every chart kind is there, and the page logs
// no error, throws nothing and requests nothing but itself. Without Chromium the test fails and says how
// to install it (CI installs it with apt-get): it never skips.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_KINDS } from '#scripts/report/charts/svg';
import { launchChromium } from '#scripts/report/chromium';
import { renderRunReport } from '#scripts/report/html';
import { DATES, PLANS, constructedRun } from './report-fixture';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

interface Laid {
  kind: string;
  width: number;
  height: number;
  /** Size of what the chart drew (its lines, bars and areas), in the page. */
  drawnWidth: number;
  drawnHeight: number;
}

async function openReport(html: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'report-')), 'report.html');
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) =>
    problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`),
  );
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url, { waitUntil: 'load' });
  const charts = await page.$$eval('[data-chart]', (elements) =>
    elements.map((element) => {
      const box = element.getBoundingClientRect();
      // Union of the boxes of the marks (not the frame or text), so an empty chart shows as zero.
      const marks = [...element.querySelectorAll('polyline, polygon, rect, path, circle')]
        .map((mark) => mark.getBoundingClientRect())
        .filter((r) => r.width > 0 || r.height > 0);
      const left = Math.min(...marks.map((r) => r.left));
      const right = Math.max(...marks.map((r) => r.right));
      const top = Math.min(...marks.map((r) => r.top));
      const bottom = Math.max(...marks.map((r) => r.bottom));
      return {
        kind: element.getAttribute('data-chart') ?? '',
        width: box.width,
        height: box.height,
        drawnWidth: marks.length === 0 ? 0 : right - left,
        drawnHeight: marks.length === 0 ? 0 : bottom - top,
      };
    }),
  );
  await page.close();
  return { url, charts: charts as Laid[], problems, requests };
}

describe('the report in headless Chromium', () => {
  it('lays out every chart of a five-day run with a non-zero size and logs no error', async () => {
    const { url, charts, problems, requests } = await openReport(renderRunReport(constructedRun()));
    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
    const kinds = charts.map((c) => c.kind);
    for (const kind of CHART_KINDS) expect(kinds, kind).toContain(kind);
    expect(kinds.filter((k) => k === 'position-pnl')).toHaveLength(PLANS.length);
    expect(kinds.filter((k) => k === 'scores')).toHaveLength(DATES.length);
    expect(kinds.filter((k) => k === 'payoff')).toHaveLength(PLANS.filter((p) => !p.close).length);
    for (const chart of charts) {
      expect(chart.width, chart.kind).toBeGreaterThan(0);
      expect(chart.height, chart.kind).toBeGreaterThan(0);
      expect(chart.drawnWidth, chart.kind).toBeGreaterThan(0);
      expect(chart.drawnHeight, chart.kind).toBeGreaterThan(0);
    }
    // Wide charts span the page; small ones share a row.
    const equity = charts.find((c) => c.kind === 'equity')!;
    const position = charts.find((c) => c.kind === 'position-pnl')!;
    expect(equity.width).toBeGreaterThan(1000);
    expect(position.width).toBeLessThan(equity.width / 1.8);
  }, 60_000);

  it('renders a run read back from AWS (no broker view, no runs) and its "no data" charts the same way', async () => {
    const run = constructedRun('aws');
    for (const day of run.days) {
      delete day.equity;
      delete day.candidates.scoreCounts;
    }
    const { url, charts, problems, requests } = await openReport(renderRunReport(run));
    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
    for (const kind of CHART_KINDS) expect(charts.map((c) => c.kind)).toContain(kind);
    for (const chart of charts) {
      expect(chart.width, chart.kind).toBeGreaterThan(0);
      expect(chart.height, chart.kind).toBeGreaterThan(0);
    }
  }, 60_000);
});
