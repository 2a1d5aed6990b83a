// Turns one `npm start` day into the measured numbers of scripts/cost/measured.ts: how long each job's
// handler took, how many bytes of logs (Powertools JSON lines and EMF metric lines) it wrote, which custom
// metrics it emitted, the alerts of the day and what strategy-analysis stored. Run:
//
//   POWERTOOLS_LOG_LEVEL=INFO POWERTOOLS_METRICS_DISABLED=false npm start > out/day.log
//   npx tsx scripts/cost/measure.ts out/summary.json out/day.log
//
// (npm start silences the logs and the metrics unless those two variables are set; the deployed
// functions run at Powertools' default level, INFO, with metrics on.) Prints the object to paste.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AlertSeverity } from '#core/types';
import type { DaySummary } from '../report/summary';
import type { MeasuredDay, MeasuredJob } from './measured';

interface LogLine {
  service?: string;
  _aws?: { CloudWatchMetrics?: { Metrics?: { Name: string }[] }[] };
}

export function measureDay(summary: { days: DaySummary[] }, log: string): MeasuredDay {
  const day = summary.days[0];
  if (!day) throw new Error('the summary holds no day');
  const jobs: Record<string, MeasuredJob> = {};
  const jobOf = (name: string) =>
    (jobs[name] ??= {
      scheduledRunsPerDay: 0,
      eventRunsPerDay: 0,
      meanDurationMs: 0,
      logBytesPerRun: 0,
      metricsPerRun: 0,
    });
  const elapsed: Record<string, number> = {};
  for (const run of day.runs) {
    const job = jobOf(run.job);
    if (run.trigger === 'event') job.eventRunsPerDay++;
    else job.scheduledRunsPerDay++;
    elapsed[run.job] = (elapsed[run.job] ?? 0) + run.elapsedMs;
  }
  const logBytes: Record<string, number> = {};
  const metricNames: Record<string, Set<string>> = {};
  for (const text of log.split('\n')) {
    if (!text.startsWith('{')) continue;
    const line = JSON.parse(text) as LogLine;
    if (!line.service || !jobs[line.service]) continue;
    // CloudWatch bills the event's bytes plus 26 bytes of overhead each; the newline is not sent.
    logBytes[line.service] = (logBytes[line.service] ?? 0) + Buffer.byteLength(text) + 26;
    for (const directive of line._aws?.CloudWatchMetrics ?? []) {
      for (const metric of directive.Metrics ?? []) {
        (metricNames[line.service] ??= new Set()).add(metric.Name);
      }
    }
  }
  for (const [name, job] of Object.entries(jobs)) {
    const runs = job.scheduledRunsPerDay + job.eventRunsPerDay;
    job.meanDurationMs = Math.round(elapsed[name]! / runs);
    job.logBytesPerRun = Math.round((logBytes[name] ?? 0) / runs);
    job.metricsPerRun = metricNames[name]?.size ?? 0;
  }
  const analysis = day.runs.find((run) => run.job === 'strategy-analysis')?.counts ?? {};
  const alerts: Record<AlertSeverity, number> = { ...day.alertCounts };
  return {
    date: day.date,
    jobs,
    alertsPerDay: alerts,
    candidatesStoredPerDay: analysis.stored ?? 0,
    candidateArchiveBytesPerDay: analysis.archiveBytes ?? 0,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [summaryFile = 'out/summary.json', logFile = 'out/day.log'] = process.argv.slice(2);
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as { days: DaySummary[] };
  console.log(JSON.stringify(measureDay(summary, readFileSync(logFile, 'utf8')), null, 2));
}
