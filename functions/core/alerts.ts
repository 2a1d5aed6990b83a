// Alert rules: P&L thresholds, the alert key and cooldown, and short human-readable messages.
// Messages name the position and the numbers, never a stack trace (trading rules, "Alerts").
import type { Config } from './config';
import type { AlertSeverity, IsoDate, Right, StrategyKind, StrategyPosition } from './types';
import { strategyLabel } from './strategies/registry';

export interface Alert {
  /** `subject#rule#SEVERITY` (see `alertKey`): the alert's identity as the trading rules define it. */
  key: string;
  /** What the alert is about: a position id, an order intent key, or a system part such as `gateway`. */
  subject: string;
  severity: AlertSeverity;
  title: string;
  message: string;
  positionId?: string;
  /** The rule that raised it: a decision rule number or a name such as `order-rejected`. */
  rule?: string;
  numbers?: Record<string, number>;
}

/** What the cooldown remembers per subject + rule: the last severity sent and when. */
export interface AlertCooldownState {
  severity: AlertSeverity;
  /** Epoch ms. */
  sentAt: number;
}

const SEVERITY_RANK: Record<AlertSeverity, number> = { INFO: 0, WARNING: 1, CRITICAL: 2 };

/** INFO < WARNING < CRITICAL; positive when `a` is more severe than `b`. */
export function compareSeverity(a: AlertSeverity, b: AlertSeverity): number {
  return SEVERITY_RANK[a] - SEVERITY_RANK[b];
}

/**
 * Severity of an unrealised P&L (dollars, negative for a loss). Thresholds are strict: a loss of exactly
 * `lossCriticalUsd` is a WARNING, not CRITICAL ("loss > $500"). No severity when nothing applies or the
 * P&L is not a number.
 */
export function pnlAlertSeverity(unrealisedUsd: number, alerts: Config['alerts']): AlertSeverity | undefined {
  if (!Number.isFinite(unrealisedUsd)) return undefined;
  const loss = -unrealisedUsd;
  if (loss > alerts.lossCriticalUsd) return 'CRITICAL';
  if (loss > alerts.lossWarningUsd) return 'WARNING';
  if (unrealisedUsd > alerts.profitInfoUsd) return 'INFO';
  return undefined;
}

/** The alert's identity: subject + rule + severity, as the trading rules name it. */
export function alertKey(subject: string, rule: string | number, severity: AlertSeverity): string {
  return `${cooldownKey(subject, rule)}#${severity}`;
}

/**
 * Where the cooldown state lives: subject + rule, without severity, because escalation compares the new
 * severity with the last one sent for the same subject and rule.
 */
export function cooldownKey(subject: string, rule: string | number): string {
  return `${subject}#${rule}`;
}

/** The cooldown key of an alert built by `makeAlert`. */
export function cooldownKeyOf(alert: Pick<Alert, 'subject' | 'rule'>): string {
  return cooldownKey(alert.subject, alert.rule ?? '-');
}

export interface AlertSpec {
  subject: string;
  rule: string | number;
  severity: AlertSeverity;
  title: string;
  message: string;
  positionId?: string;
  numbers?: Record<string, number>;
}

/** Builds an alert whose key agrees with its subject, rule and severity. */
export function makeAlert(spec: AlertSpec): Alert {
  const rule = String(spec.rule);
  return {
    key: alertKey(spec.subject, rule, spec.severity),
    subject: spec.subject,
    severity: spec.severity,
    title: spec.title,
    message: spec.message,
    rule,
    ...(spec.positionId === undefined ? {} : { positionId: spec.positionId }),
    ...(spec.numbers === undefined ? {} : { numbers: spec.numbers }),
  };
}

/**
 * Cooldown: the same subject + rule is suppressed for `cooldownMinutes` after it was last sent, unless the
 * severity rises. `previous` is the state stored under `cooldownKeyOf(alert)`. A clock that reads earlier
 * than `sentAt` counts as inside the cooldown, so a skewed clock cannot double-send.
 */
