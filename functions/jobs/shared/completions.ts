// When each job last completed a run, for the health check's watchman. Kept in the alert-state table,
// which every job may already write (lib/nag.ts): a claim with no cooldown always succeeds and stamps
// `lastSentAt`, so the record is one conditional write and needs no new table or grant.
import type { AlertStateStore } from '#adapters/ports';
import type { JobName } from '#core/config';

const key = (job: JobName) => `job-completed:${job}`;

export async function recordJobCompleted(alerts: AlertStateStore, job: JobName, at: number): Promise<void> {
  await alerts.tryClaimAlert(key(job), 'INFO', at, 0);
}

/** Epoch ms of the job's last completed run, or undefined when none is recorded. */
export async function lastCompletedAt(alerts: AlertStateStore, job: JobName): Promise<number | undefined> {
  return (await alerts.get(key(job)))?.lastSentAt;
}
