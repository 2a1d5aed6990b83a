// The README's job table is generated from the schedule table: a schedule change without
// `npx tsx scripts/job-table.ts --write` fails here.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JOB_NAMES } from '#core/config';
import { JOB_TIMINGS } from '#core/schedule';
import {
  JOB_TABLE_END,
  JOB_TABLE_START,
  jobTableMarkdown,
  scheduleText,
  withJobTable,
} from '#scripts/job-table';

describe('README job table', () => {
  it('says each schedule as the table has it', () => {
    expect(scheduleText(JOB_TIMINGS['strategy-analysis'])).toBe('09:45');
    expect(scheduleText(JOB_TIMINGS['position-sync'], 'on every fill event')).toBe(
      '08:00, 16:15, and on every fill event',
    );
    expect(scheduleText(JOB_TIMINGS.monitor)).toBe('every 5 min in market hours');
    expect(scheduleText(JOB_TIMINGS['health-check'])).toBe('every 10 min, every day (weekends too)');
    expect(scheduleText(JOB_TIMINGS['verify-positions'])).toBe('on demand');
    // A schedule change is one line of the table, and the text follows it.
    const moved = {
      ...JOB_TIMINGS['strategy-analysis'],
      schedules: [{ ...JOB_TIMINGS['strategy-analysis'].schedules[0]!, minute: '50' }],
    };
    expect(scheduleText(moved)).toBe('09:50');
  });

  it('has one row per job and rewrites only the block between the markers', () => {
    const rows = jobTableMarkdown().split('\n').slice(2);
    expect(rows.map((r) => r.split(' | ')[0]!.slice(2))).toEqual([...JOB_NAMES]);
    const doc = `before\n${JOB_TABLE_START}\nstale\n${JOB_TABLE_END}\nafter\n`;
    const once = withJobTable(doc);
    expect(once).toBe(`before\n${JOB_TABLE_START}\n${jobTableMarkdown()}\n${JOB_TABLE_END}\nafter\n`);
    expect(withJobTable(once)).toBe(once);
  });

  it('README.md holds the current table (run `npx tsx scripts/job-table.ts --write`)', () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const block = readme.slice(
      readme.indexOf(JOB_TABLE_START) + JOB_TABLE_START.length,
      readme.indexOf(JOB_TABLE_END),
    );
    expect(block.trim()).toBe(jobTableMarkdown());
  });
});