export function shouldSendAlert(
  alert: Pick<Alert, 'severity'>,
  previous: AlertCooldownState | undefined,
  now: number,
  cooldownMinutes: number,
): { send: boolean; reason: string } {
  if (previous === undefined) return { send: true, reason: 'first alert for this subject and rule' };
  const elapsedMs = now - previous.sentAt;
  const cooldownMs = cooldownMinutes * 60_000;
  if (elapsedMs >= cooldownMs) {
    return { send: true, reason: `cooldown of ${cooldownMinutes} min is over` };
  }
  if (compareSeverity(alert.severity, previous.severity) > 0) {
    return { send: true, reason: `severity rose from ${previous.severity} to ${alert.severity}` };
  }
  const minutesAgo = Math.max(0, Math.floor(elapsedMs / 60_000));
  return {
    send: false,
    reason: `${alert.severity} suppressed: ${previous.severity} sent ${minutesAgo} min ago (cooldown ${cooldownMinutes} min)`,
  };
}

/** Money for people: `$1,234.50`, `-$612.00`; `n/a` when not a number. */
export function usd(amount: number): string {
  if (!Number.isFinite(amount)) return 'n/a';
  const cents = Math.round(Math.abs(amount) * 100);
  const dollars = Math.floor(cents / 100).toString();
  const grouped = dollars.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = amount < 0 && cents > 0 ? '-' : '';
  return `${sign}$${grouped}.${(cents % 100).toString().padStart(2, '0')}`;
}

export interface SpreadLegView {
  right: Right;
  strike: number;
  short: boolean;
}

/** `P580/575 C620/625`: per side, short strike first, then the long strike (put side first). */
export function strikesLabel(legs: readonly SpreadLegView[]): string {
  const side = (right: Right) => {
    const shorts = legs.filter((l) => l.right === right && l.short).map((l) => l.strike);
    const longs = legs.filter((l) => l.right === right && !l.short).map((l) => l.strike);
    if (shorts.length === 0 && longs.length === 0) return undefined;
    return `${right}${[...shorts, ...longs].join('/')}`;
  };
  return [side('P'), side('C')].filter((s) => s !== undefined).join(' ');
}

/** `SPY iron condor 2026-12-31 P580/575 C620/625 ×2` (the quantity only when given). */
export function describeSpread(
  symbol: string,
  strategy: StrategyKind,
  expiry: IsoDate,
  legs: readonly SpreadLegView[],
  quantity?: number,
): string {
  const base = `${symbol} ${strategyLabel(strategy)} ${expiry} ${strikesLabel(legs)}`;
  return quantity === undefined ? base : `${base} ×${quantity}`;
}

/**
 * `IWM 2026-07-17 legs −2 P228, +2 C252`: option legs no strategy module recognises, named by what they
 * are (signed quantity, right, strike; puts first, strikes ascending) rather than by a strategy.
 */
export function describeLegs(
  symbol: string,
  expiry: IsoDate,
  legs: readonly { right: Right; strike: number; quantity: number }[],
): string {
  const putsFirst = (right: Right) => (right === 'P' ? 0 : 1);
  const ordered = [...legs].sort((a, b) => putsFirst(a.right) - putsFirst(b.right) || a.strike - b.strike);
  const leg = (l: (typeof legs)[number]) =>
    `${l.quantity < 0 ? '−' : '+'}${Math.abs(l.quantity)} ${l.right}${l.strike}`;
  return `${symbol} ${expiry} legs ${ordered.map(leg).join(', ')}`;
}

export function describePosition(position: StrategyPosition): string {
  // No whole spread left (an assignment broke it): name the position by its id instead.
  if (position.legs.length === 0)
    return `${position.symbol} ${position.strategy} ${position.id} (no spread left)`;
  return describeSpread(
    position.symbol,
    position.strategy,
    position.expiry,
    position.legs.map((l) => ({ right: l.contract.right, strike: l.contract.strike, short: l.quantity < 0 })),
    position.quantity,
  );
}
