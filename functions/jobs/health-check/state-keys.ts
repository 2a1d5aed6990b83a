// The health check's own state in the alert-state store, so it survives between invocations.

// Alert-state keys of the check's own state (not alert cooldown keys: those are `subject#rule`).
export const STATE_KEYS = {
  failures: 'health-check:consecutive-failures',
  downSince: 'health-check:gateway-down-since',
  restart: 'health-check:last-restart',
  /** Restarts forced on one New York day (`…#YYYY-MM-DD`): the claim counter is the count. */
  restartsOn: (date: string) => `health-check:restarts#${date}`,
  /** When the watchman started (its first run): scheduled runs before it expect no completion. */
  watchingSince: 'health-check:watching-since',
  /** Since when IB's login has been seen waiting (cleared once IB is logged in). */
  loginWaitingSince: 'health-check:login-waiting-since',
} as const;
