// The alerter port and its non-AWS implementations. Every alert goes through a cooldown first (trading
// rules, "Alerts"): the same subject + rule is suppressed for `cooldownMinutes` unless the severity rises.
// The claim is a conditional write in the AlertStateStore, so two concurrent monitors send it once; a
// local run without a store keeps the same rule in memory.
import type { Alert, AlertCooldownState } from '#core/alerts';
import { compareSeverity, cooldownKeyOf, shouldSendAlert } from '#core/alerts';
import type { AlertSeverity } from '#core/types';
import type { AlertStateStore } from './ports';

export interface SendOptions {
  /** Epoch ms of the send (cooldown arithmetic). */
  now: number;
  /** `config.alerts.cooldownMinutes`; 0 sends every time. */
  cooldownMinutes: number;
}

export interface AlertDelivery {
  sent: boolean;
  /** Why it was (not) sent: "first alert for this subject and rule", "INFO suppressed: ...". */
  reason: string;
  messageId?: string;
}

/** The one alerter port the jobs use. */
export interface Alerter {
  send(alert: Alert, options: SendOptions): Promise<AlertDelivery>;
}

/** Delivers an alert that already passed the cooldown (SNS, the console, a list in a test). */
export interface AlertPublisher {
  publish(alert: Alert): Promise<{ messageId?: string }>;
}

/** Where the cooldown state lives: the store's conditional claim, or process memory for local runs. */
type Claim = (alert: Alert, options: SendOptions) => Promise<{ claimed: boolean; reason: string }>;

function storeClaim(store: AlertStateStore): Claim {
  return async (alert, { now, cooldownMinutes }) => {
    const result = await store.tryClaimAlert(cooldownKeyOf(alert), alert.severity, now, cooldownMinutes);
    if (result.claimed) return { claimed: true, reason: 'claimed' };
    const { current } = result;
    const minutes = Math.max(0, Math.floor((now - current.lastSentAt) / 60_000));
    return {
      claimed: false,
      reason: `${alert.severity} suppressed: ${current.severity} sent ${minutes} min ago (cooldown ${cooldownMinutes} min)`,
    };
  };
}

function memoryClaim(): Claim {
  const state = new Map<string, AlertCooldownState>();
  return async (alert, { now, cooldownMinutes }) => {
    const key = cooldownKeyOf(alert);
    const verdict = shouldSendAlert(alert, state.get(key), now, cooldownMinutes);
    if (verdict.send) state.set(key, { severity: alert.severity, sentAt: now });
    return { claimed: verdict.send, reason: verdict.reason };
  };
}

/**
 * An alerter that claims the cooldown (in `store`, or in memory without one) and then publishes.
 * A publish that fails after the claim rethrows: the caller logs it; the claim stays, which errs on the
 * side of one missed repeat rather than a storm of duplicates.
 */
export function cooldownAlerter(publisher: AlertPublisher, store?: AlertStateStore): Alerter {
  const claim = store ? storeClaim(store) : memoryClaim();
  return {
    async send(alert, options) {
      const verdict = await claim(alert, options);
      if (!verdict.claimed) return { sent: false, reason: verdict.reason };
      const { messageId } = await publisher.publish(alert);
      return { sent: true, reason: 'sent', ...(messageId === undefined ? {} : { messageId }) };
    },
  };
}

/** Keeps published alerts in a list: local runs that print a summary, and tests. */
export function memoryPublisher(): AlertPublisher & { alerts: Alert[] } {
  const alerts: Alert[] = [];
  return {
    alerts,
    async publish(alert) {
      alerts.push(alert);
      return { messageId: `memory-${alerts.length}` };
    },
  };
}

/** Writes each alert as one line (`[CRITICAL] title: message`) for local runs. */
export function consolePublisher(
  write: (line: string) => void = (line) => console.log(line),
): AlertPublisher {
  return {
    async publish(alert) {
      write(`[${alert.severity}] ${alert.title}: ${alert.message}`);
      return {};
    },
  };
}

/** The console alerter for local runs: in-memory cooldown (or the store's), one line per alert. */
export function consoleAlerter(
  options: { store?: AlertStateStore; write?: (line: string) => void } = {},
): Alerter {
  return cooldownAlerter(consolePublisher(options.write), options.store);
}

/** The most severe of a list, for summaries. */
export function highestSeverity(severities: readonly AlertSeverity[]): AlertSeverity | undefined {
  return severities.reduce<AlertSeverity | undefined>(
    (top, s) => (top === undefined || compareSeverity(s, top) > 0 ? s : top),
    undefined,
  );
}
