// Where a run's summary and report go: shared by `npm start` (local) and `npm run report -- --aws`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderRunReport } from './html';
import type { RunSummary } from './summary';

/**
 * Writes out/summary.json and out/report.html. A report that fails to render is a problem of the run
 * (not completed), but the days' summary is still written: hours of simulated days are not lost to it.
 */
export function writeOutputs(run: RunSummary, outDir: string): { summaryFile: string; reportFile: string } {
  mkdirSync(outDir, { recursive: true });
  const summaryFile = resolve(outDir, 'summary.json');
  const reportFile = resolve(outDir, 'report.html');
  let html: string | undefined;
  try {
    html = renderRunReport(run);
  } catch (error) {
    run.completed = false;
    run.problems.push(`report.html not written: ${error instanceof Error ? error.message : String(error)}`);
  }
  writeFileSync(summaryFile, `${JSON.stringify(run, null, 2)}\n`);
  if (html !== undefined) writeFileSync(reportFile, html);
  return { summaryFile, reportFile };
}
