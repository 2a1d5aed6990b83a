// When and how fast the IB connection reconnects: capped exponential backoff with jitter, and the
// gateway's daily restart window (during which it waits at the maximum delay).

export interface RestartWindow {
  /** `HH:MM` in `timeZone`; the window may wrap past midnight. */
  start: string;
  end: string;
  timeZone: string;
}

/**
 * Capped exponential backoff with "equal jitter": half the delay is fixed, half random, so many
 * restarts never synchronise. `atMaximum` (duplicate client id, restart window) skips the ramp.
 */
export function reconnectDelay(
  attempt: number,
  backoff: { initialMs: number; maxMs: number },
  random: number,
  atMaximum = false,
): number {
  const capped = atMaximum
    ? backoff.maxMs
    : Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt - 1));
  return capped / 2 + (random * capped) / 2;
}

/** Whether `at` falls inside a daily `HH:MM`–`HH:MM` window in `timeZone` (wrapping past midnight). */
export function withinDailyWindow(at: number, window: RestartWindow): boolean {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: window.timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value);
  const m = hour * 60 + minute;
  const toMinutes = (hhmm: string): number => {
    const [h, mm] = hhmm.split(':').map(Number);
    return (h ?? 0) * 60 + (mm ?? 0);
  };
  const start = toMinutes(window.start);
  const end = toMinutes(window.end);
  return start <= end ? m >= start && m < end : m >= start || m < end;
}
